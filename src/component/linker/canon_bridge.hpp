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

// Calls a component function (host or lifted) with host values.
Result<std::vector<Value>> call_func(const FuncItem& func, std::span<const Value> args);

// The fast path of ExportedFunc::call_raw for a lifted function (see linker.hpp).
bool supports_raw(const FuncItem& func);
Result<void> call_raw(const FuncItem& func, RawLower lower, RawLift lift);

// What lowering `callee` needs besides the instance: the core function type and the call plan.
// The same for every instance of a component (an instance tape keeps it).
struct LowerShape {
  // Shared by the functions every instance lowers from this shape (not a copy each).
  std::shared_ptr<const wasm::FuncType> core_type;
  std::shared_ptr<const canonical::CallPlan> plan;
  bool handles = false;  // the type mentions resource handles (no raw fast path)
};
Result<LowerShape> lower_shape(const FuncItem& callee);

// `canon lower`: a core function for `callee`, lowered into the instance `state` with `opts`;
// `shape` when known (else it is computed).
Result<std::shared_ptr<wasm::Func>> lower_func(wasm::Store& store, FuncRef callee, CanonOpts opts,
                                               ComponentState* state,
                                               const LowerShape* shape = nullptr);

// `canon lower` of a host function for an instance that keeps what the function needs in a block
// of its own (an instance from a tape: one block for all its lowerings, each function's body a
// pointer to its entry, not a closure allocated per function). Everything it points at must
// outlive the function: the host body and plan (the tape's), the state, memory and realloc (the
// instance's).
struct LoweredHost {
  const HostBody* host = nullptr;
  const canonical::CallPlan* plan = nullptr;
  ComponentState* state = nullptr;
  wasm::Memory* memory = nullptr;
  wasm::Func* realloc = nullptr;
  canonical::MemoryCells cells;  // raw: the aot memory's fields
  ast::StringEncoding encoding = ast::StringEncoding::Utf8;
  bool raw = false;  // the bindings' fast path (HostBody::raw)
};
// The body of the core function of `call`: it reads `call` when it runs, so the function can be
// made (wasm::Store::host_funcs, all of an instance's at once) before `call` is filled.
wasm::HostFn lowered_host_body(const LoweredHost* call);
// Fills `call` from `host`, `opts` and `shape`.
Result<void> fill_lowered_host(LoweredHost& call, const HostBody& host, const CanonOpts& opts,
                               ComponentState* state, const LowerShape& shape);

enum class ResourceBuiltin { New, Drop, Rep };
// `canon resource.new|drop|rep` for resource type `type` in instance `state`.
std::shared_ptr<wasm::Func> resource_builtin(wasm::Store& store, ResourceBuiltin which,
                                             std::shared_ptr<const ResourceType> type,
                                             ComponentState* state);

}  // namespace actr::component::link
