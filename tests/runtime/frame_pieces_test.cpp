// The pieces carriers cut frames into and put back together (runtime/network/frame_pieces.hpp),
// and the sink slot that holds frames and the close for a connection that binds late.
#include "runtime/network/frame_pieces.hpp"

#include <gtest/gtest.h>

namespace actr::runtime {
namespace {

std::vector<uint8_t> bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7);
  return v;
}

TEST(FramePieces, FramesOfAnySizeComeBackWhole) {
  for (size_t size : {0u, 1u, 9u, 10u, 11u, 100u}) {
    SCOPED_TRACE(size);
    auto frame = bytes(size);
    std::vector<std::vector<uint8_t>> pieces;
    cut_into_pieces(frame, 10, [&](std::vector<uint8_t> p) { pieces.push_back(std::move(p)); });
    ASSERT_EQ(pieces.size(), size == 0 ? 1u : (size + 8) / 9);
    PieceJoiner joiner(1000);
    for (size_t i = 0; i < pieces.size(); ++i) {
      EXPECT_LE(pieces[i].size(), 10u);
      EXPECT_EQ(pieces[i][0], i + 1 < pieces.size() ? kMorePieces : kLastPiece);
      auto out = joiner.add(pieces[i]);
      ASSERT_TRUE(out.error.empty()) << out.error;
      if (i + 1 < pieces.size()) {
        EXPECT_FALSE(out.frame);
      } else {
        ASSERT_TRUE(out.frame);
        EXPECT_EQ(*out.frame, frame);
      }
    }
  }
}

TEST(FramePieces, BadPiecesAndOversizedFramesAreRefused) {
  PieceJoiner joiner(16);
  EXPECT_EQ(joiner.add({}).error, "a piece without a header");
  std::vector<uint8_t> bad{7, 1, 2};
  EXPECT_EQ(joiner.add(bad).error, "a piece without a header");
  std::vector<uint8_t> more(12, 0);
  more[0] = kMorePieces;
  EXPECT_TRUE(joiner.add(more).error.empty());
  EXPECT_EQ(joiner.add(more).error, "a frame over the 16-byte limit");
}

TEST(FramePieces, ASinkThatBindsLateGetsTheFramesThenTheClose) {
  SinkSlot slot;
  slot.frame({1});
  slot.frame({2});
  slot.closed("gone");
  slot.closed("again");  // once
  slot.frame({3});       // after the close: dropped
  std::vector<std::vector<uint8_t>> frames;
  std::vector<std::string> closes;
  slot.bind({[&](std::vector<uint8_t> f) { frames.push_back(std::move(f)); },
             [&](std::string why) { closes.push_back(std::move(why)); }});
  EXPECT_EQ(frames, (std::vector<std::vector<uint8_t>>{{1}, {2}}));
  EXPECT_EQ(closes, std::vector<std::string>{"gone"});
  slot.closed("later");
  EXPECT_EQ(closes.size(), 1u);
}

}  // namespace
}  // namespace actr::runtime
