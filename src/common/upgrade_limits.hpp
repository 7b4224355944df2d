// How much an HTTP upgrade request to a WebSocket may carry, for every server of the project
// (node transport, signaling server). Credentials travel in these headers: a node with many
// actors sends many of them, so the limit is as high as Boost.Beast allows one field to be
// (64 KiB; it throws beyond that) less room for the other fields.
#pragma once

#include <cstddef>

namespace actr {

inline constexpr size_t kMaxUpgradeHeaderBytes = 60 * 1024;

}  // namespace actr
