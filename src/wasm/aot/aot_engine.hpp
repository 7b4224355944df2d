// The ahead-of-time backend: wasm2c -> C -> system compiler -> cached shared object -> dlopen.
#pragma once

#include <memory>

#include "wasm/engine.hpp"

namespace actr::wasm {

Result<std::unique_ptr<Engine>> make_aot_engine(const EngineOptions& options);
// True when the C compiler the aot engine would use can be run.
bool aot_compiler_available();

}  // namespace actr::wasm
