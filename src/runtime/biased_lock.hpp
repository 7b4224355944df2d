// A lock biased towards one thread, its owner, which takes it on a hot path (a worker adding every
// call it sends to its deadline queue), while one other thread, a visitor, takes it rarely (the
// node's balancer, when guest code has held that worker for long). The owner pays two plain
// stores and a load, no locked instruction; the visitor pays a membarrier(2) system call, which
// makes every running thread of the process execute a full memory barrier: the asymmetric form of
// Dekker's mutual exclusion (as in liburcu and folly's hazard pointers). Where membarrier is not
// available (an old kernel, a seccomp filter, ThreadSanitizer) both sides use a full fence.
//
// The visitor never waits: when the owner holds the lock it gives up and tries again later. The
// owner waits only while a visit runs. Not recursive.
#pragma once

#include <atomic>

namespace actr::runtime {

class BiasedLock {
 public:
  BiasedLock();

  // The owner's thread only.
  void lock() {
    owner_.store(true, std::memory_order_relaxed);
    light_fence();
    if (visitor_.load(std::memory_order_acquire)) [[unlikely]]
      wait_for_visitor();
  }
  void unlock() { owner_.store(false, std::memory_order_release); }

  // Any thread but the owner's, one at a time: true when it holds the lock now (end_visit()
  // releases it), false when the owner holds it.
  bool try_visit();
  void end_visit() { visitor_.store(false, std::memory_order_release); }

  // Whether the owner's side runs without a fence (membarrier works here).
  static bool asymmetric();

 private:
  static void light_fence() {
    if (asymmetric_.load(std::memory_order_relaxed)) {
      std::atomic_signal_fence(std::memory_order_seq_cst);  // the compiler's order is enough
    } else {
      std::atomic_thread_fence(std::memory_order_seq_cst);
    }
  }
  void wait_for_visitor();

  // Set once, by the first lock's constructor, before any lock is used; never changes after.
  static std::atomic<bool> asymmetric_;
  std::atomic<bool> owner_{false}, visitor_{false};
};

}  // namespace actr::runtime
