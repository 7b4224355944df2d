// The credentials a node presents on a node-to-node connection. The connection is shared by every
// actor of the node, so it carries one credential per actor; the receiver verifies all of them and
// accepts requests only from the actors they name.
//
// Encoding (opaque to the transport): u32 count, then for each credential a u32 length and its
// bytes; integers little-endian.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::runtime {

std::vector<uint8_t> encode_credential_set(const std::vector<std::string>& credentials);
Result<std::vector<std::string>> decode_credential_set(std::span<const uint8_t> bytes);

}  // namespace actr::runtime
