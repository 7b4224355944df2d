// SCTP over DTLS (RFC 8261) by usrsctp, with WebRTC data channels on it (RFC 8831, and the
// establishment protocol of RFC 8832: DATA_CHANNEL_OPEN / DATA_CHANNEL_ACK). One association per
// peer; a channel is one SCTP stream, reliable and ordered or, for latency-first traffic,
// unordered with a retransmission limit.
//
// usrsctp runs its own timer thread and calls back from it: packets go out through
// `send_packet` (to DtlsTransport::send) from any thread, while every other event (open,
// channel, message, closed) runs on the GLib loop, never inside usrsctp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "actr/common/result.hpp"
#include "webrtc/glib_loop.hpp"

namespace actr::webrtc {

struct ChannelReliability {
  bool ordered = true;
  // Retransmissions before a message is abandoned (partial reliability, RFC 3758); none:
  // retransmitted until delivered.
  std::optional<uint32_t> max_retransmits;
};

struct Channel {
  uint16_t stream = 0;
  std::string label;
  std::string protocol;
  ChannelReliability reliability;
};

struct SctpEvents {
  // An SCTP packet for the peer; any thread, must not block.
  std::function<void(std::span<const uint8_t> packet)> send_packet;
  std::function<void()> on_open;                           // the association is up
  std::function<void(const Channel& channel)> on_channel;  // the peer opened a channel
  std::function<void(uint16_t stream, std::span<const uint8_t> message, bool binary)> on_message;
  std::function<void(std::string reason)> on_closed;
  // After a send failed with kBufferFull: the buffer has room again.
  std::function<void()> on_writable;
};

// The message of the error send() returns when the association's send buffer is full: the
// message was not taken; send it again after on_writable.
extern const char* const kBufferFull;

class SctpAssociation {
 public:
  // WebRTC uses port 5000 on both ends. The DTLS client opens even stream ids, the server odd
  // ones (RFC 8832 6), so both may open channels at once.
  static Result<std::unique_ptr<SctpAssociation>> create(GlibLoop& loop, bool dtls_client,
                                                         SctpEvents events);
  ~SctpAssociation();  // aborts the association; no event runs after it returns
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  // Both ends connect (SCTP's simultaneous open); on_open follows.
  Result<void> start();
  // An SCTP packet from the peer (DTLS application data).
  void receive_packet(std::span<const uint8_t> packet);
  // Opens a channel (its stream id is returned); messages may follow at once.
  Result<uint16_t> open_channel(const std::string& label, ChannelReliability reliability,
                                const std::string& protocol = "");
  // One message on an open channel. Empty messages are carried as WebRTC does (a one-byte
  // payload with the "empty" PPID).
  Result<void> send(uint16_t stream, std::span<const uint8_t> message, bool binary = true);
  bool is_open() const;

  struct Impl;

 private:
  explicit SctpAssociation(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace actr::webrtc
