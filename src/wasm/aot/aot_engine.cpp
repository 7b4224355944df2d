#include "wasm/aot/aot_engine.hpp"

namespace actr::wasm {

Result<std::unique_ptr<Engine>> make_aot_engine(const EngineOptions&) {
  return make_error("aot engine: not built yet");
}

bool aot_compiler_available() { return false; }

}  // namespace actr::wasm
