// runtime::CallDeadlines: a deadline may come late by up to the check period, never early. (A
// call's start time once came from CLOCK_MONOTONIC_COARSE plus its resolution; on a tickless kernel
// that clock lags by more than its resolution after an idle spell, and this test caught calls
// timing out after 7 of their 10 ms.)
#include "runtime/call_deadlines.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

namespace actr::test {
namespace {

TEST(RuntimeCallDeadlines, NoCallTimesOutBeforeItsTimeout) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kTimeout = std::chrono::milliseconds(10);
  boost::asio::io_context io;
  runtime::CallDeadlines deadlines(io, kTimeout);
  struct Call {
    Clock::time_point made, timed_out;
    bool err = false;
  };
  std::vector<Call> calls(20);
  for (auto& c : calls) {
    c.made = Clock::now();
    deadlines.add(std::make_shared<runtime::ReplySlot>([&c](runtime::CallResult r) {
      c.timed_out = Clock::now();
      c.err = r.is_err();
    }));
    // Spread over several milliseconds, so the calls fall at different points of the check
    // period.
    io.run_for(std::chrono::microseconds(700));
  }
  io.run();  // until every deadline passed and the queue is empty
  for (const auto& c : calls) {
    ASSERT_TRUE(c.err);
    EXPECT_GE(c.timed_out - c.made, kTimeout);
  }
  EXPECT_EQ(deadlines.pending(), 0u);
}

// Slots of calls answered already leave the queue when the next call is added, not at the next
// check (which comes every timeout / 8): their memory is reused by the calls that follow.
TEST(RuntimeCallDeadlines, AnsweredCallsLeaveWhenTheNextIsAdded) {
  using Clock = std::chrono::steady_clock;
  boost::asio::io_context io;
  runtime::CallDeadlines deadlines(io, std::chrono::seconds(30));
  auto first = std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {});
  auto second = std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {});
  auto before = Clock::now();
  auto counted_from = deadlines.add(first);
  EXPECT_GE(counted_from, before);  // the time the deadline counts from, read at the add
  EXPECT_LE(counted_from, Clock::now());
  deadlines.add(second);
  EXPECT_EQ(deadlines.pending(), 2u);  // the first still waits: it stays
  first->settle(runtime::CallResult::Ok());
  deadlines.add(std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {}));
  EXPECT_EQ(deadlines.pending(), 2u);  // the first left, the third came
  EXPECT_EQ(first.use_count(), 1);
  second->settle(runtime::CallResult::Ok());
  deadlines.cancel();
}

}  // namespace
}  // namespace actr::test
