// accounts.hpp: local admin accounts (table admin_account): create, change password, disable,
// enable, remove, list. What `mailprune admin ...` does, and what the console will call.
//
// Logins are 1 to 64 characters of a-z 0-9 . _ @ - (starting with a letter or digit), compared
// in lower case: "Alice" is stored and found as "alice". Passwords follow password.hpp (12
// characters at least) and are stored only as Argon2id hashes.
//
// Every change writes its audit row (audit.hpp) in the caller's transaction, which the caller
// commits; nothing here commits. Changing a password, disabling or removing an account revokes
// its console sessions (API tokens stay; a disabled account's tokens are refused while it is
// disabled, a removed account's are deleted with it).
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit.hpp"
#include "auth/password.hpp"
#include "auth/principal.hpp"

namespace mailprune::auth {

// A refused account operation, said so that the CLI can print it as it is (exit 2).
class AccountError : public std::runtime_error {
 public:
  enum class Kind { invalid_login, exists, not_found, weak_password, invalid_role, invalid_name, invalid_expiry };
  AccountError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct Account {
  int id = 0;
  std::string login;
  Role role = Role::viewer;
  bool disabled = false;
  std::int64_t created_at = 0;  // Unix seconds
  std::int64_t updated_at = 0;
  std::int64_t password_changed_at = 0;
  std::optional<std::int64_t> last_login_at;
};

// `login` in lower case (ASCII letters only: logins have no other letters).
std::string normalise_login(std::string_view login);
// Why `login` (after normalise_login) is not a valid login, or "" when it is.
std::string login_problem(std::string_view login);

// The account, or nullopt.
std::optional<Account> find_account(pqxx::transaction_base& tx, std::string_view login);
// Every account, by login.
std::vector<Account> list_accounts(pqxx::transaction_base& tx);

// Creates an account. Throws AccountError (invalid_login, exists, weak_password) and
// PasswordError (libsodium failure). Audited as account.create.
Account create_account(pqxx::transaction_base& tx, std::string_view login, Role role, std::string_view password,
                       const PasswordCost& cost, const Actor& actor, std::string_view ip, std::int64_t now);

// Sets a new password and revokes the account's sessions. Throws AccountError (not_found,
// weak_password). Audited as account.password (with the number of sessions revoked).
void change_password(pqxx::transaction_base& tx, std::string_view login, std::string_view password,
                     const PasswordCost& cost, const Actor& actor, std::string_view ip, std::int64_t now);

// Disables (no login, sessions revoked, tokens refused) or enables an account. Returns false
// when it already was in that state (nothing changed, nothing audited). Throws AccountError
// (not_found). Audited as account.disable / account.enable.
bool set_account_disabled(pqxx::transaction_base& tx, std::string_view login, bool disabled, const Actor& actor,
                          std::string_view ip, std::int64_t now);

// Deletes the account with its sessions and tokens (audit rows keep its login). Throws
// AccountError (not_found). Audited as account.remove.
void remove_account(pqxx::transaction_base& tx, std::string_view login, const Actor& actor, std::string_view ip,
                    std::int64_t now);

// Revokes every live session of an account; returns how many (internal to auth, also for the
// console's "log out everywhere").
int revoke_account_sessions(pqxx::transaction_base& tx, int account_id, std::int64_t now);

}  // namespace mailprune::auth
