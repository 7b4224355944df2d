// SHA-256 (OpenSSL), for content-addressing compiled modules in the on-disk cache.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace actr::wasm::aot {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  void update(std::span<const uint8_t> bytes);
  void update(std::string_view text);
  std::array<uint8_t, 32> finish();

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace actr::wasm::aot
