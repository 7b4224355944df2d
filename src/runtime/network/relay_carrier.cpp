#include "runtime/network/relay_carrier.hpp"

#include "net/wire.hpp"
#include "proto/transport.pb.h"

namespace actr::runtime {

RelayCarrier::RelayCarrier(uint64_t session, std::string own_address, size_t max_frame,
                           std::function<void(std::string)> relay, std::string description)
    : session_(session),
      own_address_(std::move(own_address)),
      relay_(std::move(relay)),
      description_(std::move(description)),
      joiner_(max_frame) {}

std::string RelayCarrier::signal(int kind, std::span<const uint8_t> frame) const {
  transport::PeerSignal s;
  s.set_version(net::wire::kProtocolVersion);
  s.set_kind(static_cast<transport::PeerSignal::Kind>(kind));
  s.set_session(session_);
  s.set_node_address(own_address_);
  if (!frame.empty()) s.set_frame(frame.data(), frame.size());
  return s.SerializeAsString();
}

void RelayCarrier::deliver(std::span<const uint8_t> piece) {
  std::unique_lock lock(mu_);
  if (closed_) return;
  heard_ = true;
  auto joined = joiner_.add(piece);
  if (!joined.error.empty()) {
    ended_locked("a malformed relayed piece: " + joined.error, true);
    return;
  }
  if (joined.frame) sink_.frame(std::move(*joined.frame));
}

void RelayCarrier::bind(net::CarrierSink sink) {
  std::unique_lock lock(mu_);
  sink_.bind(std::move(sink));
}

bool RelayCarrier::send(std::span<const uint8_t> frame, std::optional<workload::PayloadType::Tag>) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  cut_into_pieces(frame, kMaxPiece, [&](std::vector<uint8_t> piece) {
    relay_(signal(transport::PeerSignal::FRAME, piece));
  });
  return true;
}

void RelayCarrier::ended_locked(std::string reason, bool tell_peer) {
  if (!closed_) {
    closed_ = true;
    joiner_.clear();
    if (tell_peer) relay_(signal(transport::PeerSignal::CLOSE, {}));
    if (on_end_) on_end_();
  }
  sink_.closed(std::move(reason));
}

void RelayCarrier::detach(const std::string& reason) {
  std::lock_guard lock(mu_);
  ended_locked(reason, false);
}

void RelayCarrier::give_up(const std::string& reason) {
  std::lock_guard lock(mu_);
  ended_locked(reason, true);
}

bool RelayCarrier::heard() const {
  std::lock_guard lock(mu_);
  return heard_;
}

void RelayCarrier::close() {
  std::lock_guard lock(mu_);
  ended_locked("closed by the connection", true);
}

void RelayCarrier::on_end(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  on_end_ = std::move(fn);
}

}  // namespace actr::runtime
