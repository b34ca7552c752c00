#include "auth/login.hpp"

#include <algorithm>
#include <string>

#include "auth/password.hpp"

namespace mailprune::auth {
namespace {

// Advisory lock class of login names ("MPLG"), as the first key of the two-key form, which
// PostgreSQL keeps apart from the one-bigint keys other modules use.
constexpr int kLoginLockClass = 0x4d504c47;
constexpr std::int64_t kKeepAttemptsSeconds = 30 * 24 * 3600;
constexpr std::size_t kMaxRecordedLogin = 200;

// Printable ASCII, at most `limit` bytes: logins are ASCII, so other bytes can match no account,
// and must not reach a text column as they are (PostgreSQL refuses invalid UTF-8).
std::string printable(std::string_view text, std::size_t limit) {
  std::string out(text.substr(0, limit));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

struct Failures {
  int count = 0;
  std::int64_t last_at = 0;
};

// Failures of the window: for a login name since its last success, for an address all of them.
Failures recent_failures(pqxx::transaction_base& tx, bool by_login, const std::string& key, std::int64_t since) {
  std::string sql = by_login ? "SELECT count(*), floor(extract(epoch FROM max(at)))::bigint FROM login_attempt"
                               " WHERE login = $1 AND outcome = 'failure' AND at > to_timestamp($2)"
                               " AND id > COALESCE((SELECT max(id) FROM login_attempt WHERE login = $1"
                               " AND outcome = 'success'), 0)"
                             : "SELECT count(*), floor(extract(epoch FROM max(at)))::bigint FROM login_attempt"
                               " WHERE ip = $1 AND outcome = 'failure' AND at > to_timestamp($2)";
  auto row = tx.exec_params1(sql, key, since);
  Failures failures;
  failures.count = row[0].as<int>();
  if (!row[1].is_null()) failures.last_at = row[1].as<std::int64_t>();
  return failures;
}

// Seconds until `failures` allow another attempt at `now` (0: now).
std::int64_t wait_for(const Failures& failures, int threshold, const ThrottleSettings& settings, std::int64_t now) {
  std::int64_t delay = throttle_delay(failures.count, threshold, settings);
  if (delay == 0) return 0;
  return std::max<std::int64_t>(0, failures.last_at + delay - now);
}

void record(pqxx::transaction_base& tx, const std::string& login, const std::string& ip, const char* outcome,
            std::int64_t now) {
  tx.exec_params0("INSERT INTO login_attempt (login, ip, at, outcome) VALUES ($1, $2, to_timestamp($3), $4)", login, ip,
                  now, outcome);
}

}  // namespace

const char* to_string(LoginStatus status) {
  switch (status) {
    case LoginStatus::ok:
      return "ok";
    case LoginStatus::bad_credentials:
      return "bad_credentials";
    case LoginStatus::throttled:
      return "throttled";
    case LoginStatus::disabled:
      break;
  }
  return "disabled";
}

std::int64_t throttle_delay(int failures, int threshold, const ThrottleSettings& settings) {
  if (threshold <= 0 || failures < threshold) return 0;
  std::int64_t delay = settings.base_delay_seconds;
  for (int i = threshold; i < failures && delay < settings.max_delay_seconds; ++i) delay *= 2;
  return std::min(delay, settings.max_delay_seconds);
}

LoginResult verify_login(pqxx::transaction_base& tx, std::string_view login, std::string_view password,
                         std::string_view ip, const AuthSettings& settings, std::int64_t now) {
  std::string name = normalise_login(printable(login, kMaxRecordedLogin));
  std::string address = printable(ip, kMaxRecordedLogin);
  tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kLoginLockClass, name);
  tx.exec_params0("DELETE FROM login_attempt WHERE at < to_timestamp($1)", now - kKeepAttemptsSeconds);

  LoginResult result;
  const ThrottleSettings& throttle = settings.throttle;
  std::int64_t since = now - throttle.window_seconds;
  std::int64_t wait = wait_for(recent_failures(tx, true, name, since), throttle.login_failures, throttle, now);
  if (!address.empty()) {
    wait = std::max(wait, wait_for(recent_failures(tx, false, address, since), throttle.ip_failures, throttle, now));
  }
  if (wait > 0) {
    record(tx, name, address, "throttled", now);
    result.status = LoginStatus::throttled;
    result.retry_after_seconds = wait;
    return result;
  }

  auto rows = tx.exec_params("SELECT id, password_hash FROM admin_account WHERE login = $1", name);
  // Unknown login: the same Argon2 work against the decoy, whose result is ignored.
  std::string hash = rows.empty() ? decoy_hash(settings.password_cost) : rows[0][1].as<std::string>();
  bool matches = verify_password(hash, password) && !rows.empty();
  if (!matches) {
    record(tx, name, address, "failure", now);
    return result;
  }
  auto account = find_account(tx, name);
  if (!account || account->disabled) {
    record(tx, name, address, "failure", now);
    if (account) result.status = LoginStatus::disabled;
    return result;
  }
  record(tx, name, address, "success", now);
  if (needs_rehash(hash, settings.password_cost)) {
    try {
      tx.exec_params0("UPDATE admin_account SET password_hash = $2 WHERE id = $1", account->id,
                      hash_password(password, settings.password_cost));
      result.rehashed = true;
    } catch (const PasswordError&) {
      // A password older than today's rules (shorter): it still opens the account; keep its hash.
    }
  }
  tx.exec_params0("UPDATE admin_account SET last_login_at = to_timestamp($2) WHERE id = $1", account->id, now);
  account->last_login_at = now;
  result.status = LoginStatus::ok;
  result.account = std::move(*account);
  return result;
}

}  // namespace mailprune::auth
