#include "auth/principal.hpp"

namespace mailprune::auth {

const char* to_string(Role role) {
  return role == Role::admin ? "admin" : "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  if (text == "admin") return Role::admin;
  if (text == "viewer") return Role::viewer;
  return std::nullopt;
}

AuthSettings auth_settings(const config::ServerConfig& server) {
  AuthSettings settings;
  settings.secure_cookies = server.secure_cookies;
  return settings;
}

const char* to_string(Via via) {
  return via == Via::token ? "token" : "session";
}

}  // namespace mailprune::auth
