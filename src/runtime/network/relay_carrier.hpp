// The fallback path to a node that no data channel reaches (a browser tab behind UDP-blocking
// networks, docs/WEB.md): a connection's frames travel through the signaling server's relay as
// transport.PeerSignal FRAME messages between two actors, which the server checks (credentials,
// the target's ACL) on every one. One ordered stream: pieces of at most 48 KiB (the server takes
// envelopes up to 64 KiB) with the one-byte header of data-channel pieces (1: more follow).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/message_carrier.hpp"
#include "runtime/network/frame_pieces.hpp"

namespace actr::runtime {

class RelayCarrier final : public net::MessageCarrier {
 public:
  static constexpr size_t kMaxPiece = 48 * 1024;

  // `relay` sends one PeerSignal payload to the peer's actor (it must not block); `own_address`
  // goes in every signal (the receiver finds the path by it and `session`).
  RelayCarrier(uint64_t session, std::string own_address, size_t max_frame,
               std::function<void(std::string payload)> relay, std::string description);

  uint64_t session() const { return session_; }
  // A FRAME's bytes from the peer.
  void deliver(std::span<const uint8_t> piece);
  // The peer ended the path (CLOSE), or the node's network stops: nothing is sent any more.
  void detach(const std::string& reason);
  // Ends the path and tells the peer (CLOSE): `reason` reaches what waits on it.
  void give_up(const std::string& reason);
  // Something came from the peer.
  bool heard() const;
  // Runs once the path ends, whoever ended it (it must only post).
  void on_end(std::function<void()> fn);

  // net::MessageCarrier
  void bind(net::CarrierSink sink) override;
  bool send(std::span<const uint8_t> frame,
            std::optional<workload::PayloadType::Tag> lane) override;
  void close() override;
  std::string describe() const override { return description_; }
  bool relayed() const override { return false; }
  net::PeerInfo::Path path() const override { return net::PeerInfo::Path::Relay; }

 private:
  void ended_locked(std::string reason, bool tell_peer);
  std::string signal(int kind, std::span<const uint8_t> frame) const;

  const uint64_t session_;
  const std::string own_address_;
  const std::function<void(std::string)> relay_;
  const std::string description_;

  mutable std::mutex mu_;
  SinkSlot sink_;
  PieceJoiner joiner_;
  bool closed_ = false;
  bool heard_ = false;
  std::function<void()> on_end_;
};

}  // namespace actr::runtime
