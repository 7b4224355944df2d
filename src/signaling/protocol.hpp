// The signaling protocol's generated classes (proto/signaling.proto) and its version number.
#pragma once

#include <cstdint>

#include "proto/signaling.pb.h"

namespace actr::signaling {

namespace proto = v1;

// Envelope.version of this build; the server refuses other versions with UNSUPPORTED_VERSION.
inline constexpr uint32_t kProtocolVersion = 1;

}  // namespace actr::signaling
