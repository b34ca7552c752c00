// Router: exact and prefix routes, 404, 405 with Allow, HEAD, body limits, what the log shows.
#include "http/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

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

}  // namespace
}  // namespace mailprune::http
