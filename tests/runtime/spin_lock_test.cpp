// runtime::SpinLock, the lock of an actor's mailbox lanes: threads that take it in turn never
// overlap inside it, also when there are more of them than cores (the yield path).
#include "runtime/spin_lock.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

namespace actr::test {
namespace {

TEST(RuntimeSpinLock, ExcludesAcrossMoreThreadsThanCores) {
  runtime::SpinLock lock;
  constexpr int kThreads = 6, kRounds = 20000;
  int inside = 0, overlaps = 0;
  long total = 0;  // a non-atomic read-modify-write: lost updates if two threads were inside
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        std::lock_guard guard(lock);
        if (++inside != 1) ++overlaps;
        total = total + 1;
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(total, long{kThreads} * kRounds);
  EXPECT_TRUE(lock.try_lock());
  EXPECT_FALSE(lock.try_lock());
  lock.unlock();
}

}  // namespace
}  // namespace actr::test
