// runtime::CallDeadlines: a deadline may come late by up to the check period, never early. (A
// call's start time once came from CLOCK_MONOTONIC_COARSE plus its resolution; on a tickless kernel
// that clock lags by more than its resolution after an idle spell, and this test caught calls
// timing out after 7 of their 10 ms.)
#include "runtime/call_deadlines.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "runtime/outside_call_deadlines.hpp"

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

// A call that takes long stays at the front; the answered calls behind it are let go of in small
// batches (every kCompactFloor entries), so that their slots go back to the thread's free list
// instead of piling up by the thousand and then to the heap. `add(slot)` queues a call,
// `pending()` counts the queue; both kinds of deadline queue keep this policy.
template <typename Add, typename Pending>
void expect_answered_calls_behind_a_slow_one_let_go_of_in_small_batches(Add add, Pending pending) {
  auto slow = std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {});
  add(slow);
  constexpr size_t kCalls = 10 * runtime::DeadlineQueue::kCompactFloor;
  std::vector<std::weak_ptr<runtime::ReplySlot>> answered;
  size_t most_alive = 0;
  for (size_t i = 0; i < kCalls; ++i) {
    auto slot = std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {});
    add(slot);
    slot->settle(runtime::CallResult::Ok());  // answered at once, as a quick callee does
    answered.push_back(slot);
    size_t alive = 0;
    for (const auto& w : answered) alive += !w.expired();
    most_alive = std::max(most_alive, alive);
  }
  EXPECT_LE(most_alive, runtime::DeadlineQueue::kCompactFloor);
  EXPECT_LE(pending(), runtime::DeadlineQueue::kCompactFloor);
  EXPECT_EQ(slow.use_count(), 2);  // the slow call still waits: it stays
  slow->settle(runtime::CallResult::Ok());
}

TEST(RuntimeCallDeadlines, AnsweredCallsBehindASlowOneAreLetGoOfInSmallBatches) {
  boost::asio::io_context io;
  runtime::CallDeadlines deadlines(io, std::chrono::seconds(30));
  expect_answered_calls_behind_a_slow_one_let_go_of_in_small_batches(
      [&](std::shared_ptr<runtime::ReplySlot> slot) { deadlines.add(std::move(slot)); },
      [&] { return deadlines.pending(); });
  deadlines.cancel();
}

TEST(RuntimeOutsideCallDeadlines, AnsweredCallsBehindASlowOneAreLetGoOfInSmallBatches) {
  runtime::OutsideCallDeadlines deadlines(std::chrono::seconds(30));
  expect_answered_calls_behind_a_slow_one_let_go_of_in_small_batches(
      [&](std::shared_ptr<runtime::ReplySlot> slot) { deadlines.add(std::move(slot)); },
      [&] { return deadlines.pending(); });
  deadlines.clear();
}

// Guest code holding the worker keeps its timer from running: another thread settles the calls
// whose deadline passed, and only those; the worker lets go of them at its next call.
TEST(RuntimeCallDeadlines, AnotherThreadSettlesTheOverdueCallsOfAHeldWorker) {
  constexpr auto kTimeout = std::chrono::seconds(30);
  boost::asio::io_context io;  // never run here: the worker's timer does not fire
  runtime::CallDeadlines deadlines(io, kTimeout);
  int answers = 0;
  std::thread::id answered_on;
  std::string answer;
  auto slot = std::make_shared<runtime::ReplySlot>([&](runtime::CallResult r) {
    ++answers;
    answered_on = std::this_thread::get_id();
    answer = r.is_err() ? std::string(workload::case_name(r.error())) : "ok";
  });
  auto made = deadlines.add(slot);
  std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a deadline strictly after
  auto later = std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {});
  deadlines.add(later);
  std::thread::id balancer;
  std::thread([&] {
    balancer = std::this_thread::get_id();
    EXPECT_TRUE(deadlines.settle_overdue(made + kTimeout - std::chrono::milliseconds(1)));
    EXPECT_EQ(answers, 0);  // not yet due
    // Due for the first (the second was added after it, so its deadline is not before).
    EXPECT_TRUE(deadlines.settle_overdue(made + kTimeout));
  }).join();
  EXPECT_EQ(answers, 1);
  EXPECT_EQ(answer, "timed-out");
  EXPECT_EQ(answered_on, balancer);
  EXPECT_FALSE(later->settled());
  EXPECT_FALSE(slot->settle(runtime::CallResult::Ok()));  // a late reply finds it settled
  EXPECT_EQ(deadlines.pending(), 2u);
  later->settle(runtime::CallResult::Ok());
  deadlines.add(std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {}));
  EXPECT_EQ(deadlines.pending(), 1u);  // both settled ones left at the next call
  deadlines.cancel();
}

// The worker adds calls, answers some and checks while another thread settles the overdue ones
// again and again: every call is answered exactly once, none is lost (run under the sanitizers).
TEST(RuntimeCallDeadlines, AWorkerAndAnotherThreadSettleEachCallOnce) {
  constexpr int kCalls = 20000;
  boost::asio::io_context io;
  runtime::CallDeadlines deadlines(io, std::chrono::milliseconds(0));  // due at once
  std::vector<std::atomic<int>> answers(kCalls);
  std::atomic<bool> done{false};
  std::atomic<long> visits{0};
  std::thread balancer([&] {
    while (!done.load()) {
      if (deadlines.settle_overdue(std::chrono::steady_clock::now())) ++visits;
    }
  });
  for (int i = 0; i < kCalls; ++i) {
    auto slot = std::make_shared<runtime::ReplySlot>(
        [&answers, i](runtime::CallResult) { answers[i].fetch_add(1); });
    deadlines.add(slot);
    if (i % 3 == 0) slot->settle(runtime::CallResult::Ok());  // a reply came first
    if (i % 64 == 0) {  // the worker's own check (poll stops the context when it runs dry)
      io.restart();
      io.poll();
    }
  }
  done = true;
  balancer.join();
  io.restart();
  io.run();  // the worker's timer settles what the other thread did not
  for (int i = 0; i < kCalls; ++i) ASSERT_EQ(answers[i].load(), 1) << "call " << i;
  EXPECT_EQ(deadlines.pending(), 0u);
  std::printf("visits that got in: %ld\n", visits.load());
}

// Callers on no worker: their timeouts are kept apart and checked by the balancer thread.
TEST(RuntimeOutsideCallDeadlines, SettlesOverdueCallsAndLetsGoOfAnsweredOnes) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kTimeout = std::chrono::milliseconds(100);
  runtime::OutsideCallDeadlines deadlines(kTimeout);
  auto made = Clock::now();
  std::string answer;
  auto slot = std::make_shared<runtime::ReplySlot>([&](runtime::CallResult r) {
    answer = r.is_err() ? std::string(workload::case_name(r.error())) : "ok";
  });
  deadlines.add(slot);
  auto answered = std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {});
  deadlines.add(answered);
  deadlines.check(made);  // nothing due: the deadline counts from the add, after `made`
  EXPECT_FALSE(slot->settled());
  EXPECT_EQ(deadlines.pending(), 2u);
  answered->settle(runtime::CallResult::Ok());
  deadlines.check(Clock::now() + kTimeout);
  EXPECT_EQ(answer, "timed-out");
  EXPECT_EQ(deadlines.pending(), 0u);
  EXPECT_EQ(slot.use_count(), 1);
  // Answered calls at the front leave when the next is added.
  auto third = std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {});
  deadlines.add(third);
  third->settle(runtime::CallResult::Ok());
  deadlines.add(std::make_shared<runtime::ReplySlot>([](runtime::CallResult) {}));
  EXPECT_EQ(deadlines.pending(), 1u);
  deadlines.clear();
  EXPECT_EQ(deadlines.pending(), 0u);
}

}  // namespace
}  // namespace actr::test
