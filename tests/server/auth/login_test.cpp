// Accounts and logins against a real PostgreSQL: creation rules, verification, disabled accounts,
// rehash at login, throttling by login and by address (and its reset), and the same Argon2 work
// for unknown logins.
#include <gtest/gtest.h>

#include <string>

#include "auth/accounts.hpp"
#include "auth/login.hpp"
#include "auth_test_support.hpp"

namespace mailprune::auth {
namespace {

using test::AuthDb;
using test::kNow;

const Actor kOperator = cli_actor("operator");

Account add(AuthDb& db, const std::string& login, Role role, const std::string& password,
            PasswordCost cost = PasswordCost::minimum()) {
  pqxx::work tx(db.connection());
  Account account = create_account(tx, login, role, password, cost, kOperator, "", kNow);
  tx.commit();
  return account;
}

LoginResult try_login(AuthDb& db, const std::string& login, const std::string& password, const std::string& ip,
                      std::int64_t now) {
  pqxx::work tx(db.connection());
  LoginResult result = verify_login(tx, login, password, ip, db.settings(), now);
  tx.commit();
  return result;
}

TEST(Accounts, CreateFindListAndRules) {
  AuthDb db;
  Account alice = add(db, "Alice", Role::admin, "alice password 1");
  EXPECT_EQ(alice.login, "alice");
  EXPECT_EQ(alice.role, Role::admin);
  EXPECT_FALSE(alice.disabled);
  EXPECT_EQ(alice.created_at, kNow);
  add(db, "bob@example.org", Role::viewer, "bob's password!");
  {
    pqxx::read_transaction tx(db.connection());
    auto found = find_account(tx, "ALICE");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, alice.id);
    EXPECT_FALSE(find_account(tx, "carol"));
    auto all = list_accounts(tx);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].login, "alice");
    EXPECT_EQ(all[1].login, "bob@example.org");
    EXPECT_EQ(all[1].role, Role::viewer);
  }
  // The stored hash is Argon2id, never the password.
  EXPECT_EQ(db.text("SELECT password_hash FROM admin_account WHERE login = 'alice'").rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM admin_account WHERE password_hash LIKE '%alice password%'"), 0);

  auto refused = [&](const std::string& login, const std::string& password, AccountError::Kind kind) {
    pqxx::work tx(db.connection());
    try {
      create_account(tx, login, Role::viewer, password, PasswordCost::minimum(), kOperator, "", kNow);
      ADD_FAILURE() << login << " was accepted";
    } catch (const AccountError& e) {
      EXPECT_EQ(e.kind(), kind) << login << ": " << e.what();
    }
  };
  refused("alice", "another password", AccountError::Kind::exists);
  refused("ALICE", "another password", AccountError::Kind::exists);
  refused("carol", "too short", AccountError::Kind::weak_password);
  refused("", "long enough password", AccountError::Kind::invalid_login);
  refused("-carol", "long enough password", AccountError::Kind::invalid_login);
  refused("carol dupont", "long enough password", AccountError::Kind::invalid_login);
  refused("caröl", "long enough password", AccountError::Kind::invalid_login);
  refused(std::string(65, 'c'), "long enough password", AccountError::Kind::invalid_login);
}

TEST(Login, RightAndWrongPasswords) {
  AuthDb db;
  Account alice = add(db, "alice", Role::admin, "alice password 1");
  LoginResult ok = try_login(db, "Alice", "alice password 1", "192.0.2.1", kNow + 10);
  ASSERT_EQ(ok.status, LoginStatus::ok);
  EXPECT_EQ(ok.account.id, alice.id);
  EXPECT_EQ(ok.account.last_login_at, kNow + 10);
  EXPECT_FALSE(ok.rehashed);
  EXPECT_EQ(db.scalar("SELECT extract(epoch FROM last_login_at)::bigint FROM admin_account"), kNow + 10);

  EXPECT_EQ(try_login(db, "alice", "alice password 2", "192.0.2.1", kNow + 11).status, LoginStatus::bad_credentials);
  EXPECT_EQ(try_login(db, "alice", "", "192.0.2.1", kNow + 12).status, LoginStatus::bad_credentials);
  EXPECT_EQ(try_login(db, "nobody", "alice password 1", "192.0.2.1", kNow + 13).status, LoginStatus::bad_credentials);
  // Bytes that are no login at all are a failure like any other, recorded without error.
  EXPECT_EQ(try_login(db, "al\xff\nice", "alice password 1", "192.0.2.1", kNow + 14).status,
            LoginStatus::bad_credentials);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM login_attempt WHERE outcome = 'success'"), 1);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM login_attempt WHERE outcome = 'failure'"), 4);
}

TEST(Login, UnknownLoginsCostTheSameArgon2Work) {
  AuthDb db;
  add(db, "alice", Role::admin, "alice password 1");
  // Timing is not asserted (the machine is shared); what is: both paths run Argon2 exactly once.
  std::uint64_t before = password_verifications();
  try_login(db, "alice", "wrong password!!", "192.0.2.1", kNow);
  EXPECT_EQ(password_verifications(), before + 1);
  try_login(db, "nobody", "wrong password!!", "192.0.2.1", kNow + 1);
  EXPECT_EQ(password_verifications(), before + 2);
  // The decoy has the configured cost, like a current account's hash.
  EXPECT_FALSE(needs_rehash(decoy_hash(db.settings().password_cost), db.settings().password_cost));
}

TEST(Login, DisabledAccountIsRefusedOnlyWithTheRightPassword) {
  AuthDb db;
  add(db, "alice", Role::admin, "alice password 1");
  {
    pqxx::work tx(db.connection());
    EXPECT_TRUE(set_account_disabled(tx, "alice", true, kOperator, "", kNow));
    EXPECT_FALSE(set_account_disabled(tx, "alice", true, kOperator, "", kNow));
    tx.commit();
  }
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "192.0.2.1", kNow + 1).status, LoginStatus::disabled);
  EXPECT_EQ(try_login(db, "alice", "wrong password!!", "192.0.2.1", kNow + 2).status, LoginStatus::bad_credentials);
  {
    pqxx::work tx(db.connection());
    EXPECT_TRUE(set_account_disabled(tx, "alice", false, kOperator, "", kNow + 3));
    tx.commit();
  }
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "192.0.2.1", kNow + 4).status, LoginStatus::ok);
}

TEST(Login, OldCostIsRehashedAtLogin) {
  AuthDb db;
  add(db, "alice", Role::admin, "alice password 1", PasswordCost::minimum());
  std::string old_hash = db.text("SELECT password_hash FROM admin_account");
  PasswordCost stronger = PasswordCost::minimum();
  stronger.opslimit = 2;
  db.settings().password_cost = stronger;

  EXPECT_EQ(try_login(db, "alice", "wrong password!!", "", kNow).status, LoginStatus::bad_credentials);
  EXPECT_EQ(db.text("SELECT password_hash FROM admin_account"), old_hash);  // not without the password

  LoginResult ok = try_login(db, "alice", "alice password 1", "", kNow + 1);
  ASSERT_EQ(ok.status, LoginStatus::ok);
  EXPECT_TRUE(ok.rehashed);
  std::string new_hash = db.text("SELECT password_hash FROM admin_account");
  EXPECT_NE(new_hash, old_hash);
  EXPECT_FALSE(needs_rehash(new_hash, stronger));
  EXPECT_NE(new_hash.find("t=2"), std::string::npos) << new_hash;
  LoginResult again = try_login(db, "alice", "alice password 1", "", kNow + 2);
  EXPECT_EQ(again.status, LoginStatus::ok);
  EXPECT_FALSE(again.rehashed);
}

TEST(Login, ThrottledAfterFiveFailuresThenResetBySuccess) {
  AuthDb db;
  add(db, "alice", Role::admin, "alice password 1");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(try_login(db, "alice", "wrong password!!", "192.0.2.1", kNow + i).status, LoginStatus::bad_credentials);
  }
  // The 5th failure was at kNow+4: 30 s to wait, even with the right password, from any address.
  std::uint64_t before = password_verifications();
  LoginResult throttled = try_login(db, "alice", "alice password 1", "198.51.100.7", kNow + 5);
  EXPECT_EQ(throttled.status, LoginStatus::throttled);
  EXPECT_EQ(throttled.retry_after_seconds, 29);
  EXPECT_EQ(password_verifications(), before);  // refused without looking at the password
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "198.51.100.7", kNow + 33).status, LoginStatus::throttled);
  // Throttled attempts are recorded but do not lengthen the wait.
  EXPECT_EQ(db.scalar("SELECT count(*) FROM login_attempt WHERE outcome = 'throttled'"), 2);

  // Waited out: a wrong password makes it 6 failures, so the next wait is 60 s.
  EXPECT_EQ(try_login(db, "alice", "wrong password!!", "192.0.2.1", kNow + 34).status, LoginStatus::bad_credentials);
  LoginResult longer = try_login(db, "alice", "alice password 1", "192.0.2.1", kNow + 35);
  EXPECT_EQ(longer.status, LoginStatus::throttled);
  EXPECT_EQ(longer.retry_after_seconds, 59);

  // After the wait the right password works, and clears the login's count.
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "192.0.2.1", kNow + 94).status, LoginStatus::ok);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(try_login(db, "alice", "wrong password!!", "192.0.2.1", kNow + 95 + i).status,
              LoginStatus::bad_credentials);
  }
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "192.0.2.1", kNow + 100).status, LoginStatus::ok);
}

TEST(Login, FailuresOutsideTheWindowAreForgotten) {
  AuthDb db;
  add(db, "alice", Role::admin, "alice password 1");
  for (int i = 0; i < 5; ++i) try_login(db, "alice", "wrong password!!", "", kNow + i);
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "", kNow + 10).status, LoginStatus::throttled);
  // 15 minutes later the five failures are out of the window.
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "", kNow + 4 + 15 * 60 + 1).status, LoginStatus::ok);
}

TEST(Login, UnknownLoginsAreThrottledAlike) {
  AuthDb db;
  for (int i = 0; i < 5; ++i) try_login(db, "ghost", "wrong password!!", "", kNow + i);
  LoginResult result = try_login(db, "ghost", "wrong password!!", "", kNow + 5);
  EXPECT_EQ(result.status, LoginStatus::throttled);
  EXPECT_EQ(result.retry_after_seconds, 29);
}

TEST(Login, ThrottledByAddressAcrossLogins) {
  AuthDb db;
  add(db, "alice", Role::admin, "alice password 1");
  // 20 failures from one address, spread over logins so that no login reaches its own limit.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(try_login(db, "user" + std::to_string(i % 5), "wrong password!!", "203.0.113.9", kNow + i).status,
              LoginStatus::bad_credentials);
  }
  EXPECT_EQ(try_login(db, "user0", "wrong password!!", "203.0.113.9", kNow + 20).status, LoginStatus::throttled);
  LoginResult from_there = try_login(db, "alice", "alice password 1", "203.0.113.9", kNow + 21);
  EXPECT_EQ(from_there.status, LoginStatus::throttled);
  EXPECT_EQ(from_there.retry_after_seconds, 19 + 30 - 21);
  // Alice from elsewhere is not affected; her success does not clear the address's count.
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "192.0.2.1", kNow + 22).status, LoginStatus::ok);
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "203.0.113.9", kNow + 23).status, LoginStatus::throttled);
  EXPECT_EQ(try_login(db, "alice", "alice password 1", "203.0.113.9", kNow + 49).status, LoginStatus::ok);
}

TEST(Login, OldAttemptsArePruned) {
  AuthDb db;
  try_login(db, "ghost", "wrong password!!", "", kNow);
  try_login(db, "ghost", "wrong password!!", "", kNow + 31 * 24 * 3600);
  EXPECT_EQ(db.scalar("SELECT count(*) FROM login_attempt"), 1);
}

}  // namespace
}  // namespace mailprune::auth
