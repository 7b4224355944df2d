// Deadlines for guest entries. A single watchdog thread samples every store that has a deadline
// a few dozen times per budget: while a store's guest code runs on some thread, the elapsed time
// counts against the current top-level entry; time in host functions does not. When the budget
// is spent it marks the entry expired and signals the thread (kDeadlineSignal), whose handler
// unwinds if, and only if, that thread is executing guest code; otherwise the expiry is noticed
// when the host function returns into the guest.
//
// The per-call cost for the running thread is a few relaxed/release atomic stores: no locks, no
// clock reads.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace actr::wasm::aot {

inline constexpr int kDeadlineSignal = SIGURG;

// A thread that has run guest code. Registered with the watchdog from the first entry until the
// thread exits, so the watchdog never signals a thread that is gone.
struct ThreadRecord {
  pthread_t thread;
};

void register_thread(ThreadRecord* record);
void unregister_thread(ThreadRecord* record);

class DeadlineTimer {
 public:
  explicit DeadlineTimer(std::chrono::nanoseconds budget);
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Starts a new top-level entry; returns its generation (never 0).
  uint64_t begin_entry() {
    uint64_t g = generation_.load(std::memory_order_relaxed) + 1;
    generation_.store(g, std::memory_order_release);
    return g;
  }
  // Guest code of the store runs on `thread` from now on.
  void run_on(ThreadRecord* thread) { running_on_.store(thread, std::memory_order_release); }
  // Guest code of the store stopped running (host code, or the entry returned).
  void stop() { running_on_.store(nullptr, std::memory_order_release); }
  bool expired(uint64_t generation) const {
    return expired_generation_.load(std::memory_order_acquire) == generation;
  }

  std::chrono::nanoseconds budget() const { return budget_; }

 private:
  friend class Watchdog;

  const std::chrono::nanoseconds budget_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<ThreadRecord*> running_on_{nullptr};
  std::atomic<uint64_t> expired_generation_{0};
  // Owned by the watchdog thread.
  uint64_t seen_generation_ = 0;
  std::chrono::nanoseconds used_{0};
};

}  // namespace actr::wasm::aot
