// The outward shape of a core module (types, imports, exports and the index spaces behind them),
// read straight from the binary without decoding function bodies, so a cache hit stays cheap.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/wasm/types.hpp"

namespace actr::wasm::aot {

struct ModuleShape {
  std::vector<ImportType> imports;
  std::vector<ExportType> exports;
  // For each export, its index in the index space of its kind (imported entities first).
  std::vector<uint32_t> export_indices;
  // Index spaces, imports first.
  std::vector<FuncType> funcs;
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  std::vector<TagType> tags;
  uint32_t imported_funcs = 0;
  uint32_t imported_tables = 0;
  uint32_t imported_memories = 0;
  uint32_t imported_globals = 0;
  uint32_t imported_tags = 0;
  // Whether instantiation runs a start function, and whether an active data segment's offset
  // reads a global: either makes an instance's initial memory depend on more than the module.
  bool has_start = false;
  bool data_offsets_vary = false;
};

// Expects a module that is well-formed (validation is a separate step); still never crashes on
// malformed input and reports the byte offset of what it could not read.
Result<ModuleShape> read_module_shape(std::span<const uint8_t> bytes);

}  // namespace actr::wasm::aot
