// tokens.hpp: API tokens for scripts (table api_token): create, list, revoke.
//
// A token is "mpt_" followed by 43 base64url characters (32 random bytes): the prefix lets secret
// scanners and people recognise one. It is shown once, when created, and stored only as the
// SHA-256 of its text (random 256-bit secrets need no slow hash), so a copy of the database holds
// no usable token. Scripts send it as `Authorization: Bearer mpt_...` (authenticate.hpp).
//
// A token belongs to an account and has a role, at most the account's; at every use the lower of
// the token's role and the account's current role applies, and a disabled account's tokens are
// refused. Tokens are exempt from CSRF checks (a browser never sends them by itself).
//
// Every change writes its audit row in the caller's transaction; nothing here commits.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit.hpp"
#include "auth/principal.hpp"

namespace mailprune::auth {

inline constexpr std::string_view kTokenPrefix = "mpt_";

struct NewToken {
  std::int64_t id = 0;
  std::string token;  // the secret: shown once, never stored
  Role role = Role::viewer;
  std::optional<std::int64_t> expires_at;  // Unix seconds
};

struct TokenInfo {
  std::int64_t id = 0;
  std::string name;
  std::string login;  // the account's
  Role role = Role::viewer;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> last_used_at;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
};

// True when `text` has a token's form (prefix, length, alphabet): anything else is refused
// without a database lookup.
bool looks_like_token(std::string_view text);

// Creates a token for `login`'s account. `role` defaults to the account's role; a role above it,
// an unknown login, or a name that is empty or longer than 100 characters throws AccountError.
// `expires_at` (Unix seconds) must be after `now`. Audited as token.create (name, role, expiry).
NewToken create_token(pqxx::transaction_base& tx, std::string_view login, std::string_view name,
                      std::optional<Role> role, std::optional<std::int64_t> expires_at, const Actor& actor,
                      std::string_view ip, std::int64_t now);

// Tokens of one account (`login` set) or of all, by id; revoked and expired ones included.
std::vector<TokenInfo> list_tokens(pqxx::transaction_base& tx, std::optional<std::string> login = std::nullopt);

enum class RevokeResult { revoked, already_revoked, not_found };
// Revokes token `id`. Audited as token.revoke (when it was live).
RevokeResult revoke_token(pqxx::transaction_base& tx, std::int64_t id, const Actor& actor, std::string_view ip,
                          std::int64_t now);

}  // namespace mailprune::auth
