// Whole calls across the canonical ABI, in both directions (CanonicalABI.md: canon_lift,
// canon_lower, for synchronous functions).
//
// Errors: a failure before anything reached the guest (wrong argument count or shapes supplied by
// the host) has code 0; every other failure is a trap (code is a wasm::TrapKind) after which the
// instance must be considered poisoned: the caller (the linker) poisons the store.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/canonical/layout.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"
#include "actr/wasm/engine.hpp"
#include "component/canonical/options.hpp"

namespace actr::component::canonical {

// What a call needs to know about a function type beyond the type itself, computed once per
// function by plan_call(): flattened counts, whether params/results go through memory, the
// tuple layouts, and the layouts of every compound type inside (so lifting and lowering do not
// walk the types again on each call). Holds a copy of the type, which keeps the cached types
// alive.
struct CallPlan {
  FuncType type;
  uint32_t flat_params = 0, flat_results = 0;
  bool params_in_memory = false, results_in_memory = false;
  Layout params_tuple, results_tuple;
  std::vector<uint32_t> param_offsets, result_offsets;  // of each value in its tuple
  LayoutCache layouts;
};

// Fails when a parameter or result has no type.
Result<std::shared_ptr<const CallPlan>> plan_call(const FuncType& type);

// Host -> guest, through a lifted export: lowers `args` (through memory above kMaxFlatParams core
// values, into a block from the guest's realloc), calls `core` (whose type must be
// flatten_func(type, Direction::Lift)), lifts its results into `results` (from the tuple the core
// function points to, above kMaxFlatResults), checks the callee dropped every borrow it was
// lent, then calls post-return with the core results.
Result<void> call_export(const FuncType& type, wasm::Func& core, const Options& options,
                         std::span<const Value> args, std::vector<Value>& results);
// The same with the plan made once for repeated calls.
Result<void> call_export(const CallPlan& plan, wasm::Func& core, const Options& options,
                         std::span<const Value> args, std::vector<Value>& results);

// The host side of a lowered import. Same signature as component::HostFunction.
using HostCallback = std::function<Result<void>(std::span<const Value>, std::vector<Value>&)>;

// Guest -> host, through a lowered import whose core type is flatten_func(type,
// Direction::Lower): lifts the arguments from `core_args` (or from the tuple its single pointer
// points to), calls `host`, checks and lowers its results into `core_results` (or stores them
// through the return pointer, the last core argument), allocating strings and lists with the
// guest's realloc. Borrowed handles the guest lent are given back when the call ends. A host
// error traps the guest with TrapKind::Host and the host's message.
Result<void> call_import(const FuncType& type, const Options& options, const wasm::Slot* core_args,
                         wasm::Slot* core_results, const HostCallback& host);
// The same with the plan made once for repeated calls.
Result<void> call_import(const CallPlan& plan, const Options& options, const wasm::Slot* core_args,
                         wasm::Slot* core_results, const HostCallback& host);

}  // namespace actr::component::canonical
