// The canonical ABI's memory layout and flattening of component value types
// (design/mvp/CanonicalABI.md: alignment, elem_size, flatten_type, flatten_functype), for 32-bit
// memories. Tuples, enums, options and results are laid out as the records and variants they
// despecialize to, maps as list<tuple<key, value>>.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "actr/component/types.hpp"
#include "actr/wasm/types.hpp"

namespace actr::component::canonical {

// Above these counts, parameters (results) travel through linear memory instead of core values.
inline constexpr uint32_t kMaxFlatParams = 16;
inline constexpr uint32_t kMaxFlatResults = 1;
// Lifted strings and lists longer than this many bytes trap.
inline constexpr uint32_t kMaxStringByteLength = (1u << 28) - 1;
inline constexpr uint32_t kMaxListByteLength = (1u << 28) - 1;
// latin1+utf16: set in a string's length when its code units are UTF-16.
inline constexpr uint32_t kUtf16Tag = 1u << 31;

// Canonical ABI alignments are powers of two (1, 2, 4 or 8), so no division is needed.
constexpr uint64_t align_to(uint64_t offset, uint32_t alignment) {
  uint64_t mask = uint64_t{alignment} - 1;
  return (offset + mask) & ~mask;
}

uint32_t alignment(const ValueType& t);
uint32_t size_of(const ValueType& t);  // elem_size: bytes of one value in memory, incl. padding

// Size and alignment together (one walk of the type), and for variants the payload offset.
struct Layout {
  uint32_t size = 0;
  uint32_t align = 1;
  uint32_t payload_offset = 0;  // variants (and enum, option, result)
};
Layout compound_layout(const ValueType& t);
inline Layout layout_of(const ValueType& t) {
  // Scalars, strings and lists (most fields and elements) without a call.
  static constexpr uint8_t kSize[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 4, 8, 8};
  static constexpr uint8_t kAlign[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 4, 4, 4};
  auto k = static_cast<size_t>(t.kind);
  if (k < sizeof kSize) return Layout{kSize[k], kAlign[k], 0};
  if (t.kind == Kind::Own || t.kind == Kind::Borrow) return Layout{4, 4, 0};
  return compound_layout(t);
}

// Layouts and flat counts of the compound types inside some types, computed once: lookups by
// address, valid while those types live (CallPlan keeps them alive).
class LayoutCache {
 public:
  // Adds `t` and every compound type inside it.
  void add(const ValueType& t);
  // Cached, or computed when `t` was not added.
  Layout layout(const ValueType& t) const;
  uint32_t flat_count(const ValueType& t) const;

 private:
  struct Entry {
    const ValueType* type;
    Layout layout;
    uint32_t flat_count;
  };
  const Entry* find(const ValueType& t) const;
  // Functions have few distinct compound types: a linear scan beats hashing.
  std::vector<Entry> entries_;
};

// A map is passed as list<tuple<key, value>>: each entry holds the key at offset 0 and the value
// at `value_offset`, entries `size` bytes apart.
struct MapEntryLayout {
  uint32_t size = 0;
  uint32_t align = 1;
  uint32_t value_offset = 0;
};
MapEntryLayout map_entry_layout(const Layout& key, const Layout& value);

// Variants (and enum, option, result): the case count, the size of the discriminant stored
// first, and the payload type of case i (null: none).
uint32_t case_count(const ValueType& t);
constexpr uint32_t discriminant_size(uint64_t num_cases) {
  return num_cases <= (1u << 8) ? 1 : num_cases <= (1u << 16) ? 2 : 4;
}
const ValueType* case_type(const ValueType& t, uint32_t i);
// Offset of the payload from the start of the variant (layout_of(t).payload_offset).
uint32_t payload_offset(const ValueType& t);
// Flags: bytes in memory (1, 2, 4, or 4 per 32 labels beyond 32) and core i32 values when flat.
uint32_t flags_size(size_t num_labels);
uint32_t flags_flat_count(size_t num_labels);

// Core values of a type when passed flat; variants join their cases' payloads slot by slot.
void flatten(const ValueType& t, std::vector<wasm::ValType>& out);
std::vector<wasm::ValType> flatten(const ValueType& t);
// The number of core values (same as flatten(t).size(), without allocating).
uint32_t flat_count(const ValueType& t);
uint32_t flat_count(std::span<const Param> params);
// The same, counting no further than just past `limit` (a result above `limit` only says "more"):
// bounded work for the question "does it fit", also on types built to be huge.
uint32_t flat_count(const ValueType& t, uint32_t limit);
uint32_t flat_count(std::span<const Param> params, uint32_t limit);

// Record layout of several values in a row (the tuple of a function's params or results).
uint32_t tuple_alignment(std::span<const Param> params);
uint32_t tuple_size(std::span<const Param> params);
Layout tuple_layout(std::span<const Param> params);

// The core function type of a component function: what `canon lift` expects the core callee to
// have, and what `canon lower` produces for the guest to import (validation checks the guest's
// core functions against it). Above kMaxFlatParams params are
// passed as one i32 pointer; above kMaxFlatResults results are returned as an i32 pointer (lift)
// or written through an i32 return-pointer param appended by the caller (lower).
enum class Direction : uint8_t { Lift, Lower };
wasm::FuncType flatten_func(const FuncType& ft, Direction d);

}  // namespace actr::component::canonical
