#include "runtime/metrics/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace actr::runtime::metrics {

const std::vector<double>& latency_buckets() {
  static const std::vector<double> bounds = [] {
    std::vector<double> b;
    double decade = 1e-6;
    for (int i = 0; i < 7; ++i, decade *= 10)
      for (double step : {1.0, 2.5, 5.0}) b.push_back(step * decade);
    b.push_back(10.0);
    return b;
  }();
  return bounds;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::erase_if(bounds_, [](double b) { return !std::isfinite(b); });
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  // Bounds are inclusive (le): the first bound >= v. NaN lands in +Inf.
  size_t i = std::isnan(v) ? bounds_.size()
                           : std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // The count is the bucket total, so that _count always equals the +Inf bucket even while
  // other threads observe.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace actr::runtime::metrics
