// Observations counted into fixed buckets (Prometheus `histogram`). observe() is lock-free: one
// binary search over the bounds and two relaxed atomic adds.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace actr::runtime::metrics {

// Upper bounds in seconds from 1 us to 10 s, three per decade (1, 2.5, 5): the default for
// latencies.
const std::vector<double>& latency_buckets();

class Histogram {
 public:
  // `bounds` are the inclusive upper bounds of the buckets; they are sorted and made unique,
  // non-finite ones dropped (the +Inf bucket always exists).
  explicit Histogram(std::vector<double> bounds);

  void observe(double v);
  template <class Rep, class Period>
  void observe(std::chrono::duration<Rep, Period> d) {
    observe(std::chrono::duration<double>(d).count());
  }
  // For a series only one thread at a time writes (an actor's own, written by its one running
  // export call; readers only load): loads and stores instead of locked read-modify-writes (the
  // sum's is a compare-and-swap loop).
  void observe_single_writer(double v);
  template <class Rep, class Period>
  void observe_single_writer(std::chrono::duration<Rep, Period> d) {
    observe_single_writer(std::chrono::duration<double>(d).count());
  }

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then the +Inf bucket (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

}  // namespace actr::runtime::metrics
