// The writing counterpart of Reader: LEB128 integers, names and length-prefixed sections, appended
// to a byte vector. Used by the component encoder and the core module writer.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace actr::component::binary {

class Writer {
 public:
  void byte(uint8_t b) { out_.push_back(b); }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void u32(uint32_t v) {
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out_.push_back(v != 0 ? (b | 0x80) : b);
    } while (v != 0);
  }
  // Signed LEB128 (s32 for i32.const, s33 for component value type indices).
  void s64(int64_t v) {
    while (true) {
      uint8_t b = v & 0x7f;
      v >>= 7;  // arithmetic shift
      bool done = (v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40));
      out_.push_back(done ? b : (b | 0x80));
      if (done) return;
    }
  }
  void name(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  // Section `id` whose contents are `body`, prefixed by their size.
  void section(uint8_t id, const Writer& body) {
    byte(id);
    u32(static_cast<uint32_t>(body.out_.size()));
    bytes(body.out_);
  }

  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }
  size_t size() const { return out_.size(); }

 private:
  std::vector<uint8_t> out_;
};

}  // namespace actr::component::binary
