// A store of the aot engine and the instances it owns. Instances are freed (memories unmapped,
// tables released) when the store is destroyed, even if Instance handles outlive it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "wasm/aot/aot_module.hpp"
#include "wasm/aot/runtime.hpp"

namespace actr::wasm::aot {

class AotInstance final : public Instance {
 public:
  AotInstance(std::shared_ptr<const AotModule> module, std::vector<Extern> imports,
              StoreContext* store)
      : module_(std::move(module)), imports_(std::move(imports)), store_(store) {}
  ~AotInstance() override { release(); }

  // Export objects are made on first request (most exports of a component's core modules are
  // never asked for) and then kept, so repeated requests return the same object. Like the rest of
  // a store, not for concurrent use.
  std::optional<Extern> get_export(std::string_view name) override;
  std::optional<Extern> export_at(uint32_t index) override;
  const Module& module() const override { return *module_; }
  DefinedState defined_state() override;

  // Instantiates the compiled code (runs segments and the start function).
  Result<void> instantiate();
  // Frees the compiled instance; idempotent.
  void release();

 private:
  Extern make_export(uint32_t index);
  void offer_memory_image();

  std::shared_ptr<const AotModule> module_;
  std::vector<Extern> imports_;  // kept alive: compiled code points into them
  StoreContext* store_;
  void* instance_ = nullptr;
  std::vector<actr_import_module_t*> import_modules_;
  bool live_ = false;
  std::vector<std::optional<Extern>> exports_;  // by export position, made on demand
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

 private:
  Result<void> check_import(const ImportType& expected, const Extern& actual) const;

  StoreLimits limits_;
  StoreContext context_;
  std::vector<std::shared_ptr<AotInstance>> instances_;
};

}  // namespace actr::wasm::aot
