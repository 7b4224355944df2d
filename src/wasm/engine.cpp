#include "actr/wasm/engine.hpp"

#include <cstdlib>

#include "wasm/aot/aot_engine.hpp"
#include "wasm/aot/compiler_jobs.hpp"
#include "wasm/interp/interp_engine.hpp"

namespace actr::wasm {

ExternKind kind_of(const Extern& e) {
  switch (e.index()) {
    case 0:
      return ExternKind::Func;
    case 1:
      return ExternKind::Table;
    case 2:
      return ExternKind::Memory;
    case 3:
      return ExternKind::Global;
    default:
      return ExternKind::Tag;
  }
}

Result<std::unique_ptr<Engine>> make_engine(EngineKind kind, const EngineOptions& options) {
  if (kind == EngineKind::Aot) return make_aot_engine(options);
  return make_interp_engine(options);
}

EngineKind default_engine_kind() {
  return aot_compiler_available() ? EngineKind::Aot : EngineKind::Interp;
}

void cancel_compiles() { aot::cancel_all_compiles(); }
void allow_compiles() { aot::allow_compiles(); }

Result<EngineKind> parse_engine_kind(std::string_view name) {
  if (name == "aot") return EngineKind::Aot;
  if (name == "interp") return EngineKind::Interp;
  return make_error("unknown engine `" + std::string(name) + "` (expected aot or interp)");
}

}  // namespace actr::wasm
