#include "runtime/metrics/histogram.hpp"

#include <string>

#include <algorithm>
#include <cmath>

namespace actr::runtime::metrics {

const std::vector<double>& latency_buckets() {
  static const std::vector<double> bounds = [] {
    // Parsed from decimal text so that each bound is the double nearest to its decimal value
    // and renders as such ("2.5e-06", not the 2.4999999999999998e-06 that 2.5 * 1e-6 gives).
    std::vector<double> b;
    for (int exponent = -6; exponent <= 0; ++exponent)
      for (const char* step : {"1", "2.5", "5"})
        b.push_back(std::stod(std::string(step) + "e" + std::to_string(exponent)));
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

void Histogram::observe_single_writer(double v) {
  size_t i = std::isnan(v) ? bounds_.size()
                           : std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  auto& bucket = buckets_[i];
  bucket.store(bucket.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
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
