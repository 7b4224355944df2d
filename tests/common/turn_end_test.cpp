// common::TurnEnd: work deferred on the owner's thread runs when the owner ends its turn, once, in
// the order it was deferred, also when that work defers more; another thread may run it instead
// (the owner is held up); a thread that owns none sees no TurnEnd.
#include "common/turn_end.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

namespace actr::common::test {
namespace {

struct Log {
  std::vector<int> ran;
  TurnEnd* again = nullptr;  // where entry 1 defers entry 3 while it runs
};

std::shared_ptr<void> entry(const std::shared_ptr<Log>& log, int n) {
  return std::make_shared<std::pair<std::shared_ptr<Log>, int>>(log, n);
}

void record(void* arg) {
  auto& [log, n] = *static_cast<std::pair<std::shared_ptr<Log>, int>*>(arg);
  log->ran.push_back(n);
  if (n == 1 && log->again) log->again->defer(&record, entry(log, 3));
}

TEST(CommonTurnEnd, DeferredWorkRunsOnceAtTheEndOfTheTurnInOrder) {
  TurnEnd turn_end;
  auto log = std::make_shared<Log>();
  log->again = &turn_end;
  EXPECT_FALSE(turn_end.pending());
  EXPECT_FALSE(turn_end.run());
  turn_end.defer(&record, entry(log, 1));
  turn_end.defer(&record, entry(log, 2));
  EXPECT_TRUE(turn_end.pending());
  EXPECT_TRUE(log->ran.empty()) << "deferred work ran before the turn ended";
  EXPECT_TRUE(turn_end.run());
  EXPECT_EQ(log->ran, (std::vector<int>{1, 2, 3}));  // 3: deferred by 1 while the turn ended
  EXPECT_FALSE(turn_end.pending());
  EXPECT_FALSE(turn_end.run());
  EXPECT_EQ(log->ran.size(), 3u);
  EXPECT_EQ(log.use_count(), 1) << "the entries' `keep` outlived their run";
}

TEST(CommonTurnEnd, OnlyTheBoundThreadSeesItAndAnotherThreadMayRunIt) {
  TurnEnd turn_end;
  auto log = std::make_shared<Log>();
  EXPECT_EQ(TurnEnd::current(), nullptr);
  std::thread owner([&] {
    TurnEnd::bind_to_this_thread(&turn_end);
    EXPECT_EQ(TurnEnd::current(), &turn_end);
    TurnEnd::current()->defer(&record, entry(log, 7));
    TurnEnd::bind_to_this_thread(nullptr);
    EXPECT_EQ(TurnEnd::current(), nullptr);
  });
  owner.join();
  EXPECT_EQ(TurnEnd::current(), nullptr);  // binding is per thread
  ASSERT_TRUE(turn_end.pending());
  EXPECT_TRUE(turn_end.run());  // this thread, for the owner that ended without running it
  EXPECT_EQ(log->ran, (std::vector<int>{7}));
}

}  // namespace
}  // namespace actr::common::test
