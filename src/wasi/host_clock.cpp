#include "wasi/host_clock.hpp"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace actr::wasi {
namespace {

uint64_t to_ns(const timespec& ts) {
  if (ts.tv_sec < 0) return 0;
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t resolution_of(clockid_t clock) {
  timespec ts{};
  if (clock_getres(clock, &ts) != 0) return 1;
  return std::max<uint64_t>(to_ns(ts), 1);
}

}  // namespace

uint64_t monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return to_ns(ts);
}

uint64_t monotonic_resolution() { return resolution_of(CLOCK_MONOTONIC); }

WallTime wall_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec < 0) return {};
  return {static_cast<uint64_t>(ts.tv_sec), static_cast<uint32_t>(ts.tv_nsec)};
}

WallTime wall_resolution() {
  uint64_t ns = resolution_of(CLOCK_REALTIME);
  return {ns / 1'000'000'000u, static_cast<uint32_t>(ns % 1'000'000'000u)};
}

void sleep_until_monotonic(uint64_t deadline) {
  // Sleep in bounded steps: a deadline far in the future must not overflow the chrono types.
  constexpr uint64_t kMaxStep = 1'000'000'000'000;  // 1000 s
  for (uint64_t now = monotonic_now(); now < deadline; now = monotonic_now()) {
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min(deadline - now, kMaxStep)));
  }
}

}  // namespace actr::wasi
