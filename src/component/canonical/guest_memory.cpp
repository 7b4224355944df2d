#include "actr/component/canonical/guest_memory.hpp"

#include <cstdio>

#include "actr/component/canonical/layout.hpp"
#include "common/unicode.hpp"

namespace actr::component::canonical {

namespace {

Error trap(std::string message, wasm::TrapKind kind = wasm::TrapKind::Other) {
  return wasm::make_trap(kind, std::move(message));
}

// Most strings that cross are ASCII: checked 8 bytes at a time before the full UTF-8 check.
bool is_ascii(std::string_view s) {
  uint64_t seen = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    seen |= word;
  }
  for (; i < s.size(); ++i) seen |= static_cast<uint8_t>(s[i]);
  return (seen & 0x8080808080808080ull) == 0;
}

}  // namespace

Error GuestMemory::unaligned() const { return trap("unaligned pointer"); }

Error GuestMemory::outside(const char* what) const {
  if (!memory_) return trap("canonical option `memory` is required to pass this value");
  return trap(what, wasm::TrapKind::MemoryOutOfBounds);
}

Error GuestMemory::bad_discriminant(uint32_t discriminant, uint32_t cases) {
  return trap("invalid variant discriminant: " + std::to_string(discriminant) + " (the type has " +
              std::to_string(cases) + " cases)");
}

Error GuestMemory::bad_char(uint32_t c) {
  char hex[16];
  std::snprintf(hex, sizeof hex, "0x%x", c);
  return trap(std::string("invalid `char` bit pattern: ") + hex);
}

Result<uint32_t> GuestMemory::alloc(uint32_t align, uint32_t size) {
  if (!memory_) return trap("canonical option `memory` is required to pass this value");
  if (!realloc_) {
    return trap("canonical option `realloc` is required to pass strings and lists into the guest");
  }
  wasm::Slot args[4] = {0, 0, align, size};
  wasm::Slot result[1] = {0};
  bool was = true;
  if (may_leave_) {
    was = *may_leave_;
    *may_leave_ = false;
  }
  Result<void> called = realloc_->call(args, result);
  if (may_leave_) *may_leave_ = was;
  if (!called.ok()) [[unlikely]]
    return called.take_error();
  refresh();
  auto ptr = static_cast<uint32_t>(result[0]);
  if ((ptr & (align - 1)) != 0) [[unlikely]]
    return trap("realloc return: result not aligned");
  if (uint64_t{ptr} + size > size_) [[unlikely]] {
    return trap("realloc return: beyond end of memory", wasm::TrapKind::MemoryOutOfBounds);
  }
  return ptr;
}

Result<void> GuestMemory::read_string(uint32_t ptr, uint32_t len, std::string& out) const {
  if (len > kMaxStringByteLength) {
    return trap("string too long: " + std::to_string(len) + " bytes (the limit is " +
                std::to_string(kMaxStringByteLength) + ")");
  }
  ACTR_TRY_VOID(check(ptr, len, 1, "string pointer/length out of bounds of memory"));
  std::string_view view(reinterpret_cast<const char*>(base_ + ptr), len);
  if (!is_ascii(view)) {
    std::string message;
    if (!unicode::validate_utf8(view, &message)) return trap(message);
  }
  out.assign(view.data(), view.size());
  return {};
}

Result<uint32_t> GuestMemory::write_string(std::string_view s) {
  if (s.size() > kMaxStringByteLength) {
    return make_error("string of " + std::to_string(s.size()) + " bytes is too long to pass");
  }
  // What the host passes is checked as the Value path's check_value does, before the guest sees
  // it (an error, not a trap: the host is at fault).
  if (!is_ascii(s)) {
    std::string message;
    if (!unicode::validate_utf8(s, &message)) {
      return make_error("string is not valid utf-8: " + message);
    }
  }
  auto n = static_cast<uint32_t>(s.size());
  ACTR_TRY(uint32_t ptr, alloc(1, n));
  if (n) std::memcpy(base_ + ptr, s.data(), n);
  return ptr;
}

Result<void> GuestMemory::check_list(uint32_t ptr, uint32_t count, uint32_t elem_size,
                                     uint32_t align) const {
  uint64_t bytes = uint64_t{elem_size} * count;
  if (bytes > kMaxListByteLength) {
    return trap("list too long: " + std::to_string(count) + " elements of " +
                std::to_string(elem_size) + " bytes (the limit is " +
                std::to_string(kMaxListByteLength) + " bytes)");
  }
  return check(ptr, bytes, align, "list pointer/length out of bounds of memory");
}

Result<void> GuestMemory::read_bytes(uint32_t ptr, uint32_t len, std::vector<uint8_t>& out) const {
  ACTR_TRY_VOID(check_list(ptr, len, 1, 1));
  out.assign(base_ + ptr, base_ + ptr + len);
  return {};
}

Result<uint32_t> GuestMemory::write_bytes(const uint8_t* data, size_t len) {
  ACTR_TRY(uint32_t ptr, alloc_list(len, 1, 1));
  if (len) std::memcpy(base_ + ptr, data, len);
  return ptr;
}

Result<uint32_t> GuestMemory::alloc_list(size_t count, uint32_t elem_size, uint32_t align) {
  uint64_t bytes = uint64_t{elem_size} * count;
  if (bytes > kMaxListByteLength) {
    return make_error("list of " + std::to_string(count) + " elements is too long to pass");
  }
  return alloc(align, static_cast<uint32_t>(bytes));
}

}  // namespace actr::component::canonical
