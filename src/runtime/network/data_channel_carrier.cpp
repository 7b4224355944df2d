#include "runtime/network/data_channel_carrier.hpp"

#include <spdlog/spdlog.h>

namespace actr::runtime {

namespace {

constexpr size_t kRpcReliable = 0, kRpcSignal = 1, kStreamReliable = 2, kLatencyFirst = 3;

}  // namespace

const std::array<const char*, DataChannelCarrier::kChannels> DataChannelCarrier::kLabels = {
    "actr/rpc-reliable", "actr/rpc-signal", "actr/stream-reliable", "actr/stream-latency-first"};

DataChannelCarrier::DataChannelCarrier(webrtc::PeerConnection* connection, size_t max_frame,
                                       std::string description)
    : max_frame_(max_frame), description_(std::move(description)), connection_(connection) {}

size_t DataChannelCarrier::channel_of(std::optional<workload::PayloadType::Tag> lane) {
  using T = workload::PayloadType::Tag;
  if (!lane) return kRpcReliable;
  switch (*lane) {
    case T::RpcSignal:
      return kRpcSignal;
    case T::StreamReliable:
      return kStreamReliable;
    case T::StreamLatencyFirst:
    case T::MediaRtp:  // the node treats media chunks as latency-first (no SRTP transport)
      return kLatencyFirst;
    case T::RpcReliable:
      break;
  }
  return kRpcReliable;
}

Result<void> DataChannelCarrier::open_channels() {
  std::lock_guard lock(mu_);
  if (!connection_) return make_error("the peer connection is gone");
  for (size_t i = 0; i < kChannels; ++i) {
    webrtc::ChannelReliability reliability;
    if (i == kLatencyFirst) {
      reliability.ordered = false;
      reliability.max_retransmits = 2;
    }
    ACTR_TRY(uint16_t stream, connection_->open_channel(kLabels[i], reliability));
    streams_[i] = stream;
    channel_by_stream_[stream] = i;
  }
  return {};
}

void DataChannelCarrier::channel_opened(const webrtc::Channel& c) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kChannels; ++i) {
    if (c.label != kLabels[i]) continue;
    bool latency = i == kLatencyFirst;
    if (c.reliability.ordered == latency || c.reliability.max_retransmits.has_value() != latency) {
      spdlog::warn("webrtc: {}: channel {} has the wrong reliability; ignored", description_,
                   c.label);
      return;
    }
    if (!streams_[i]) {
      streams_[i] = c.stream;
      channel_by_stream_[c.stream] = i;
    }
    return;
  }
  spdlog::warn("webrtc: {}: unknown channel `{}` ignored", description_, c.label);
}

bool DataChannelCarrier::ready() const {
  std::lock_guard lock(mu_);
  for (const auto& s : streams_) {
    if (!s) return false;
  }
  return true;
}

void DataChannelCarrier::deliver(uint16_t stream, std::span<const uint8_t> message) {
  std::unique_lock lock(mu_);
  if (closed_) return;
  if (!channel_by_stream_.contains(stream)) return;  // not one of ours
  auto joined = joiners_.try_emplace(stream, max_frame_).first->second.add(message);
  if (!joined.error.empty()) {
    closed_locked(lock, "a malformed data-channel message: " + joined.error);
    return;
  }
  if (joined.frame) sink_.frame(std::move(*joined.frame));
}

void DataChannelCarrier::bind(net::CarrierSink sink) {
  std::unique_lock lock(mu_);
  sink_.bind(std::move(sink));
}

bool DataChannelCarrier::send(std::span<const uint8_t> frame,
                              std::optional<workload::PayloadType::Tag> lane) {
  std::unique_lock lock(mu_);
  if (closed_ || !connection_) return false;
  size_t channel = channel_of(lane);
  if (channel == kLatencyFirst && frame.size() >= kMaxPiece) channel = kStreamReliable;
  if (!streams_[channel]) return false;  // never: the connection starts once ready()
  uint16_t stream = *streams_[channel];
  cut_into_pieces(frame, kMaxPiece, [&](std::vector<uint8_t> piece) {
    queue_.emplace_back(stream, std::move(piece));
  });
  std::string error;
  if (!drain_locked(error)) {
    closed_locked(lock, error);
    return false;
  }
  return true;
}

bool DataChannelCarrier::drain_locked(std::string& error) {
  while (!queue_.empty() && connection_) {
    auto& [stream, piece] = queue_.front();
    auto sent = connection_->send(stream, piece);
    if (!sent) {
      if (sent.error().message == webrtc::kBufferFull) return true;  // writable() resumes
      error = sent.error().message;
      return false;
    }
    queue_.pop_front();
  }
  return true;
}

void DataChannelCarrier::writable() {
  std::unique_lock lock(mu_);
  if (closed_) return;
  std::string error;
  if (!drain_locked(error)) closed_locked(lock, error);
}

size_t DataChannelCarrier::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void DataChannelCarrier::closed_locked(std::unique_lock<std::mutex>&, std::string reason) {
  if (!closed_) {
    closed_ = true;
    queue_.clear();
    joiners_.clear();
  }
  sink_.closed(std::move(reason));
}

void DataChannelCarrier::detach(const std::string& reason) {
  std::unique_lock lock(mu_);
  connection_ = nullptr;
  closed_locked(lock, reason);
}

void DataChannelCarrier::quiet() {
  std::lock_guard lock(mu_);
  if (!closed_ && on_quiet_) on_quiet_();
}

void DataChannelCarrier::close() {
  std::unique_lock lock(mu_);
  closed_locked(lock, "closed by this node");
  // The owner of the peer connection sees the carrier closed and tears the link down.
  if (on_close_) on_close_();
}

}  // namespace actr::runtime
