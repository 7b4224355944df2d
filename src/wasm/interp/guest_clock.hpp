// Guest time of one top-level entry into a store: wall time minus time spent in host functions.
#pragma once

#include <chrono>

namespace actr::wasm::interp {

// The engine reports every transition between guest and host code. The clock is read only at
// those transitions and at the interpreter's chunk boundaries; a call that finishes inside its
// first chunk without calling the host never reads it. The guest time before the first reading
// (at most one chunk of instructions) is not counted.
class GuestClock {
 public:
  using clock = std::chrono::steady_clock;

  explicit GuestClock(std::chrono::nanoseconds budget) : budget_(budget) {}

  bool enabled() const { return budget_.count() > 0; }

  // A host->guest entry with no guest code of the store on the stack.
  void start_entry() {
    spent_ = {};
    running_ = false;
  }

  // At a chunk boundary while guest code runs: true once the entry's budget is used up.
  bool expired() {
    const auto now = clock::now();
    if (!running_) {
      running_ = true;
      segment_start_ = now;
      return false;
    }
    return spent_ + (now - segment_start_) >= budget_;
  }

  // Guest code calls the host (or a nested entry returns to the host).
  void pause() {
    if (!running_) return;
    spent_ += clock::now() - segment_start_;
    running_ = false;
  }

  // The host returns to guest code (or makes a nested entry into it).
  void resume() {
    running_ = true;
    segment_start_ = clock::now();
  }

 private:
  std::chrono::nanoseconds budget_;
  std::chrono::nanoseconds spent_{};
  clock::time_point segment_start_{};
  bool running_ = false;
};

}  // namespace actr::wasm::interp
