// Router: exact and prefix routes, 404, 405 with Allow, HEAD, body limits, what the log shows;
// wrap_handlers as its header promises: every route registered so far wrapped once, with its
// method and pattern as registered (a prefix route's prefix, never a request's path); the wrapper
// sees each request its route answers and may change the response or answer alone; routing, body
// limits and log paths stay as they were; later routes are not wrapped.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace mailprune::http {
namespace {

Handler says(std::string what) {
  return [what](const Request& request) { return text_response(200, what + " " + request.path); };
}

Request request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

Router sample() {
  Router router;
  router.add("GET", "/healthz", says("health"));
  router.add("GET", "/review/", says("exact-review-root"));
  router.add_prefix("GET", "/review/", says("review-page"));
  router.add_prefix("POST", "/review/", says("review-post"), RouteOptions{std::size_t{4096}, false});
  router.add_prefix("GET", "/review/static/", says("static"), RouteOptions{std::nullopt, true});
  router.add("PUT", "/api/thing", says("put"));
  router.add("DELETE", "/api/thing", says("delete"));
  return router;
}

TEST(Router, ExactBeatsPrefixAndLongestPrefixWins) {
  Router router = sample();
  EXPECT_EQ(router.dispatch(request("GET", "/healthz")).body, "health /healthz");
  EXPECT_EQ(router.dispatch(request("GET", "/review/")).body, "exact-review-root /review/");
  EXPECT_EQ(router.dispatch(request("GET", "/review/TOKEN")).body, "review-page /review/TOKEN");
  EXPECT_EQ(router.dispatch(request("POST", "/review/TOKEN")).body, "review-post /review/TOKEN");
  EXPECT_EQ(router.dispatch(request("GET", "/review/static/app.css")).body, "static /review/static/app.css");
}

TEST(Router, UnknownPathIs404) {
  Router router = sample();
  EXPECT_EQ(router.dispatch(request("GET", "/nope")).status, 404);
  EXPECT_EQ(router.dispatch(request("GET", "/healthz/")).status, 404) << "exact means exact";
  EXPECT_EQ(router.dispatch(request("GET", "/review")).status, 404) << "the prefix is /review/";
}

TEST(Router, WrongMethodIs405WithAllow) {
  Router router = sample();
  Response put = router.dispatch(request("POST", "/healthz"));
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.headers.get("Allow"), "GET, HEAD");
  Response api = router.dispatch(request("GET", "/api/thing"));
  EXPECT_EQ(api.status, 405);
  EXPECT_EQ(api.headers.get("Allow"), "DELETE, PUT");
  Response review = router.dispatch(request("DELETE", "/review/x"));
  EXPECT_EQ(review.status, 405);
  EXPECT_EQ(review.headers.get("allow"), "GET, HEAD, POST");
  EXPECT_EQ(router.dispatch(request("get", "/healthz")).status, 405) << "methods are case-sensitive";
}

TEST(Router, HeadUsesTheGetHandler) {
  Router router = sample();
  Response head = router.dispatch(request("HEAD", "/healthz"));
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "health /healthz");  // the server drops the body on the wire
}

TEST(Router, BodyLimitPerRoute) {
  Router router = sample();
  EXPECT_EQ(router.body_limit("POST", "/review/x", 1000), 4096u);
  EXPECT_EQ(router.body_limit("GET", "/review/x", 1000), 1000u);
  EXPECT_EQ(router.body_limit("POST", "/unknown", 1000), 1000u);
}

TEST(Router, LogPathHidesWhatFollowsPrefixes) {
  Router router = sample();
  EXPECT_EQ(router.log_path("/healthz"), "/healthz");
  EXPECT_EQ(router.log_path("/review/SECRET-TOKEN"), "/review/…");
  EXPECT_EQ(router.log_path("/review/"), "/review/");
  EXPECT_EQ(router.log_path("/review/static/app.css"), "/review/static/app.css");
  EXPECT_EQ(router.log_path("/revue/SECRET-TOKEN/x"), "/revue/…") << "unrouted: first segment only";
  EXPECT_EQ(router.log_path("/favicon.ico"), "/favicon.ico");
  EXPECT_EQ(router.log_path("/"), "/");
}

TEST(Router, RefusesDuplicatesAndBadPaths) {
  Router router = sample();
  EXPECT_THROW(router.add("GET", "/healthz", says("again")), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "relative", says("x")), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/none", Handler{}), std::invalid_argument);
  EXPECT_NO_THROW(router.add("POST", "/healthz", says("post")));
}

TEST(Router, HandlerExceptionsPropagate) {
  Router router;
  router.add("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
  EXPECT_THROW(router.dispatch(request("GET", "/boom")), std::runtime_error);
}

using Registration = std::tuple<std::string, std::string, bool>;  // method, pattern, prefix

const std::multiset<Registration>& sample_registrations() {
  static const std::multiset<Registration> all = {{"GET", "/healthz", false},       {"GET", "/review/", false},
                                                  {"GET", "/review/", true},        {"POST", "/review/", true},
                                                  {"GET", "/review/static/", true}, {"PUT", "/api/thing", false},
                                                  {"DELETE", "/api/thing", false}};
  return all;
}

TEST(RouterWrap, EveryRouteIsWrappedOnceWithItsPatternAsRegistered) {
  Router router = sample();
  std::multiset<Registration> seen;
  router.wrap_handlers([&](const std::string& method, const std::string& path, bool prefix, Handler handler) {
    seen.emplace(method, path, prefix);
    EXPECT_TRUE(static_cast<bool>(handler)) << method << " " << path;
    return handler;
  });
  EXPECT_EQ(seen, sample_registrations());
}

TEST(RouterWrap, TheWrapperSeesTheRequestAndCanChangeTheResponse) {
  Router router = sample();
  std::vector<std::string> seen;  // "<pattern> <request method> <request path>", per call
  router.wrap_handlers([&](const std::string& method, const std::string& path, bool prefix, Handler handler) {
    std::string label = method + " " + path + (prefix ? "*" : "");
    return Handler([&seen, label, path, handler](const Request& request) {
      seen.push_back(path + " " + request.method + " " + request.path);
      Response response = handler(request);
      response.headers.set("X-Route", label);
      response.body = "[" + response.body + "]";
      response.status = response.status + 1;
      return response;
    });
  });

  Response health = router.dispatch(request("GET", "/healthz"));
  EXPECT_EQ(health.status, 201);
  EXPECT_EQ(health.body, "[health /healthz]");
  EXPECT_EQ(health.headers.get("X-Route"), "GET /healthz");

  Response page = router.dispatch(request("GET", "/review/TOKEN/more"));
  EXPECT_EQ(page.body, "[review-page /review/TOKEN/more]");
  EXPECT_EQ(page.headers.get("X-Route"), "GET /review/*") << "the pattern, not the request's path";

  Response exact = router.dispatch(request("GET", "/review/"));
  EXPECT_EQ(exact.body, "[exact-review-root /review/]");
  EXPECT_EQ(exact.headers.get("X-Route"), "GET /review/");

  Response posted = router.dispatch(request("POST", "/review/TOKEN"));
  EXPECT_EQ(posted.body, "[review-post /review/TOKEN]");
  EXPECT_EQ(posted.headers.get("X-Route"), "POST /review/*");

  // HEAD is still answered by the GET route, through its wrapper, which sees the HEAD request.
  Response head = router.dispatch(request("HEAD", "/review/static/app.css"));
  EXPECT_EQ(head.body, "[static /review/static/app.css]");
  EXPECT_EQ(head.headers.get("X-Route"), "GET /review/static/*");

  EXPECT_EQ(seen, (std::vector<std::string>{"/healthz GET /healthz", "/review/ GET /review/TOKEN/more",
                                            "/review/ GET /review/", "/review/ POST /review/TOKEN",
                                            "/review/static/ HEAD /review/static/app.css"}));
}

TEST(RouterWrap, TheWrapperMayAnswerWithoutTheHandler) {
  Router router;
  int handler_calls = 0;
  router.add("DELETE", "/api/thing", [&](const Request&) {
    ++handler_calls;
    return text_response(200, "deleted");
  });
  router.wrap_handlers([](const std::string&, const std::string&, bool, Handler handler) {
    return Handler([handler](const Request& request) {
      if (request.headers.get("Authorization")) return handler(request);
      return text_response(401, "who are you?");
    });
  });
  Response refused = router.dispatch(request("DELETE", "/api/thing"));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.body, "who are you?");
  EXPECT_EQ(handler_calls, 0);
  Request allowed = request("DELETE", "/api/thing");
  allowed.headers.add("Authorization", "Bearer x");
  EXPECT_EQ(router.dispatch(allowed).body, "deleted");
  EXPECT_EQ(handler_calls, 1);
}

TEST(RouterWrap, NothingElseChanges) {
  Router plain = sample();
  Router wrapped = sample();
  int calls = 0;
  wrapped.wrap_handlers([&calls](const std::string&, const std::string&, bool, Handler handler) {
    return Handler([&calls, handler](const Request& request) {
      ++calls;
      return handler(request);
    });
  });

  // The same answers, bodies and headers included, for routed, unknown and refused requests.
  std::vector<std::pair<std::string, std::string>> requests = {
      {"GET", "/healthz"},         {"GET", "/review/"},  {"GET", "/review/x"},  {"POST", "/review/x"},
      {"GET", "/review/static/a"}, {"HEAD", "/healthz"}, {"PUT", "/api/thing"}, {"GET", "/nope"},
      {"GET", "/healthz/"},        {"POST", "/healthz"}, {"GET", "/api/thing"}, {"DELETE", "/review/x"}};
  for (const auto& [method, path] : requests) {
    SCOPED_TRACE(method + " " + path);
    Response expected = plain.dispatch(request(method, path));
    Response got = wrapped.dispatch(request(method, path));
    EXPECT_EQ(got.status, expected.status);
    EXPECT_EQ(got.body, expected.body);
    EXPECT_EQ(got.headers.get("Allow"), expected.headers.get("Allow"));
    EXPECT_EQ(got.headers.get("Content-Type"), expected.headers.get("Content-Type"));
  }
  // Only requests that reach a route's handler pass through a wrapper: 404 and 405 are the
  // router's own answers.
  EXPECT_EQ(calls, 7);

  for (const auto& [method, path] : requests) {
    EXPECT_EQ(wrapped.body_limit(method, path, 1000), plain.body_limit(method, path, 1000)) << method << " " << path;
    EXPECT_EQ(wrapped.log_path(path), plain.log_path(path)) << path;
  }
  EXPECT_EQ(wrapped.body_limit("POST", "/review/x", 1000), 4096u);
  EXPECT_EQ(wrapped.log_path("/review/SECRET"), "/review/…");
  EXPECT_EQ(wrapped.log_path("/review/static/a"), "/review/static/a");

  // Registering stays as strict as before.
  EXPECT_THROW(wrapped.add("GET", "/healthz", says("again")), std::invalid_argument);
}

TEST(RouterWrap, RoutesAddedAfterwardsAreLeftAsTheyAre) {
  Router router;
  router.add("GET", "/before", says("before"));
  int wraps = 0;
  router.wrap_handlers([&wraps](const std::string&, const std::string&, bool, Handler handler) {
    ++wraps;
    return Handler([handler](const Request& request) {
      Response response = handler(request);
      response.headers.set("X-Wrapped", "yes");
      return response;
    });
  });
  router.add("GET", "/after", says("after"));
  router.add_prefix("GET", "/later/", says("later"));
  EXPECT_EQ(wraps, 1);
  EXPECT_EQ(router.dispatch(request("GET", "/before")).headers.get("X-Wrapped"), "yes");
  Response after = router.dispatch(request("GET", "/after"));
  EXPECT_EQ(after.body, "after /after");
  EXPECT_FALSE(after.headers.get("X-Wrapped"));
  EXPECT_FALSE(router.dispatch(request("GET", "/later/x")).headers.get("X-Wrapped"));
}

TEST(RouterWrap, WrappingAgainWrapsTheWrappedHandler) {
  Router router;
  router.add("GET", "/x", says("x"));
  auto append = [](std::string mark) {
    return [mark](const std::string&, const std::string&, bool, Handler handler) {
      return Handler([mark, handler](const Request& request) {
        Response response = handler(request);
        response.body += mark;
        return response;
      });
    };
  };
  router.wrap_handlers(append("+inner"));
  router.wrap_handlers(append("+outer"));
  EXPECT_EQ(router.dispatch(request("GET", "/x")).body, "x /x+inner+outer");
}

TEST(RouterWrap, AWrapperReturningNoHandlerIsRefused) {
  Router router;
  router.add("GET", "/x", says("x"));
  EXPECT_THROW(router.wrap_handlers([](const std::string&, const std::string&, bool, Handler) { return Handler{}; }),
               std::invalid_argument);
}

}  // namespace
}  // namespace mailprune::http
