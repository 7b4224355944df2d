// Lifting and lowering of single values between host Values and a guest's core values and linear
// memory (CanonicalABI.md: load/store, lift_flat/lower_flat, strings and lists). call.hpp builds
// whole calls from these; use a Codec directly only for pieces of a call.
//
// Every check the spec makes returns a trap (wasm::TrapKind code, message as wasmtime words it
// where it has one): "unaligned pointer", "realloc return: result not aligned", "realloc return:
// beyond end of memory", "string pointer/length out of bounds of memory", "invalid utf-8 ...",
// "invalid `char` bit pattern", "invalid variant discriminant", handle table traps, ...
// Lowering assumes values already passed check_value (mismatches are errors, never crashes).
#pragma once

#include <cstdint>

#include "actr/common/result.hpp"
#include "actr/component/canonical/layout.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"
#include "actr/wasm/types.hpp"
#include "component/canonical/handle_table.hpp"
#include "component/canonical/options.hpp"

namespace actr::component::canonical {

// Core values read one at a time, as lifting consumes them.
struct FlatReader {
  const wasm::Slot* slots;
  uint32_t size;
  uint32_t pos = 0;
};

// Core values written one at a time.
struct FlatWriter {
  wasm::Slot* slots;
  uint32_t capacity;
  uint32_t pos = 0;
};

class Codec {
 public:
  // `scope` tracks borrows lowered into, and handles lent by, the guest for the current call;
  // it may be null when no borrow handles cross.
  Codec(const Options& options, CallScope* scope);

  const Options& options() const { return opts_; }

  // Layouts of compound types to use instead of computing them (may be null; must outlive the
  // Codec).
  void use_layouts(const LayoutCache* layouts) { layouts_ = layouts; }
  Layout layout(const ValueType& t) const { return layouts_ ? layouts_->layout(t) : layout_of(t); }
  uint32_t flat(const ValueType& t) const {
    return layouts_ ? layouts_->flat_count(t) : flat_count(t);
  }

  Result<void> lower_flat(const ValueType& t, const Value& v, FlatWriter& out);
  Result<void> store(const ValueType& t, const Value& v, uint32_t ptr);
  Result<void> lift_flat(const ValueType& t, FlatReader& in, Value& out);
  Result<void> load(const ValueType& t, uint32_t ptr, Value& out);

  // Calls the guest's realloc and checks the result is aligned and in bounds for new_size bytes.
  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size);
  // Re-reads the memory's base and size; call after anything ran guest code.
  void refresh();
  // Checks [ptr, ptr+len) is aligned and inside memory, with the given message for each case.
  Result<void> check_range(uint64_t ptr, uint64_t len, uint32_t align, const char* unaligned,
                           const char* out_of_bounds);
  // check_range for a pointer the guest passed or returned: needs the memory option.
  Result<void> check_pointer(uint64_t ptr, const Layout& block);

 private:
  Result<void> need_memory();

  Result<void> store_string(const std::string& s, uint32_t& ptr, uint32_t& units);
  Result<void> store_utf8_to_utf16(const std::string& s, uint32_t& ptr, uint32_t& units);
  Result<void> store_to_latin1_or_utf16(const std::string& s, uint32_t& ptr, uint32_t& units);
  Result<void> store_list(const ValueType& elem, const Value& v, uint32_t& ptr, uint32_t& len);
  Result<void> store_map(const ValueType& t, const Value& v, uint32_t& ptr, uint32_t& len);
  Result<void> load_string(uint32_t ptr, uint32_t tagged_units, Value& out);
  bool store_numbers(Kind k, const Value& v, uint32_t ptr);
  bool load_numbers(Kind k, uint32_t ptr, Value& out);
  Result<void> load_list(const ValueType& elem, uint32_t ptr, uint32_t len, Value& out);
  Result<void> load_map(const ValueType& t, uint32_t ptr, uint32_t len, Value& out);
  Result<uint32_t> lower_handle(const ValueType& t, const Value& v);
  Result<void> lift_handle(const ValueType& t, uint32_t index, Value& out);

  template <typename T>
  void write(uint32_t ptr, T value);
  template <typename T>
  T read(uint32_t ptr) const;

  Options opts_;  // a copy: callers often pass a temporary
  CallScope* scope_;
  const LayoutCache* layouts_ = nullptr;
  // The memory's current view; refreshed after every call into the guest (it may grow).
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace actr::component::canonical
