// The bytes a Message is kept as in the durable mailbox (the store's opaque body). Versioned;
// decoding checks every length, so a damaged row gives an Error, never a crash.
#pragma once

#include <span>

#include "actr/common/result.hpp"
#include "runtime/vocabulary.hpp"

namespace actr::runtime {

Bytes encode_body(const Message& message);
// Fills everything but request_id, lane, store_id and attempts (the store's columns).
Result<Message> decode_body(std::span<const uint8_t> body);

}  // namespace actr::runtime
