// router.hpp: which handler answers a request, by method and path.
//
// Routes are exact ("/healthz") or prefix ("/archive/": every path starting with it). An exact
// route wins over prefixes; among prefixes the longest wins. When a path has routes but none for
// the request's method, the answer is 405 with an Allow header listing the methods it has (HEAD
// is allowed wherever GET is, and answered by the GET handler without a body); when it has none,
// 404.
//
// Other modules plug their pages in the same way: a function `add_..._routes(http::Router&, ...)`
// that the `serve` command calls before the server starts (http/health.hpp is the first).
//
// Threads: build the router on one thread before Server::start(); afterwards it is only read
// (dispatch() and the lookups are const and safe from every I/O thread at once).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace mailprune::http {

using Handler = std::function<Response(const Request&)>;

struct RouteOptions {
  // This route's request body limit, in bytes, instead of the server's max_body_bytes (a form
  // that posts many choices, an upload).
  std::optional<std::size_t> max_body_bytes;
  // Access log: prefix routes log only their prefix followed by "…", because what follows it
  // often carries a secret (a review token, a signed link). True logs the whole path.
  bool log_full_path = false;
};

class Router {
 public:
  // Exact path. Throws std::invalid_argument when (method, path) already has a handler, or the
  // path does not start with '/'.
  void add(std::string method, std::string path, Handler handler, RouteOptions options = {});
  // Every path that starts with `prefix` (which should end with '/'). Same errors as add().
  void add_prefix(std::string method, std::string prefix, Handler handler, RouteOptions options = {});

  // Replaces the handler of every route registered so far with wrap(method, path, prefix, handler)
  // (e.g. timed by metrics::HttpMetrics; `path` is the prefix of a prefix route). Routes added
  // afterwards are left as they are. Call before Server::start(). Throws std::invalid_argument
  // when `wrap` returns an empty handler.
  using Wrapper = std::function<Handler(const std::string& method, const std::string& path, bool prefix, Handler)>;
  void wrap_handlers(const Wrapper& wrap);

  // The handler's response; 404 / 405 (with Allow) as above. Exceptions from handlers propagate
  // (the server turns them into 500).
  Response dispatch(const Request& request) const;

  // The body limit for a request, known from its header alone (before the body is read).
  std::size_t body_limit(std::string_view method, std::string_view path, std::size_t server_default) const;

  // What the access log shows for a path: exact routes and full-path prefix routes as they are;
  // other prefix routes as "<prefix>…"; paths without any route as their first segment, followed
  // by "…" when more follows ("/unknown/…"). Never the query string.
  std::string log_path(std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string path;
    bool prefix = false;
    Handler handler;
    RouteOptions options;
  };
  // The routes of the best-matching path (exact, else the longest prefix); empty when none.
  std::vector<const Route*> candidates(std::string_view path) const;
  const Route* find(std::string_view method, std::string_view path) const;
  // add() and add_prefix(): checks the route (path from '/', a handler, not already there) and
  // keeps it; throws std::invalid_argument otherwise.
  void insert(std::string method, std::string path, bool prefix, Handler handler, RouteOptions options);

  std::vector<Route> routes_;
};

}  // namespace mailprune::http
