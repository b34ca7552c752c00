// /api/v1 authentication and authorisation, through Router::dispatch as the server calls it: every
// registered operation is in docs/openapi.json (and the reverse, with the same role); every
// operation refuses missing, expired and forged credentials (401), viewers on admin operations and
// cookie sessions without or with a wrong CSRF token (403); login, logout, throttling; the /metrics
// guard; and one conversation over a real socket.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "../http/raw_client.hpp"
#include "api_test_support.hpp"
#include "http/server.hpp"
#include "metrics/registry.hpp"

namespace mailprune::api {
namespace {

using namespace std::chrono_literals;
using test_support::ApiTest;
using test_support::Call;
using test_support::every_operation;
using test_support::kJson;
using test_support::spec;

TEST_F(ApiTest, EveryRegisteredOperationIsInTheSpecAndEverySpecPathIsRegistered) {
  auto operations = api_operations();
  for (const auto& op : operations) {
    EXPECT_NE(spec().operation(op.method, op.pattern), nullptr) << op.method << " " << op.pattern;
    bool listed = false;
    for (const auto& call : every_operation())
      listed = listed || (call.method == op.method && call.pattern == op.pattern);
    EXPECT_TRUE(listed || op.pattern == "/api/v1/session") << "no test call for " << op.method << " " << op.pattern;
  }
  for (const auto& [path, item] : spec().json()["paths"].items()) {
    if (path.rfind("/api/v1/", 0) != 0) continue;
    for (const auto& [method, op] : item.items()) {
      std::string upper;
      for (char c : method) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const Operation* registered = nullptr;
      for (const auto& r : operations) {
        if (r.method == upper && r.pattern == path) registered = &r;
      }
      ASSERT_NE(registered, nullptr) << upper << " " << path << " is in the spec but not served";
      std::string role = path == "/api/v1/session" && upper == "POST" ? "none" : auth::to_string(registered->role);
      EXPECT_EQ(op["x-role"], role) << upper << " " << path;
    }
  }
}

TEST_F(ApiTest, EveryOperationRefusesMissingExpiredAndForgedCredentials) {
  for (const auto& call : every_operation()) {
    SCOPED_TRACE(call.method + " " + call.pattern);
    expect(call, router_.dispatch(request(call)), 401);
    expect(call, as_session(call, expired_, auth::csrf_token(std::string(32, 'x'), api_.csrf_key)), 401);
    auto bad = request(call);
    bad.headers.add("Authorization", "Bearer mpt_" + std::string(43, 'A'));
    expect(call, router_.dispatch(bad), 401);
    if (call.method != "GET") {
      expect(call, as_session(call, session_, std::nullopt), 403);
      expect(call, as_session(call, session_, "wrong"), 403);
    }
  }
  EXPECT_EQ(count("SELECT count(*) FROM api_job"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM campaign"), 1);
}

TEST_F(ApiTest, ViewersMayReadButNotChange) {
  for (const auto& call : every_operation()) {
    SCOPED_TRACE(call.method + " " + call.pattern);
    auto response = as_token(call, viewer_token_);
    if (call.method == "GET") {
      EXPECT_NE(response.status, 403) << response.body;
    } else if (call.pattern != "/api/v1/session") {
      expect(call, response, 403);
      EXPECT_EQ(nlohmann::json::parse(response.body)["error"], "forbidden");
    }
  }
  EXPECT_EQ(count("SELECT count(*) FROM api_job"), 0);
}

TEST_F(ApiTest, LoginLogoutAndThrottling) {
  Call login{"POST", "/api/v1/session", "/api/v1/session", kJson, R"({"login":"alice","password":"alice password 1"})"};
  auto in = router_.dispatch(request(login));
  expect(login, in, 200);
  std::string cookie = in.headers.get("Set-Cookie").value_or("");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain HTTP, secure_cookies off
  auto body = nlohmann::json::parse(in.body);
  EXPECT_EQ(body["role"], "admin");
  Call wrong{"POST", "/api/v1/session", "/api/v1/session", kJson, R"({"login":"alice","password":"nope nope nope"})"};
  expect(wrong, router_.dispatch(request(wrong)), 401);
  Call missing{"POST", "/api/v1/session", "/api/v1/session", kJson, R"({"login":"alice"})"};
  expect(missing, router_.dispatch(request(missing)), 400);
  Call form{"POST", "/api/v1/session", "/api/v1/session", "application/x-www-form-urlencoded", "login=alice"};
  expect(form, router_.dispatch(request(form)), 415);
  for (int i = 0; i < 5; ++i) router_.dispatch(request(wrong));
  auto throttled = router_.dispatch(request(login));
  expect(login, throttled, 429);
  EXPECT_TRUE(throttled.headers.get("Retry-After").has_value());

  Call logout{"DELETE", "/api/v1/session", "/api/v1/session", "", ""};
  auto out = as_session(logout, session_, session_.csrf_token);
  expect(logout, out, 204);
  EXPECT_NE(out.headers.get("Set-Cookie").value_or("").find("Max-Age=0"), std::string::npos);
  auto after = as_session({"GET", "/api/v1/session", "/api/v1/session", "", ""}, session_, std::nullopt);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(nlohmann::json::parse(after.body)["error"], "revoked");
  expect(logout, as_token(logout, admin_token_), 409);  // a token is not a session
}

TEST_F(ApiTest, MetricsGuardWantsAViewerWhenConfigured) {
  EXPECT_FALSE(metrics_guard(api_, "open"));
  auto guard = metrics_guard(api_, "viewer");
  ASSERT_TRUE(guard);
  http::Request scrape;
  scrape.method = "GET";
  scrape.path = "/metrics";
  auto refused = guard(scrape);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  scrape.headers.add("Authorization", "Bearer " + viewer_token_);
  EXPECT_FALSE(guard(scrape));
}

TEST_F(ApiTest, ThroughTheSocket) {
  http::ServerOptions options;
  options.listen = {"127.0.0.1:0"};
  options.threads = 1;
  http::Router router;
  metrics::Registry registry;
  metrics::HttpMetrics metrics(registry);
  add_api_routes(router, api_, &metrics);
  http::Server server(options, std::move(router));
  server.start();
  std::string url = server.urls().at(0);
  auto port = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  std::string body = R"({"login":"victor","password":"victor password 1"})";
  auto login = testing::fetch(port,
                              "POST /api/v1/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                              "Content-Length: " +
                                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  ASSERT_EQ(login.status, 200) << login.body;
  std::string cookie = login.header("set-cookie");
  std::string value = cookie.substr(0, cookie.find(';'));
  auto campaigns =
      testing::fetch(port, testing::get_request("/api/v1/campaigns", "Cookie: " + value + "\r\nConnection: close\r\n"));
  EXPECT_EQ(campaigns.status, 200);
  EXPECT_EQ(spec().check_response("GET", "/api/v1/campaigns", campaigns.status, campaigns.body), "");
  std::string create = R"({"name":"x"})";
  auto refused = testing::fetch(port,
                                "POST /api/v1/campaigns HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                "Cookie: " +
                                    value + "\r\nContent-Length: " + std::to_string(create.size()) +
                                    "\r\nConnection: close\r\n\r\n" + create);
  EXPECT_EQ(refused.status, 403);  // no CSRF token
  auto large = testing::fetch(port,
                              "POST /api/v1/campaigns HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2000000\r\nConnection: close\r\n\r\n{");
  EXPECT_EQ(large.status, 413);
  EXPECT_NE(registry.render().find("route=\"/api/v1/campaigns\""), std::string::npos);
  server.stop();
  server.wait();
}
}  // namespace
}  // namespace mailprune::api
