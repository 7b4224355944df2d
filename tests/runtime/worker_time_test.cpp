// runtime::Worker's fairness clock: a guest stretch that starts right after the host read the
// clock (a call's deadline, a callee's end) takes that time instead of reading it again, once.
#include <gtest/gtest.h>

#include <chrono>

#include "runtime/worker_pool.hpp"

namespace actr::test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(RuntimeWorker, AGuestStartTakesTheTimeNotedJustBeforeOnce) {
  runtime::Worker worker;
  // A time unmistakably in the past, so that a clock read cannot be taken for it.
  auto noted = Clock::now() - std::chrono::hours(1);
  worker.note_time(noted);
  worker.guest_started();
  EXPECT_TRUE(worker.guest_running());
  EXPECT_EQ(worker.guest_started_at(), noted);
  worker.guest_stopped();
  EXPECT_FALSE(worker.guest_running());

  auto before = Clock::now();
  worker.guest_resumed();  // the note was used up: the clock is read
  EXPECT_GE(worker.guest_started_at(), before);
  worker.guest_stopped();

  worker.note_time(noted);
  worker.forget_time();  // host work that may take long ran since
  before = Clock::now();
  worker.guest_resumed();
  EXPECT_GE(worker.guest_started_at(), before);
  worker.guest_stopped();
}

}  // namespace
}  // namespace actr::test
