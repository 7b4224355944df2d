// The bytes behind an input stream: stdin (in memory), or a file (file_streams.hpp). Shared by
// every handle the guest opens on it, so that reading through one handle advances them all.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "wasi/stream_error.hpp"

namespace actr::wasi {

class InputSource {
 public:
  explicit InputSource(std::string bytes) : bytes_(std::move(bytes)) {}
  virtual ~InputSource() = default;

  // Up to `max` bytes; an empty result only for max == 0. At the end: Closed. The view lives
  // until the next read.
  virtual std::variant<std::string_view, StreamError> read(uint64_t max) {
    if (max == 0) return std::string_view{};
    if (pos_ >= bytes_.size()) return StreamError::closed();
    size_t n = static_cast<size_t>(std::min<uint64_t>(max, bytes_.size() - pos_));
    std::string_view out(bytes_.data() + pos_, n);
    pos_ += n;
    return out;
  }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

}  // namespace actr::wasi
