// routes.hpp: the JSON API under /api/v1 (docs/api.md; contract docs/openapi.json) plugged into
// the server's router, and the guard of /metrics.
//
// add_api_routes() registers every operation of api_operations() (exact routes where the path has
// no id, prefix routes that match "{id}" patterns below their prefix), each wrapped with
// HttpMetrics::instrument under its pattern ("/api/v1/campaigns/{id}/launch"), so latencies show
// in /metrics without one label per id. A path under a prefix that matches no pattern is a JSON
// 404. Request bodies are limited to 1 MiB (agents' CSV: 8 MiB).
//
// Threads: build before Server::start(); `api` (and `metrics`) must outlive the server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/api_support.hpp"
#include "auth/principal.hpp"
#include "http/router.hpp"
#include "metrics/metrics_http.hpp"

namespace mailprune::api {

struct Operation {
  std::string method;
  std::string pattern;  // "/api/v1/campaigns/{id}/launch"
  auth::Role role;      // the least role it needs (login: viewer, but it needs none)
};

// Every operation the API serves, in registration order (the spec test walks it).
std::vector<Operation> api_operations();

void add_api_routes(http::Router& router, const ApiContext& api, metrics::HttpMetrics* metrics);

// The guard for /metrics (metrics::MetricsRouteOptions::guard) for `[server] metrics_access`:
// "open" lets every scrape through (empty function); "viewer" needs a session or API token of the
// viewer role at least (the usual 401/403 JSON otherwise).
std::function<std::optional<http::Response>(const http::Request&)> metrics_guard(const ApiContext& api,
                                                                                 const std::string& access);

}  // namespace mailprune::api
