// The aot engine's functions, memories, tables, globals and tags: thin views of state that lives in
// compiled instances (or, for host functions, in the store).
#pragma once

#include <algorithm>
#include <optional>

#include "actr/wasm/engine.hpp"
#include "wasm/aot/runtime.hpp"

namespace actr::wasm::aot {

// Every function of an aot store, guest or host.
class AotFunc : public Func {
 public:
  virtual StoreContext* store() const = 0;
  // How a compiled import slot reaches this function.
  virtual actr_import_slot_t import_slot() = 0;
};

// What a function export of a module is, the same for every instance (AotModule keeps one per
// function the module defines and exports).
struct GuestFuncInfo {
  const FuncType* type = nullptr;  // points into the module's shape
  actr_trampoline_t trampoline = nullptr;
  actr_generic_fn_t typed = nullptr;
  uint32_t param_count = 0;
  uint32_t result_count = 0;
  uint32_t slot_count = 0;  // max(params, results)
};

class GuestFunc;

// The parts of a compiled instance its functions need; lives in the instance (AotInstance).
struct InstanceCell {
  StoreContext* store = nullptr;
  void* instance = nullptr;  // the compiled instance struct
  // The instance's GuestFuncs and what each is (AotModule::func_exports()), in the same order.
  const GuestFunc* funcs = nullptr;
  const GuestFuncInfo* infos = nullptr;
};

// A function export of a compiled instance. The instance holds one per function export in one
// array, made at instantiation (16 bytes each, no allocation of its own: every instance of a
// component takes dozens of them); what the function is comes from its position in the array.
class GuestFunc final : public AotFunc {
 public:
  // Made in place in its instance's array, then bound; never copied (its position is its
  // identity).
  GuestFunc() = default;
  GuestFunc(const GuestFunc&) = delete;
  GuestFunc& operator=(const GuestFunc&) = delete;
  void bind(const InstanceCell* cell) { cell_ = cell; }

  const FuncType& type() const override { return *info().type; }
  StoreContext* store() const override { return cell_->store; }
  Result<void> call(const Slot* args, Slot* results) override;
  actr_import_slot_t import_slot() override { return {cell_->instance, info().typed, nullptr}; }

  void* instance() const { return cell_->instance; }
  actr_generic_fn_t typed() const { return info().typed; }

 private:
  // Slots of the trampoline's argument/result array that fit on the stack.
  static constexpr size_t kLocalSlots = 16;

  const GuestFuncInfo& info() const { return cell_->infos[this - cell_->funcs]; }

  const InstanceCell* cell_ = nullptr;
};

class HostFunc final : public AotFunc {
 public:
  // The type is shared: each instance of a component lowers the same imports.
  HostFunc(StoreContext* store, std::shared_ptr<const FuncType> type, HostFn fn)
      : store_(store), type_(std::move(type)), host_{std::move(fn)} {}

  const FuncType& type() const override { return *type_; }
  StoreContext* store() const override { return store_; }
  Result<void> call(const Slot* args, Slot* results) override { return host_.fn(args, results); }
  actr_import_slot_t import_slot() override { return {&host_, nullptr, &actr_wasm_host_call}; }

 private:
  StoreContext* store_;
  std::shared_ptr<const FuncType> type_;
  HostFunction host_;
};

class AotMemory final : public Memory {
 public:
  AotMemory(StoreContext* store, wasm_rt_memory_t* memory, std::optional<uint64_t> declared_max)
      : store_(store), memory_(memory), declared_max_(declared_max) {}

  uint8_t* data() override { return memory_->data; }
  uint64_t size() const override { return uint64_t{memory_->pages} * kPageSize; }
  MemoryType type() const override { return MemoryType{Limits{memory_->pages, declared_max_}}; }
  Result<uint64_t> grow(uint64_t delta_pages) override;

  StoreContext* store() const { return store_; }
  wasm_rt_memory_t* raw() const { return memory_; }

 private:
  StoreContext* store_;
  wasm_rt_memory_t* memory_;
  std::optional<uint64_t> declared_max_;
};

class AotTable final : public Table {
 public:
  AotTable(StoreContext* store, void* table, ValType elem, std::optional<uint64_t> declared_max)
      : store_(store), table_(table), elem_(elem), declared_max_(declared_max) {}

  TableType type() const override { return TableType{elem_, Limits{size(), declared_max_}}; }
  uint32_t size() const override;

  StoreContext* store() const { return store_; }
  void* raw() const { return table_; }

 private:
  StoreContext* store_;
  void* table_;  // wasm_rt_funcref_table_t or wasm_rt_externref_table_t
  ValType elem_;
  std::optional<uint64_t> declared_max_;
};

class AotGlobal final : public Global {
 public:
  AotGlobal(StoreContext* store, void* value, GlobalType type)
      : store_(store), value_(value), type_(type) {}

  GlobalType type() const override { return type_; }
  Slot get() const override;
  Result<void> set(Slot value) override;

  StoreContext* store() const { return store_; }
  void* raw() const { return value_; }

 private:
  StoreContext* store_;
  void* value_;  // u32 / u64 / f32 / f64 / wasm_rt_funcref_t / wasm_rt_externref_t
  GlobalType type_;
};

// A tag: the identity the compiled code compares (a registered id, see wasm_rt_register_tag)
// lives in the defining instance; importers hold a pointer to it.
class AotTag final : public Tag {
 public:
  AotTag(StoreContext* store, const uint32_t* id, TagType type)
      : store_(store), id_(id), type_(std::move(type)) {}

  const TagType& type() const override { return type_; }

  StoreContext* store() const { return store_; }
  const uint32_t* raw() const { return id_; }

 private:
  StoreContext* store_;
  const uint32_t* id_;
  TagType type_;
};

}  // namespace actr::wasm::aot
