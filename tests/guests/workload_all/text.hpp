// The canonical text forms in which the guest reports what it received (through log-message) and
// the simple encodings it parses from dispatch payloads. Strings are printed raw (not quoted or
// escaped) so that non-ASCII text round-trips byte for byte. The host-side tests build the same
// text; tests/component/workload_world_test.cpp documents every form.
//
//   actr-id        <realm-id>/<serial-number>/<manufacturer>:<name>:<version>
//   option<T>      none | <T>
//   bool           true | false
//   bytes          lowercase hex, two digits a byte ("" when empty)
//   timestamp      <seconds>s+<nanoseconds>ns
//   actr-error     <case> | <case>(<string>) | dependency-not-found(<service-name>,<message>)
//   metadata       [<key>=<value>,...]
//   dest           shell | local | <actr-id>
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "abi.hpp"

namespace guest {

inline std::string_view view(Str s) { return {s.ptr, s.len}; }

std::string decimal(uint64_t v);
std::string decimal_signed(int64_t v);
std::string hex(const uint8_t* data, uint32_t len);
std::string text(const ActrId& id);
std::string text(const ActrError& e);
std::string text_timestamp(uint64_t seconds, uint32_t nanoseconds);
std::string text(const DataStream& d);

extern const char* const kErrorCaseNames[kErrorCaseCount];
extern const char* const kErrorCategoryNames[5];
extern const char* const kPayloadTypeNames[5];

// Index of `name` in `names`, or -1.
int find_name(const char* const* names, int count, std::string_view name);

// Splits `s` at the first `sep`: returns the head and leaves the tail in `s`; nullopt (and `s`
// unchanged) when `sep` does not occur.
std::optional<std::string_view> take_until(std::string_view& s, char sep);

std::optional<uint64_t> parse_u64(std::string_view s);
std::optional<int64_t> parse_s64(std::string_view s);

// Parses "<manufacturer>:<name>:<version>" / an actr-id / a dest in their text forms. The
// strings of the result point into the input (not owned).
std::optional<ActrType> parse_type(std::string_view s);
std::optional<ActrId> parse_id(std::string_view s);
std::optional<Dest> parse_dest(std::string_view s);

}  // namespace guest
