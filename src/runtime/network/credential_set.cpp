#include "runtime/network/credential_set.hpp"

namespace actr::runtime {

namespace {

constexpr uint32_t kMaxCredentials = 100'000;

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace

std::vector<uint8_t> encode_credential_set(const std::vector<std::string>& credentials) {
  std::vector<uint8_t> out;
  put_u32(out, static_cast<uint32_t>(credentials.size()));
  for (const auto& c : credentials) {
    put_u32(out, static_cast<uint32_t>(c.size()));
    out.insert(out.end(), c.begin(), c.end());
  }
  return out;
}

Result<std::vector<std::string>> decode_credential_set(std::span<const uint8_t> bytes) {
  size_t at = 0;
  auto get_u32 = [&]() -> Result<uint32_t> {
    if (bytes.size() - at < 4) return make_error("credential set: truncated");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(bytes[at + i]) << (8 * i);
    at += 4;
    return v;
  };
  ACTR_TRY(uint32_t count, get_u32());
  if (count == 0) return make_error("credential set: empty");
  if (count > kMaxCredentials) return make_error("credential set: too many credentials");
  std::vector<std::string> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ACTR_TRY(uint32_t length, get_u32());
    if (bytes.size() - at < length) return make_error("credential set: truncated");
    out.emplace_back(reinterpret_cast<const char*>(bytes.data() + at), length);
    at += length;
  }
  if (at != bytes.size()) return make_error("credential set: trailing bytes");
  return out;
}

}  // namespace actr::runtime
