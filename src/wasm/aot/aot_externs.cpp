#include "wasm/aot/aot_externs.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "actr/wasm/trap.hpp"
#include "wasm/aot/memory_fields.hpp"

namespace actr::wasm::aot {

namespace {

// The counts are small (at most a few slots in practice): an element loop is cheaper than the
// libc memmove call that std::copy_n becomes. The empty asm keeps the compiler from turning the
// loop back into that call.
inline void copy_slots(const Slot* from, size_t count, Slot* to) {
  for (size_t i = 0; i < count; ++i) {
    to[i] = from[i];
    __asm__ volatile("");
  }
}

}  // namespace

Result<void> GuestFunc::call(const Slot* args, Slot* results) {
  const GuestFuncInfo& info = this->info();
  Slot local[kLocalSlots];
  std::vector<Slot> heap;
  Slot* slots = local;
  if (info.slot_count > kLocalSlots) [[unlikely]] {
    heap.resize(info.slot_count);
    slots = heap.data();
  }
  copy_slots(args, info.param_count, slots);
  // The one return statement lets the Status be built in the caller's slot, never moved.
  Result<void> r = guarded_call(*cell_->store, info.trampoline, cell_->instance, slots);
  if (r.ok()) [[likely]]
    copy_slots(slots, info.result_count, results);
  return r;
}

std::optional<MemoryFields> memory_fields(const Memory& memory) {
  const auto* aot = dynamic_cast<const AotMemory*>(&memory);
  if (aot == nullptr) return std::nullopt;
  const wasm_rt_memory_t* raw = aot->raw();
  return MemoryFields{&raw->data, &raw->size};
}

Result<uint64_t> AotMemory::grow(uint64_t delta_pages) {
  uint32_t old = delta_pages > UINT32_MAX
                     ? UINT32_MAX
                     : grow_memory(memory_, static_cast<uint32_t>(delta_pages));
  if (old == UINT32_MAX) {
    return make_trap(TrapKind::MemoryLimit,
                     "growing by " + std::to_string(delta_pages) +
                         " pages passes the memory's maximum or the store's memory limit of " +
                         std::to_string(store_->max_memory_bytes) + " bytes");
  }
  return uint64_t{old};
}

uint32_t AotTable::size() const {
  // Both table structs have the same layout; only the element type differs.
  return elem_ == ValType::FuncRef ? static_cast<const wasm_rt_funcref_table_t*>(table_)->size
                                   : static_cast<const wasm_rt_externref_table_t*>(table_)->size;
}

Slot AotGlobal::get() const {
  switch (type_.type) {
    case ValType::I32:
    case ValType::F32: {
      uint32_t v;
      std::memcpy(&v, value_, 4);
      return v;
    }
    case ValType::I64:
    case ValType::F64: {
      uint64_t v;
      std::memcpy(&v, value_, 8);
      return v;
    }
    case ValType::ExternRef:
      return reinterpret_cast<uintptr_t>(*static_cast<wasm_rt_externref_t*>(value_));
    case ValType::FuncRef:
      // Only null has a slot representation; non-null reads as an opaque non-zero value.
      return static_cast<wasm_rt_funcref_t*>(value_)->func == nullptr ? 0 : 1;
  }
  return 0;
}

Result<void> AotGlobal::set(Slot value) {
  if (!type_.is_mutable) return make_error("cannot set an immutable global");
  switch (type_.type) {
    case ValType::I32:
    case ValType::F32: {
      uint32_t v = static_cast<uint32_t>(value);
      std::memcpy(value_, &v, 4);
      return {};
    }
    case ValType::I64:
    case ValType::F64:
      std::memcpy(value_, &value, 8);
      return {};
    case ValType::ExternRef:
      *static_cast<wasm_rt_externref_t*>(value_) = reinterpret_cast<void*>(uintptr_t(value));
      return {};
    case ValType::FuncRef:
      if (value != 0) return make_error("aot engine: only a null funcref can be set from the host");
      *static_cast<wasm_rt_funcref_t*>(value_) = wasm_rt_funcref_null_value;
      return {};
  }
  return {};
}

}  // namespace actr::wasm::aot
