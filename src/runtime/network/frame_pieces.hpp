// What the carriers of a connection's frames other than its WebSocket share
// (data_channel_carrier.hpp, relay_carrier.hpp): frames cut into pieces whose first byte says
// whether more follow (1) or it is the last (0), put back together on arrival; and the sink of
// the connection riding on the carrier, which may bind after the first frames or the close came.
// Neither is thread-safe: each carrier calls them under its own lock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/message_carrier.hpp"

namespace actr::runtime {

inline constexpr uint8_t kLastPiece = 0;
inline constexpr uint8_t kMorePieces = 1;

// Calls `emit` with each piece of `frame` (header byte first), at most `max_piece` bytes each.
void cut_into_pieces(std::span<const uint8_t> frame, size_t max_piece,
                     const std::function<void(std::vector<uint8_t> piece)>& emit);

// Puts one stream of pieces back together.
class PieceJoiner {
 public:
  explicit PieceJoiner(size_t max_frame) : max_frame_(max_frame) {}
  // A whole frame once its last piece came; nothing while more follow; an error (the reason to
  // close the carrier) for a piece without a header or a frame over the limit.
  struct Outcome {
    std::optional<std::vector<uint8_t>> frame;
    std::string error;
  };
  Outcome add(std::span<const uint8_t> piece);
  void clear() { partial_.clear(); }

 private:
  size_t max_frame_;
  std::vector<uint8_t> partial_;
};

// The connection's sink: frames that arrive before it binds wait, and so does the close.
class SinkSlot {
 public:
  void bind(net::CarrierSink sink);
  void frame(std::vector<uint8_t> frame);
  // Once: the reason reaches the sink now or when it binds.
  void closed(std::string reason);

 private:
  std::optional<net::CarrierSink> sink_;
  std::vector<std::vector<uint8_t>> early_;
  std::optional<std::string> close_reason_;
  bool close_reported_ = false;
};

}  // namespace actr::runtime
