// A path for a Connection's frames other than its own WebSocket: the data channels of a WebRTC
// peer connection that the node negotiated (runtime/network/webrtc_links.hpp). The connection
// runs on it exactly as on a WebSocket once it is open (credentials first, both ways, then
// requests); the carrier only moves whole frames and says which channel each one takes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/request.hpp"
#include "workload/message.hpp"

namespace actr::net {

// What a carrier tells the connection riding on it. Calls may come from any thread, one at a
// time, and never from inside MessageCarrier::send.
struct CarrierSink {
  std::function<void(std::vector<uint8_t> frame)> on_frame;
  std::function<void(std::string reason)> on_closed;  // once; nothing follows it
};

class MessageCarrier {
 public:
  virtual ~MessageCarrier() = default;

  // Starts handing frames to `sink`, those that arrived before first, in order.
  virtual void bind(CarrierSink sink) = 0;
  // Queues one frame on the channel of `lane` (`nullopt`: control frames, which travel with
  // rpc-reliable). Frames of one channel arrive in order; the carrier buffers what the path does
  // not take at once. False once the carrier is closed.
  virtual bool send(std::span<const uint8_t> frame,
                    std::optional<workload::PayloadType::Tag> lane) = 0;
  // Ends the path; on_closed follows (if it has not run yet).
  virtual void close() = 0;
  // Nothing was heard on the path for half the idle timeout (the connection pings now and
  // closes at the full timeout): the carrier may try to repair its path meanwhile.
  virtual void quiet() {}

  // For logs: "webrtc 127.0.0.1:40001 <-> 127.0.0.1:40002".
  virtual std::string describe() const = 0;
  // Through a TURN relay (true), on a direct path (false).
  virtual bool relayed() const = 0;
  // What the carrier is (PeerInfo::path of the connection on it).
  virtual PeerInfo::Path path() const { return PeerInfo::Path::WebRtc; }
};

}  // namespace actr::net
