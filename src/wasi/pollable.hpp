// What a wasi:io/poll pollable waits for. Every stream of this host is always ready (stdin is in
// memory, output is delivered at once), so the only thing that takes time is a clock deadline.
#pragma once

#include <cstdint>
#include <optional>

#include "wasi/host_clock.hpp"

namespace actr::wasi {

struct Pollable {
  std::optional<uint64_t> deadline;  // monotonic nanoseconds; none: ready now

  static Pollable ready_now() { return {}; }
  static Pollable at(uint64_t deadline) { return {deadline}; }

  bool ready() const { return !deadline || monotonic_now() >= *deadline; }
  // Blocks the calling thread until ready.
  void block() const {
    if (deadline) sleep_until_monotonic(*deadline);
  }
};

}  // namespace actr::wasi
