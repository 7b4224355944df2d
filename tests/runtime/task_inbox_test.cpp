// runtime::TaskInbox, the lock-free queue through which workers hand each other tasks.
#include "runtime/task_inbox.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace actr::test {
namespace {

struct Item {
  uint32_t producer;
  uint32_t sequence;
};

TEST(RuntimeTaskInbox, RefusesWhenFullAndKeepsOrder) {
  runtime::TaskInbox<Item, 4> inbox;
  for (uint32_t i = 0; i < 4; ++i) EXPECT_TRUE(inbox.push({0, i}));
  EXPECT_FALSE(inbox.push({0, 4}));
  Item out{};
  ASSERT_TRUE(inbox.pop(out));
  EXPECT_EQ(out.sequence, 0u);
  EXPECT_TRUE(inbox.push({0, 4}));  // the freed cell is reused
  for (uint32_t i = 1; i <= 4; ++i) {
    ASSERT_TRUE(inbox.pop(out));
    EXPECT_EQ(out.sequence, i);
  }
  EXPECT_FALSE(inbox.pop(out));
  EXPECT_FALSE(inbox.maybe_nonempty());
}

// Four producers push 20000 items each through a small inbox (they retry while it is full); the
// consumer gets every item once, and each producer's items in the order it pushed them.
TEST(RuntimeTaskInbox, ManyProducersOneConsumerLoseNothing) {
  constexpr uint32_t kProducers = 4, kEach = 20000;
  runtime::TaskInbox<Item, 64> inbox;
  std::vector<std::thread> producers;
  for (uint32_t p = 0; p < kProducers; ++p) {
    producers.emplace_back([&inbox, p] {
      for (uint32_t i = 0; i < kEach; ++i) {
        while (!inbox.push({p, i})) std::this_thread::yield();
      }
    });
  }
  std::vector<uint32_t> next(kProducers, 0);
  uint64_t received = 0;
  Item out{};
  while (received < uint64_t{kProducers} * kEach) {
    if (!inbox.pop(out)) {
      std::this_thread::yield();
      continue;
    }
    ASSERT_LT(out.producer, kProducers);
    ASSERT_EQ(out.sequence, next[out.producer]) << "producer " << out.producer;
    ++next[out.producer];
    ++received;
  }
  for (auto& t : producers) t.join();
  EXPECT_FALSE(inbox.pop(out));
  for (uint32_t p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kEach);
}

}  // namespace
}  // namespace actr::test
