// A value that goes up and down (Prometheus `gauge`), e.g. a mailbox depth. Lock-free.
#pragma once

#include <atomic>

namespace actr::runtime::metrics {

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(double n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

}  // namespace actr::runtime::metrics
