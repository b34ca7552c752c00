// session.hpp: console sessions (table admin_session): created at login, carried by a cookie,
// ended by logout, expiry, idleness, a password change or the account being disabled.
//
// The cookie value is 32 random bytes as base64url (43 characters); only its SHA-256 is stored.
// The cookie is `mailprune_session=<value>; Path=/; Max-Age=<lifetime>; HttpOnly; SameSite=Strict`
// and `; Secure` when the request came over TLS or `[server] secure_cookies` is set (TLS ends at a
// proxy in front). HttpOnly keeps it from scripts; SameSite=Strict keeps browsers from sending it
// with requests started by other sites.
//
// CSRF: every state-changing request (not GET/HEAD/OPTIONS) made with a session cookie must carry
// the session's CSRF token, in the X-CSRF-Token header (scripts of the console) or the `csrf`
// form field (HTML forms). The token is HMAC-SHA256(key, "mailprune admin csrf v1\n" || the
// session's stored hash), base64url: fixed for the session's life, unguessable without the key,
// and useless for another session. The key is a server secret of 32 bytes (load_csrf_key()).
// API tokens need no CSRF token.
//
// Functions take the caller's transaction and never commit it. Pure otherwise; thread-safe.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/accounts.hpp"
#include "auth/principal.hpp"
#include "http/message.hpp"
#include "security/keys.hpp"

namespace mailprune::auth {

// Where a login came from (recorded with the session and in the audit row).
struct ClientInfo {
  std::string ip;
  std::string user_agent;  // cut at 512 bytes
};

struct NewSession {
  std::int64_t id = 0;
  std::string cookie_value;  // the secret: goes into Set-Cookie only
  std::int64_t expires_at = 0;
  std::string csrf_token;  // for the pages the console renders for this session
};

// Starts a session for `account` (normally right after verify_login() said ok) and audits it as
// `login` (object admin_session). Throws std::invalid_argument for a disabled account.
NewSession create_session(pqxx::transaction_base& tx, const Account& account, const ClientInfo& client,
                          const AuthSettings& settings, const security::Key& csrf_key, std::int64_t now);

// Ends the principal's session (revoked_at) and audits `logout`. Returns false for an API token
// principal (a token is revoked with revoke_token(), not by logging out) and for a session that
// was already revoked.
bool logout(pqxx::transaction_base& tx, const Principal& principal, std::string_view ip, std::int64_t now);

// True when cookies to this request's client must be Secure: the connection is TLS, or
// settings.secure_cookies.
bool cookie_secure(const http::Request& request, const AuthSettings& settings);

// The Set-Cookie value of a new session (Max-Age: seconds until `session.expires_at`).
std::string session_cookie(const NewSession& session, bool secure, std::int64_t now);
// The Set-Cookie value that removes the cookie (logout): empty value, Max-Age=0.
std::string clear_session_cookie(bool secure);

// The server key CSRF tokens are derived with: <data_dir>/keys/admin.key, created once
// (security/keys.hpp: 0600, race-free, shared by every process of the data directory). Throws
// security::KeyError.
security::Key load_csrf_key(const config::Config& config);

// The session's CSRF token, from its stored hash (Principal::session_sha256, 32 bytes).
std::string csrf_token(std::string_view session_sha256, const security::Key& key);
// True when `presented` is csrf_token(session_sha256, key); constant-time comparison.
bool verify_csrf(std::string_view presented, std::string_view session_sha256, const security::Key& key);

}  // namespace mailprune::auth
