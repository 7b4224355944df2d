// SHA-256, for content-addressing compiled modules in the on-disk cache.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace actr::wasm::aot {

class Sha256 {
 public:
  Sha256();
  // Never uses CPU extensions (tests compare both paths).
  static Sha256 portable();
  void update(std::span<const uint8_t> bytes);
  void update(std::string_view text);
  std::array<uint8_t, 32> finish();

 private:
  void compress(const uint8_t* block) { compress_(state_.data(), block); }

  void (*compress_)(uint32_t* state, const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string to_hex(std::span<const uint8_t> bytes);

// Whether Sha256 runs on the CPU's SHA instructions (when present).
bool sha256_uses_cpu_extensions();

}  // namespace actr::wasm::aot
