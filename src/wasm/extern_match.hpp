// Import type matching shared by every engine: the core spec's extern subtyping, and how an
// extern type is described in the error when it does not match.
#pragma once

#include <string>

#include "actr/wasm/engine.hpp"
#include "actr/wasm/types.hpp"

namespace actr::wasm {

// True when an extern of type `actual` may satisfy an import of type `expected`: same kind;
// functions and globals of the same type; tables and memories at least as large, and no larger a
// maximum when the import declares one.
bool import_matches(const ExternType& expected, const ExternType& actual);

// "func (i32) -> ()", "table funcref {min 1, max 2}", "memory {min 1}", "global mut i32".
std::string describe(const ExternType& type);

// The type of an extern, read through the engine interface.
ExternType type_of(const Extern& e);

}  // namespace actr::wasm
