// An instance in an interpreter store.
#pragma once

#include <memory>

#include "actr/wasm/engine.hpp"
#include "wabt/interp/interp.h"
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

  DefinedState defined_state() override {
    // wabt's instance lists imported entities first; the module says how many of each.
    size_t memories = 0, globals = 0, tables = 0;
    for (const auto& import : module_->desc().imports) {
      switch (import.type.type->kind) {
        case wi::ExternKind::Memory:
          ++memories;
          break;
        case wi::ExternKind::Global:
          ++globals;
          break;
        case wi::ExternKind::Table:
          ++tables;
          break;
        default:
          break;
      }
    }
    DefinedState state;
    auto add = [&](const std::vector<wi::Ref>& refs, size_t skip, auto& out) {
      for (size_t i = skip; i < refs.size(); ++i) {
        auto e = store_->wrap(refs[i]);
        if (!e) continue;
        using T = typename std::decay_t<decltype(out)>::value_type;
        if (auto* p = std::get_if<T>(&*e)) out.push_back(*p);
      }
    };
    add(instance_.memories(), memories, state.memories);
    add(instance_.globals(), globals, state.globals);
    add(instance_.tables(), tables, state.tables);
    return state;
  }

 private:
  InterpStore* store_;
  wi::Instance& instance_;
  std::shared_ptr<const InterpModule> module_;
};

}  // namespace actr::wasm::interp
