#include "common/unicode.hpp"

namespace actr::unicode {

namespace {

// Length of the sequence a lead byte announces, or 0 for a byte that cannot start one.
int sequence_length(uint8_t b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

// Valid range of the second byte, which excludes overlongs, surrogates and > U+10FFFF.
bool second_byte_ok(uint8_t lead, uint8_t b) {
  switch (lead) {
    case 0xE0:
      return b >= 0xA0 && b <= 0xBF;
    case 0xED:
      return b >= 0x80 && b <= 0x9F;
    case 0xF0:
      return b >= 0x90 && b <= 0xBF;
    case 0xF4:
      return b >= 0x80 && b <= 0x8F;
    default:
      return b >= 0x80 && b <= 0xBF;
  }
}

}  // namespace

bool validate_utf8(std::string_view s, std::string* message) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII runs dominate real payloads: skip them eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      __builtin_memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t lead = p[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    int len = sequence_length(lead);
    size_t valid = 1;  // bytes of a well-formed prefix, for the message
    bool ok = len > 0;
    if (ok) {
      for (int k = 1; k < len; ++k) {
        if (i + k >= n) {
          if (message) *message = "incomplete utf-8 byte sequence from index " + std::to_string(i);
          return false;
        }
        uint8_t b = p[i + k];
        bool good = k == 1 ? second_byte_ok(lead, b) : (b >= 0x80 && b <= 0xBF);
        if (!good) {
          ok = false;
          break;
        }
        ++valid;
      }
    }
    if (!ok) {
      if (message) {
        *message = "invalid utf-8 sequence of " + std::to_string(valid) + " bytes from index " +
                   std::to_string(i);
      }
      return false;
    }
    i += len;
  }
  return true;
}

std::string to_valid_utf8(std::string_view s) {
  if (validate_utf8(s)) return std::string(s);
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size();
  std::string out;
  out.reserve(n + 8);
  size_t i = 0;
  while (i < n) {
    uint8_t lead = p[i];
    if (lead < 0x80) {
      out.push_back(static_cast<char>(lead));
      ++i;
      continue;
    }
    int len = sequence_length(lead);
    size_t valid = len > 0 ? 1 : 0;  // bytes of a well-formed prefix
    while (len > 0 && valid < static_cast<size_t>(len) && i + valid < n) {
      uint8_t b = p[i + valid];
      bool good = valid == 1 ? second_byte_ok(lead, b) : (b >= 0x80 && b <= 0xBF);
      if (!good) break;
      ++valid;
    }
    if (len > 0 && valid == static_cast<size_t>(len)) {
      out.append(s.substr(i, valid));
    } else {
      append_utf8(out, 0xFFFD);
    }
    i += valid > 0 ? valid : 1;
  }
  return out;
}

uint32_t next_code_point(std::string_view s, size_t& i) {
  auto b0 = static_cast<uint8_t>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = sequence_length(b0);
  if (len == 0 || i + len > s.size()) {  // not valid UTF-8: never loops forever
    ++i;
    return 0xFFFD;
  }
  uint32_t c = b0 & (0xFF >> (len + 1));
  for (int k = 1; k < len; ++k) c = (c << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
  i += len;
  return c;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

size_t utf16_length(std::string_view s) {
  size_t units = 0;
  for (size_t i = 0; i < s.size();) units += next_code_point(s, i) >= 0x10000 ? 2 : 1;
  return units;
}

bool utf16le_to_utf8(const uint8_t* src, size_t units, std::string& out, std::string* message) {
  out.reserve(out.size() + units);
  for (size_t i = 0; i < units; ++i) {
    uint32_t u = src[2 * i] | (uint32_t{src[2 * i + 1]} << 8);
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint32_t lo = i + 1 < units ? (src[2 * i + 2] | (uint32_t{src[2 * i + 3]} << 8)) : 0;
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        ++i;
        continue;
      }
      if (message)
        *message = "invalid utf-16: unpaired surrogate at code unit " + std::to_string(i);
      return false;
    }
    if (u >= 0xDC00 && u <= 0xDFFF) {
      if (message)
        *message = "invalid utf-16: unpaired surrogate at code unit " + std::to_string(i);
      return false;
    }
    append_utf8(out, u);
  }
  return true;
}

void latin1_to_utf8(const uint8_t* src, size_t n, std::string& out) {
  out.reserve(out.size() + n);
  for (size_t i = 0; i < n; ++i) append_utf8(out, src[i]);
}

}  // namespace actr::unicode
