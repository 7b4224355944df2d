// A guest instance's linear memory and allocator, for code that lowers and lifts typed values
// itself instead of going through component::Value (the generated host bindings' fast path:
// ExportedFunc::call_raw and Linker::func with a RawHostFunction).
//
// Every access is checked as the canonical ABI requires: a pointer or length the guest supplied
// that is unaligned or out of bounds, invalid UTF-8, a bad discriminant or char gives a trap
// (Error whose code is a wasm::TrapKind, with Codec's messages), never a host memory access out
// of the guest's memory. Offsets are guest addresses (uint32_t); data() changes when alloc() runs
// guest code (memory may grow), so writers keep offsets and re-read data() after allocating.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/wasm/engine.hpp"
#include "actr/wasm/trap.hpp"

namespace actr::component::canonical {

// Where an engine keeps a memory's current base pointer and byte size, when it lets them be read
// directly (see wasm/aot/memory_fields.hpp): refreshing then costs two loads instead of two
// virtual calls. Both pointers are null otherwise.
struct MemoryCells {
  uint8_t* const* data = nullptr;
  const uint32_t* size = nullptr;
};

class GuestMemory {
 public:
  // `memory` and `realloc` may be null when the function's canonical options have none (then
  // anything that needs them traps); `may_leave` is cleared while realloc runs (may be null).
  // `cells`, when set, are `memory`'s own.
  GuestMemory(wasm::Memory* memory, wasm::Func* realloc, bool* may_leave, MemoryCells cells = {})
      : memory_(memory), realloc_(realloc), may_leave_(may_leave), cells_(cells) {
    refresh();
  }

  uint8_t* data() const { return base_; }
  uint64_t size() const { return size_; }
  // Re-reads the memory's base and size (after anything ran guest code).
  void refresh() {
    if (cells_.data) {
      base_ = *cells_.data;
      size_ = *cells_.size;
    } else if (memory_) {
      base_ = memory_->data();
      size_ = memory_->size();
    }
  }

  // [ptr, ptr + len) is aligned to `align` (1, 2, 4 or 8) and inside memory; else a trap
  // "unaligned pointer" or `out_of_bounds`.
  Result<void> check(uint64_t ptr, uint64_t len, uint32_t align,
                     const char* out_of_bounds = "pointer out of bounds of memory") const {
    if ((ptr & (align - 1)) != 0) [[unlikely]]
      return unaligned();
    if (ptr + len > size_) [[unlikely]]
      return outside(out_of_bounds);
    return {};
  }

  // Scalars at a checked offset. The test only guards against a caller's logic error.
  template <class T>
  T load(uint32_t ptr) const {
    T v{};
    if (uint64_t{ptr} + sizeof(T) <= size_) std::memcpy(&v, base_ + ptr, sizeof(T));
    return v;
  }
  template <class T>
  void store(uint32_t ptr, T v) {
    if (uint64_t{ptr} + sizeof(T) <= size_) std::memcpy(base_ + ptr, &v, sizeof(T));
  }

  // realloc(0, 0, align, size) in the guest, its result checked to be aligned and in bounds.
  Result<uint32_t> alloc(uint32_t align, uint32_t size);

  // Strings (UTF-8 only) and byte lists.
  Result<void> read_string(uint32_t ptr, uint32_t len, std::string& out) const;
  // Copies a host string into a new guest block; returns its pointer. A string that is not
  // UTF-8 is an Error with code 0 (the host's fault) and never reaches the guest.
  Result<uint32_t> write_string(std::string_view s);
  Result<void> read_bytes(uint32_t ptr, uint32_t len, std::vector<uint8_t>& out) const;
  Result<uint32_t> write_bytes(const uint8_t* data, size_t len);
  // The bytes of a list of `count` elements of `elem_size` bytes: checks the length limit, the
  // alignment and the bounds.
  Result<void> check_list(uint32_t ptr, uint32_t count, uint32_t elem_size, uint32_t align) const;
  // Allocates such a list; returns its pointer.
  Result<uint32_t> alloc_list(size_t count, uint32_t elem_size, uint32_t align);

  // Traps of lifting, with Codec's messages.
  static Error bad_discriminant(uint32_t discriminant, uint32_t cases);
  static Error bad_char(uint32_t c);
  static bool is_scalar(uint32_t c) { return c < 0xD800 || (c > 0xDFFF && c <= 0x10FFFF); }

 private:
  Error unaligned() const;
  Error outside(const char* what) const;

  wasm::Memory* memory_;
  wasm::Func* realloc_;
  bool* may_leave_;
  MemoryCells cells_;
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace actr::component::canonical
