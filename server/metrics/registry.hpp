// registry.hpp: a small Prometheus metrics registry: counters, gauges and histograms (fixed
// buckets), each a family of children told apart by label values, plus collectors that produce
// families at scrape time (values read from the database: database_metrics.hpp).
//
//   metrics::Registry registry;
//   auto& requests = registry.counter("mailprune_http_requests_total", "HTTP requests answered.",
//                                     {"method", "status"});
//   requests.labels({"GET", "200"}).inc();           // look the child up once and keep it:
//   metrics::Counter& ok = requests.labels({"GET", "200"});
//   ok.inc();                                        // lock-free from then on
//   std::string text = registry.render();            // exposition.hpp's text format 0.0.4
//
// Threads: everything is thread-safe. Increments, sets and observations are lock-free atomics
// (relaxed order: a scrape may see one increment before another made just before it, never a
// torn value). Looking a child up by label values takes the family's mutex (cheap, but keep
// hot-path children in a reference). Families and children are never removed, so references stay
// valid as long as the registry lives; label values should come from small, bounded sets (method,
// status, route pattern, campaign), never from request paths or user input.
//
// Names: metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do not
// start with "__"; histograms may not use the label "le". Registering a name again with the same
// type, help, labels (and buckets) returns the existing family; anything else throws
// std::invalid_argument, as do bad names and a wrong number of label values.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mailprune::metrics {

enum class MetricType { counter, gauge, histogram };
const char* to_string(MetricType type);  // "counter", "gauge", "histogram"

using Labels = std::vector<std::pair<std::string, std::string>>;

// One line of the exposition: a sample name (the family's, or with _bucket/_sum/_count for a
// histogram), its labels in order, its value.
struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// A family as it is at one instant (what render_text() formats).
struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<Sample> samples;
};

// Produces families at scrape time; called by Registry::collect() on the scraping thread, maybe
// from several scrapes at once (synchronise inside). Its family names must not collide with the
// registry's own. May throw: the scrape then fails (500), so collectors that can fail (a
// database) should catch and report failure as a sample instead.
using Collector = std::function<std::vector<FamilySnapshot>()>;

// Only ever goes up. Negative or NaN amounts are ignored.
class Counter {
 public:
  void inc(double amount = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Counts observations into buckets with fixed upper bounds (inclusive, "le"), plus their sum.
class Histogram {
 public:
  // `bounds`: finite and strictly increasing (the +Inf bucket is implicit). Throws
  // std::invalid_argument otherwise.
  explicit Histogram(std::vector<double> bounds);
  // NaN is ignored.
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;             // without +Inf
    std::vector<std::uint64_t> cumulative;  // bounds.size() + 1 counts, the last one for +Inf
    double sum = 0;
    std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  // Cumulative counts, monotone; count() is the +Inf bucket by construction.
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket (not cumulative), +Inf last
  std::atomic<double> sum_{0.0};
};

// Bucket bounds: `count` values from `start`, each `factor` times the previous (factor > 1).
std::vector<double> exponential_buckets(double start, double factor, int count);
// Seconds, from 1 ms to 10 s: HTTP handlers, database queries.
std::vector<double> latency_buckets();

// What the registry keeps per family (internal, for Family<>).
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> label_names);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  virtual FamilySnapshot snapshot() const = 0;

 protected:
  void check_arity(const std::vector<std::string>& values) const;
  Labels labels_of(const std::vector<std::string>& values) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// The children of one metric, by label values (in the order of the family's label names).
template <class Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::function<std::unique_ptr<Metric>()> make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)), make_(std::move(make)) {}

  // The child with these label values, created (at zero) on first use. Throws
  // std::invalid_argument when the number of values is not the number of label names.
  Metric& labels(const std::vector<std::string>& values) {
    check_arity(values);
    std::lock_guard lock(mutex_);
    auto& child = children_[values];
    if (!child) child = make_();
    return *child;
  }
  // The only child of a family without labels.
  Metric& get() { return labels({}); }

  FamilySnapshot snapshot() const override;

 private:
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

// Defined in registry.cpp for the three metric types: one definition, instantiated there, for
// the metrics of one value (Counter, Gauge), and Histogram's own (buckets, sum, count).
template <>
FamilySnapshot Family<Histogram>::snapshot() const;
extern template FamilySnapshot Family<Counter>::snapshot() const;
extern template FamilySnapshot Family<Gauge>::snapshot() const;

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& counter(const std::string& name, const std::string& help,
                           const std::vector<std::string>& label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       const std::vector<std::string>& label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help, const std::vector<double>& bounds,
                               const std::vector<std::string>& label_names = {});

  void add_collector(Collector collector);

  // Every family: the registry's in registration order, then the collectors'.
  std::vector<FamilySnapshot> collect() const;
  // collect() in the text exposition format (exposition.hpp).
  std::string render() const;

 private:
  template <class Metric>
  Family<Metric>& add(const std::string& name, const std::string& help, MetricType type,
                      const std::vector<std::string>& label_names, std::function<std::unique_ptr<Metric>()> make,
                      const std::vector<double>* bounds);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, std::vector<double>> histogram_bounds_;  // by family name
  std::vector<Collector> collectors_;
};

}  // namespace mailprune::metrics
