// Turns wasm2c's output for one module into the single C translation unit the aot engine
// compiles: the glue ABI, wasm2c's code with the runtime hooks patched in, import thunks,
// export trampolines and the `actr_glue_module` descriptor.
#pragma once

#include <string>
#include <string_view>

#include "actr/common/result.hpp"
#include "wasm/aot/c_translation.hpp"
#include "wasm/aot/module_shape.hpp"

namespace actr::wasm::aot {

// The C symbol prefix and header name used for every module (each lives in its own object).
inline constexpr const char* kGeneratedModuleName = "m";
inline constexpr const char* kGeneratedHeaderName = "module.h";

// wasm2c's mangling of an import/export name (Z_ + escaped bytes).
std::string mangle_c_name(std::string_view name);

// `translation` must come from translate_to_c(..., kGeneratedModuleName, kGeneratedHeaderName).
// Returns the complete C source; the header must be written next to it as kGeneratedHeaderName.
Result<std::string> write_module_source(const ModuleShape& shape, const CTranslation& translation,
                                        std::string_view cache_key);

}  // namespace actr::wasm::aot
