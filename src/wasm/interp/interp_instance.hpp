// An instance in an interpreter store.
#pragma once

#include <memory>

#include "wabt/interp/interp.h"
#include "wasm/engine.hpp"
#include "wasm/interp/interp_module.hpp"
#include "wasm/interp/interp_store.hpp"

namespace actr::wasm::interp {

class InterpInstance final : public Instance {
 public:
  InterpInstance(InterpStore* store, wi::Instance& instance,
                 std::shared_ptr<const InterpModule> module)
      : store_(store), instance_(instance), module_(std::move(module)) {}

  std::optional<Extern> get_export(std::string_view name) override {
    auto index = module_->export_index(name);
    if (!index) return std::nullopt;
    auto handle = store_->wrap(instance_.exports()[*index]);
    if (!handle) return std::nullopt;
    return std::move(handle).value();
  }
  const Module& module() const override { return *module_; }

 private:
  InterpStore* store_;
  wi::Instance& instance_;
  std::shared_ptr<const InterpModule> module_;
};

}  // namespace actr::wasm::interp
