#include "runtime/metrics/registry.hpp"

#include <algorithm>
#include <cmath>

namespace actr::runtime::metrics {
namespace {

bool valid_metric_name(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace

template <class Metric>
Result<Family<Metric>*> Registry::family(const std::string& name, const std::string& help,
                                         typename Family<Metric>::Factory make,
                                         const std::vector<double>* bounds) {
  if (!valid_metric_name(name)) return make_error("invalid metric name '" + name + "'");
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* existing = dynamic_cast<Family<Metric>*>(it->second.get());
    if (!existing)
      return make_error("metric '" + name + "' is already registered as a " +
                        std::string(it->second->type()));
    if (bounds && histogram_bounds_[name] != *bounds)
      return make_error("histogram '" + name + "' is already registered with other buckets");
    return existing;
  }
  auto created = std::make_unique<Family<Metric>>(name, help, std::move(make));
  auto* raw = created.get();
  families_.emplace(name, std::move(created));
  if (bounds) histogram_bounds_[name] = *bounds;
  return raw;
}

Result<CounterFamily*> Registry::counter(const std::string& name, const std::string& help) {
  return family<Counter>(
      name, help, [] { return std::make_shared<Counter>(); }, nullptr);
}

Result<GaugeFamily*> Registry::gauge(const std::string& name, const std::string& help) {
  return family<Gauge>(
      name, help, [] { return std::make_shared<Gauge>(); }, nullptr);
}

Result<HistogramFamily*> Registry::histogram(const std::string& name, const std::string& help,
                                             std::vector<double> bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]))
      return make_error("histogram '" + name + "': bucket bounds must be finite");
    if (i > 0 && bounds[i] <= bounds[i - 1])
      return make_error("histogram '" + name + "': bucket bounds must increase");
  }
  return family<Histogram>(
      name, help, [bounds] { return std::make_shared<Histogram>(bounds); }, &bounds);
}

void Registry::add_collector(std::function<void()> collect) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collect));
}

std::string Registry::render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  // Outside the lock: collectors update families of this registry.
  for (const auto& collect : collectors) collect();
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) family->render(out);
  return out;
}

}  // namespace actr::runtime::metrics
