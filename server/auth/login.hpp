// login.hpp: checking a login and password, with throttling (table login_attempt).
//
// verify_login(), in this order:
//  1. Serialises attempts on the same login name (a transaction-level advisory lock), so parallel
//     guesses are counted one after the other.
//  2. Throttling (ThrottleSettings in principal.hpp): counts the failures of the last window for
//     the login name (since its last success) and for the client address; past a threshold the
//     attempt is refused as `throttled`, without looking at the password, until the last
//     failure is base_delay old, doubling with each further failure up to max_delay. A throttled
//     attempt is recorded but not counted as a failure (so waiting out the delay always works).
//     Unknown and known logins are throttled alike.
//  3. Checks the password with Argon2id, against the account's hash, or against a decoy hash
//     (password.hpp) when the login does not exist: the same work either way, so the time taken
//     does not say which logins exist.
//  4. Records the attempt (success or failure) and, on success, the account's last_login_at,
//     and rehashes the password when its stored cost is not `settings.password_cost`.
// A disabled account gives `disabled` only with the right password (otherwise `bad_credentials`),
// and counts as a failure.
//
// The attempt is written in the caller's transaction: COMMIT IT WHATEVER THE RESULT, or failures
// are not counted. A login never starts a session by itself: on `ok` the caller calls
// create_session() (session.hpp), which audits the login. Attempts older than 30 days are deleted
// here as it goes.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <string_view>

#include "auth/accounts.hpp"
#include "auth/principal.hpp"

namespace mailprune::auth {

enum class LoginStatus { ok, bad_credentials, throttled, disabled };
const char* to_string(LoginStatus status);  // "ok", "bad_credentials", "throttled", "disabled"

struct LoginResult {
  LoginStatus status = LoginStatus::bad_credentials;
  Account account;                       // status ok only
  std::int64_t retry_after_seconds = 0;  // status throttled: when to try again (>= 1)
  bool rehashed = false;                 // ok: the stored hash was replaced at the configured cost
};

// `ip` is the client's address ("" when unknown: no per-address throttling then); `now` Unix
// seconds. Throws only on database errors.
LoginResult verify_login(pqxx::transaction_base& tx, std::string_view login, std::string_view password,
                         std::string_view ip, const AuthSettings& settings, std::int64_t now);

// The delay a login name or an address with `failures` recent failures must wait after its last
// failure (0 below `threshold`). Pure, for tests and for the console's messages.
std::int64_t throttle_delay(int failures, int threshold, const ThrottleSettings& settings);

}  // namespace mailprune::auth
