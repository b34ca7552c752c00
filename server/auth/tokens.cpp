#include "auth/tokens.hpp"

#include <fmt/format.h>

#include "auth/accounts.hpp"
#include "auth/random.hpp"
#include "security/encoding.hpp"

namespace mailprune::auth {
namespace {

constexpr std::size_t kTokenSecretChars = 43;  // base64url of 32 bytes

std::optional<std::int64_t> optional_seconds(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::int64_t>();
}

}  // namespace

bool looks_like_token(std::string_view text) {
  if (text.size() != kTokenPrefix.size() + kTokenSecretChars || text.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return false;
  }
  return security::base64url_decode(text.substr(kTokenPrefix.size())).has_value();
}

NewToken create_token(pqxx::transaction_base& tx, std::string_view login, std::string_view name,
                      std::optional<Role> role, std::optional<std::int64_t> expires_at, const Actor& actor,
                      std::string_view ip, std::int64_t now) {
  if (name.empty() || name.size() > 100) {
    throw AccountError(AccountError::Kind::invalid_name, "a token's name must be 1 to 100 characters");
  }
  if (expires_at && *expires_at <= now) {
    throw AccountError(AccountError::Kind::invalid_expiry, "a token's expiry must be in the future");
  }
  auto account = find_account(tx, login);
  if (!account) {
    throw AccountError(AccountError::Kind::not_found, fmt::format("no admin account \"{}\"", normalise_login(login)));
  }
  Role granted = role.value_or(account->role);
  if (!role_allows(account->role, granted)) {
    throw AccountError(AccountError::Kind::invalid_role,
                       fmt::format("account \"{}\" is a {}: its tokens cannot be {}", account->login,
                                   to_string(account->role), to_string(granted)));
  }
  NewToken token;
  token.token = std::string(kTokenPrefix) + base64url_random(32);
  token.role = granted;
  token.expires_at = expires_at;
  token.id = tx.exec_params1(
                   "INSERT INTO api_token (token_sha256, name, account_id, role, created_at, expires_at)"
                   " VALUES (decode($1, 'hex'), $2, $3, $4, to_timestamp($5),"
                   " CASE WHEN $6 THEN to_timestamp($7) END) RETURNING id",
                   security::hex_encode(sha256(token.token)), std::string(name), account->id, to_string(granted), now,
                   expires_at.has_value(), expires_at.value_or(0))[0]
                 .as<std::int64_t>();
  nlohmann::json details = {{"login", account->login}, {"name", std::string(name)}, {"role", to_string(granted)}};
  details["expires_at"] = expires_at ? nlohmann::json(*expires_at) : nlohmann::json(nullptr);
  audit(tx, actor, "token.create", AuditObject{"api_token", std::to_string(token.id)}, details, ip, now);
  return token;
}

std::vector<TokenInfo> list_tokens(pqxx::transaction_base& tx, std::optional<std::string> login) {
  std::vector<TokenInfo> tokens;
  auto rows = tx.exec_params(
      "SELECT t.id, t.name, a.login, t.role, floor(extract(epoch FROM t.created_at))::bigint,"
      " floor(extract(epoch FROM t.last_used_at))::bigint, floor(extract(epoch FROM t.expires_at))::bigint,"
      " floor(extract(epoch FROM t.revoked_at))::bigint"
      " FROM api_token t JOIN admin_account a ON a.id = t.account_id WHERE (NOT $1 OR a.login = $2) ORDER BY t.id",
      login.has_value(), normalise_login(login.value_or("")));
  for (const auto& row : rows) {
    TokenInfo info;
    info.id = row[0].as<std::int64_t>();
    info.name = row[1].as<std::string>();
    info.login = row[2].as<std::string>();
    info.role = parse_role(row[3].as<std::string>()).value_or(Role::viewer);
    info.created_at = row[4].as<std::int64_t>();
    info.last_used_at = optional_seconds(row[5]);
    info.expires_at = optional_seconds(row[6]);
    info.revoked_at = optional_seconds(row[7]);
    tokens.push_back(std::move(info));
  }
  return tokens;
}

RevokeResult revoke_token(pqxx::transaction_base& tx, std::int64_t id, const Actor& actor, std::string_view ip,
                          std::int64_t now) {
  auto rows = tx.exec_params(
      "SELECT t.revoked_at IS NOT NULL, t.name, a.login FROM api_token t JOIN admin_account a ON a.id = t.account_id"
      " WHERE t.id = $1 FOR UPDATE OF t",
      id);
  if (rows.empty()) return RevokeResult::not_found;
  if (rows[0][0].as<bool>()) return RevokeResult::already_revoked;
  tx.exec_params0("UPDATE api_token SET revoked_at = to_timestamp($2) WHERE id = $1", id, now);
  audit(tx, actor, "token.revoke", AuditObject{"api_token", std::to_string(id)},
        {{"name", rows[0][1].as<std::string>()}, {"login", rows[0][2].as<std::string>()}}, ip, now);
  return RevokeResult::revoked;
}

}  // namespace mailprune::auth
