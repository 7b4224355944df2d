// runtime::BiasedLock, which guards a worker's deadline queue: its owner and a visitor are never
// inside at once, a visitor gives up while the owner holds it, and the owner waits for a visit.
#include "runtime/biased_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <thread>

namespace actr::test {
namespace {

TEST(RuntimeBiasedLock, OwnerAndVisitorNeverOverlap) {
  runtime::BiasedLock lock;
  // Until the visitor got in 200 times (or tried 50000 times; a loaded machine may let it in less).
  constexpr long kVisits = 200, kAttempts = 50000;
  // Written by the owner under the lock, read by the visitor under it: a visitor inside while the
  // owner is would see them differ (and the sanitizers would see the race).
  long first = 0, second = 0;
  std::atomic<bool> done{false};
  std::atomic<long> attempts{0};
  std::atomic<long> visits{0};
  long torn = 0;
  std::thread visitor([&] {
    while (!done.load()) {
      attempts.fetch_add(1);
      if (!lock.try_visit()) continue;
      ++visits;
      if (first != second) ++torn;
      lock.end_visit();
    }
  });
  long rounds = 0;
  std::atomic<int> sink{0};
  while (visits.load() < kVisits && attempts.load() < kAttempts) {
    {
      std::lock_guard guard(lock);
      first = first + 1;
      second = second + 1;
      ++rounds;
    }
    for (int i = 0; i < 10000; ++i)
      sink.store(i, std::memory_order_relaxed);  // outside the lock: room for a visit
  }
  done = true;
  visitor.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(first, rounds);
  EXPECT_EQ(second, rounds);
  ASSERT_TRUE(lock.try_visit());  // nobody holds it now
  lock.end_visit();
  std::printf("visits during the run: %ld (membarrier: %s)\n", visits.load(),
              runtime::BiasedLock::asymmetric() ? "yes" : "no");
}

TEST(RuntimeBiasedLock, AVisitorGivesUpWhileTheOwnerHoldsIt) {
  runtime::BiasedLock lock;
  std::atomic<int> step{0};
  std::thread owner([&] {
    lock.lock();
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    lock.unlock();
    step = 3;
  });
  while (step.load() != 1) std::this_thread::yield();
  EXPECT_FALSE(lock.try_visit());
  step = 2;
  while (step.load() != 3) std::this_thread::yield();
  EXPECT_TRUE(lock.try_visit());
  lock.end_visit();
  owner.join();
}

TEST(RuntimeBiasedLock, TheOwnerWaitsForAVisitToEnd) {
  runtime::BiasedLock lock;
  ASSERT_TRUE(lock.try_visit());
  std::atomic<bool> entered{false}, visit_over{false};
  bool entered_during_visit = false;
  std::thread owner([&] {
    lock.lock();
    entered_during_visit = !visit_over.load();
    entered = true;
    lock.unlock();
  });
  // However long this thread waits, the owner must not get in before end_visit().
  for (int i = 0; i < 1000 && !entered.load(); ++i) std::this_thread::yield();
  EXPECT_FALSE(entered.load());
  visit_over = true;
  lock.end_visit();
  owner.join();
  EXPECT_TRUE(entered.load());
  EXPECT_FALSE(entered_during_visit);
}

}  // namespace
}  // namespace actr::test
