// Import type matching (the core spec's extern subtyping).
#pragma once

#include "wasm/types.hpp"

namespace actr::wasm::interp {

// True when an extern of type `actual` may satisfy an import of type `expected`: same kind;
// functions and globals of the same type; tables and memories at least as large, and no larger a
// maximum when the import declares one.
bool import_matches(const ExternType& expected, const ExternType& actual);

}  // namespace actr::wasm::interp
