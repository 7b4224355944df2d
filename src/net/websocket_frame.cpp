#include "net/websocket_frame.hpp"

#include <cstring>
#include <random>

namespace actr::net::detail {

WebSocketHeader binary_frame_header(uint64_t payload_size, const std::array<uint8_t, 4>* mask) {
  WebSocketHeader h;
  h.bytes[0] = 0x80 | 0x2;  // FIN, opcode binary
  uint8_t masked = mask ? 0x80 : 0;
  size_t n = 1;
  if (payload_size < 126) {
    h.bytes[n++] = masked | static_cast<uint8_t>(payload_size);
  } else if (payload_size <= 0xffff) {
    h.bytes[n++] = masked | 126;
    h.bytes[n++] = static_cast<uint8_t>(payload_size >> 8);
    h.bytes[n++] = static_cast<uint8_t>(payload_size);
  } else {
    h.bytes[n++] = masked | 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      h.bytes[n++] = static_cast<uint8_t>(payload_size >> shift);
  }
  if (mask) {
    std::memcpy(&h.bytes[n], mask->data(), 4);
    n += 4;
  }
  h.size = n;
  return h;
}

void apply_mask(std::span<uint8_t> payload, const std::array<uint8_t, 4>& mask) {
  size_t i = 0;
  uint32_t key;
  std::memcpy(&key, mask.data(), 4);
  uint64_t wide = (static_cast<uint64_t>(key) << 32) | key;
  for (; i + 8 <= payload.size(); i += 8) {  // the key repeats every 4 bytes, so 8 at a time
    uint64_t word;
    std::memcpy(&word, payload.data() + i, 8);
    word ^= wide;
    std::memcpy(payload.data() + i, &word, 8);
  }
  for (; i < payload.size(); ++i) payload[i] ^= mask[i % 4];
}

std::array<uint8_t, 4> fresh_mask() {
  thread_local std::mt19937 generator{std::random_device{}()};
  uint32_t v = generator();
  std::array<uint8_t, 4> mask;
  std::memcpy(mask.data(), &v, 4);
  return mask;
}

}  // namespace actr::net::detail
