// runtime::Ring, the FIFO of actor mailboxes and of a worker's own tasks.
#include "runtime/ring.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

}  // namespace
}  // namespace actr::test
