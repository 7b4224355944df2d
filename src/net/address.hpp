// Peer addresses: "host:port", "[v6]:port", "ws://host:port[/path]" or "wss://..." (TLS).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"

namespace actr::net {

struct Address {
  std::string host;
  uint16_t port = 0;
  std::string path = "/actr";  // the WebSocket upgrade target
  bool tls = false;            // wss://

  // "host:port" (IPv6 hosts in brackets).
  std::string to_string() const;
  // The key under which connections are shared: to_string(), prefixed "wss://" for TLS.
  std::string key() const { return tls ? "wss://" + to_string() : to_string(); }
  // A host under `.invalid` (RFC 6761: never resolves): a node without a listener, such as a
  // browser tab, reachable over WebRTC or the relay only. Nothing dials it.
  bool has_no_listener() const;
};

Result<Address> parse_address(std::string_view text);

}  // namespace actr::net
