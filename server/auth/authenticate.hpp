// authenticate.hpp: who sent an HTTP request, and whether they may do what it asks.
//
// Credentials, in this order:
//   `Authorization: Bearer mpt_...`  an API token (tokens.hpp); when present, cookies are ignored
//   Cookie `mailprune_session=...`   a console session (session.hpp)
// authenticate() finds the principal or says why not:
//   missing   no credentials at all
//   invalid   not a token/cookie of ours (malformed, unknown, its account removed)
//   expired   a token past its expiry; a session past its lifetime or idle for too long
//   revoked   a revoked token; a session logged out or ended by a password change
//   disabled  the account is disabled
// authorize() adds what handlers need on top:
//   csrf      a cookie session making a state-changing request (not GET, HEAD, OPTIONS) without
//             the session's CSRF token (X-CSRF-Token header or `csrf` form field), or a wrong one
//   forbidden the principal's role does not include the one required (a viewer on admin-only)
// refusal_response() turns a refusal into the HTTP answer: 401 (with WWW-Authenticate: Bearer)
// for the first five, 403 for csrf and forbidden, as JSON {"error": "...", "message": "..."}.
//
// Typical handler:
//   auto access = auth::authorize(tx, request, auth::Role::admin, settings, csrf_key, now);
//   if (!access) return auth::refusal_response(access.error());
//   ... access->login ... auth::audit(tx, *access, "campaign.launch", {...}, details, ip, now);
//
// Writes: a session's last_seen_at or a token's last_used_at is updated when older than
// settings.touch_interval_seconds (so the idle timeout works). That needs a read-write
// transaction (pqxx::work) to be committed by the caller; pass `touch = false` to use a read-only
// transaction (the idle clock then does not move).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>

#include "auth/principal.hpp"
#include "http/message.hpp"
#include "interface/result.hpp"
#include "security/keys.hpp"

namespace mailprune::auth {

enum class Refusal { missing, invalid, expired, revoked, disabled, csrf, forbidden };
// "missing", "invalid", "expired", "revoked", "disabled", "csrf", "forbidden".
const char* to_string(Refusal refusal);
// 401 for missing..disabled, 403 for csrf and forbidden.
int http_status(Refusal refusal);

using AuthResult = connector::Result<Principal, Refusal>;

// The principal behind the request's credentials (see above). Throws only on database errors.
AuthResult authenticate(pqxx::transaction_base& tx, const http::Headers& headers, const AuthSettings& settings,
                        std::int64_t now, bool touch = true);

// nullopt when `principal` may act with `needed`; Refusal::forbidden otherwise.
std::optional<Refusal> require(const Principal& principal, Role needed);

// True for GET, HEAD and OPTIONS: the methods that never change state, so need no CSRF token.
bool is_safe_method(std::string_view method);

// nullopt when the request needs no CSRF token (safe method, API token) or carries the right one;
// Refusal::csrf otherwise. The form field is read only from an
// application/x-www-form-urlencoded body.
std::optional<Refusal> check_csrf(const http::Request& request, const Principal& principal,
                                  const security::Key& csrf_key);

// authenticate(), then check_csrf(), then require(needed).
AuthResult authorize(pqxx::transaction_base& tx, const http::Request& request, Role needed,
                     const AuthSettings& settings, const security::Key& csrf_key, std::int64_t now, bool touch = true);

// The JSON refusal, with WWW-Authenticate: Bearer realm="mailprune" on 401.
http::Response refusal_response(Refusal refusal);

}  // namespace mailprune::auth
