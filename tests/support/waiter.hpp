// What callbacks on other threads report, for a test thread to wait on: state changes under one
// mutex, and a bounded wait for a condition (never a fixed sleep).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace actr::test {

class Waiter {
 public:
  // Runs `change` under the lock and wakes the waiters.
  template <typename F>
  void update(F change) {
    {
      std::lock_guard lock(mu_);
      change();
    }
    cv_.notify_all();
  }
  // Waits until `done()` (read under the lock) or `limit` passes; false on timeout.
  template <typename P>
  bool wait(P done, std::chrono::seconds limit = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, done);
  }
  // For reading what was reported while callbacks may still run.
  std::mutex& mutex() { return mu_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace actr::test
