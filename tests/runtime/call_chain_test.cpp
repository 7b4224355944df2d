// workload::CallChain, the serials a message's call waits on: the first few inside the message,
// the rest on the heap; either way it behaves as the sequence it holds.
#include "workload/call_chain.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace actr::test {
namespace {

using workload::CallChain;

std::vector<uint64_t> serials(const CallChain& c) { return {c.begin(), c.end()}; }

TEST(RuntimeCallChain, HoldsWhatWasPushedInsideAndBeyondItsInlineEntries) {
  CallChain chain;
  std::vector<uint64_t> expected;
  EXPECT_TRUE(chain.empty());
  for (uint64_t s = 1; s <= 9; ++s) {
    chain.push_back(s * 7);
    expected.push_back(s * 7);
    ASSERT_EQ(serials(chain), expected) << "after " << s << " pushes";
    EXPECT_EQ(chain.size(), expected.size());
    EXPECT_EQ(chain[s - 1], s * 7);
  }
  EXPECT_EQ(chain, expected);
  chain.clear();
  EXPECT_TRUE(chain.empty());
  chain.push_back(3);
  EXPECT_EQ(chain, (std::vector<uint64_t>{3}));
}

TEST(RuntimeCallChain, CopiesMovesAndAssignsShortAndLongChains) {
  for (size_t n : {size_t{0}, size_t{2}, size_t{4}, size_t{5}, size_t{12}}) {
    SCOPED_TRACE(n);
    std::vector<uint64_t> v;
    for (size_t i = 0; i < n; ++i) v.push_back(100 + i);
    CallChain a;
    a.assign(v.begin(), v.end());
    EXPECT_EQ(a, v);
    CallChain copy(a);
    EXPECT_EQ(copy, v);
    CallChain moved(std::move(a));
    EXPECT_EQ(moved, v);
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from chain is empty
    CallChain assigned = {9, 8, 7, 6, 5, 4};
    assigned = moved;
    EXPECT_EQ(assigned, v);
    CallChain move_assigned = {1};
    move_assigned = std::move(moved);
    EXPECT_EQ(move_assigned, v);
    // A copy is independent of its source.
    copy.push_back(1);
    EXPECT_EQ(assigned, v);
    EXPECT_EQ(copy.size(), n + 1);
  }
}

}  // namespace
}  // namespace actr::test
