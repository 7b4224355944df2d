// The host clocks behind wasi:clocks, in the units WASI uses (nanoseconds).
#pragma once

#include <cstdint>

namespace actr::wasi {

// Nanoseconds on a clock that never goes back (CLOCK_MONOTONIC); the origin is arbitrary.
uint64_t monotonic_now();
uint64_t monotonic_resolution();

struct WallTime {
  uint64_t seconds = 0;  // since the Unix epoch
  uint32_t nanoseconds = 0;
};
WallTime wall_now();
WallTime wall_resolution();

// Sleeps the calling thread until monotonic_now() >= deadline.
void sleep_until_monotonic(uint64_t deadline);

}  // namespace actr::wasi
