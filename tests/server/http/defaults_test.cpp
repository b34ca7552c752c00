// What every response gets, the access log line, the client address behind proxies, headers.
#include <gtest/gtest.h>

#include "http/client_address.hpp"
#include "http/health.hpp"
#include "http/response_defaults.hpp"
#include "http/server.hpp"

namespace mailprune::http {
namespace {

using namespace std::chrono_literals;

std::chrono::system_clock::time_point sample_time() {
  return std::chrono::system_clock::time_point(std::chrono::seconds(784111777));  // RFC 9110's example
}

TEST(Headers, CaseInsensitiveSetAddRemove) {
  Headers headers;
  headers.add("Set-Cookie", "a=1");
  headers.add("set-cookie", "b=2");
  headers.set("Content-Type", "text/plain");
  EXPECT_EQ(headers.get("SET-COOKIE"), "a=1");
  EXPECT_TRUE(headers.contains("content-type"));
  headers.set("CONTENT-TYPE", "text/html");
  EXPECT_EQ(headers.fields().size(), 3u);
  EXPECT_EQ(headers.get("content-type"), "text/html");
  headers.remove("Set-Cookie");
  EXPECT_FALSE(headers.contains("set-cookie"));
  EXPECT_FALSE(headers.get("nope"));
}

TEST(Defaults, HttpDateIsImfFixdate) {
  EXPECT_EQ(http_date(sample_time()), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(Defaults, SecurityHeadersOnEveryResponseAndCspOnHtml) {
  Response text = text_response(200, "x");
  apply_default_headers(text, kDefaultHtmlCsp, sample_time());
  EXPECT_EQ(text.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(text.headers.get("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(text.headers.get("Cache-Control"), "no-store");
  EXPECT_EQ(text.headers.get("Date"), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_FALSE(text.headers.contains("Content-Security-Policy"));

  Response html = html_response(200, "<p>x</p>");
  apply_default_headers(html, kDefaultHtmlCsp, sample_time());
  EXPECT_EQ(html.headers.get("Content-Security-Policy"), kDefaultHtmlCsp);
  EXPECT_NE(html.headers.get("Content-Security-Policy")->find("frame-ancestors 'none'"), std::string::npos);
}

TEST(Defaults, HandlerChoicesAreKeptButServerFieldsAreNot) {
  Response response = html_response(200, "x");
  response.headers.set("Content-Security-Policy", "frame-ancestors https://intranet.example");
  response.headers.set("Cache-Control", "public, max-age=60");
  response.headers.set("Content-Length", "999");
  response.headers.set("Connection", "keep-alive");
  response.headers.set("Transfer-Encoding", "gzip");
  response.headers.set("X-Content-Type-Options", "off");
  apply_default_headers(response, kDefaultHtmlCsp, sample_time());
  EXPECT_EQ(response.headers.get("Content-Security-Policy"), "frame-ancestors https://intranet.example");
  EXPECT_EQ(response.headers.get("Cache-Control"), "public, max-age=60");
  EXPECT_FALSE(response.headers.contains("Content-Length"));
  EXPECT_FALSE(response.headers.contains("Connection"));
  EXPECT_FALSE(response.headers.contains("Transfer-Encoding"));
  EXPECT_EQ(response.headers.get("X-Content-Type-Options"), "nosniff");
}

TEST(Defaults, HeaderInjectionIsDefused) {
  Response response = text_response(200, "x");
  response.headers.add("Content-Disposition", "attachment; filename=\"a\r\nSet-Cookie: evil=1\"");
  response.headers.add("Bad Name", "x");
  response.headers.add("X-Nul", std::string("a\0b", 3));
  apply_default_headers(response, kDefaultHtmlCsp, sample_time());
  EXPECT_EQ(response.headers.get("Content-Disposition"), "attachment; filename=\"a  Set-Cookie: evil=1\"");
  EXPECT_FALSE(response.headers.contains("Bad Name"));
  EXPECT_EQ(response.headers.get("X-Nul"), "a b");
  EXPECT_FALSE(response.headers.contains("Set-Cookie"));
}

TEST(AccessLog, LineShowsWhatItShouldAndNothingElse) {
  EXPECT_EQ(access_log_line("GET", "/healthz", 200, 57, 412us, "127.0.0.1", true),
            "GET /healthz 200 57 0.4ms 127.0.0.1");
  EXPECT_EQ(access_log_line("POST", "/review/…", 303, 0, 12500us, "::1", false),
            "POST /review/… 303 0 12.5ms ::1 (aborted)");
  EXPECT_EQ(access_log_line("", "", 400, 12, 0us, "1.2.3.4", true), "- - 400 12 0.0ms 1.2.3.4");
  std::string line = access_log_line("GET", "/a\nforged line\r", 404, 0, 0us, "x", true);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  std::string long_path(1000, 'a');
  EXPECT_LT(access_log_line("GET", "/" + long_path, 404, 0, 0us, "x", true).size(), 300u);
}

TEST(ClientAddress, ForwardedForOnlyFromTrustedProxies) {
  Headers headers;
  headers.add("X-Forwarded-For", "203.0.113.9, 198.51.100.7");
  EXPECT_EQ(client_address("10.0.0.5", headers, {}), "10.0.0.5");
  EXPECT_EQ(client_address("10.0.0.5", headers, {"10.0.0.6"}), "10.0.0.5");
  EXPECT_EQ(client_address("10.0.0.5", headers, {"10.0.0.5"}), "198.51.100.7") << "the entry the proxy added";
  EXPECT_EQ(client_address("::1", headers, {"0:0::1"}), "198.51.100.7") << "compared as addresses";
  Headers two;
  two.add("X-Forwarded-For", "1.1.1.1");
  two.add("x-forwarded-for", "2001:db8::1 ");
  EXPECT_EQ(client_address("::1", two, {"::1"}), "2001:db8::1");
  Headers junk;
  junk.add("X-Forwarded-For", "not-an-address");
  EXPECT_EQ(client_address("::1", junk, {"::1"}), "::1");
  EXPECT_EQ(client_address("::1", Headers{}, {"::1"}), "::1");
}

TEST(Health, ReachableOr503AndCachedBriefly) {
  Router router;
  int calls = 0;
  bool up = true;
  HealthOptions options;
  options.version = "9.9.9";
  options.database_reachable = [&] {
    ++calls;
    return up;
  };
  options.cache_for = 0ms;
  add_health_routes(router, options);
  Request request;
  request.method = "GET";
  request.path = "/healthz";
  Response ok = router.dispatch(request);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(ok.body, "{\"database\":\"reachable\",\"status\":\"ok\",\"version\":\"9.9.9\"}\n");
  up = false;
  Response down = router.dispatch(request);
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find("\"database\":\"unreachable\""), std::string::npos);
  EXPECT_EQ(calls, 2);

  Router cached_router;
  options.cache_for = 1h;
  options.database_reachable = [&] {
    ++calls;
    throw std::runtime_error("connection refused");
    return true;
  };
  add_health_routes(cached_router, options);
  EXPECT_EQ(cached_router.dispatch(request).status, 503) << "a throwing probe means unreachable";
  EXPECT_EQ(cached_router.dispatch(request).status, 503);
  EXPECT_EQ(calls, 3) << "the second probe came from the cache";
}

TEST(ServerOptions, FromConfiguration) {
  config::ServerConfig config;
  config.listen = {"[::1]:0"};
  config.header_timeout_seconds = 3;
  config.max_body_bytes = 10;
  config.trusted_proxies = {"127.0.0.1"};
  ServerOptions options = server_options(config);
  EXPECT_EQ(options.listen, std::vector<std::string>{"[::1]:0"});
  EXPECT_EQ(options.header_timeout, 3s);
  EXPECT_EQ(options.max_body_bytes, 10u);
  EXPECT_EQ(options.trusted_proxies, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(options.html_csp, kDefaultHtmlCsp);
}

}  // namespace
}  // namespace mailprune::http
