#include "auth/session.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "auth/audit.hpp"
#include "auth/random.hpp"
#include "security/encoding.hpp"
#include "security/hmac.hpp"

namespace mailprune::auth {
namespace {

constexpr std::size_t kMaxUserAgent = 512;
constexpr std::string_view kCsrfLabel = "mailprune admin csrf v1\n";

// Valid UTF-8 cut at `limit` bytes at most, control characters replaced: a header value as text.
std::string clean_text(std::string_view text, std::size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f || byte >= 0x80) ? '?' : c;
  }
  return out;
}

}  // namespace

NewSession create_session(pqxx::transaction_base& tx, const Account& account, const ClientInfo& client,
                          const AuthSettings& settings, const security::Key& csrf_key, std::int64_t now) {
  if (account.disabled) throw std::invalid_argument("create_session: the account is disabled");
  NewSession session;
  session.cookie_value = base64url_random(32);
  session.expires_at = now + std::max<std::int64_t>(1, settings.session_lifetime_seconds);
  std::string hash = sha256(session.cookie_value);
  std::string user_agent = clean_text(client.user_agent, kMaxUserAgent);
  std::string ip = clean_text(client.ip, 100);
  session.id = tx.exec_params1(
                     "INSERT INTO admin_session (token_sha256, account_id, created_at, last_seen_at, expires_at,"
                     " user_agent, ip) VALUES (decode($1, 'hex'), $2, to_timestamp($3), to_timestamp($3),"
                     " to_timestamp($4), $5, $6) RETURNING id",
                     security::hex_encode(hash), account.id, now, session.expires_at, user_agent, ip)[0]
                   .as<std::int64_t>();
  session.csrf_token = csrf_token(hash, csrf_key);
  Actor actor;
  actor.kind = ActorKind::session;
  actor.name = account.login;
  actor.account_id = account.id;
  audit(tx, actor, "login", AuditObject{"admin_session", std::to_string(session.id)},
        {{"user_agent", user_agent}, {"expires_at", session.expires_at}}, ip, now);
  return session;
}

bool logout(pqxx::transaction_base& tx, const Principal& principal, std::string_view ip, std::int64_t now) {
  if (principal.via != Via::session) return false;
  auto result =
      tx.exec_params("UPDATE admin_session SET revoked_at = to_timestamp($2) WHERE id = $1 AND revoked_at IS NULL",
                     principal.credential_id, now);
  if (result.affected_rows() == 0) return false;
  audit(tx, principal, "logout", AuditObject{"admin_session", std::to_string(principal.credential_id)}, nullptr, ip,
        now);
  return true;
}

bool cookie_secure(const http::Request& request, const AuthSettings& settings) {
  return request.is_tls || settings.secure_cookies;
}

std::string session_cookie(const NewSession& session, bool secure, std::int64_t now) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", kSessionCookie, session.cookie_value,
                     std::max<std::int64_t>(0, session.expires_at - now), secure ? "; Secure" : "");
}

std::string clear_session_cookie(bool secure) {
  return fmt::format("{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}", kSessionCookie, secure ? "; Secure" : "");
}

security::Key load_csrf_key(const config::Config& config) {
  return security::load_or_create_key(config, "admin", config::Secret{});
}

std::string csrf_token(std::string_view session_sha256, const security::Key& key) {
  std::string message(kCsrfLabel);
  message.append(session_sha256);
  return security::base64url_encode(security::bytes_of(security::hmac_sha256(security::bytes_of(key), message)));
}

bool verify_csrf(std::string_view presented, std::string_view session_sha256, const security::Key& key) {
  return security::equal_constant_time(presented, csrf_token(session_sha256, key));
}

}  // namespace mailprune::auth
