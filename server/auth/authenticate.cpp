#include "auth/authenticate.hpp"

#include <nlohmann/json.hpp>

#include <string>

#include "auth/random.hpp"
#include "auth/session.hpp"
#include "auth/tokens.hpp"
#include "http/encoding.hpp"
#include "security/encoding.hpp"

namespace mailprune::auth {
namespace {

struct Credential {
  Via via = Via::session;
  std::string secret;
};

// The bearer token when an Authorization header uses that scheme (others, such as the Basic of a
// proxy in front, are not ours and are ignored), else the session cookie.
std::optional<Credential> find_credential(const http::Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (!http::iequals(name, "Authorization")) continue;
    std::string_view text = value;
    auto space = text.find(' ');
    if (space == std::string_view::npos || !http::iequals(text.substr(0, space), "Bearer")) continue;
    text.remove_prefix(space);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return Credential{Via::token, std::string(text)};
  }
  for (const auto& [name, value] : headers) {
    if (!http::iequals(name, "Cookie")) continue;
    if (auto cookie = http::parse_cookies(value).get(kSessionCookie)) return Credential{Via::session, *cookie};
  }
  return std::nullopt;
}

bool looks_like_session(std::string_view value) {
  auto bytes = security::base64url_decode(value);
  return bytes && bytes->size() == 32;
}

AuthResult session_principal(pqxx::transaction_base& tx, const std::string& cookie, const AuthSettings& settings,
                             std::int64_t now, bool touch) {
  if (!looks_like_session(cookie)) return Refusal::invalid;
  std::string hash = sha256(cookie);
  auto rows = tx.exec_params(
      "SELECT s.id, s.account_id, a.login, a.role, a.disabled_at IS NOT NULL, s.revoked_at IS NOT NULL,"
      " floor(extract(epoch FROM s.expires_at))::bigint, floor(extract(epoch FROM s.last_seen_at))::bigint"
      " FROM admin_session s JOIN admin_account a ON a.id = s.account_id WHERE s.token_sha256 = decode($1, 'hex')",
      security::hex_encode(hash));
  if (rows.empty()) return Refusal::invalid;
  const auto& row = rows[0];
  if (row[5].as<bool>()) return Refusal::revoked;
  std::int64_t expires_at = row[6].as<std::int64_t>();
  std::int64_t last_seen = row[7].as<std::int64_t>();
  if (now >= expires_at || now - last_seen >= settings.session_idle_seconds) return Refusal::expired;
  if (row[4].as<bool>()) return Refusal::disabled;
  Principal principal;
  principal.credential_id = row[0].as<std::int64_t>();
  principal.account_id = row[1].as<int>();
  principal.login = row[2].as<std::string>();
  principal.role = parse_role(row[3].as<std::string>()).value_or(Role::viewer);
  principal.via = Via::session;
  principal.session_sha256 = hash;
  if (touch && now - last_seen >= settings.touch_interval_seconds) {
    tx.exec_params0("UPDATE admin_session SET last_seen_at = to_timestamp($2) WHERE id = $1", principal.credential_id,
                    now);
  }
  return principal;
}

AuthResult token_principal(pqxx::transaction_base& tx, const std::string& token, const AuthSettings& settings,
                           std::int64_t now, bool touch) {
  if (!looks_like_token(token)) return Refusal::invalid;
  auto rows = tx.exec_params(
      "SELECT t.id, t.account_id, a.login, a.role, t.role, a.disabled_at IS NOT NULL, t.revoked_at IS NOT NULL,"
      " floor(extract(epoch FROM t.expires_at))::bigint, floor(extract(epoch FROM t.last_used_at))::bigint, t.name"
      " FROM api_token t JOIN admin_account a ON a.id = t.account_id WHERE t.token_sha256 = decode($1, 'hex')",
      security::hex_encode(sha256(token)));
  if (rows.empty()) return Refusal::invalid;
  const auto& row = rows[0];
  if (row[6].as<bool>()) return Refusal::revoked;
  if (!row[7].is_null() && now >= row[7].as<std::int64_t>()) return Refusal::expired;
  if (row[5].as<bool>()) return Refusal::disabled;
  Role account_role = parse_role(row[3].as<std::string>()).value_or(Role::viewer);
  Role token_role = parse_role(row[4].as<std::string>()).value_or(Role::viewer);
  Principal principal;
  principal.credential_id = row[0].as<std::int64_t>();
  principal.account_id = row[1].as<int>();
  principal.login = row[2].as<std::string>();
  principal.role = role_allows(account_role, token_role) ? token_role : account_role;
  principal.via = Via::token;
  principal.token_name = row[9].as<std::string>();
  bool stale = row[8].is_null() || now - row[8].as<std::int64_t>() >= settings.touch_interval_seconds;
  if (touch && stale) {
    tx.exec_params0("UPDATE api_token SET last_used_at = to_timestamp($2) WHERE id = $1", principal.credential_id, now);
  }
  return principal;
}

}  // namespace

const char* to_string(Refusal refusal) {
  switch (refusal) {
    case Refusal::missing:
      return "missing";
    case Refusal::invalid:
      return "invalid";
    case Refusal::expired:
      return "expired";
    case Refusal::revoked:
      return "revoked";
    case Refusal::disabled:
      return "disabled";
    case Refusal::csrf:
      return "csrf";
    case Refusal::forbidden:
      break;
  }
  return "forbidden";
}

int http_status(Refusal refusal) {
  return refusal == Refusal::csrf || refusal == Refusal::forbidden ? 403 : 401;
}

AuthResult authenticate(pqxx::transaction_base& tx, const http::Headers& headers, const AuthSettings& settings,
                        std::int64_t now, bool touch) {
  auto credential = find_credential(headers);
  if (!credential) return Refusal::missing;
  if (credential->via == Via::token) return token_principal(tx, credential->secret, settings, now, touch);
  return session_principal(tx, credential->secret, settings, now, touch);
}

std::optional<Refusal> require(const Principal& principal, Role needed) {
  if (role_allows(principal.role, needed)) return std::nullopt;
  return Refusal::forbidden;
}

bool is_safe_method(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::optional<Refusal> check_csrf(const http::Request& request, const Principal& principal,
                                  const security::Key& csrf_key) {
  if (is_safe_method(request.method) || principal.via != Via::session) return std::nullopt;
  std::optional<std::string> presented = request.headers.get(kCsrfHeader);
  if (!presented) {
    if (auto form = http::parse_form(request)) presented = form->get(kCsrfField);  // forms only
  }
  if (presented && verify_csrf(*presented, principal.session_sha256, csrf_key)) return std::nullopt;
  return Refusal::csrf;
}

AuthResult authorize(pqxx::transaction_base& tx, const http::Request& request, Role needed,
                     const AuthSettings& settings, const security::Key& csrf_key, std::int64_t now, bool touch) {
  AuthResult result = authenticate(tx, request.headers, settings, now, touch);
  if (!result) return result;
  if (auto refusal = check_csrf(request, result.value(), csrf_key)) return *refusal;
  if (auto refusal = require(result.value(), needed)) return *refusal;
  return result;
}

http::Response refusal_response(Refusal refusal) {
  const char* message = "authentication required";
  switch (refusal) {
    case Refusal::missing:
      break;
    case Refusal::invalid:
      message = "the session or token is not valid";
      break;
    case Refusal::expired:
      message = "the session or token has expired: log in again";
      break;
    case Refusal::revoked:
      message = "the session or token was revoked: log in again";
      break;
    case Refusal::disabled:
      message = "the account is disabled";
      break;
    case Refusal::csrf:
      message = "missing or wrong CSRF token";
      break;
    case Refusal::forbidden:
      message = "your role does not allow this";
      break;
  }
  nlohmann::json body = {{"error", to_string(refusal)}, {"message", message}};
  http::Response response = http::json_response(http_status(refusal), body.dump());
  if (response.status == 401) response.headers.set("WWW-Authenticate", "Bearer realm=\"mailprune\"");
  return response;
}

}  // namespace mailprune::auth
