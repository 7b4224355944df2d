// URL pieces of the gateway: percent-encoding of path segments, the `/actors/{target}/{route}`
// path, and the `http://host:port[/prefix]` node URL of the client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"

namespace actr::gateway {

// Every byte except the unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX; so '/' becomes %2F.
std::string percent_encode(std::string_view segment);
// %XX sequences decoded ('+' stays '+': this is a path, not a form); nullopt for a bad escape.
std::optional<std::string> percent_decode(std::string_view segment);

struct ActorPath {
  std::string target;
  std::string route_key;
};

// Splits a request target (query string ignored) of the form /actors/{target}/{route-key}.
// Segments are decoded after splitting, so %2F stays inside a segment; more than one target
// segment are joined with '/', so /actors/acme/echo/ping and /actors/acme%2Fecho/ping both name
// target "acme/echo", route "ping". Returns nullopt when the path does not have that shape (an
// unknown path: fewer than two segments, an empty one), an error for a bad %-escape or a
// decoded segment that is not valid UTF-8 (targets and route keys are WIT strings).
std::optional<Result<ActorPath>> parse_actor_path(std::string_view request_target);

// The path of a request target without its query string.
std::string_view path_of(std::string_view request_target);

struct NodeUrl {
  std::string host;  // without IPv6 brackets
  uint16_t port = 80;
  std::string prefix;  // path before /actors, no trailing '/'; usually ""
};

// `http://host[:port][/prefix]`; https and other schemes are errors.
Result<NodeUrl> parse_node_url(std::string_view url);

}  // namespace actr::gateway
