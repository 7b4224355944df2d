// Facts about resolved value types that validation needs: nesting depth and tree size (bounded,
// so that no hostile type makes later recursive algorithms blow up), the canonical ABI element
// size (the rules of canonical/layout.hpp, composed with saturating arithmetic: a hostile type's
// size must not wrap before it is rejected), whether a type holds strings/lists (memory and
// realloc options), borrows or any handle. Core signatures come from canonical::flatten_func.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "actr/component/canonical/layout.hpp"
#include "actr/component/types.hpp"
#include "actr/wasm/types.hpp"

namespace actr::component::validate {

inline constexpr uint32_t kMaxTypeDepth = 100;
inline constexpr uint64_t kMaxTypeNodes = 1'000'000;
inline constexpr uint64_t kMaxElemSize = uint64_t{1} << 28;
using canonical::kMaxFlatParams;
using canonical::kMaxFlatResults;

struct TypeFacts {
  uint32_t depth = 1;
  uint64_t nodes = 1;  // size of the type written out as a tree (saturating)
  uint64_t size = 0;   // canonical ABI element size in bytes (saturating)
  uint32_t align = 1;
  // The same with 64-bit pointers (strings and lists 16 bytes, aligned to 8): validation bounds
  // every defined type's elem_size(t, 'i64') below 2^28 (CanonicalABI.md, "Element Size").
  uint64_t size64 = 0;
  uint32_t align64 = 1;
  bool has_string_or_list = false;
  bool has_borrow = false;
  bool has_handle = false;  // own or borrow anywhere
};

// Memoized facts; keeps every type it has seen alive so that addresses stay unique.
class TypeFactsCache {
 public:
  const TypeFacts& of(const TypeRef& t);

 private:
  std::unordered_map<const ValueType*, std::pair<TypeRef, TypeFacts>> memo_;
};

}  // namespace actr::component::validate
