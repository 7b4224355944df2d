// A lock for critical sections of a few dozen instructions (an actor's mailbox lanes: a push or a
// pop of a ring). Uncontended it costs one atomic exchange to take and a plain store to release,
// where a pthread mutex costs a call and a locked instruction each way; two of those pairs ran on
// every actor -> actor call. A waiter spins briefly, then yields its thread, so a holder that the
// kernel preempted (2 vCPUs shared with other work) gets to run and let go.
#pragma once

#include <atomic>
#include <thread>

namespace actr::runtime {

class SpinLock {
 public:
  void lock() {
    for (unsigned tries = 0; locked_.exchange(true, std::memory_order_acquire); ++tries) {
      // Wait with loads (no cache-line ping-pong of exchanges) until it looks free.
      while (locked_.load(std::memory_order_relaxed)) {
        if (++tries >= kSpins) {
          std::this_thread::yield();
        } else {
          pause();
        }
      }
    }
  }
  bool try_lock() { return !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  static constexpr unsigned kSpins = 64;
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  std::atomic<bool> locked_{false};
};

}  // namespace actr::runtime
