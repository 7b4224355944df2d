// A store of the aot engine and the instances it owns. Instances are freed (memories unmapped,
// tables released) when the store is destroyed, even if Instance handles outlive it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "wasm/aot/aot_externs.hpp"
#include "wasm/aot/aot_module.hpp"
#include "wasm/aot/runtime.hpp"

namespace actr::wasm::aot {

class AotInstance final : public Instance, public std::enable_shared_from_this<AotInstance> {
 public:
  AotInstance(std::shared_ptr<const AotModule> module, StoreContext* store)
      : module_(std::move(module)) {
    cell_.store = store;
  }
  ~AotInstance() override { release(); }

  // A function export is one of the instance's GuestFuncs (made at instantiation, in one array);
  // the handle shares ownership of the instance. Other exports are made on first request (most
  // exports of a component's core modules are functions) and then kept. Repeated requests return
  // the same object. Like the rest of a store, not for concurrent use.
  std::optional<Extern> get_export(std::string_view name) override;
  std::optional<Extern> export_at(uint32_t index) override;
  const Module& module() const override { return *module_; }
  DefinedState defined_state() override;

  // Instantiates the compiled code (runs segments and the start function) with `imports`, in the
  // order of the module's imports (checked by the store).
  Result<void> instantiate(std::span<const Extern> imports);
  // Frees the compiled instance; idempotent.
  void release();

 private:
  Extern make_export(uint32_t index);
  void offer_memory_image();

  std::shared_ptr<const AotModule> module_;
  // The imports compiled code points into that nothing else keeps: host functions (the store
  // keeps its instances, whose functions, memories, tables, globals and tags the others are).
  // All of them when the module re-exports an import (export_at hands it out).
  std::vector<Extern> imports_;
  InstanceCell cell_;  // the store and the compiled instance struct
  // The import modules' slot blocks, after an array of pointers to them: one allocation.
  void* import_block_ = nullptr;
  bool live_ = false;
  std::unique_ptr<GuestFunc[]> funcs_;               // by AotModule::func_exports()
  std::vector<std::pair<uint32_t, Extern>> others_;  // (export position, extern), made on demand
};

class AotStore final : public Store {
 public:
  explicit AotStore(const StoreLimits& limits);
  ~AotStore() override;

  const StoreLimits& limits() const override { return limits_; }
  bool poisoned() const override { return context_.poisoned; }
  const std::string& poison_reason() const override { return context_.first_trap.message; }
  void poison(std::string reason) override;

  Result<std::shared_ptr<Instance>> instantiate(const Module& module,
                                                std::span<const Extern> imports) override;
  using Store::host_func;
  std::shared_ptr<Func> host_func(std::shared_ptr<const FuncType> type, HostFn fn) override;
  // One block of HostFuncs; each function shares the block's ownership.
  std::vector<std::shared_ptr<Func>> host_funcs(std::span<HostFuncSpec> specs) override;

 private:
  Result<void> check_import(const ImportType& expected, const Extern& actual) const;

  StoreLimits limits_;
  StoreContext context_;
  std::vector<std::shared_ptr<AotInstance>> instances_;
};

}  // namespace actr::wasm::aot
