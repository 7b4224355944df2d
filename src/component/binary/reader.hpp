// A bounds-checked cursor over binary input: LEB128 integers, names, and sub-ranges. Every read
// fails with an Error "at byte 0x<offset>: <reason>" instead of reading past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "actr/common/result.hpp"

namespace actr::component::binary {

class Reader {
 public:
  // `base` is the absolute offset of bytes[0] in the outermost binary, for messages.
  explicit Reader(std::span<const uint8_t> bytes, size_t base = 0) : bytes_(bytes), base_(base) {}

  size_t offset() const { return base_ + pos_; }  // absolute
  size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  Result<uint8_t> byte();
  Result<uint8_t> peek() const;
  Result<uint32_t> u32();  // unsigned LEB128, at most 5 bytes
  Result<uint64_t> u64();  // unsigned LEB128, at most 10 bytes
  Result<int64_t> s33();   // signed LEB128 up to 33 bits (core heap types, block types)
  Result<int64_t> s64();   // signed LEB128, at most 10 bytes
  // A length-prefixed UTF-8 string.
  Result<std::string> name();
  // The number of elements of a vector whose elements take at least `min_size` bytes each:
  // rejects counts the remaining bytes cannot hold, so callers may reserve that many.
  Result<uint32_t> count(size_t min_size = 1);
  Result<std::span<const uint8_t>> take(size_t n);
  // A reader over the next `n` bytes (which this reader skips).
  Result<Reader> sub(size_t n);
  Result<void> skip(size_t n);

  // An error at the current offset, or at `at` (absolute).
  Error error(const std::string& reason) const { return error_at(offset(), reason); }
  static Error error_at(size_t at, const std::string& reason);

 private:
  std::span<const uint8_t> bytes_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::span<const uint8_t> s);

}  // namespace actr::component::binary
