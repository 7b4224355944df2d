#include "wasm/interp/interp_engine.hpp"

#include "wasm/interp/interp_module.hpp"
#include "wasm/interp/interp_store.hpp"

namespace actr::wasm {
namespace {

class InterpEngine final : public Engine {
 public:
  std::string_view name() const override { return "interp"; }

  Result<std::shared_ptr<Module>> compile(std::span<const uint8_t> bytes,
                                          const CompileHints&) override {
    ACTR_TRY(auto module, interp::InterpModule::compile(bytes));
    return std::shared_ptr<Module>(std::move(module));
  }

  std::unique_ptr<Store> new_store(const StoreLimits& limits) override {
    return std::make_unique<interp::InterpStore>(limits);
  }
};

}  // namespace

Result<std::unique_ptr<Engine>> make_interp_engine(const EngineOptions&) {
  return std::unique_ptr<Engine>(std::make_unique<InterpEngine>());
}

}  // namespace actr::wasm
