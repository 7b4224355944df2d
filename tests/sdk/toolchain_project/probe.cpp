// The reactor module's exports, called by the test through the engine API after _initialize.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "textkit.h"

namespace {

// Built by a static constructor: works only if _initialize ran.
const std::string kSeparator = ", ";

std::string numbers(int32_t count) {
  std::vector<std::string> parts;
  for (int32_t i = 0; i < count; ++i) parts.push_back(std::to_string(i));
  return textkit::join(parts, kSeparator);
}

}  // namespace

// No exception runtime and no WASI in this module: libc++'s, libc++abi's (operator new failing)
// and libc's abort paths trap here instead of printing through stdio, which would import WASI.
_LIBCPP_BEGIN_NAMESPACE_STD
[[noreturn]] void __libcpp_verbose_abort(const char*, ...) { __builtin_trap(); }
_LIBCPP_END_NAMESPACE_STD
extern "C" [[noreturn]] void abort_message(const char*, ...) { __builtin_trap(); }
extern "C" void abort(void) { __builtin_trap(); }

// Length of "0, 1, ..., count-1".
extern "C" __attribute__((export_name("probe_joined_length"))) int32_t probe_joined_length(
    int32_t count) {
  return static_cast<int32_t>(numbers(count).size());
}

// FNV-1a of "0, 1, ..., count-1", computed by the C part of the library.
extern "C" __attribute__((export_name("probe_joined_checksum"))) uint32_t probe_joined_checksum(
    int32_t count) {
  std::string text = numbers(count);
  return textkit_checksum(text.data(), static_cast<uint32_t>(text.size()));
}

// vector::at out of range: a libc++ abort, which must trap.
extern "C" __attribute__((export_name("probe_out_of_range"))) int32_t probe_out_of_range(
    int32_t index) {
  std::vector<int32_t> values{1, 2, 3};
  return values.at(static_cast<size_t>(index));
}
