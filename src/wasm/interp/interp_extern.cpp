#include "wasm/interp/interp_extern.hpp"

#include <variant>

namespace actr::wasm::interp {

InterpExtern* as_interp(const Extern& e) {
  return std::visit([](const auto& ptr) { return dynamic_cast<InterpExtern*>(ptr.get()); }, e);
}

}  // namespace actr::wasm::interp
