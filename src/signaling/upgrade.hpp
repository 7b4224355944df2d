// What the WebSocket upgrade to the signaling server carries, checked before the server accepts
// it (no WebSocket, no registration otherwise):
//   Authorization: Bearer TOKEN  one of the server's enrollment tokens, unless it runs with open
//                                enrollment (signaling/enrollment.hpp); missing or wrong: HTTP 401
//   Sec-WebSocket-Protocol: actr-enroll.TOKEN  the same token where no header can be set (a
//                                browser's WebSocket); the accepted upgrade names it back
//   X-Actr-Credential: B64[,B64...]  optional: credentials the server issued earlier (a node
//                                coming back), standard padded base64 of Credential::encode();
//                                each must carry the server's signature (expiry is not checked,
//                                since re-registration renews them): HTTP 403 otherwise
// A request that is not a WebSocket upgrade gets 400. Refusals carry a plain-text reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "common/base64.hpp"
#include "common/upgrade_limits.hpp"

namespace actr::signaling {

inline constexpr const char* kCredentialHeader = "X-Actr-Credential";
inline constexpr std::string_view kEnrollSubprotocol = "actr-enroll.";

// The items of a comma-separated header value, spaces around them cut, empty ones left out.
std::vector<std::string_view> header_list(std::string_view value);

// The token of the first `actr-enroll.TOKEN` among the offered subprotocols (a comma-separated
// Sec-WebSocket-Protocol value), if any.
std::optional<std::string> enroll_subprotocol(std::string_view offered);
// Equal strings, in time that depends only on their lengths (token comparison).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace actr::signaling
