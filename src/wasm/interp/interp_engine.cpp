#include "wasm/interp/interp_engine.hpp"

namespace actr::wasm {

Result<std::unique_ptr<Engine>> make_interp_engine(const EngineOptions&) {
  return make_error("interp engine: not built yet");
}

}  // namespace actr::wasm
