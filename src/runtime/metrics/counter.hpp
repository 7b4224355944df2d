// A monotonically increasing count (Prometheus `counter`); increments are one relaxed atomic add.
#pragma once

#include <atomic>
#include <cstdint>

namespace actr::runtime::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace actr::runtime::metrics
