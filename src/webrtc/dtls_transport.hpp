// DTLS 1.2 (RFC 6347) over an ICE transport's datagrams, by OpenSSL: the handshake with this
// node's certificate, the peer's certificate checked against the fingerprint it signaled, then
// application datagrams (SCTP packets) encrypted both ways. Retransmission timers run on the
// GLib loop. The role follows SDP's a=setup: the answerer is the client (active).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "actr/common/result.hpp"
#include "webrtc/certificate.hpp"
#include "webrtc/glib_loop.hpp"

namespace actr::webrtc {

enum class DtlsRole { Client, Server };
enum class DtlsState { New, Handshaking, Connected, Closed, Failed };

struct DtlsEvents {
  // A datagram for the peer (to IceTransport::send); called with the transport's lock held, so
  // it must not call back into the transport.
  std::function<void(std::span<const uint8_t> datagram)> send_datagram;
  std::function<void()> on_connected;
  std::function<void(std::span<const uint8_t> data)> on_data;
  // The handshake failed, the peer closed, or an alert ended the association.
  std::function<void(std::string reason)> on_closed;
};

class DtlsTransport {
 public:
  // The largest datagram the transport sends: the ICE path's MTU for data channels (1200 bytes
  // is what browsers use, safe on every path including TURN).
  static constexpr int kMtu = 1200;

  static Result<std::unique_ptr<DtlsTransport>> create(
      GlibLoop& loop, std::shared_ptr<const Certificate> certificate, DtlsRole role,
      std::string peer_fingerprint, DtlsEvents events);
  ~DtlsTransport();  // no event runs after it returns
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // The client sends its hello; the server waits for one. Call once the ICE path is up.
  void start();
  // A datagram from the peer (any thread). Garbage is dropped; a failed handshake ends it.
  void receive(std::span<const uint8_t> datagram);
  // Application data, once Connected; at most kMtu minus the record overhead per call.
  Result<void> send(std::span<const uint8_t> data);
  // Sends close_notify; the state becomes Closed.
  void close();
  DtlsState state() const;

  struct Session;

 private:
  explicit DtlsTransport(std::unique_ptr<Session> session);
  std::unique_ptr<Session> session_;
};

}  // namespace actr::webrtc
