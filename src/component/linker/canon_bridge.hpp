// Where the linker meets the canonical ABI: calling component functions with Values, and
// building the core functions that `canon lower` and the resource built-ins produce.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/canonical/guest_memory.hpp"
#include "actr/component/value.hpp"
#include "actr/wasm/engine.hpp"
#include "component/ast.hpp"
#include "component/linker/component_state.hpp"
#include "component/linker/items.hpp"

namespace actr::component::canonical {
struct CallPlan;
}

namespace actr::component::link {

struct CanonOpts {
  ast::StringEncoding encoding = ast::StringEncoding::Utf8;
  std::shared_ptr<wasm::Memory> memory;
  std::shared_ptr<wasm::Func> realloc;
  std::shared_ptr<wasm::Func> post_return;
};

struct LiftedFunc {
  std::shared_ptr<wasm::Func> core;
  CanonOpts opts;
  ComponentState* state = nullptr;  // the lifting instance (owned by its Frame)
  // Made on the first call, for the function type it was made from (plan->type).
  mutable std::shared_ptr<const canonical::CallPlan> plan;
  mutable const FuncType* plan_source = nullptr;
  // Whether call_raw may be used: 0 not yet known, 1 yes, 2 no.
  mutable uint8_t raw_state = 0;
  // With raw_state 1: how many flat core arguments the core function takes.
  mutable uint8_t raw_params = 0;
  mutable canonical::MemoryCells raw_cells;
};

// Calls a component function (host or lifted) with host values.
Result<std::vector<Value>> call_func(const FuncItem& func, std::span<const Value> args);

// The fast path of ExportedFunc::call_raw for a lifted function (see linker.hpp).
bool supports_raw(const FuncItem& func);
Result<void> call_raw(const FuncItem& func, RawLower lower, RawLift lift);

// `canon lower`: a core function for `callee`, lowered into the instance `state` with `opts`.
Result<std::shared_ptr<wasm::Func>> lower_func(wasm::Store& store, FuncRef callee, CanonOpts opts,
                                               ComponentState* state);

enum class ResourceBuiltin { New, Drop, Rep };
// `canon resource.new|drop|rep` for resource type `type` in instance `state`.
std::shared_ptr<wasm::Func> resource_builtin(wasm::Store& store, ResourceBuiltin which,
                                             std::shared_ptr<const ResourceType> type,
                                             ComponentState* state);

}  // namespace actr::component::link
