// runtime::CallDeadlines takes a call's start time from the coarse clock: a deadline may come late
// by that clock's resolution, never early.
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
    // Spread over more than the coarse clock's resolution (milliseconds), so some calls are made
    // late in one of its ticks.
    io.run_for(std::chrono::microseconds(700));
  }
  io.run();  // until every deadline passed and the queue is empty
  for (const auto& c : calls) {
    ASSERT_TRUE(c.err);
    EXPECT_GE(c.timed_out - c.made, kTimeout);
  }
  EXPECT_EQ(deadlines.pending(), 0u);
}

}  // namespace
}  // namespace actr::test
