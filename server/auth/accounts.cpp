#include "auth/accounts.hpp"

#include <fmt/format.h>

#include <utility>

namespace mailprune::auth {
namespace {

constexpr const char* kAccountColumns =
    "id, login, role, disabled_at IS NOT NULL, floor(extract(epoch FROM created_at))::bigint,"
    " floor(extract(epoch FROM updated_at))::bigint, floor(extract(epoch FROM password_changed_at))::bigint,"
    " floor(extract(epoch FROM last_login_at))::bigint";

Account account_of(const pqxx::row& row) {
  Account account;
  account.id = row[0].as<int>();
  account.login = row[1].as<std::string>();
  account.role = parse_role(row[2].as<std::string>()).value_or(Role::viewer);
  account.disabled = row[3].as<bool>();
  account.created_at = row[4].as<std::int64_t>();
  account.updated_at = row[5].as<std::int64_t>();
  account.password_changed_at = row[6].as<std::int64_t>();
  if (!row[7].is_null()) account.last_login_at = row[7].as<std::int64_t>();
  return account;
}

// The account, locked for the rest of the transaction; throws not_found.
Account lock_account(pqxx::transaction_base& tx, std::string_view login) {
  std::string name = normalise_login(login);
  auto rows =
      tx.exec_params(fmt::format("SELECT {} FROM admin_account WHERE login = $1 FOR UPDATE", kAccountColumns), name);
  if (rows.empty()) throw AccountError(AccountError::Kind::not_found, fmt::format("no admin account \"{}\"", name));
  return account_of(rows[0]);
}

std::string checked_hash(std::string_view password, const PasswordCost& cost) {
  if (auto problem = password_problem(password); !problem.empty()) {
    throw AccountError(AccountError::Kind::weak_password, problem);
  }
  return hash_password(password, cost);
}

AuditObject account_object(const Account& account) {
  return AuditObject{"admin_account", std::to_string(account.id)};
}

}  // namespace

std::string normalise_login(std::string_view login) {
  std::string out(login);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string login_problem(std::string_view login) {
  if (login.empty()) return "the login is empty";
  if (login.size() > 64) return "the login is longer than 64 characters";
  for (std::size_t i = 0; i < login.size(); ++i) {
    char c = login[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (i == 0 && !alnum) return "the login must start with a letter or a digit";
    if (!alnum && c != '.' && c != '_' && c != '@' && c != '-') {
      return "the login may hold only letters a-z, digits and . _ @ -";
    }
  }
  return "";
}

std::optional<Account> find_account(pqxx::transaction_base& tx, std::string_view login) {
  auto rows = tx.exec_params(fmt::format("SELECT {} FROM admin_account WHERE login = $1", kAccountColumns),
                             normalise_login(login));
  if (rows.empty()) return std::nullopt;
  return account_of(rows[0]);
}

std::vector<Account> list_accounts(pqxx::transaction_base& tx) {
  std::vector<Account> accounts;
  for (const auto& row : tx.exec(fmt::format("SELECT {} FROM admin_account ORDER BY login", kAccountColumns))) {
    accounts.push_back(account_of(row));
  }
  return accounts;
}

Account create_account(pqxx::transaction_base& tx, std::string_view login, Role role, std::string_view password,
                       const PasswordCost& cost, const Actor& actor, std::string_view ip, std::int64_t now) {
  std::string name = normalise_login(login);
  if (auto problem = login_problem(name); !problem.empty()) {
    throw AccountError(AccountError::Kind::invalid_login, problem);
  }
  std::string hash = checked_hash(password, cost);
  auto rows = tx.exec_params(
      fmt::format("INSERT INTO admin_account (login, role, password_hash, created_at, updated_at, password_changed_at)"
                  " VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($4), to_timestamp($4))"
                  " ON CONFLICT (login) DO NOTHING RETURNING {}",
                  kAccountColumns),
      name, to_string(role), hash, now);
  if (rows.empty()) {
    throw AccountError(AccountError::Kind::exists, fmt::format("an admin account \"{}\" already exists", name));
  }
  Account account = account_of(rows[0]);
  audit(tx, actor, "account.create", account_object(account), {{"login", name}, {"role", to_string(role)}}, ip, now);
  return account;
}

void change_password(pqxx::transaction_base& tx, std::string_view login, std::string_view password,
                     const PasswordCost& cost, const Actor& actor, std::string_view ip, std::int64_t now) {
  std::string hash = checked_hash(password, cost);  // before the lock: hashing takes a while
  Account account = lock_account(tx, login);
  tx.exec_params0(
      "UPDATE admin_account SET password_hash = $2, password_changed_at = to_timestamp($3),"
      " updated_at = to_timestamp($3) WHERE id = $1",
      account.id, hash, now);
  int revoked = revoke_account_sessions(tx, account.id, now);
  audit(tx, actor, "account.password", account_object(account),
        {{"login", account.login}, {"sessions_revoked", revoked}}, ip, now);
}

bool set_account_disabled(pqxx::transaction_base& tx, std::string_view login, bool disabled, const Actor& actor,
                          std::string_view ip, std::int64_t now) {
  Account account = lock_account(tx, login);
  if (account.disabled == disabled) return false;
  tx.exec_params0(
      "UPDATE admin_account SET disabled_at = CASE WHEN $2 THEN to_timestamp($3) END, updated_at = to_timestamp($3)"
      " WHERE id = $1",
      account.id, disabled, now);
  nlohmann::json details = {{"login", account.login}};
  if (disabled) details["sessions_revoked"] = revoke_account_sessions(tx, account.id, now);
  audit(tx, actor, disabled ? "account.disable" : "account.enable", account_object(account), details, ip, now);
  return true;
}

void remove_account(pqxx::transaction_base& tx, std::string_view login, const Actor& actor, std::string_view ip,
                    std::int64_t now) {
  Account account = lock_account(tx, login);
  auto counts = tx.exec_params1(
      "SELECT (SELECT count(*) FROM api_token WHERE account_id = $1),"
      " (SELECT count(*) FROM admin_session WHERE account_id = $1 AND revoked_at IS NULL"
      "  AND expires_at > to_timestamp($2))",
      account.id, now);
  // Rows that point at the account (as actor) keep its login when the DELETE sets account_id NULL.
  audit(tx, actor, "account.remove", account_object(account),
        {{"login", account.login},
         {"role", to_string(account.role)},
         {"tokens_deleted", counts[0].as<std::int64_t>()},
         {"sessions_ended", counts[1].as<std::int64_t>()}},
        ip, now);
  tx.exec_params0("DELETE FROM admin_account WHERE id = $1", account.id);
}

int revoke_account_sessions(pqxx::transaction_base& tx, int account_id, std::int64_t now) {
  auto result = tx.exec_params(
      "UPDATE admin_session SET revoked_at = to_timestamp($2) WHERE account_id = $1 AND revoked_at IS NULL"
      " AND expires_at > to_timestamp($2)",
      account_id, now);
  return static_cast<int>(result.affected_rows());
}

}  // namespace mailprune::auth
