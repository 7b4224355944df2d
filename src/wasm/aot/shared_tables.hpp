// Funcref tables shared by every instance of a module.
//
// wasm2c gives each instance a table of its own, filled from the element segments at
// instantiation; each entry names an instance (the one the entry's function runs in: the module's
// own instance, or the address of the field that holds an import's block, glue_abi.h). For a table
// that the module never exports and that no instruction but call_indirect (and table.size) names,
// the contents after instantiation are a function of the module alone, except for that instance
// pointer: every entry the element segments write is `instance + offset` with an offset fixed by
// the module. Such a table is built once per loaded object (at init_module) with the offsets in
// place of the instance pointers, each instance's table struct points at it, and call_indirect
// through it adds the calling instance (the table's only reader, as nothing else can reach it).
// An idle instance of an SDK guest then holds no table entries (96 x 24 bytes for `echo`).
#pragma once

#include <string>
#include <vector>

#include "actr/common/result.hpp"

namespace wabt {
struct Module;
}

namespace actr::wasm::aot {

// Tables with more elements than this keep one per instance (the template lives in the shared
// object's bss).
inline constexpr uint32_t kMaxSharedTableElements = 1u << 16;

// One flag per table of `module` (imports first, never shared): whether the table can be shared.
// A table qualifies when it is the module's own funcref table of at most kMaxSharedTableElements
// elements, is not exported, is named by no instruction but call_indirect and table.size, and its
// active element segments have constant offsets, only ref.func / ref.null items, and fit its
// initial size (so that filling it cannot trap).
std::vector<bool> shareable_tables(const wabt::Module& module);

// Rewrites wasm2c's output for the tables `shared` flags: a per-object template filled at
// init_module, the instance's table struct a copy of the template's, no free, and call_indirect
// through them naming the calling instance. Errors when the text is not wasm2c 1.0.32's shape.
Result<void> share_tables(const std::vector<bool>& shared, size_t imported_tables,
                          std::string& source);

}  // namespace actr::wasm::aot
