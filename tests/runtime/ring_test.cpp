// runtime::Ring, the FIFO of actor mailboxes and of a worker's own tasks.
#include "runtime/ring.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace actr::test
