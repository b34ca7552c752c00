// health.hpp: GET /healthz, for load balancers, monitoring and `systemctl` checks.
//
// 200 {"status":"ok","version":"0.1.0","database":"reachable"} when the database answers;
// 503 {"status":"unavailable","version":"0.1.0","database":"unreachable"} when it does not.
// Nothing else is said (no host names, no error text: the page needs no login).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/router.hpp"

namespace mailprune::http {

struct HealthOptions {
  std::string version;
  // True when the database answers. Called from I/O threads, never concurrently (the route
  // serialises calls); should give up within a few seconds.
  std::function<bool()> database_reachable;
  // A result is reused for this long, so frequent probes do not each hit the database.
  std::chrono::milliseconds cache_for{std::chrono::seconds(1)};
};

// Registers GET (and so HEAD) /healthz.
void add_health_routes(Router& router, HealthOptions options);

}  // namespace mailprune::http
