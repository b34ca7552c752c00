// The metrics registry and its text format, read back with an independent parser: names, labels,
// escaping, histogram buckets, registration rules, concurrent increments; /metrics through the
// router, and HTTP request metrics. No server needed.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "exposition_parser.hpp"
#include "http/router.hpp"
#include "metrics/exposition.hpp"
#include "metrics/metrics_http.hpp"
#include "metrics/registry.hpp"

namespace mailprune::metrics {
namespace {

using testing::parse_exposition;

TEST(Exposition, CountersAndGaugesRoundTripWithEscapes) {
  Registry registry;
  auto& requests =
      registry.counter("mp_requests_total", "Requests.\nSecond line with a \\ backslash.", {"method", "path"});
  requests.labels({"GET", "/a\"b\\c\nd"}).inc();
  requests.labels({"GET", "/a\"b\\c\nd"}).inc(2);
  requests.labels({"POST", "/é/ü"}).inc(0.5);
  auto& temperature = registry.gauge("mp_temperature", "A gauge.");
  temperature.get().set(-3.25);

  std::string text = registry.render();
  auto parsed = parse_exposition(text);
  ASSERT_EQ(parsed.order, (std::vector<std::string>{"mp_requests_total", "mp_temperature"}));
  EXPECT_EQ(parsed.families["mp_requests_total"].help, "Requests.\nSecond line with a \\ backslash.");
  EXPECT_EQ(parsed.families["mp_requests_total"].type, "counter");
  EXPECT_EQ(parsed.families["mp_temperature"].type, "gauge");
  EXPECT_EQ(parsed.value("mp_requests_total", {{"method", "GET"}, {"path", "/a\"b\\c\nd"}}), 3);
  EXPECT_EQ(parsed.value("mp_requests_total", {{"method", "POST"}, {"path", "/é/ü"}}), 0.5);
  EXPECT_EQ(parsed.value("mp_temperature"), -3.25);
  // The escapes as the format spells them, and one line per sample.
  EXPECT_NE(text.find(R"(path="/a\"b\\c\nd")"), std::string::npos) << text;
  EXPECT_NE(text.find("# HELP mp_requests_total Requests.\\nSecond line with a \\\\ backslash.\n"), std::string::npos);
  EXPECT_NE(text.find("mp_temperature -3.25\n"), std::string::npos) << text;
}

TEST(Exposition, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(std::stod(format_value(1.0 / 3)), 1.0 / 3);  // reads back exactly
}

TEST(Exposition, EmptyFamiliesStillDeclareThemselves) {
  Registry registry;
  registry.counter("mp_nothing_yet_total", "No child yet.", {"kind"});
  auto parsed = parse_exposition(registry.render());
  EXPECT_EQ(parsed.families["mp_nothing_yet_total"].type, "counter");
  EXPECT_TRUE(parsed.families["mp_nothing_yet_total"].samples.empty());
}

TEST(Histogram, BucketsAreCumulativeAndEndWithInf) {
  Registry registry;
  auto& latency = registry.histogram("mp_latency_seconds", "Latency.", {0.1, 0.5, 1}, {"route"});
  auto& child = latency.labels({"/x"});
  for (double v : {0.05, 0.1, 0.3, 0.5, 0.7, 1.0, 3.0, 100.0}) child.observe(v);
  child.observe(std::nan(""));  // ignored

  auto parsed = parse_exposition(registry.render());
  const auto& family = parsed.families["mp_latency_seconds"];
  EXPECT_EQ(family.type, "histogram");
  std::vector<std::string> les;
  std::vector<double> counts;
  for (const auto& sample : family.samples) {
    if (sample.name != "mp_latency_seconds_bucket") continue;
    EXPECT_EQ(sample.labels.back().first, "le");
    EXPECT_EQ(sample.label("route"), "/x");
    les.push_back(sample.label("le"));
    counts.push_back(sample.value);
  }
  EXPECT_EQ(les, (std::vector<std::string>{"0.1", "0.5", "1", "+Inf"}));
  // "less than or equal": 0.1 is in the 0.1 bucket, 1.0 in the 1 bucket.
  EXPECT_EQ(counts, (std::vector<double>{2, 4, 6, 8}));
  for (std::size_t i = 1; i < counts.size(); ++i) EXPECT_LE(counts[i - 1], counts[i]);
  EXPECT_EQ(parsed.value("mp_latency_seconds_count", {{"route", "/x"}}), 8);
  EXPECT_DOUBLE_EQ(parsed.value("mp_latency_seconds_sum", {{"route", "/x"}}), 105.65);
}

TEST(Histogram, BoundsMustIncrease) {
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
  EXPECT_NO_THROW(Histogram({}));
  EXPECT_EQ(exponential_buckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_THROW(exponential_buckets(0, 2, 4), std::invalid_argument);
  Histogram only_inf({});
  only_inf.observe(5);
  EXPECT_EQ(only_inf.snapshot().cumulative, (std::vector<std::uint64_t>{1}));
}

TEST(Registry, NamesAndRegistrationRules) {
  Registry registry;
  EXPECT_THROW(registry.counter("9starts_with_digit", "x"), std::invalid_argument);
  EXPECT_THROW(registry.counter("has-dash", "x"), std::invalid_argument);
  EXPECT_THROW(registry.counter("", "x"), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "x", {"a:b"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "x", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("h_seconds", "x", {1}, {"le"}), std::invalid_argument);
  EXPECT_NO_THROW(registry.gauge("name:with_colon", "x"));

  auto& first = registry.counter("mp_jobs_total", "Jobs.", {"kind"});
  EXPECT_EQ(&first, &registry.counter("mp_jobs_total", "Jobs.", {"kind"}));  // same again: same family
  EXPECT_THROW(registry.gauge("mp_jobs_total", "Jobs.", {"kind"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("mp_jobs_total", "Jobs.", {"other"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("mp_jobs_total", "Other help.", {"kind"}), std::invalid_argument);
  EXPECT_THROW(first.labels({}), std::invalid_argument);
  EXPECT_THROW(first.labels({"a", "b"}), std::invalid_argument);

  registry.histogram("mp_size_bytes", "Sizes.", {1, 10});
  EXPECT_THROW(registry.histogram("mp_size_bytes", "Sizes.", {1, 100}), std::invalid_argument);
  EXPECT_THROW(registry.counter("mp_size_bytes_count", "Collides."), std::invalid_argument);
  EXPECT_THROW(registry.counter("mp_size_bytes_bucket", "Collides."), std::invalid_argument);
}

TEST(Registry, CounterOnlyGoesUpGaugeBothWays) {
  Counter counter;
  counter.inc(2);
  counter.inc(-1);
  counter.inc(std::nan(""));
  EXPECT_EQ(counter.value(), 2);
  Gauge gauge;
  gauge.inc(5);
  gauge.dec(7);
  EXPECT_EQ(gauge.value(), -2);
  gauge.set(1.5);
  EXPECT_EQ(gauge.value(), 1.5);
}

TEST(Registry, ConcurrentIncrementsSumRight) {
  Registry registry;
  auto& counter = registry.counter("mp_hits_total", "Hits.", {"worker"});
  auto& shared = registry.counter("mp_shared_total", "Shared.").get();
  auto& gauge = registry.gauge("mp_level", "Level.").get();
  auto& histogram = registry.histogram("mp_work_seconds", "Work.", {0.5, 1.5}).get();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    // Scrapes meanwhile see counts that only grow and always parse.
    double last = 0;
    while (!stop.load()) {
      auto parsed = parse_exposition(registry.render());
      double now = parsed.has("mp_shared_total") ? parsed.value("mp_shared_total") : 0;
      EXPECT_GE(now, last);
      last = now;
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        shared.inc();
        counter.labels({std::to_string(i % 4)}).inc();  // lookups race with creation too
        gauge.inc();
        gauge.dec(0.5);
        histogram.observe(t % 2 == 0 ? 1.0 : 2.0);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  stop = true;
  scraper.join();

  auto parsed = parse_exposition(registry.render());
  EXPECT_EQ(parsed.value("mp_shared_total"), kThreads * kPerThread);
  for (int w = 0; w < 4; ++w) {
    EXPECT_EQ(parsed.value("mp_hits_total", {{"worker", std::to_string(w)}}), kThreads * kPerThread / 4);
  }
  EXPECT_EQ(parsed.value("mp_level"), kThreads * kPerThread * 0.5);
  EXPECT_EQ(parsed.value("mp_work_seconds_count"), kThreads * kPerThread);
  EXPECT_EQ(parsed.value("mp_work_seconds_bucket", {{"le", "1.5"}}), kThreads * kPerThread / 2);
  EXPECT_EQ(parsed.value("mp_work_seconds_sum"), kThreads / 2 * kPerThread * 3.0);
}

TEST(Registry, CollectorsComeAfterOwnFamilies) {
  Registry registry;
  registry.gauge("mp_own", "Own.").get().set(1);
  int calls = 0;
  registry.add_collector([&calls] {
    ++calls;
    FamilySnapshot family;
    family.name = "mp_collected";
    family.help = "From a collector.";
    family.type = MetricType::gauge;
    family.samples.push_back(Sample{"mp_collected", {{"source", "imap \"main\""}}, 7});
    return std::vector<FamilySnapshot>{family};
  });
  auto parsed = parse_exposition(registry.render());
  EXPECT_EQ(parsed.order, (std::vector<std::string>{"mp_own", "mp_collected"}));
  EXPECT_EQ(parsed.value("mp_collected", {{"source", "imap \"main\""}}), 7);
  EXPECT_EQ(calls, 1);
}

http::Request get(const std::string& path, const std::string& method = "GET") {
  http::Request request;
  request.method = method;
  request.path = path;
  request.target = path;
  return request;
}

TEST(MetricsRoute, ServesTheTextFormat) {
  auto registry = std::make_shared<Registry>();
  registry->counter("mp_up_total", "Up.").get().inc();
  http::Router router;
  add_metrics_routes(router, registry);
  http::Response response = router.dispatch(get("/metrics"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(response.headers.get("Cache-Control"), "no-store");
  EXPECT_EQ(parse_exposition(response.body).value("mp_up_total"), 1);
  EXPECT_EQ(router.dispatch(get("/metrics", "POST")).status, 405);
}

TEST(MetricsRoute, GuardCanRefuse) {
  auto registry = std::make_shared<Registry>();
  http::Router router;
  MetricsRouteOptions options;
  options.guard = [](const http::Request& request) -> std::optional<http::Response> {
    if (request.headers.get("Authorization") == "Bearer let-me-in") return std::nullopt;
    return http::status_response(401);
  };
  add_metrics_routes(router, registry, options);
  EXPECT_EQ(router.dispatch(get("/metrics")).status, 401);
  http::Request allowed = get("/metrics");
  allowed.headers.set("Authorization", "Bearer let-me-in");
  EXPECT_EQ(router.dispatch(allowed).status, 200);
}

TEST(HttpMetrics, InstrumentedHandlersAreCountedAndTimed) {
  Registry registry;
  HttpMetrics metrics(registry);
  http::Router router;
  router.add("GET", "/ok", metrics.instrument("/ok", [](const http::Request&) { return http::status_response(204); }));
  router.add_prefix("POST", "/items/", metrics.instrument("/items/", [](const http::Request&) -> http::Response {
    throw std::runtime_error("boom");
  }));
  router.add("BREW", "/ok", metrics.instrument("/ok", [](const http::Request&) { return http::status_response(418); }));
  for (int i = 0; i < 3; ++i) router.dispatch(get("/ok"));
  EXPECT_THROW(router.dispatch(get("/items/42", "POST")), std::runtime_error);
  router.dispatch(get("/ok", "BREW"));

  auto parsed = parse_exposition(registry.render());
  EXPECT_EQ(parsed.value("mailprune_http_requests_total", {{"method", "GET"}, {"route", "/ok"}, {"status", "204"}}), 3);
  EXPECT_EQ(
      parsed.value("mailprune_http_requests_total", {{"method", "POST"}, {"route", "/items/"}, {"status", "500"}}), 1);
  EXPECT_EQ(parsed.value("mailprune_http_requests_total", {{"method", "other"}, {"route", "/ok"}, {"status", "418"}}),
            1);
  EXPECT_EQ(parsed.value("mailprune_http_request_duration_seconds_count", {{"method", "GET"}, {"route", "/ok"}}), 3);
  EXPECT_EQ(parsed.families["mailprune_http_request_duration_seconds"].type, "histogram");
  // Registering the same families twice (two servers in one process) is allowed.
  EXPECT_NO_THROW(HttpMetrics second(registry));
}

}  // namespace
}  // namespace mailprune::metrics
