#include "wasm/interp/interp_memory_table_global.hpp"

#include "wasm/interp/type_convert.hpp"

namespace actr::wasm::interp {

Slot InterpGlobal::get() const { return to_slot(type_.type, global_.Get()); }

Result<void> InterpGlobal::set(Slot value) {
  if (!type_.is_mutable) return make_error("cannot set an immutable global");
  ACTR_TRY_VOID(store_->check_ref(type_.type, value));
  global_.UnsafeSet(to_value(type_.type, value));
  return {};
}

}  // namespace actr::wasm::interp
