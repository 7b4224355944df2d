// Reading of the core WebAssembly pieces a component binary contains: core value, function and
// extern types (also used in core type and module type definitions), and the interface of an
// embedded core module (its imports and exports with their types). Function bodies and data are
// skipped: the engine validates them when it compiles the module.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/wasm/types.hpp"
#include "component/binary/reader.hpp"

namespace actr::component::binary {

struct CoreModuleInterface {
  std::vector<wasm::ImportType> imports;
  std::vector<wasm::ExportType> exports;
};

// Reads the interface of the core module in `bytes` (starting with its preamble); `base` is the
// absolute offset of bytes[0] for messages.
Result<CoreModuleInterface> read_core_module(std::span<const uint8_t> bytes, size_t base);

Result<wasm::ValType> read_core_valtype(Reader& r);
// A function type after its 0x60 opcode.
Result<wasm::FuncType> read_core_functype(Reader& r);
Result<wasm::TableType> read_core_tabletype(Reader& r);
Result<wasm::MemoryType> read_core_memtype(Reader& r);
Result<wasm::GlobalType> read_core_globaltype(Reader& r);

// A core import or export description (core:externtype). For functions the type is an index,
// returned in `func_type_index` with `type.func` left empty; so is a tag's (its parameters are the
// function type's, which has no results).
struct CoreExternDesc {
  wasm::ExternType type;
  uint32_t func_type_index = 0;
};
Result<CoreExternDesc> read_core_externdesc(Reader& r);

}  // namespace actr::component::binary
