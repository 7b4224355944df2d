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
  // The type is shared (a guest function's points into its module's shape): one store holds many
  // functions, and each instance of a component makes its own.
  AotFunc(StoreContext* store, std::shared_ptr<const FuncType> type)
      : store_(store), type_(std::move(type)) {}
  const FuncType& type() const override { return *type_; }
  StoreContext* store() const { return store_; }
  // How a compiled import slot reaches this function.
  virtual actr_import_slot_t import_slot() = 0;

 protected:
  StoreContext* store_;
  std::shared_ptr<const FuncType> type_;
};

class GuestFunc final : public AotFunc {
 public:
  GuestFunc(StoreContext* store, std::shared_ptr<const FuncType> type, void* instance,
            actr_trampoline_t trampoline, actr_generic_fn_t typed)
      : AotFunc(store, std::move(type)),
        instance_(instance),
        trampoline_(trampoline),
        typed_(typed),
        param_count_(static_cast<uint32_t>(type_->params.size())),
        result_count_(static_cast<uint32_t>(type_->results.size())),
        slot_count_(std::max(param_count_, result_count_)) {}

  Result<void> call(const Slot* args, Slot* results) override;
  actr_import_slot_t import_slot() override { return {instance_, typed_, nullptr}; }

  void* instance() const { return instance_; }
  actr_generic_fn_t typed() const { return typed_; }

 private:
  // Slots of the trampoline's argument/result array that fit on the stack.
  static constexpr size_t kLocalSlots = 16;

  void* instance_;
  actr_trampoline_t trampoline_;
  actr_generic_fn_t typed_;
  // 32-bit: a component's instances make dozens of these each (96 bytes with malloc's header, not
  // 112).
  uint32_t param_count_;
  uint32_t result_count_;
  uint32_t slot_count_;
};

class HostFunc final : public AotFunc {
 public:
  HostFunc(StoreContext* store, std::shared_ptr<const FuncType> type, HostFn fn)
      : AotFunc(store, std::move(type)), host_{std::move(fn)} {}

  Result<void> call(const Slot* args, Slot* results) override { return host_.fn(args, results); }
  actr_import_slot_t import_slot() override { return {&host_, nullptr, &actr_wasm_host_call}; }

 private:
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
