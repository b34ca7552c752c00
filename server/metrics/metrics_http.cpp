#include "metrics/metrics_http.hpp"

#include <chrono>
#include <utility>

#include "metrics/exposition.hpp"

namespace mailprune::metrics {
namespace {

std::string method_label(std::string_view method) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

}  // namespace

http::Response metrics_response(const Registry& registry) {
  http::Response response;
  response.status = 200;
  response.headers.set("Content-Type", kTextContentType);
  response.headers.set("Cache-Control", "no-store");
  response.body = registry.render();
  return response;
}

void add_metrics_routes(http::Router& router, std::shared_ptr<const Registry> registry, MetricsRouteOptions options) {
  router.add("GET", kMetricsPath,
             [registry = std::move(registry), guard = std::move(options.guard)](const http::Request& request) {
               if (guard) {
                 if (auto refusal = guard(request)) return std::move(*refusal);
               }
               return metrics_response(*registry);
             });
}

HttpMetrics::HttpMetrics(Registry& registry)
    : requests_(registry.counter("mailprune_http_requests_total", "HTTP requests answered, by route and status.",
                                 {"method", "route", "status"})),
      duration_(registry.histogram("mailprune_http_request_duration_seconds",
                                   "Time handlers took to answer, by route (streamed bodies not included).",
                                   latency_buckets(), {"method", "route"})) {}

void HttpMetrics::observe(std::string_view method, std::string_view route, int status, double seconds) {
  std::string method_name = method_label(method);
  requests_.labels({method_name, std::string(route), std::to_string(status)}).inc();
  duration_.labels({method_name, std::string(route)}).observe(seconds);
}

http::Handler HttpMetrics::instrument(std::string route, http::Handler handler) {
  return [this, route = std::move(route), handler = std::move(handler)](const http::Request& request) {
    auto start = std::chrono::steady_clock::now();
    auto elapsed = [&start] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    try {
      http::Response response = handler(request);
      observe(request.method, route, response.status, elapsed());
      return response;
    } catch (...) {
      observe(request.method, route, 500, elapsed());
      throw;
    }
  };
}

}  // namespace mailprune::metrics
