// Type equality and subtyping of resolved types, as instantiation arguments, ascribed export
// types and core instantiation arguments require (value and function types compare with
// TypeEquality, types.hpp). On a mismatch `why` (if given) receives the first difference, e.g.
// "in field `b`: `u32` in the given type, `string` in the expected type".
#pragma once

#include <string>

#include "actr/wasm/types.hpp"
#include "component/validate/extern_types.hpp"

namespace actr::component::validate {

// Whether an item of type `actual` may be supplied where `expected` is required: instances may
// have more exports than required, modules fewer imports; everything else must be equal.
bool is_subtype(const ExternType& actual, const ExternType& expected, std::string* why = nullptr);
bool is_subtype(const DefinedType& actual, const DefinedType& expected, std::string* why = nullptr);

// Core: whether `actual` satisfies an import of type `expected`.
bool core_matches(const wasm::ExternType& actual, const wasm::ExternType& expected,
                  std::string* why = nullptr);

}  // namespace actr::component::validate
