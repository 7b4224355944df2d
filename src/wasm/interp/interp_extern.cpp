#include "wasm/interp/interp_extern.hpp"

#include <variant>

namespace actr::wasm::interp {

InterpExtern* as_interp(const Extern& e) {
  return std::visit([](const auto& ptr) { return dynamic_cast<InterpExtern*>(ptr.get()); }, e);
}

ExternType type_of(const Extern& e) {
  ExternType type;
  type.kind = kind_of(e);
  switch (type.kind) {
    case ExternKind::Func:
      type.func = std::get<std::shared_ptr<Func>>(e)->type();
      break;
    case ExternKind::Table:
      type.table = std::get<std::shared_ptr<Table>>(e)->type();
      break;
    case ExternKind::Memory:
      type.memory = std::get<std::shared_ptr<Memory>>(e)->type();
      break;
    case ExternKind::Global:
      type.global = std::get<std::shared_ptr<Global>>(e)->type();
      break;
  }
  return type;
}

}  // namespace actr::wasm::interp
