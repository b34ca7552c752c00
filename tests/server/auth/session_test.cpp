// Sessions, API tokens and authorisation against a real PostgreSQL: expiry, idleness, logout,
// revocation by password change, wrong/expired/revoked/disabled tokens, roles, CSRF, and the
// audit rows every change leaves.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "auth/accounts.hpp"
#include "auth/audit.hpp"
#include "auth/authenticate.hpp"
#include "auth/session.hpp"
#include "auth/tokens.hpp"
#include "auth_test_support.hpp"

namespace mailprune::auth {
namespace {

using test::AuthDb;
using test::kNow;
using test::request_with_bearer;
using test::request_with_cookie;

const Actor kOperator = cli_actor("operator");

class Auth : public ::testing::Test {
 protected:
  Account add(const std::string& login, Role role) {
    pqxx::work tx(db_.connection());
    Account account =
        create_account(tx, login, role, login + " password", PasswordCost::minimum(), kOperator, "", kNow);
    tx.commit();
    return account;
  }

  NewSession login(const Account& account, std::int64_t now = kNow) {
    pqxx::work tx(db_.connection());
    ClientInfo client;
    client.ip = "192.0.2.1";
    client.user_agent = "Mozilla/5.0 (test)";
    NewSession session = create_session(tx, account, client, db_.settings(), db_.csrf_key(), now);
    tx.commit();
    return session;
  }

  NewToken token(const std::string& login, std::optional<Role> role = std::nullopt,
                 std::optional<std::int64_t> expires_at = std::nullopt) {
    pqxx::work tx(db_.connection());
    NewToken token = create_token(tx, login, "script", role, expires_at, kOperator, "", kNow);
    tx.commit();
    return token;
  }

  AuthResult authenticate_at(const http::Request& request, std::int64_t now) {
    pqxx::work tx(db_.connection());
    AuthResult result = authenticate(tx, request.headers, db_.settings(), now);
    tx.commit();
    return result;
  }

  AuthResult authorize_at(const http::Request& request, Role needed, std::int64_t now) {
    pqxx::work tx(db_.connection());
    AuthResult result = authorize(tx, request, needed, db_.settings(), db_.csrf_key(), now);
    tx.commit();
    return result;
  }

  std::optional<Refusal> refusal(const AuthResult& result) {
    if (result) return std::nullopt;
    return result.error();
  }

  AuthDb db_;
};

TEST_F(Auth, SessionCookieAuthenticates) {
  Account alice = add("alice", Role::admin);
  NewSession session = login(alice);
  EXPECT_EQ(session.cookie_value.size(), 43u);
  EXPECT_EQ(session.expires_at, kNow + 12 * 3600);
  // Only the SHA-256 is stored.
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM admin_session WHERE position(convert_to('" + session.cookie_value +
                       "', 'UTF8') in token_sha256) > 0"),
            0);
  EXPECT_EQ(db_.text("SELECT user_agent || ' ' || ip FROM admin_session"), "Mozilla/5.0 (test) 192.0.2.1");

  AuthResult result = authenticate_at(request_with_cookie("GET", session.cookie_value), kNow + 5);
  ASSERT_TRUE(result) << to_string(result.error());
  EXPECT_EQ(result->account_id, alice.id);
  EXPECT_EQ(result->login, "alice");
  EXPECT_EQ(result->role, Role::admin);
  EXPECT_EQ(result->via, Via::session);
  EXPECT_EQ(result->credential_id, session.id);
  EXPECT_EQ(csrf_token(result->session_sha256, db_.csrf_key()), session.csrf_token);
}

TEST_F(Auth, MissingMalformedAndUnknownCredentials) {
  add("alice", Role::admin);
  http::Request none;
  none.method = "GET";
  EXPECT_EQ(refusal(authenticate_at(none, kNow)), Refusal::missing);
  http::Request other_cookies = none;
  other_cookies.headers.add("Cookie", "theme=dark");
  EXPECT_EQ(refusal(authenticate_at(other_cookies, kNow)), Refusal::missing);
  EXPECT_EQ(refusal(authenticate_at(request_with_cookie("GET", "not-a-session"), kNow)), Refusal::invalid);
  EXPECT_EQ(refusal(authenticate_at(request_with_cookie("GET", std::string(43, 'A')), kNow)), Refusal::invalid);
  EXPECT_EQ(refusal(authenticate_at(request_with_bearer("GET", "mpt_" + std::string(43, 'A')), kNow)),
            Refusal::invalid);
  EXPECT_EQ(refusal(authenticate_at(request_with_bearer("GET", "mpt_short"), kNow)), Refusal::invalid);
}

TEST_F(Auth, SessionExpiresAfterItsLifetimeAndWhenIdle) {
  Account alice = add("alice", Role::admin);
  db_.settings().session_idle_seconds = 3600;
  NewSession session = login(alice);
  auto request = request_with_cookie("GET", session.cookie_value);
  // Used every 50 minutes: the idle clock restarts each time.
  for (std::int64_t t = kNow + 3000; t < session.expires_at; t += 3000) {
    ASSERT_TRUE(authenticate_at(request, t)) << t - kNow;
  }
  EXPECT_EQ(refusal(authenticate_at(request, session.expires_at)), Refusal::expired);

  NewSession idle = login(alice, kNow);
  EXPECT_TRUE(authenticate_at(request_with_cookie("GET", idle.cookie_value), kNow + 3599));
  EXPECT_EQ(refusal(authenticate_at(request_with_cookie("GET", idle.cookie_value), kNow + 3599 + 3600)),
            Refusal::expired);
}

TEST_F(Auth, LastSeenIsWrittenAtMostOncePerInterval) {
  Account alice = add("alice", Role::admin);
  NewSession session = login(alice);
  auto request = request_with_cookie("GET", session.cookie_value);
  authenticate_at(request, kNow + 30);
  EXPECT_EQ(db_.scalar("SELECT extract(epoch FROM last_seen_at)::bigint FROM admin_session"), kNow);
  authenticate_at(request, kNow + 60);
  EXPECT_EQ(db_.scalar("SELECT extract(epoch FROM last_seen_at)::bigint FROM admin_session"), kNow + 60);
  // touch = false works in a read-only transaction.
  pqxx::read_transaction tx(db_.connection());
  EXPECT_TRUE(authenticate(tx, request.headers, db_.settings(), kNow + 500, false));
}

TEST_F(Auth, LogoutRevokesTheSession) {
  Account alice = add("alice", Role::admin);
  NewSession session = login(alice);
  auto request = request_with_cookie("POST", session.cookie_value);
  AuthResult principal = authenticate_at(request, kNow + 1);
  ASSERT_TRUE(principal);
  {
    pqxx::work tx(db_.connection());
    EXPECT_TRUE(logout(tx, principal.value(), "192.0.2.1", kNow + 2));
    EXPECT_FALSE(logout(tx, principal.value(), "192.0.2.1", kNow + 3));
    tx.commit();
  }
  EXPECT_EQ(refusal(authenticate_at(request, kNow + 4)), Refusal::revoked);
  // Another session of the same account is untouched.
  NewSession other = login(alice, kNow + 5);
  EXPECT_TRUE(authenticate_at(request_with_cookie("GET", other.cookie_value), kNow + 6));
}

TEST_F(Auth, PasswordChangeAndDisablingEndSessions) {
  Account alice = add("alice", Role::admin);
  NewSession first = login(alice);
  {
    pqxx::work tx(db_.connection());
    change_password(tx, "alice", "a brand new password", PasswordCost::minimum(), kOperator, "", kNow + 1);
    tx.commit();
  }
  EXPECT_EQ(refusal(authenticate_at(request_with_cookie("GET", first.cookie_value), kNow + 2)), Refusal::revoked);

  NewSession second = login(alice, kNow + 3);
  {
    pqxx::work tx(db_.connection());
    set_account_disabled(tx, "alice", true, kOperator, "", kNow + 4);
    tx.commit();
  }
  EXPECT_EQ(refusal(authenticate_at(request_with_cookie("GET", second.cookie_value), kNow + 5)), Refusal::revoked);
  pqxx::work tx(db_.connection());
  Account disabled = *find_account(tx, "alice");
  EXPECT_THROW(create_session(tx, disabled, {}, db_.settings(), db_.csrf_key(), kNow + 6), std::invalid_argument);
}

TEST_F(Auth, TokensAuthenticateUntilRevokedOrExpired) {
  Account alice = add("alice", Role::admin);
  NewToken forever = token("alice");
  NewToken week = token("alice", std::nullopt, kNow + 7 * 86400);
  EXPECT_EQ(forever.token.rfind("mpt_", 0), 0u);
  EXPECT_EQ(forever.token.size(), 47u);
  EXPECT_EQ(forever.role, Role::admin);
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM api_token WHERE token_sha256 = sha256(convert_to('" + forever.token +
                       "', 'UTF8'))"),
            1);

  AuthResult result = authenticate_at(request_with_bearer("GET", forever.token), kNow + 1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->via, Via::token);
  EXPECT_EQ(result->account_id, alice.id);
  EXPECT_EQ(result->credential_id, forever.id);
  EXPECT_EQ(result->token_name, "script");
  EXPECT_EQ(db_.scalar("SELECT extract(epoch FROM last_used_at)::bigint FROM api_token WHERE id = " +
                       std::to_string(forever.id)),
            kNow + 1);

  EXPECT_TRUE(authenticate_at(request_with_bearer("GET", week.token), kNow + 7 * 86400 - 1));
  EXPECT_EQ(refusal(authenticate_at(request_with_bearer("GET", week.token), kNow + 7 * 86400)), Refusal::expired);

  // One character changed: unknown.
  std::string wrong = forever.token;
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  EXPECT_EQ(refusal(authenticate_at(request_with_bearer("GET", wrong), kNow + 2)), Refusal::invalid);

  {
    pqxx::work tx(db_.connection());
    EXPECT_EQ(revoke_token(tx, forever.id, kOperator, "", kNow + 3), RevokeResult::revoked);
    EXPECT_EQ(revoke_token(tx, forever.id, kOperator, "", kNow + 3), RevokeResult::already_revoked);
    EXPECT_EQ(revoke_token(tx, 999999, kOperator, "", kNow + 3), RevokeResult::not_found);
    tx.commit();
  }
  EXPECT_EQ(refusal(authenticate_at(request_with_bearer("GET", forever.token), kNow + 4)), Refusal::revoked);

  pqxx::read_transaction tx(db_.connection());
  auto tokens = list_tokens(tx, "alice");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].revoked_at, kNow + 3);
  EXPECT_EQ(tokens[1].expires_at, kNow + 7 * 86400);
  EXPECT_TRUE(list_tokens(tx, "bob").empty());
}

TEST_F(Auth, TokenRolesAndDisabledAccounts) {
  add("alice", Role::admin);
  add("victor", Role::viewer);
  NewToken read_only = token("alice", Role::viewer);
  AuthResult result = authenticate_at(request_with_bearer("GET", read_only.token), kNow);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->role, Role::viewer);
  {
    pqxx::work tx(db_.connection());
    EXPECT_THROW(create_token(tx, "victor", "escalate", Role::admin, std::nullopt, kOperator, "", kNow), AccountError);
  }
  {
    pqxx::work tx(db_.connection());
    EXPECT_THROW(create_token(tx, "nobody", "x", std::nullopt, std::nullopt, kOperator, "", kNow), AccountError);
  }
  {
    pqxx::work tx(db_.connection());
    EXPECT_THROW(create_token(tx, "alice", "", std::nullopt, std::nullopt, kOperator, "", kNow), AccountError);
  }
  {
    pqxx::work tx(db_.connection());
    EXPECT_THROW(create_token(tx, "alice", "past", std::nullopt, kNow, kOperator, "", kNow), AccountError);
  }

  // An admin token whose account became a viewer acts as a viewer.
  NewToken admin_token = token("alice");
  {
    pqxx::work tx(db_.connection());
    tx.exec0("UPDATE admin_account SET role = 'viewer' WHERE login = 'alice'");
    tx.commit();
  }
  AuthResult downgraded = authenticate_at(request_with_bearer("GET", admin_token.token), kNow);
  ASSERT_TRUE(downgraded);
  EXPECT_EQ(downgraded->role, Role::viewer);

  {
    pqxx::work tx(db_.connection());
    set_account_disabled(tx, "alice", true, kOperator, "", kNow);
    tx.commit();
  }
  EXPECT_EQ(refusal(authenticate_at(request_with_bearer("GET", admin_token.token), kNow + 1)), Refusal::disabled);
}

TEST_F(Auth, BearerWinsOverCookieAndOtherSchemesAreIgnored) {
  Account alice = add("alice", Role::admin);
  add("victor", Role::viewer);
  NewSession session = login(alice);
  NewToken viewer_token = token("victor");
  http::Request both = request_with_cookie("GET", session.cookie_value);
  both.headers.add("authorization", "bearer   " + viewer_token.token + " ");
  AuthResult result = authenticate_at(both, kNow + 1);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->login, "victor");
  EXPECT_EQ(result->via, Via::token);

  // The Basic credentials of a proxy in front are not ours: the cookie is used.
  http::Request basic = request_with_cookie("GET", session.cookie_value);
  basic.headers.add("Authorization", "Basic YWxpY2U6c2VjcmV0");
  AuthResult by_cookie = authenticate_at(basic, kNow + 2);
  ASSERT_TRUE(by_cookie);
  EXPECT_EQ(by_cookie->via, Via::session);
}

TEST_F(Auth, ViewerIsRefusedWhereAdminIsNeeded) {
  add("victor", Role::viewer);
  add("alice", Role::admin);
  NewToken viewer_token = token("victor");
  EXPECT_TRUE(authorize_at(request_with_bearer("GET", viewer_token.token), Role::viewer, kNow));
  EXPECT_EQ(refusal(authorize_at(request_with_bearer("GET", viewer_token.token), Role::admin, kNow)),
            Refusal::forbidden);
  EXPECT_EQ(refusal(authorize_at(request_with_bearer("POST", viewer_token.token), Role::admin, kNow)),
            Refusal::forbidden);
  NewToken admin_token = token("alice");
  EXPECT_TRUE(authorize_at(request_with_bearer("POST", admin_token.token), Role::admin, kNow));
}

TEST_F(Auth, CookiePostNeedsTheSessionsCsrfToken) {
  Account alice = add("alice", Role::admin);
  NewSession session = login(alice);
  NewSession other = login(alice);

  EXPECT_TRUE(authorize_at(request_with_cookie("GET", session.cookie_value), Role::admin, kNow + 1));

  http::Request post = request_with_cookie("POST", session.cookie_value);
  EXPECT_EQ(refusal(authorize_at(post, Role::admin, kNow + 1)), Refusal::csrf);
  post.headers.set("X-CSRF-Token", other.csrf_token);  // another session's token
  EXPECT_EQ(refusal(authorize_at(post, Role::admin, kNow + 1)), Refusal::csrf);
  post.headers.set("X-CSRF-Token", "garbage");
  EXPECT_EQ(refusal(authorize_at(post, Role::admin, kNow + 1)), Refusal::csrf);
  post.headers.set("X-CSRF-Token", session.csrf_token);
  EXPECT_TRUE(authorize_at(post, Role::admin, kNow + 1));

  http::Request form = request_with_cookie("POST", session.cookie_value);
  form.headers.set("Content-Type", "application/x-www-form-urlencoded");
  form.body = "name=x&csrf=" + session.csrf_token;
  EXPECT_TRUE(authorize_at(form, Role::admin, kNow + 1));

  http::Request del = request_with_cookie("DELETE", session.cookie_value);
  EXPECT_EQ(refusal(authorize_at(del, Role::admin, kNow + 1)), Refusal::csrf);

  // Tokens need none.
  NewToken admin_token = token("alice");
  EXPECT_TRUE(authorize_at(request_with_bearer("DELETE", admin_token.token), Role::admin, kNow + 1));
}

TEST_F(Auth, EveryChangeIsAudited) {
  Account alice = add("alice", Role::admin);
  NewSession session = login(alice, kNow + 1);
  AuthResult principal = authenticate_at(request_with_cookie("POST", session.cookie_value), kNow + 2);
  ASSERT_TRUE(principal);
  NewToken script = token("alice");
  {
    pqxx::work tx(db_.connection());
    audit(tx, principal.value(), "campaign.launch", AuditObject{"campaign", "7"}, {{"target_bytes", 1000}}, "192.0.2.1",
          kNow + 3);
    revoke_token(tx, script.id, actor_of(principal.value()), "192.0.2.1", kNow + 4);
    change_password(tx, "alice", "a brand new password", PasswordCost::minimum(), kOperator, "", kNow + 5);
    set_account_disabled(tx, "alice", true, kOperator, "", kNow + 6);
    set_account_disabled(tx, "alice", false, kOperator, "", kNow + 7);
    tx.commit();
  }
  {
    pqxx::work tx(db_.connection());
    remove_account(tx, "alice", kOperator, "", kNow + 8);
    tx.commit();
  }

  pqxx::read_transaction tx(db_.connection());
  auto entries = recent_audit(tx, 100);
  std::vector<std::string> actions;
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) actions.push_back(it->action);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"account.create", "login", "token.create", "campaign.launch", "token.revoke",
                                      "account.password", "account.disable", "account.enable", "account.remove"}));
  const AuditEntry& created = entries.back();
  EXPECT_EQ(created.actor_kind, ActorKind::cli);
  EXPECT_EQ(created.actor, "operator");
  EXPECT_EQ(created.object.type, "admin_account");
  EXPECT_EQ(created.object.id, std::to_string(alice.id));
  EXPECT_EQ(created.details["role"], "admin");
  EXPECT_EQ(created.at, kNow);

  const AuditEntry& launch = entries[5];
  ASSERT_EQ(launch.action, "campaign.launch");
  EXPECT_EQ(launch.actor_kind, ActorKind::session);
  EXPECT_EQ(launch.actor, "alice");
  EXPECT_EQ(launch.ip, "192.0.2.1");
  EXPECT_EQ(launch.details["target_bytes"], 1000);
  // The account is gone, its login stays in the rows.
  EXPECT_FALSE(launch.account_id.has_value());
  const AuditEntry& login_row = entries[7];
  ASSERT_EQ(login_row.action, "login");
  EXPECT_EQ(login_row.details["user_agent"], "Mozilla/5.0 (test)");
  EXPECT_EQ(entries[0].details["tokens_deleted"], 1);

  // No secret in any row.
  for (const auto& entry : entries) {
    std::string text = entry.details.dump();
    EXPECT_EQ(text.find("password"), std::string::npos) << text;
    EXPECT_EQ(text.find(session.cookie_value), std::string::npos);
    EXPECT_EQ(text.find(script.token), std::string::npos);
  }
  EXPECT_EQ(recent_audit(tx, 2).size(), 2u);
  EXPECT_EQ(recent_audit(tx, 100, entries[1].id).front().id, entries[2].id);
}

}  // namespace
}  // namespace mailprune::auth
