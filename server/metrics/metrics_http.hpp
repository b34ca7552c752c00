// metrics_http.hpp: GET /metrics for Prometheus, and HTTP request metrics for the server's routes.
//
// `serve` wires it like /healthz (http/router.hpp: modules add their routes before the server
// starts):
//   auto registry = std::make_shared<metrics::Registry>();
//   registry->add_collector(metrics::database_collector({with_connection}));
//   metrics::HttpMetrics http_metrics(*registry);          // outlives the server
//   router.add("GET", "/review/", http_metrics.instrument("/review/", handler));  // route patterns
//   metrics::add_metrics_routes(router, registry);
//
// /metrics shows counts and names of campaigns and sources, no personal data; it has no login by
// default, like /healthz. Where that is too much, give MetricsRouteOptions::guard (an
// authorisation check, e.g. an API token of server/auth) or keep the server on an internal
// address.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/router.hpp"
#include "metrics/registry.hpp"

namespace mailprune::metrics {

inline constexpr const char* kMetricsPath = "/metrics";

// 200 with registry.render() as text/plain; version=0.0.4, Cache-Control: no-store.
http::Response metrics_response(const Registry& registry);

struct MetricsRouteOptions {
  // Called first: a response (401, 403, ...) refuses the scrape; nullopt lets it through. Empty:
  // no check.
  std::function<std::optional<http::Response>(const http::Request&)> guard;
};

// Registers GET (and so HEAD) /metrics.
void add_metrics_routes(http::Router& router, std::shared_ptr<const Registry> registry,
                        MetricsRouteOptions options = {});

// mailprune_http_requests_total{method,route,status} and
// mailprune_http_request_duration_seconds{method,route} (histogram, latency_buckets()): the time
// the handler took to produce its response (a streamed body's transfer is not included). Methods
// other than GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS count as "other". Thread-safe.
class HttpMetrics {
 public:
  // Registers the two families in `registry`, which must outlive this object.
  explicit HttpMetrics(Registry& registry);

  void observe(std::string_view method, std::string_view route, int status, double seconds);

  // `handler`, timed and counted under `route` (a pattern such as "/review/", never a real path:
  // labels must stay few). A handler that throws counts as status 500 and the exception goes on.
  http::Handler instrument(std::string route, http::Handler handler);

 private:
  Family<Counter>& requests_;
  Family<Histogram>& duration_;
};

}  // namespace mailprune::metrics
