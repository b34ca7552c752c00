// principal.hpp: who is asking (an admin account through a console session or an API token), the
// two roles, and the settings every part of server/auth shares.
//
// Times are Unix seconds (std::int64_t) given by the caller, never read from the clock here, so
// tests move time by passing another number. Plain data: copy freely, share read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/password.hpp"
#include "config/config.hpp"

namespace mailprune::auth {

// `admin` may do everything; `viewer` may only read (GET). Ordered: admin includes viewer.
enum class Role { viewer = 0, admin = 1 };

// "admin", "viewer".
const char* to_string(Role role);
// "admin" / "viewer" (exact, lower case); nullopt otherwise.
std::optional<Role> parse_role(std::string_view text);
// True when `held` includes `needed` (admin includes viewer).
inline bool role_allows(Role held, Role needed) {
  return static_cast<int>(held) >= static_cast<int>(needed);
}

enum class Via { session, token };
const char* to_string(Via via);  // "session", "token"

// An authenticated caller (authenticate.hpp). For a session, `credential_id` is admin_session.id
// and `session_sha256` the stored hash of its cookie (what the CSRF token is derived from); for a
// token, `credential_id` is api_token.id and `token_name` its name.
struct Principal {
  int account_id = 0;
  std::string login;
  // Effective role: the account's; for a token, the lower of the token's and the account's.
  Role role = Role::viewer;
  Via via = Via::session;
  std::int64_t credential_id = 0;
  std::string session_sha256;  // 32 bytes (sessions only)
  std::string token_name;      // tokens only
};

// Login throttling (login.hpp): after `login_failures` failed logins for one login name, or
// `ip_failures` from one client address, within `window_seconds`, further attempts are refused
// without checking the password until the last failure is `base_delay_seconds` old, doubling
// with every further failure, at most `max_delay_seconds`. A successful login clears its login
// name's count (not its address's: one valid account must not let an address try others).
struct ThrottleSettings {
  int login_failures = 5;
  int ip_failures = 20;
  std::int64_t window_seconds = 15 * 60;
  std::int64_t base_delay_seconds = 30;
  std::int64_t max_delay_seconds = 15 * 60;
};

struct AuthSettings {
  // A session ends `session_lifetime_seconds` after login whatever happens, or after
  // `session_idle_seconds` without a request.
  std::int64_t session_lifetime_seconds = 12 * 3600;
  std::int64_t session_idle_seconds = 2 * 3600;
  // last_seen_at / last_used_at are written at most this often per session or token (so a burst of
  // requests does not write a row each).
  std::int64_t touch_interval_seconds = 60;
  // Marks session cookies Secure even when the request did not come over TLS (a TLS proxy in
  // front): configuration `[server] secure_cookies`.
  bool secure_cookies = false;
  PasswordCost password_cost;  // for new hashes, and when a stored one needs a rehash
  ThrottleSettings throttle;
};

// The defaults, with what the configuration says (`[server] secure_cookies`).
AuthSettings auth_settings(const config::ServerConfig& server);

// The session cookie's name.
inline constexpr const char* kSessionCookie = "mailprune_session";
// The request header that carries the CSRF token of a cookie session (or the form field `csrf`).
inline constexpr const char* kCsrfHeader = "X-CSRF-Token";
inline constexpr const char* kCsrfField = "csrf";

}  // namespace mailprune::auth
