#include "metrics/registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "metrics/exposition.hpp"

namespace mailprune::metrics {
namespace {

std::vector<std::string> sample_names(const std::string& name, MetricType type) {
  if (type != MetricType::histogram) return {name};
  return {name, name + "_bucket", name + "_sum", name + "_count"};
}

}  // namespace

const char* to_string(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      break;
  }
  return "histogram";
}

void Counter::inc(double amount) {
  if (!(amount > 0)) return;  // negative, zero and NaN
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && !(bounds_[i] > bounds_[i - 1]))) {
      throw std::invalid_argument("histogram bucket bounds must be finite and strictly increasing");
    }
  }
  buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  // The first bound >= value: buckets are "less than or equal".
  auto index = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.bounds = bounds_;
  snapshot.cumulative.resize(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = running;
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) {
    throw std::invalid_argument("exponential_buckets: start > 0, factor > 1, count >= 1");
  }
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)) {
  if (!valid_metric_name(name_)) throw std::invalid_argument(fmt::format("invalid metric name \"{}\"", name_));
  std::set<std::string> seen;
  for (const auto& label : label_names_) {
    if (!valid_label_name(label)) {
      throw std::invalid_argument(fmt::format("metric {}: invalid label name \"{}\"", name_, label));
    }
    if (type_ == MetricType::histogram && label == "le") {
      throw std::invalid_argument(fmt::format("histogram {}: the label \"le\" is reserved", name_));
    }
    if (!seen.insert(label).second) {
      throw std::invalid_argument(fmt::format("metric {}: label \"{}\" given twice", name_, label));
    }
  }
}

void FamilyBase::check_arity(const std::vector<std::string>& values) const {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(
        fmt::format("metric {}: {} label values for {} labels", name_, values.size(), label_names_.size()));
  }
}

Labels FamilyBase::labels_of(const std::vector<std::string>& values) const {
  Labels labels;
  for (std::size_t i = 0; i < values.size(); ++i) labels.emplace_back(label_names_[i], values[i]);
  return labels;
}

// The metrics of one value (Counter, Gauge): one sample per child, named as the family.
template <class Metric>
FamilySnapshot Family<Metric>::snapshot() const {
  FamilySnapshot family{name(), help(), type(), {}};
  std::lock_guard lock(mutex_);
  for (const auto& [values, child] : children_)
    family.samples.push_back(Sample{name(), labels_of(values), child->value()});
  return family;
}

template FamilySnapshot Family<Counter>::snapshot() const;
template FamilySnapshot Family<Gauge>::snapshot() const;

template <>
FamilySnapshot Family<Histogram>::snapshot() const {
  FamilySnapshot family{name(), help(), type(), {}};
  std::lock_guard lock(mutex_);
  for (const auto& [values, child] : children_) {
    Histogram::Snapshot histogram = child->snapshot();
    Labels labels = labels_of(values);
    for (std::size_t i = 0; i < histogram.cumulative.size(); ++i) {
      Labels with_le = labels;
      with_le.emplace_back("le", i < histogram.bounds.size() ? format_value(histogram.bounds[i]) : "+Inf");
      family.samples.push_back(
          Sample{name() + "_bucket", std::move(with_le), static_cast<double>(histogram.cumulative[i])});
    }
    family.samples.push_back(Sample{name() + "_sum", labels, histogram.sum});
    family.samples.push_back(Sample{name() + "_count", labels, static_cast<double>(histogram.count())});
  }
  return family;
}

template <class Metric>
Family<Metric>& Registry::add(const std::string& name, const std::string& help, MetricType type,
                              const std::vector<std::string>& label_names,
                              std::function<std::unique_ptr<Metric>()> make, const std::vector<double>* bounds) {
  std::lock_guard lock(mutex_);
  auto names = sample_names(name, type);
  for (const auto& family : families_) {
    if (family->name() == name) {
      auto* same = dynamic_cast<Family<Metric>*>(family.get());
      bool same_bounds = bounds == nullptr || histogram_bounds_[name] == *bounds;
      if (same != nullptr && family->type() == type && family->help() == help && family->label_names() == label_names &&
          same_bounds) {
        return *same;
      }
      throw std::invalid_argument(fmt::format("metric {} is already registered differently", name));
    }
    for (const auto& taken : sample_names(family->name(), family->type())) {
      if (std::find(names.begin(), names.end(), taken) != names.end()) {
        throw std::invalid_argument(fmt::format("metric {} collides with {}", name, family->name()));
      }
    }
  }
  auto family = std::make_unique<Family<Metric>>(name, help, type, label_names, std::move(make));
  auto& result = *family;
  families_.push_back(std::move(family));
  if (bounds != nullptr) histogram_bounds_[name] = *bounds;
  return result;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   const std::vector<std::string>& label_names) {
  return add<Counter>(
      name, help, MetricType::counter, label_names, [] { return std::make_unique<Counter>(); }, nullptr);
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               const std::vector<std::string>& label_names) {
  return add<Gauge>(
      name, help, MetricType::gauge, label_names, [] { return std::make_unique<Gauge>(); }, nullptr);
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       const std::vector<double>& bounds, const std::vector<std::string>& label_names) {
  Histogram check(bounds);  // throws for bad bounds before anything is registered
  return add<Histogram>(
      name, help, MetricType::histogram, label_names, [bounds] { return std::make_unique<Histogram>(bounds); },
      &bounds);
}

void Registry::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::vector<FamilySnapshot> Registry::collect() const {
  std::vector<const FamilyBase*> families;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& family : families_) families.push_back(family.get());
    collectors = collectors_;
  }
  std::vector<FamilySnapshot> out;
  for (const auto* family : families) out.push_back(family->snapshot());
  for (const auto& collector : collectors) {
    for (auto& family : collector()) out.push_back(std::move(family));
  }
  return out;
}

std::string Registry::render() const {
  return render_text(collect());
}

}  // namespace mailprune::metrics
