#include "http/health.hpp"

#include <nlohmann/json.hpp>

#include <mutex>

namespace mailprune::http {
namespace {

struct HealthState {
  HealthOptions options;
  std::mutex mutex;
  bool reachable = false;
  std::chrono::steady_clock::time_point checked_at{};
  bool checked = false;
};

}  // namespace

void add_health_routes(Router& router, HealthOptions options) {
  auto state = std::make_shared<HealthState>();
  state->options = std::move(options);
  router.add("GET", "/healthz", [state](const Request&) {
    bool reachable = false;
    {
      std::lock_guard lock(state->mutex);
      auto now = std::chrono::steady_clock::now();
      if (!state->checked || now - state->checked_at >= state->options.cache_for) {
        try {
          state->reachable = state->options.database_reachable && state->options.database_reachable();
        } catch (const std::exception&) {
          state->reachable = false;
        }
        state->checked = true;
        state->checked_at = now;
      }
      reachable = state->reachable;
    }
    nlohmann::json body;
    body["status"] = reachable ? "ok" : "unavailable";
    body["version"] = state->options.version;
    body["database"] = reachable ? "reachable" : "unreachable";
    return json_response(reachable ? 200 : 503, body.dump() + "\n");
  });
}

}  // namespace mailprune::http
