// The framing of one binary WebSocket message (RFC 6455 section 5.2), for the writes a
// connection makes on its socket from the sending thread, bypassing Beast's stream (whose state
// belongs to the transport thread). A single unfragmented frame, no extensions; a client's payload
// is masked, as the server side requires.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace actr::net::detail {

struct WebSocketHeader {
  std::array<uint8_t, 14> bytes{};
  size_t size = 0;
};

// The header of a final binary frame of `payload_size` bytes; with `mask`, the masking key is in
// it and the payload must be passed through apply_mask with the same key.
WebSocketHeader binary_frame_header(uint64_t payload_size,
                                    const std::array<uint8_t, 4>* mask = nullptr);

// XORs `payload` with `mask` in place (masking and unmasking are the same operation).
void apply_mask(std::span<uint8_t> payload, const std::array<uint8_t, 4>& mask);

// A fresh masking key from a per-thread generator seeded from the system's entropy: not
// predictable to the peer, which is all RFC 6455 asks of it (against proxy cache poisoning).
std::array<uint8_t, 4> fresh_mask();

}  // namespace actr::net::detail
