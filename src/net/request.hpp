// What crosses a node-to-node connection: a runtime Message addressed to an actor of the other
// node, and what the receiving side learns about the peer that sent it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/actr_error.hpp"
#include "runtime/ids.hpp"
#include "runtime/message.hpp"

namespace actr::net {

using runtime::ActrError;
using runtime::ActrId;
using runtime::Bytes;
using runtime::CallResult;
using runtime::Status;

struct Request {
  ActrId target;
  // kind, lane, request_id, route_key, payload, caller, chain, chunk and payload_type travel;
  // reply, store_id and attempts are local bookkeeping and do not.
  runtime::Message message;
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
  std::string remote_endpoint;  // "ip:port" of the TCP connection
  bool inbound = false;         // the peer opened the connection
};

}  // namespace actr::net
