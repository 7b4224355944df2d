#include "runtime/biased_lock.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace actr::runtime {

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool kSanitizingThreads = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
constexpr bool kSanitizingThreads = true;
#else
constexpr bool kSanitizingThreads = false;
#endif
#else
constexpr bool kSanitizingThreads = false;
#endif

long membarrier(int cmd) { return syscall(__NR_membarrier, cmd, 0, 0); }

bool register_membarrier() {
  // ThreadSanitizer does not see the barriers a system call makes other threads execute.
  if (kSanitizingThreads) return false;
  long supported = membarrier(MEMBARRIER_CMD_QUERY);
  if (supported < 0 || !(supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

}  // namespace

std::atomic<bool> BiasedLock::asymmetric_{false};

BiasedLock::BiasedLock() {
  // Once per process, before the first lock exists: every owner reads the same mode.
  static const bool registered = [] {
    bool ok = register_membarrier();
    asymmetric_.store(ok, std::memory_order_relaxed);
    return ok;
  }();
  (void)registered;
}

bool BiasedLock::asymmetric() { return asymmetric_.load(std::memory_order_relaxed); }

bool BiasedLock::try_visit() {
  visitor_.store(true, std::memory_order_relaxed);
  if (asymmetric()) {
    // Every thread of the process, the owner included, runs a full barrier: the owner's flag, if
    // it raised it before that point, is visible below; if it raises it after, it sees ours.
    if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
      end_visit();  // cannot order against the owner: no visit
      return false;
    }
  } else {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }
  if (owner_.load(std::memory_order_acquire)) {
    end_visit();
    return false;
  }
  return true;
}

void BiasedLock::wait_for_visitor() {
  // The owner's flag stays up: a visitor that starts now gives up at once, and the one under way
  // takes as long as copying a few entries.
  for (unsigned spins = 0; visitor_.load(std::memory_order_acquire); ++spins) {
    if (spins >= 64) std::this_thread::yield();
  }
}

}  // namespace actr::runtime
