// Texts compiled into the binary at build time (see CMakeLists.txt), so generated C needs nothing
// from the source tree or from /usr/src at run time.
#pragma once

#include <string_view>

namespace actr::wasm::aot {

// src/wasm/aot/glue_abi.h, pasted into every generated module.
std::string_view glue_abi_header_text();
// wasm2c's wasm-rt.h as installed when actr was built; generated code and the runtime agree on it.
std::string_view wasm_rt_header_text();
// A hash of the engine sources that shape generated code, so a changed generator never reuses
// objects an older one compiled.
std::string_view aot_sources_fingerprint();

}  // namespace actr::wasm::aot
