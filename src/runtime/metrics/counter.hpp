// A monotonically increasing count (Prometheus `counter`); increments are one relaxed atomic add.
#pragma once

#include <atomic>
#include <cstdint>

namespace actr::runtime::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  // For a series only one thread at a time writes (an actor's own series, written by its one
  // running export call; readers only load): a load and a store, no locked read-modify-write.
  void inc_single_writer(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace actr::runtime::metrics
