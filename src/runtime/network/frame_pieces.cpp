#include "runtime/network/frame_pieces.hpp"

#include <algorithm>

namespace actr::runtime {

void cut_into_pieces(std::span<const uint8_t> frame, size_t max_piece,
                     const std::function<void(std::vector<uint8_t>)>& emit) {
  size_t at = 0;
  do {
    size_t n = std::min(max_piece - 1, frame.size() - at);
    std::vector<uint8_t> piece;
    piece.reserve(n + 1);
    piece.push_back(at + n < frame.size() ? kMorePieces : kLastPiece);
    piece.insert(piece.end(), frame.begin() + at, frame.begin() + at + n);
    emit(std::move(piece));
    at += n;
  } while (at < frame.size());
}

PieceJoiner::Outcome PieceJoiner::add(std::span<const uint8_t> piece) {
  if (piece.empty() || piece[0] > kMorePieces) return {std::nullopt, "a piece without a header"};
  auto body = piece.subspan(1);
  if (partial_.size() + body.size() > max_frame_) {
    return {std::nullopt, "a frame over the " + std::to_string(max_frame_) + "-byte limit"};
  }
  if (piece[0] == kLastPiece && partial_.empty()) {
    return {std::vector<uint8_t>(body.begin(), body.end()), {}};
  }
  partial_.insert(partial_.end(), body.begin(), body.end());
  if (piece[0] == kMorePieces) return {};
  std::vector<uint8_t> frame;
  frame.swap(partial_);
  return {std::move(frame), {}};
}

void SinkSlot::bind(net::CarrierSink sink) {
  sink_ = std::move(sink);
  for (auto& f : early_) sink_->on_frame(std::move(f));
  early_.clear();
  if (close_reason_ && !close_reported_) {
    close_reported_ = true;
    if (sink_->on_closed) sink_->on_closed(*close_reason_);
  }
}

void SinkSlot::frame(std::vector<uint8_t> frame) {
  if (close_reason_) return;
  if (sink_ && sink_->on_frame) {
    sink_->on_frame(std::move(frame));  // posts to the connection: order kept, no re-entry
  } else {
    early_.push_back(std::move(frame));
  }
}

void SinkSlot::closed(std::string reason) {
  if (!close_reason_) close_reason_ = std::move(reason);
  if (sink_ && !close_reported_) {
    close_reported_ = true;
    if (sink_->on_closed) sink_->on_closed(*close_reason_);  // posts: no re-entry
  }
}

}  // namespace actr::runtime
