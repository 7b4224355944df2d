// The frames of a node-to-node connection on the data channels of a WebRTC peer connection: one
// channel per lane, so that a long transfer on one lane never holds up a call on another.
//
//   actr/rpc-reliable          reliable, ordered (also every control frame: credentials,
//                              acceptances, replies, pings, close)
//   actr/rpc-signal            reliable, ordered
//   actr/stream-reliable       reliable, ordered
//   actr/stream-latency-first  unordered, at most 2 retransmissions (docs/WEBRTC.md says why);
//                              also media-rtp chunks, which the node treats as latency-first
//
// A frame travels as pieces of at most 64 KiB, each a data-channel message whose first byte says
// whether more follow (1) or it is the last (0), so frames up to the transport's frame limit
// fit under the 256 KiB message size browsers accept. A latency-first frame that needs more than
// one piece takes the stream-reliable channel instead (pieces of an unordered channel could not
// be put back together). The offerer opens the channels; the answerer learns them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/message_carrier.hpp"
#include "runtime/network/frame_pieces.hpp"
#include "webrtc/peer_connection.hpp"

namespace actr::runtime {

class DataChannelCarrier final : public net::MessageCarrier {
 public:
  static constexpr size_t kChannels = 4;
  static constexpr size_t kMaxPiece = 64 * 1024;
  static const std::array<const char*, kChannels> kLabels;

  // `connection` stays valid until detach(); `max_frame`: larger frames close the carrier.
  DataChannelCarrier(webrtc::PeerConnection* connection, size_t max_frame, std::string description);

  // Driven by the owner of the peer connection, from its events:
  Result<void> open_channels();                   // the offerer, once connected
  void channel_opened(const webrtc::Channel& c);  // the answerer: a channel the peer opened
  bool ready() const;                             // every channel is known
  void deliver(uint16_t stream, std::span<const uint8_t> message);
  void writable();  // the association's buffer has room: queued pieces go out
  void set_relayed(bool relayed) { relayed_ = relayed; }  // the selected ICE pair
  // The peer connection is gone or about to be: nothing is sent from here on; on_closed runs.
  void detach(const std::string& reason);

  // net::MessageCarrier
  void bind(net::CarrierSink sink) override;
  bool send(std::span<const uint8_t> frame,
            std::optional<workload::PayloadType::Tag> lane) override;
  void close() override;
  void quiet() override;
  std::string describe() const override {
    return description_ + (relayed_ ? " (relayed)" : " (direct)");
  }
  bool relayed() const override { return relayed_; }

  // Runs (under the carrier's lock: it must only post) when the connection riding on it closes
  // the carrier, so that the owner tears the peer connection down.
  void on_close(std::function<void()> fn) { on_close_ = std::move(fn); }
  // Runs when the connection riding on it has heard nothing for a while (it must only post):
  // the owner may restart ICE.
  void on_quiet(std::function<void()> fn) { on_quiet_ = std::move(fn); }

  // For tests and metrics: pieces waiting for room in the association's buffer.
  size_t queued() const;

 private:
  static size_t channel_of(std::optional<workload::PayloadType::Tag> lane);
  // With mu_ held: sends queued pieces until the buffer is full; false on a failed send.
  bool drain_locked(std::string& error);
  void closed_locked(std::unique_lock<std::mutex>& lock, std::string reason);

  const size_t max_frame_;
  std::atomic<bool> relayed_{false};
  const std::string description_;

  mutable std::mutex mu_;
  webrtc::PeerConnection* connection_;  // null once detached
  std::array<std::optional<uint16_t>, kChannels> streams_;
  std::map<uint16_t, size_t> channel_by_stream_;
  std::map<uint16_t, PieceJoiner> joiners_;                      // by stream
  std::deque<std::pair<uint16_t, std::vector<uint8_t>>> queue_;  // pieces not yet taken
  SinkSlot sink_;
  bool closed_ = false;
  std::function<void()> on_close_;
  std::function<void()> on_quiet_;
};

}  // namespace actr::runtime
