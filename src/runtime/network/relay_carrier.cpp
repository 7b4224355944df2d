#include "runtime/network/relay_carrier.hpp"

#include "net/wire.hpp"
#include "proto/transport.pb.h"

namespace actr::runtime {

namespace {
constexpr uint8_t kLastPiece = 0;
constexpr uint8_t kMorePieces = 1;
}  // namespace

RelayCarrier::RelayCarrier(uint64_t session, std::string own_address, size_t max_frame,
                           std::function<void(std::string)> relay, std::string description)
    : session_(session),
      own_address_(std::move(own_address)),
      max_frame_(max_frame),
      relay_(std::move(relay)),
      description_(std::move(description)) {}

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
  if (piece.empty() || piece[0] > kMorePieces) {
    ended_locked("a malformed relayed piece (no piece header)", true);
    return;
  }
  auto body = piece.subspan(1);
  if (partial_.size() + body.size() > max_frame_) {
    ended_locked("a frame over the " + std::to_string(max_frame_) + "-byte limit", true);
    return;
  }
  partial_.insert(partial_.end(), body.begin(), body.end());
  if (piece[0] == kMorePieces) return;
  std::vector<uint8_t> frame;
  frame.swap(partial_);
  if (sink_ && sink_->on_frame) {
    sink_->on_frame(std::move(frame));  // posts to the connection: order kept, no re-entry
  } else {
    early_.push_back(std::move(frame));
  }
}

void RelayCarrier::bind(net::CarrierSink sink) {
  std::unique_lock lock(mu_);
  sink_ = std::move(sink);
  for (auto& frame : early_) sink_->on_frame(std::move(frame));
  early_.clear();
  if (closed_ && !close_reported_) {
    close_reported_ = true;
    if (sink_->on_closed) sink_->on_closed(close_reason_);
  }
}

bool RelayCarrier::send(std::span<const uint8_t> frame, std::optional<workload::PayloadType::Tag>) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  size_t at = 0;
  do {
    size_t n = std::min(kMaxPiece - 1, frame.size() - at);
    std::vector<uint8_t> piece;
    piece.reserve(n + 1);
    piece.push_back(at + n < frame.size() ? kMorePieces : kLastPiece);
    piece.insert(piece.end(), frame.begin() + at, frame.begin() + at + n);
    relay_(signal(transport::PeerSignal::FRAME, piece));
    at += n;
  } while (at < frame.size());
  return true;
}

void RelayCarrier::ended_locked(std::string reason, bool tell_peer) {
  if (!closed_) {
    closed_ = true;
    close_reason_ = reason;
    partial_.clear();
    early_.clear();
    if (tell_peer) relay_(signal(transport::PeerSignal::CLOSE, {}));
    if (on_end_) on_end_();
  }
  if (sink_ && !close_reported_) {
    close_reported_ = true;
    if (sink_->on_closed) sink_->on_closed(std::move(reason));  // posts: no re-entry
  }
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
