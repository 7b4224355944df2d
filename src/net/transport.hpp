// The node-to-node transport: listens for other nodes, opens (and shares) connections to them,
// authenticates both ends with credentials exchanged in the WebSocket upgrade (net/upgrade.hpp:
// a refused peer never gets a WebSocket), multiplexes requests, and hands inbound requests to the
// node. See TransportOptions for the hooks.
//
//   auto t = Transport::start(options, "127.0.0.1:0");        // port 0: an ephemeral port
//   auto peer = t.value()->peer("127.0.0.1:7400");
//   peer.value()->call(request, on_accepted, on_reply);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"
#include "net/message_carrier.hpp"
#include "net/peer.hpp"
#include "net/transport_options.hpp"
#include "net/worker_reads.hpp"

namespace actr::net {

class Transport {
 public:
  // Starts the transport's threads and, unless `listen_address` is empty, its listener.
  static Result<std::unique_ptr<Transport>> start(TransportOptions options,
                                                  std::string_view listen_address = "127.0.0.1:0");
  // Stops (see stop()).
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Closes the listener and every connection at once (the peers see the connection drop; their
  // requests in flight fail with unavailable), fails this side's requests in flight with
  // unavailable and joins the threads. Not from a transport callback. Idempotent.
  void stop();

  // The bound "host:port" ("" when not listening).
  const std::string& listen_address() const;
  uint16_t port() const;

  // Sends the current TransportOptions::credential() to the peer of every open connection (a
  // Credentials frame) after a renewal; connections still opening present the new one when they
  // open. Each peer verifies it again and from then on hands the new PeerInfo (actors, expiry)
  // to its on_request; a peer that refuses it closes that connection (permission-denied).
  void refresh_credentials();

  // The shared link to `address` ("host:port" or "ws://host:port/path").
  Result<std::shared_ptr<Peer>> peer(std::string_view address);

  // A connection to the node that advertises `address`, over `carrier` (a WebRTC peer connection
  // the node negotiated; `inbound`: the peer made the offer). Both ends present and verify
  // credentials on it as on a WebSocket; once that is done, requests to `address` take it, and
  // when it closes they go back to the WebSocket connection. Events fire for it with
  // PeerInfo::path WebRtc. A second carrier for the same address replaces the first.
  Result<void> attach(std::string_view address, std::shared_ptr<MessageCarrier> carrier,
                      bool inbound);

  struct Stats {
    uint64_t outbound_opened = 0;   // outbound connections ever started
    uint64_t inbound_accepted = 0;  // inbound connections ever accepted
    uint64_t live = 0;              // connections not yet closed
    uint64_t live_carried = 0;      // of them, over a carrier
    uint64_t live_relay = 0;        // of those, over the signaling relay (the rest: WebRTC)
    uint64_t carried = 0;           // connections over a carrier (WebRTC) ever attached
    uint64_t carried_requests = 0;  // requests this side sent on them
    uint64_t batches_sent = 0;      // messages that carried several queued frames (Batch)
    uint64_t frames_batched = 0;    // frames sent inside those
    uint64_t direct_writes = 0;     // frames the sending thread wrote to the socket itself
    uint64_t deferred_writes = 0;   // of those tried, the ones the socket did not take whole
    uint64_t worker_reads = 0;      // reads of a connection by a worker (WorkerReads) with bytes
  };
  Stats stats() const;

  // For the threads that wait for what the connections bring (a node's workers): while one has
  // nothing else to do it may read them itself (see worker_reads.hpp). Null when
  // TransportOptions::worker_reads or sender_writes is off. Outlives stop(): a worker may still
  // poll it then (it finds nothing).
  std::shared_ptr<WorkerReads> worker_reads() const;

 private:
  struct Impl;
  explicit Transport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace actr::net
