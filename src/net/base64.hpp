// Base64 (RFC 4648, standard alphabet, padded) for credentials in HTTP headers of the WebSocket
// upgrade. Decoding is strict: other characters, bad padding or a wrong length are errors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace actr::net {

std::string encode_base64(std::span<const uint8_t> bytes);
Result<std::vector<uint8_t>> decode_base64(std::string_view text);

}  // namespace actr::net
