// A token bucket: `rate` tokens a second up to `burst`; each inbound message takes one.
#pragma once

#include <algorithm>
#include <chrono>

namespace actr::net {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // A rate of 0 means unlimited.
  TokenBucket(double rate_per_second, double burst, Clock::time_point now = Clock::now())
      : rate_(rate_per_second), burst_(std::max(burst, 1.0)), tokens_(burst_), last_(now) {}

  bool take(Clock::time_point now = Clock::now()) {
    if (rate_ <= 0) return true;
    std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace actr::net
