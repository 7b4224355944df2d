#include "component/canonical/call.hpp"

#include <optional>
#include <string>

#include "actr/component/canonical/layout.hpp"
#include "actr/wasm/trap.hpp"
#include "component/canonical/check.hpp"
#include "component/canonical/codec.hpp"
#include "component/canonical/handle_table.hpp"

namespace actr::component::canonical {

namespace {

std::string describe(const char* what, size_t i, const Param& p) {
  std::string s = std::string(what) + " " + std::to_string(i);
  if (!p.name.empty()) s += " (`" + p.name + "`)";
  return s;
}

Result<void> check_types(const std::vector<Param>& params) {
  for (const Param& p : params) {
    if (!p.type) return make_error("function type has a parameter or result without a type");
  }
  return {};
}

// Stores values as the fields of a tuple at ptr (in bounds for the tuple: checked by the caller).
Result<void> store_tuple(Codec& cx, const std::vector<Param>& types,
                         const std::vector<uint32_t>& offsets, std::span<const Value> values,
                         uint32_t ptr) {
  for (size_t i = 0; i < types.size(); ++i)
    ACTR_TRY_VOID(cx.store(*types[i].type, values[i], ptr + offsets[i]));
  return {};
}

Result<void> load_tuple(Codec& cx, const std::vector<Param>& types,
                        const std::vector<uint32_t>& offsets, uint32_t ptr, std::span<Value> out) {
  for (size_t i = 0; i < types.size(); ++i)
    ACTR_TRY_VOID(cx.load(*types[i].type, ptr + offsets[i], out[i]));
  return {};
}

std::vector<uint32_t> tuple_offsets(const std::vector<Param>& params, const LayoutCache& layouts) {
  std::vector<uint32_t> offsets;
  uint64_t at = 0;
  for (const Param& p : params) {
    Layout l = layouts.layout(*p.type);
    at = align_to(at, l.align);
    offsets.push_back(static_cast<uint32_t>(at));
    at += l.size;
  }
  return offsets;
}

class MayLeaveGuard {
 public:
  explicit MayLeaveGuard(bool* flag) : flag_(flag) {
    if (flag_) {
      saved_ = *flag_;
      *flag_ = false;
    }
  }
  ~MayLeaveGuard() {
    if (flag_) *flag_ = saved_;
  }

 private:
  bool* flag_;
  bool saved_ = true;
};

}  // namespace

Result<std::shared_ptr<const CallPlan>> plan_call(const FuncType& type) {
  ACTR_TRY_VOID(check_types(type.params));
  ACTR_TRY_VOID(check_types(type.results));
  auto plan = std::make_shared<CallPlan>();
  plan->type = type;
  for (const Param& p : plan->type.params) plan->layouts.add(*p.type);
  for (const Param& p : plan->type.results) plan->layouts.add(*p.type);
  plan->flat_params = flat_count(plan->type.params);
  plan->flat_results = flat_count(plan->type.results);
  plan->params_in_memory = plan->flat_params > kMaxFlatParams;
  plan->results_in_memory = plan->flat_results > kMaxFlatResults;
  plan->params_tuple = tuple_layout(plan->type.params);
  plan->results_tuple = tuple_layout(plan->type.results);
  plan->param_offsets = tuple_offsets(plan->type.params, plan->layouts);
  plan->result_offsets = tuple_offsets(plan->type.results, plan->layouts);
  return std::shared_ptr<const CallPlan>(std::move(plan));
}

Result<void> call_export(const FuncType& type, wasm::Func& core, const Options& options,
                         std::span<const Value> args, std::vector<Value>& results) {
  ACTR_TRY(auto plan, plan_call(type));
  return call_export(*plan, core, options, args, results);
}

Result<void> call_export(const CallPlan& plan, wasm::Func& core, const Options& options,
                         std::span<const Value> args, std::vector<Value>& results) {
  const FuncType& type = plan.type;
  if (args.size() != type.params.size()) {
    return make_error("expected " + std::to_string(type.params.size()) + " arguments, got " +
                      std::to_string(args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto r = check_value(*type.params[i].type, args[i]); !r) {
      return make_error(describe("argument", i, type.params[i]) + ": " + r.error().message);
    }
  }

  const wasm::FuncType& core_type = core.type();
  if (core_type.params.size() != (plan.params_in_memory ? 1 : plan.flat_params) ||
      core_type.results.size() != (plan.results_in_memory ? 1 : plan.flat_results)) {
    return make_error("core function type " + core_type.to_string() +
                      " does not match the lifted function type (expected " +
                      flatten_func(type, Direction::Lift).to_string() + ")");
  }

  std::optional<CallScope> scope;
  if (options.handles) scope.emplace(*options.handles);
  Codec cx(options, scope ? &*scope : nullptr);
  cx.use_layouts(&plan.layouts);

  wasm::Slot core_args[kMaxFlatParams] = {};
  if (plan.params_in_memory) {
    ACTR_TRY(uint32_t ptr, cx.realloc(0, 0, plan.params_tuple.align, plan.params_tuple.size));
    ACTR_TRY_VOID(store_tuple(cx, type.params, plan.param_offsets, args, ptr));
    core_args[0] = ptr;
  } else {
    FlatWriter out{core_args, kMaxFlatParams};
    for (size_t i = 0; i < args.size(); ++i)
      ACTR_TRY_VOID(cx.lower_flat(*type.params[i].type, args[i], out));
  }

  wasm::Slot core_results[kMaxFlatResults] = {};
  ACTR_TRY_VOID(core.call(core_args, core_results));
  cx.refresh();

  results.clear();
  results.resize(type.results.size());
  if (plan.results_in_memory) {
    auto ptr = static_cast<uint32_t>(core_results[0]);
    ACTR_TRY_VOID(cx.check_pointer(ptr, plan.results_tuple));
    ACTR_TRY_VOID(load_tuple(cx, type.results, plan.result_offsets, ptr, results));
  } else {
    FlatReader in{core_results, static_cast<uint32_t>(core_type.results.size())};
    for (size_t i = 0; i < results.size(); ++i)
      ACTR_TRY_VOID(cx.lift_flat(*type.results[i].type, in, results[i]));
  }
  if (scope) ACTR_TRY_VOID(scope->finish());

  if (options.post_return) {
    MayLeaveGuard guard(options.may_leave);
    wasm::Slot none[1] = {};
    ACTR_TRY_VOID(options.post_return->call(core_results, none));
  }
  return {};
}

Result<void> call_import(const FuncType& type, const Options& options, const wasm::Slot* core_args,
                         wasm::Slot* core_results, const HostCallback& host) {
  if (options.may_leave && !*options.may_leave)
    return wasm::make_trap(wasm::TrapKind::Other, "cannot leave component instance");
  ACTR_TRY(auto plan, plan_call(type));
  return call_import(*plan, options, core_args, core_results, host);
}

Result<void> call_import(const CallPlan& plan, const Options& options, const wasm::Slot* core_args,
                         wasm::Slot* core_results, const HostCallback& host) {
  if (options.may_leave && !*options.may_leave)
    return wasm::make_trap(wasm::TrapKind::Other, "cannot leave component instance");
  const FuncType& type = plan.type;

  std::optional<CallScope> scope;
  if (options.handles) scope.emplace(*options.handles);
  Codec cx(options, scope ? &*scope : nullptr);
  cx.use_layouts(&plan.layouts);

  // Most imports take a few arguments: those live on the stack.
  constexpr size_t kInlineArgs = 4;
  Value inline_args[kInlineArgs];
  std::vector<Value> heap_args;
  if (type.params.size() > kInlineArgs) heap_args.resize(type.params.size());
  std::span<Value> args = heap_args.empty() ? std::span<Value>(inline_args, type.params.size())
                                            : std::span<Value>(heap_args);
  uint32_t next_arg = 0;
  if (plan.params_in_memory) {
    auto ptr = static_cast<uint32_t>(core_args[0]);
    ACTR_TRY_VOID(cx.check_pointer(ptr, plan.params_tuple));
    ACTR_TRY_VOID(load_tuple(cx, type.params, plan.param_offsets, ptr, args));
    next_arg = 1;
  } else {
    FlatReader in{core_args, plan.flat_params};
    for (size_t i = 0; i < args.size(); ++i)
      ACTR_TRY_VOID(cx.lift_flat(*type.params[i].type, in, args[i]));
    next_arg = plan.flat_params;
  }

  std::vector<Value> results;
  results.reserve(type.results.size());
  if (auto r = host(args, results); !r) {
    Error e = r.take_error();
    wasm::as_guest_trap(e);
    return e;
  }
  if (results.size() != type.results.size()) {
    return wasm::make_trap(wasm::TrapKind::Host,
                           "host function returned " + std::to_string(results.size()) +
                               " results, its type has " + std::to_string(type.results.size()));
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (auto r = check_value(*type.results[i].type, results[i]); !r) {
      return wasm::make_trap(
          wasm::TrapKind::Host,
          "host function " + describe("result", i, type.results[i]) + ": " + r.error().message);
    }
  }

  cx.refresh();
  if (plan.results_in_memory) {
    auto ptr = static_cast<uint32_t>(core_args[next_arg]);
    ACTR_TRY_VOID(cx.check_pointer(ptr, plan.results_tuple));
    ACTR_TRY_VOID(store_tuple(cx, type.results, plan.result_offsets, results, ptr));
  } else {
    FlatWriter out{core_results, kMaxFlatResults};
    for (size_t i = 0; i < results.size(); ++i)
      ACTR_TRY_VOID(cx.lower_flat(*type.results[i].type, results[i], out));
  }
  if (scope) ACTR_TRY_VOID(scope->finish());
  return {};
}

}  // namespace actr::component::canonical
