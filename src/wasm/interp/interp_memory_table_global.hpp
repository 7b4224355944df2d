// Memory, table, global and tag handles of an interpreter store.
#pragma once

#include <optional>

#include "wasm/interp/interp_extern.hpp"
#include "wasm/interp/interp_store.hpp"

namespace actr::wasm::interp {

class InterpMemory final : public Memory, public InterpExtern {
 public:
  InterpMemory(InterpStore* store, wi::Memory& memory, std::optional<uint64_t> declared_max)
      : InterpExtern(store, memory.self()), memory_(memory), declared_max_(declared_max) {}

  uint8_t* data() override { return memory_.UnsafeData(); }
  uint64_t size() const override { return memory_.ByteSize(); }
  MemoryType type() const override { return MemoryType{{memory_.PageSize(), declared_max_}}; }
  Result<uint64_t> grow(uint64_t delta_pages) override {
    return store_->grow_memory(memory_, delta_pages);
  }

 private:
  wi::Memory& memory_;
  // wabt's own type has the store's budget folded into its maximum; report the module's.
  std::optional<uint64_t> declared_max_;
};

class InterpTable final : public Table, public InterpExtern {
 public:
  InterpTable(InterpStore* store, wi::Table& table, ValType elem)
      : InterpExtern(store, table.self()), table_(table), elem_(elem) {}

  TableType type() const override {
    Limits limits{table_.size(), std::nullopt};
    if (table_.type().limits.has_max) limits.max = table_.type().limits.max;
    return TableType{elem_, limits};
  }
  uint32_t size() const override { return table_.size(); }

 private:
  wi::Table& table_;
  ValType elem_;
};

class InterpGlobal final : public Global, public InterpExtern {
 public:
  InterpGlobal(InterpStore* store, wi::Global& global, GlobalType type)
      : InterpExtern(store, global.self()), global_(global), type_(type) {}

  GlobalType type() const override { return type_; }
  Slot get() const override;
  Result<void> set(Slot value) override;

 private:
  wi::Global& global_;
  GlobalType type_;
};

class InterpTag final : public Tag, public InterpExtern {
 public:
  InterpTag(InterpStore* store, wi::Tag& tag, TagType type)
      : InterpExtern(store, tag.self()), type_(std::move(type)) {}

  const TagType& type() const override { return type_; }

 private:
  TagType type_;
};

}  // namespace actr::wasm::interp
