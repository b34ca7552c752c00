#include "http/router.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace mailprune::http {

void Router::add(std::string method, std::string path, Handler handler, RouteOptions options) {
  insert(std::move(method), std::move(path), false, std::move(handler), options);
}

void Router::add_prefix(std::string method, std::string prefix, Handler handler, RouteOptions options) {
  insert(std::move(method), std::move(prefix), true, std::move(handler), options);
}

void Router::insert(std::string method, std::string path, bool prefix, Handler handler, RouteOptions options) {
  Route route;
  route.method = std::move(method);
  route.path = std::move(path);
  route.prefix = prefix;
  route.handler = std::move(handler);
  route.options = options;
  if (route.path.empty() || route.path.front() != '/') {
    throw std::invalid_argument("route path must start with '/': " + route.path);
  }
  if (!route.handler) throw std::invalid_argument("route without handler: " + route.path);
  for (const auto& existing : routes_) {
    if (existing.method == route.method && existing.path == route.path && existing.prefix == route.prefix) {
      throw std::invalid_argument("route registered twice: " + route.method + " " + route.path);
    }
  }
  routes_.push_back(std::move(route));
}

void Router::wrap_handlers(const Wrapper& wrap) {
  for (auto& route : routes_) {
    route.handler = wrap(route.method, route.path, route.prefix, std::move(route.handler));
    if (!route.handler) throw std::invalid_argument("wrapped route without handler: " + route.path);
  }
}

std::vector<const Router::Route*> Router::candidates(std::string_view path) const {
  std::vector<const Route*> out;
  for (const auto& route : routes_) {
    if (!route.prefix && route.path == path) out.push_back(&route);
  }
  if (!out.empty()) return out;
  std::size_t best = 0;
  for (const auto& route : routes_) {
    if (route.prefix && path.substr(0, route.path.size()) == route.path && route.path.size() >= best) {
      if (route.path.size() > best) out.clear();
      best = route.path.size();
      out.push_back(&route);
    }
  }
  return out;
}

const Router::Route* Router::find(std::string_view method, std::string_view path) const {
  auto routes = candidates(path);
  for (const Route* route : routes) {
    if (route->method == method) return route;
  }
  if (method == "HEAD") {
    for (const Route* route : routes) {
      if (route->method == "GET") return route;
    }
  }
  return nullptr;
}

Response Router::dispatch(const Request& request) const {
  if (const Route* route = find(request.method, request.path)) return route->handler(request);
  auto routes = candidates(request.path);
  if (routes.empty()) return status_response(404);
  std::set<std::string> methods;
  for (const Route* route : routes) {
    methods.insert(route->method);
    if (route->method == "GET") methods.insert("HEAD");
  }
  std::string allow;
  for (const auto& method : methods) allow += (allow.empty() ? "" : ", ") + method;
  Response response = status_response(405);
  response.headers.set("Allow", allow);
  return response;
}

std::size_t Router::body_limit(std::string_view method, std::string_view path, std::size_t server_default) const {
  const Route* route = find(method, path);
  if (route != nullptr && route->options.max_body_bytes) return *route->options.max_body_bytes;
  return server_default;
}

std::string Router::log_path(std::string_view path) const {
  auto routes = candidates(path);
  if (!routes.empty()) {
    const Route* route = routes.front();
    bool full = !route->prefix ||
                std::all_of(routes.begin(), routes.end(), [](const Route* r) { return r->options.log_full_path; });
    if (full || path.size() == route->path.size()) return std::string(path);
    return route->path + "…";
  }
  // No route: the first segment only (a mistyped link may still carry a token further on).
  auto second_slash = path.find('/', 1);
  if (second_slash == std::string_view::npos || second_slash + 1 == path.size()) return std::string(path);
  return std::string(path.substr(0, second_slash + 1)) + "…";
}

}  // namespace mailprune::http
