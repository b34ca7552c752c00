// The parts of server/auth that need no database: cookie attributes, CSRF tokens, the throttling
// delays, token shapes, roles, and the refusal responses.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "auth/authenticate.hpp"
#include "auth/login.hpp"
#include "auth/session.hpp"
#include "auth/tokens.hpp"
#include "config/loader.hpp"

namespace mailprune::auth {
namespace {

security::Key key_of(std::uint8_t seed) {
  security::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed + i * 7);
  return key;
}

// Attributes of a Set-Cookie value, lower-cased names, without the name=value pair.
std::set<std::string> attributes(const std::string& set_cookie) {
  std::set<std::string> out;
  std::size_t start = set_cookie.find(';');
  while (start != std::string::npos) {
    std::size_t end = set_cookie.find(';', start + 1);
    std::string part = set_cookie.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
    while (!part.empty() && part.front() == ' ') part.erase(0, 1);
    out.insert(part);
    start = end;
  }
  return out;
}

TEST(SessionCookie, AttributesWithoutTls) {
  NewSession session;
  session.cookie_value = "abc";
  session.expires_at = 1000 + 43200;
  std::string cookie = session_cookie(session, false, 1000);
  EXPECT_EQ(cookie.rfind("mailprune_session=abc;", 0), 0u) << cookie;
  EXPECT_EQ(attributes(cookie), (std::set<std::string>{"Path=/", "Max-Age=43200", "HttpOnly", "SameSite=Strict"}));
}

TEST(SessionCookie, SecureOverTlsOrWhenConfigured) {
  NewSession session;
  session.cookie_value = "abc";
  session.expires_at = 2000;
  EXPECT_TRUE(attributes(session_cookie(session, true, 1000)).count("Secure"));
  EXPECT_TRUE(attributes(session_cookie(session, true, 1000)).count("Max-Age=1000"));

  AuthSettings settings;
  http::Request plain;
  EXPECT_FALSE(cookie_secure(plain, settings));
  http::Request tls;
  tls.is_tls = true;
  EXPECT_TRUE(cookie_secure(tls, settings));
  settings.secure_cookies = true;  // TLS ends at a proxy in front
  EXPECT_TRUE(cookie_secure(plain, settings));
}

TEST(SessionCookie, SecureCookiesFromTheConfiguration) {
  EXPECT_FALSE(auth_settings(config::parse_config("", "t.toml").server).secure_cookies);
  config::Config config = config::parse_config("[server]\nsecure_cookies = true\n", "t.toml");
  EXPECT_TRUE(auth_settings(config.server).secure_cookies);
  EXPECT_NE(config::render_effective_config(config).find("secure_cookies = true\n"), std::string::npos);
  EXPECT_THROW(config::parse_config("[server]\nsecure_cookies = \"yes\"\n", "t.toml"), config::ConfigException);
}

TEST(SessionCookie, ClearingCookieExpiresAtOnce) {
  std::string cookie = clear_session_cookie(true);
  EXPECT_EQ(cookie.rfind("mailprune_session=;", 0), 0u) << cookie;
  EXPECT_EQ(attributes(cookie),
            (std::set<std::string>{"Path=/", "Max-Age=0", "HttpOnly", "SameSite=Strict", "Secure"}));
}

TEST(Csrf, BoundToSessionAndKey) {
  std::string session_a(32, 'a');
  std::string session_b(32, 'b');
  std::string token = csrf_token(session_a, key_of(1));
  EXPECT_EQ(token.size(), 43u);  // base64url of 32 bytes
  EXPECT_EQ(token, csrf_token(session_a, key_of(1)));
  EXPECT_TRUE(verify_csrf(token, session_a, key_of(1)));
  EXPECT_FALSE(verify_csrf(token, session_b, key_of(1)));
  EXPECT_FALSE(verify_csrf(token, session_a, key_of(2)));
  EXPECT_FALSE(verify_csrf("", session_a, key_of(1)));
  EXPECT_FALSE(verify_csrf(token.substr(1), session_a, key_of(1)));
  std::string flipped = token;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_csrf(flipped, session_a, key_of(1)));
}

TEST(Csrf, KeyIsCreatedOnceUnderTheDataDirectory) {
  char pattern[] = "/tmp/mp-csrf-key-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  config::Config config;
  config.data_dir = pattern;
  security::Key first = load_csrf_key(config);
  EXPECT_TRUE(std::filesystem::exists(std::string(pattern) + "/keys/admin.key"));
  EXPECT_EQ(load_csrf_key(config), first);
  EXPECT_NE(first, security::Key{});
  std::filesystem::remove_all(pattern);
}

TEST(Throttle, DelayDoublesFromThresholdUpToCap) {
  ThrottleSettings settings;  // 30 s base, 900 s cap
  EXPECT_EQ(throttle_delay(0, 5, settings), 0);
  EXPECT_EQ(throttle_delay(4, 5, settings), 0);
  EXPECT_EQ(throttle_delay(5, 5, settings), 30);
  EXPECT_EQ(throttle_delay(6, 5, settings), 60);
  EXPECT_EQ(throttle_delay(7, 5, settings), 120);
  EXPECT_EQ(throttle_delay(9, 5, settings), 480);
  EXPECT_EQ(throttle_delay(10, 5, settings), 900);
  EXPECT_EQ(throttle_delay(1000, 5, settings), 900);
  EXPECT_EQ(throttle_delay(20, 20, settings), 30);
  EXPECT_EQ(throttle_delay(100, 0, settings), 0);  // threshold 0: throttling off
}

TEST(Tokens, ShapeIsCheckedBeforeAnyLookup) {
  std::string good = "mpt_" + std::string(42, 'A') + "A";
  EXPECT_TRUE(looks_like_token(good));
  EXPECT_FALSE(looks_like_token(good.substr(1)));
  EXPECT_FALSE(looks_like_token("mpt_" + std::string(42, 'A')));
  EXPECT_FALSE(looks_like_token("xyz_" + std::string(43, 'A')));
  EXPECT_FALSE(looks_like_token("mpt_" + std::string(42, 'A') + "+"));
  // The last character of 32 bytes in base64url carries 4 bits only: "B" leaves unused bits set.
  EXPECT_FALSE(looks_like_token("mpt_" + std::string(42, 'A') + "B"));
}

TEST(Roles, AdminIncludesViewer) {
  EXPECT_TRUE(role_allows(Role::admin, Role::admin));
  EXPECT_TRUE(role_allows(Role::admin, Role::viewer));
  EXPECT_TRUE(role_allows(Role::viewer, Role::viewer));
  EXPECT_FALSE(role_allows(Role::viewer, Role::admin));
  EXPECT_EQ(parse_role("admin"), Role::admin);
  EXPECT_EQ(parse_role("viewer"), Role::viewer);
  EXPECT_EQ(parse_role("Admin"), std::nullopt);
  EXPECT_EQ(parse_role("root"), std::nullopt);
  Principal viewer;
  viewer.role = Role::viewer;
  EXPECT_EQ(require(viewer, Role::admin), Refusal::forbidden);
  EXPECT_EQ(require(viewer, Role::viewer), std::nullopt);
}

TEST(Csrf, CheckedOnStateChangingCookieRequestsOnly) {
  Principal session;
  session.via = Via::session;
  session.session_sha256 = std::string(32, 's');
  Principal token = session;
  token.via = Via::token;
  security::Key key = key_of(3);

  http::Request get;
  get.method = "GET";
  EXPECT_EQ(check_csrf(get, session, key), std::nullopt);
  http::Request post;
  post.method = "POST";
  EXPECT_EQ(check_csrf(post, session, key), Refusal::csrf);
  EXPECT_EQ(check_csrf(post, token, key), std::nullopt);
  for (const char* method : {"PUT", "PATCH", "DELETE"}) {
    http::Request request;
    request.method = method;
    EXPECT_EQ(check_csrf(request, session, key), Refusal::csrf) << method;
  }

  http::Request with_header = post;
  with_header.headers.set("x-csrf-token", csrf_token(session.session_sha256, key));
  EXPECT_EQ(check_csrf(with_header, session, key), std::nullopt);
  with_header.headers.set("X-CSRF-Token", csrf_token(std::string(32, 't'), key));
  EXPECT_EQ(check_csrf(with_header, session, key), Refusal::csrf);

  http::Request form = post;
  form.headers.set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8");
  form.body = "a=1&csrf=" + csrf_token(session.session_sha256, key) + "&b=2";
  EXPECT_EQ(check_csrf(form, session, key), std::nullopt);
  // The same body as JSON is not a form: the field does not count.
  http::Request json = form;
  json.headers.set("Content-Type", "application/json");
  EXPECT_EQ(check_csrf(json, session, key), Refusal::csrf);
}

TEST(Refusals, StatusAndBody) {
  for (Refusal refusal : {Refusal::missing, Refusal::invalid, Refusal::expired, Refusal::revoked, Refusal::disabled}) {
    http::Response response = refusal_response(refusal);
    EXPECT_EQ(response.status, 401) << to_string(refusal);
    EXPECT_EQ(response.headers.get("WWW-Authenticate"), "Bearer realm=\"mailprune\"");
    auto body = nlohmann::json::parse(response.body);
    EXPECT_EQ(body["error"], to_string(refusal));
    EXPECT_FALSE(body["message"].get<std::string>().empty());
  }
  for (Refusal refusal : {Refusal::csrf, Refusal::forbidden}) {
    http::Response response = refusal_response(refusal);
    EXPECT_EQ(response.status, 403) << to_string(refusal);
    EXPECT_FALSE(response.headers.contains("WWW-Authenticate"));
    EXPECT_EQ(nlohmann::json::parse(response.body)["error"], to_string(refusal));
  }
}

}  // namespace
}  // namespace mailprune::auth
