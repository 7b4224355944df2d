// Base64 (RFC 4648, standard alphabet, padded) for binary values in HTTP headers: the credentials
// of WebSocket upgrades, between nodes and to the signaling server. Bytes travel in std::string,
// as the credentials themselves do. Decoding is strict: another character, bad padding or a
// wrong length is an error.
#pragma once

#include <string>
#include <string_view>

#include "actr/common/result.hpp"

namespace actr {

std::string encode_base64(std::string_view bytes);
Result<std::string> decode_base64(std::string_view text);

}  // namespace actr
