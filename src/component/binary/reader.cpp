#include "component/binary/reader.hpp"

#include <cstdio>

namespace actr::component::binary {

Error Reader::error_at(size_t at, const std::string& reason) {
  char where[32];
  std::snprintf(where, sizeof where, "at byte 0x%zx: ", at);
  return make_error(where + reason);
}

Result<uint8_t> Reader::byte() {
  if (pos_ >= bytes_.size()) return error("unexpected end of input");
  return bytes_[pos_++];
}

Result<uint8_t> Reader::peek() const {
  if (pos_ >= bytes_.size()) return error("unexpected end of input");
  return bytes_[pos_];
}

Result<uint64_t> Reader::u64() {
  size_t start = offset();
  uint64_t value = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (pos_ >= bytes_.size()) return error("unexpected end of input in an integer");
    uint8_t b = bytes_[pos_++];
    if (shift == 63 && (b & 0x7e) != 0) return error_at(start, "integer too large");
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    if (shift == 63) return error_at(start, "integer representation too long");
  }
  return value;
}

Result<uint32_t> Reader::u32() {
  size_t start = offset();
  uint32_t value = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (pos_ >= bytes_.size()) return error("unexpected end of input in an integer");
    uint8_t b = bytes_[pos_++];
    if (shift == 28 && (b & 0x70) != 0) return error_at(start, "integer too large");
    value |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    if (shift == 28) return error_at(start, "integer representation too long");
  }
  return value;
}

namespace {
Result<int64_t> read_signed(Reader& r, unsigned bits) {
  size_t start = r.offset();
  int64_t value = 0;
  unsigned shift = 0;
  uint8_t b = 0;
  const unsigned max_bytes = (bits + 6) / 7;
  for (unsigned i = 0;; ++i) {
    if (i == max_bytes) return Reader::error_at(start, "integer representation too long");
    ACTR_TRY(b, r.byte());
    if (i == max_bytes - 1) {
      // The unused high bits of the last byte must be a sign extension of the value's top bit.
      unsigned used = bits - 7 * i;                   // bits of this byte that carry value (1..7)
      int8_t top = static_cast<int8_t>(b << 1) >> 1;  // sign-extend the 7 payload bits
      int8_t expect = static_cast<int8_t>(top << (8 - used)) >> (8 - used);
      if (b & 0x80 || top != expect) return Reader::error_at(start, "integer too large");
    }
    value |= static_cast<int64_t>(static_cast<uint64_t>(b & 0x7f) << shift);
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) value |= static_cast<int64_t>(~uint64_t{0} << shift);
  return value;
}
}  // namespace

Result<int64_t> Reader::s33() { return read_signed(*this, 33); }
Result<int64_t> Reader::s64() { return read_signed(*this, 64); }

Result<std::string> Reader::name() {
  size_t start = offset();
  ACTR_TRY(uint32_t len, u32());
  if (len > remaining())
    return error_at(start, "name length " + std::to_string(len) + " exceeds the input");
  auto s = bytes_.subspan(pos_, len);
  if (!valid_utf8(s)) return error_at(start, "name is not valid UTF-8");
  pos_ += len;
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

Result<uint32_t> Reader::count(size_t min_size) {
  size_t start = offset();
  ACTR_TRY(uint32_t n, u32());
  if (min_size == 0) min_size = 1;
  if (n > remaining() / min_size) {
    return error_at(start, "count " + std::to_string(n) + " exceeds the remaining input");
  }
  return n;
}

Result<std::span<const uint8_t>> Reader::take(size_t n) {
  if (n > remaining()) return error("length " + std::to_string(n) + " exceeds the input");
  auto s = bytes_.subspan(pos_, n);
  pos_ += n;
  return s;
}

Result<Reader> Reader::sub(size_t n) {
  size_t at = offset();
  ACTR_TRY(auto s, take(n));
  return Reader(s, at);
}

Result<void> Reader::skip(size_t n) {
  ACTR_TRY_VOID(take(n));
  return {};
}

bool valid_utf8(std::span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace actr::component::binary
