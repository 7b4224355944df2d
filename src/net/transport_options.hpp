// How a Transport is configured: identity, authentication, the node's request handler, event
// hooks and per-connection limits.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "actr/common/result.hpp"
#include "common/connection_admission.hpp"
#include "net/request.hpp"
#include "net/responder.hpp"

namespace actr::net {

struct ConnectionLimits {
  // Largest inbound frame (one WebSocket message): the runtime's 4 MiB payload limit plus room
  // for the envelope.
  size_t max_frame_bytes = 4 * 1024 * 1024 + 64 * 1024;
  // Inbound frames a second (token bucket; each frame of a Batch counts); 0 disables the limit.
  // With batching one connection carries over 300k frames a second on 2 vCPUs (150k calls/s,
  // Accepted + Reply), so the default only stops floods.
  double messages_per_second = 1000000;
  double burst = 50000;
};

// Checks a peer's credential: the one of its WebSocket upgrade (request headers when it connects
// to this node, response headers or first frame when this node connects to it) and every
// refreshed one. An error refuses the peer: an inbound upgrade is answered with HTTP 403 and no
// WebSocket; an outbound connection, or a refresh, is closed with Close(permission-denied). The
// refused side's pending requests fail with permission-denied. See net/upgrade.hpp.
using Verifier = std::function<Result<PeerInfo>(std::span<const uint8_t> credential)>;

// An inbound request. Runs on a transport thread: hand the work off, answer through `responder`
// from any thread. Every request is answered exactly once; a responder dropped unanswered answers
// internal("... dropped ...").
using RequestHandler =
    std::function<void(const PeerInfo& peer, Request request, Responder responder)>;

// Connection events (the node maps them to on-websocket-connecting / connected / disconnected).
// They run on a transport thread.
struct TransportEvents {
  std::function<void(const std::string& address)> connecting;  // an outbound connection starts
  std::function<void(const PeerInfo& peer)> connected;  // credentials verified, either direction
  // The peer refreshed its credential and the verifier accepted it: `peer` is what later
  // requests of that connection see.
  std::function<void(const PeerInfo& peer)> refreshed;
  // Every connection that fired `connecting` or `connected` ends with one `disconnected`; `peer`
  // has only remote_endpoint / inbound (and the header fields) set when it closed before opening.
  std::function<void(const PeerInfo& peer, const ActrError& reason)> disconnected;
};

// TLS, with PEM text. With a certificate the transport accepts TLS connections only; outbound
// connections use TLS for "wss://" addresses and check the server's certificate chain against
// `trusted_ca_pem` (the system's default CAs when empty) and the host name of the address.
struct TlsOptions {
  std::string certificate_chain_pem;  // this node's certificate (then intermediates)
  std::string private_key_pem;
  std::string trusted_ca_pem;
  bool verify_server = true;  // false only for tests and closed networks
};

struct TransportOptions {
  std::string node_id;  // sent in the upgrade (X-Actr-Node), for the peer's logs
  // Read for every new connection and by Transport::refresh_credentials() (renewals apply).
  std::function<Bytes()> credential;
  // Optional: what a connecting node puts in its upgrade request when `credential` is too large
  // for HTTP headers (a node with hundreds of actors). The accepting side authenticates the node
  // with it before the WebSocket opens; the full `credential` follows as the first frame, before
  // any request, and replaces it. Unset: `credential` itself (refused locally when too large).
  std::function<Bytes()> upgrade_credential;
  Verifier verify;            // required
  RequestHandler on_request;  // none: inbound requests are refused (unavailable)
  TransportEvents events;
  ConnectionLimits limits;
  TlsOptions tls;
  std::string advertised_address;  // sent in the upgrade (X-Actr-Listen); default: bound address
  std::chrono::milliseconds connect_timeout{5000};  // TCP + TLS + upgrade with credentials
  // Without any frame (the transport sends Ping frames at half of it) the peer is gone.
  std::chrono::milliseconds idle_timeout{15000};
  // A request unanswered this long after it was sent fails with timed-out (a late answer is
  // ignored). 0: no limit (the node's own call timeout settles the caller; the entry stays until
  // the peer answers or the connection closes).
  std::chrono::milliseconds request_timeout{0};
  // Inbound connections open at once, in all and per client address. A connection still in its
  // upgrade (which must complete within connect_timeout) is idle: at a limit the one idle longest
  // is closed to make room; authenticated connections are never evicted, and a newcomer is refused
  // when nothing is idle (common/connection_admission.hpp).
  ConnectionAdmission::Limits inbound_limits{1024, 256};
  unsigned threads = 1;
  // A thread that sends a request or an answer on an open plain WebSocket writes the frame to the
  // socket itself when the socket is free (no wake-up of a transport thread); false: every frame
  // goes through a transport thread. The environment variable ACTR_NET_SENDER_WRITES=0 sets it
  // false in every transport of the process (to compare both in one binary).
  bool sender_writes = true;
  // With sender_writes: the node's threads that wait for what connections bring may read them
  // themselves (Transport::worker_reads()). ACTR_NET_WORKER_READS=0 sets it false in every
  // transport of the process.
  bool worker_reads = true;
};

}  // namespace actr::net
