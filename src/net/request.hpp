// What crosses a node-to-node connection: a workload Message addressed to an actor of the other
// node, and what the receiving side learns about the peer that sent it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workload/actr_error.hpp"
#include "workload/ids.hpp"
#include "workload/message.hpp"

namespace actr::net {

using workload::ActrError;
using workload::ActrId;
using workload::Bytes;
using workload::CallResult;
using workload::Status;

struct Request {
  ActrId target;
  // kind, lane, request_id, route_key, payload, caller, chain, chunk and payload_type travel;
  // reply, store_id and attempts are local bookkeeping and do not.
  workload::Message message;
};

// The authenticated other end of a connection. The verifier fills id, actors and expires_at from
// the credential; the transport fills the rest. A credential refresh (Credentials frame) replaces
// the verifier's part, and requests handled after it see the new values.
struct PeerInfo {
  std::optional<ActrId> id;     // from the verified credential (set by the verifier)
  std::vector<ActrId> actors;   // every actor the verified credentials name (set by the verifier)
  int64_t expires_at = 0;       // unix seconds: the earliest expiry among them; 0 = none
  std::string node_id;          // the peer's name for itself (upgrade header; informational)
  std::string listen_address;   // where the peer accepts connections (upgrade header), or ""
  std::string remote_endpoint;  // "ip:port" of the TCP connection, or the carrier's description
  bool inbound = false;         // the peer opened the connection
  // The path under the connection: the WebSocket (its TCP connection), or a carrier the node
  // negotiated (net/message_carrier.hpp): a WebRTC peer connection, relayed through TURN or not,
  // or the signaling server's relay (a browser node that no data channel reaches).
  enum class Path { WebSocket, WebRtc, Relay };
  Path path = Path::WebSocket;
  std::optional<bool> relayed;  // set for WebRtc
};

}  // namespace actr::net
