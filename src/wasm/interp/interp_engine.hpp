// The interpreter backend: the wabt interpreter (libwabt); needs no compiler.
#pragma once

#include <memory>

#include "actr/wasm/engine.hpp"

namespace actr::wasm {

Result<std::unique_ptr<Engine>> make_interp_engine(const EngineOptions& options);

}  // namespace actr::wasm
