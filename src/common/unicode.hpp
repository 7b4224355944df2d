// UTF-8 / UTF-16 / Latin-1 helpers: validation, code points, transcoding (the canonical ABI's
// string encodings, WAVE text, JSON and test fixtures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace actr::unicode {

inline bool is_scalar(uint32_t c) { return c < 0xD800 || (c > 0xDFFF && c <= 0x10FFFF); }

// Checks that `s` is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). On failure
// returns false and sets `message` to e.g. "invalid utf-8 sequence of 1 bytes from index 0" or
// "incomplete utf-8 byte sequence from index 3".
bool validate_utf8(std::string_view s, std::string* message = nullptr);

// `s` itself when it is valid UTF-8; otherwise a copy with every maximal invalid subpart replaced
// by U+FFFD (the WHATWG / Unicode "substitution of maximal subparts" practice). For strings the
// host builds from bytes it does not control (error contexts, log lines) that must cross as WIT
// strings.
std::string to_valid_utf8(std::string_view s);

// Decodes the code point starting at s[i] of valid UTF-8 and advances i.
uint32_t next_code_point(std::string_view s, size_t& i);

void append_utf8(std::string& out, uint32_t code_point);

// Number of UTF-16 code units of valid UTF-8 `s`.
size_t utf16_length(std::string_view s);

// Appends UTF-16LE `units` code units at `src` as UTF-8. Returns false on an unpaired surrogate
// and sets `message`.
bool utf16le_to_utf8(const uint8_t* src, size_t units, std::string& out, std::string* message);

// Appends Latin-1 bytes as UTF-8.
void latin1_to_utf8(const uint8_t* src, size_t n, std::string& out);

}  // namespace actr::unicode
