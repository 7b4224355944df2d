// runtime::Ring, the FIFO of actor mailboxes and of a worker's own tasks.
#include "runtime/ring.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/in_call.hpp"

namespace actr::test {
namespace {

TEST(RuntimeRing, KeepsOrderAcrossWrapAroundGrowthAndPushFront) {
  runtime::Ring<int> ring;
  int next_in = 0, next_out = 0;
  // Pushes outpace pops, so the ring grows while its head is not at slot 0.
  for (int round = 0; round < 100; ++round) {
    for (int k = 0; k < 3; ++k) ring.push_back(next_in++);
    for (int k = 0; k < 2; ++k) EXPECT_EQ(ring.pop_front(), next_out++);
  }
  EXPECT_EQ(ring.size(), static_cast<size_t>(next_in - next_out));
  ring.push_front(-1);
  EXPECT_EQ(ring.pop_front(), -1);
  std::vector<int> rest;
  ring.drain([&](int v) { rest.push_back(v); });
  ASSERT_EQ(rest.size(), static_cast<size_t>(next_in - next_out));
  for (int v : rest) EXPECT_EQ(v, next_out++);
  EXPECT_TRUE(ring.empty());
}

// push_back_with overwrites a slot in place: one that held a value popped before (moved from)
// or a fresh one after growth; either way the ring hands back what the fill put there, in order.
TEST(RuntimeRing, PushBackWithFillsReusedAndGrownSlotsInOrder) {
  runtime::Ring<std::string> ring;
  for (int round = 0; round < 40; ++round) {
    int pushes = round % 3 == 0 ? 5 : 1;  // now and then more than were ever waiting: it grows
    for (int k = 0; k < pushes; ++k) {
      ring.push_back_with(
          [&](std::string& slot) { slot = "r" + std::to_string(round) + "k" + std::to_string(k); });
    }
    for (int k = 0; k < pushes; ++k) {
      EXPECT_EQ(ring.pop_front(), "r" + std::to_string(round) + "k" + std::to_string(k));
    }
  }
  EXPECT_TRUE(ring.empty());
}

// runtime::InCall, the actor's members held only while a call runs (popped into from a Ring).
TEST(RuntimeInCall, HoldsAValueOnlyWhileSetAndReusesItsThreadsBlock) {
  runtime::InCall<std::string> a;
  EXPECT_FALSE(a);
  EXPECT_FALSE(a.has_value());
  a.emplace(100, 'x');
  ASSERT_TRUE(a);
  EXPECT_EQ(a->size(), 100u);
  const std::string* first = &*a;
  a = std::string("assigned in place");
  EXPECT_EQ(&*a, first);
  EXPECT_EQ(*a, "assigned in place");
  a.reset();
  EXPECT_FALSE(a);
  a.reset();  // idempotent

  // The block a reset gave back is the next one this thread takes.
  runtime::InCall<std::string> b;
  b.emplace("b");
  EXPECT_EQ(&*b, first);
  a.emplace("a");  // the spare is taken: a block of its own
  EXPECT_NE(&*a, &*b);
  EXPECT_EQ(*a, "a");
  EXPECT_EQ(*b, "b");

  // Values are destroyed on reset and with their holder, and blocks may change threads.
  auto counted = std::make_shared<int>(7);
  {
    runtime::InCall<std::shared_ptr<int>> held;
    held.emplace(counted);
    EXPECT_EQ(counted.use_count(), 2);
    std::thread([&] { held.reset(); }).join();
    EXPECT_EQ(counted.use_count(), 1);
    held.emplace(counted);
    EXPECT_EQ(counted.use_count(), 2);
  }
  EXPECT_EQ(counted.use_count(), 1);
}

TEST(RuntimeRing, PopFrontIntoAnInCallMovesTheOldestOut) {
  runtime::Ring<std::string> ring;
  ring.push_back("first");
  ring.push_back("second");
  runtime::InCall<std::string> into;
  ring.pop_front_into(into);
  ASSERT_TRUE(into);
  EXPECT_EQ(*into, "first");
  ring.pop_front_into(into);
  EXPECT_EQ(*into, "second");
  EXPECT_EQ(ring.size(), 0u);
}

}  // namespace
}  // namespace actr::test
