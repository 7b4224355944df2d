#include "component/canonical/call.hpp"

#include <optional>
#include <string>

#include "component/canonical/check.hpp"
#include "component/canonical/codec.hpp"
#include "component/canonical/handle_table.hpp"
#include "component/canonical/layout.hpp"
#include "wasm/trap.hpp"

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

// Stores values as the fields of a tuple at ptr.
Result<void> store_tuple(Codec& cx, const std::vector<Param>& types, std::span<const Value> values,
                         uint32_t ptr) {
  uint64_t at = ptr;
  for (size_t i = 0; i < types.size(); ++i) {
    const ValueType& t = *types[i].type;
    Layout l = layout_of(t);
    at = align_to(at, l.align);
    ACTR_TRY_VOID(cx.store(t, values[i], static_cast<uint32_t>(at)));
    at += l.size;
  }
  return {};
}

Result<void> load_tuple(Codec& cx, const std::vector<Param>& types, uint32_t ptr,
                        std::vector<Value>& out) {
  uint64_t at = ptr;
  for (size_t i = 0; i < types.size(); ++i) {
    const ValueType& t = *types[i].type;
    Layout l = layout_of(t);
    at = align_to(at, l.align);
    ACTR_TRY_VOID(cx.load(t, static_cast<uint32_t>(at), out[i]));
    at += l.size;
  }
  return {};
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

Result<void> call_export(const FuncType& type, wasm::Func& core, const Options& options,
                         std::span<const Value> args, std::vector<Value>& results) {
  ACTR_TRY_VOID(check_types(type.params));
  ACTR_TRY_VOID(check_types(type.results));
  if (args.size() != type.params.size()) {
    return make_error("expected " + std::to_string(type.params.size()) + " arguments, got " +
                      std::to_string(args.size()));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto r = check_value(*type.params[i].type, args[i]); !r) {
      return make_error(describe("argument", i, type.params[i]) + ": " + r.error().message);
    }
  }

  const uint32_t flat_params = flat_count(type.params);
  const uint32_t flat_results = flat_count(type.results);
  const bool params_in_memory = flat_params > kMaxFlatParams;
  const bool results_in_memory = flat_results > kMaxFlatResults;
  const wasm::FuncType& core_type = core.type();
  if (core_type.params.size() != (params_in_memory ? 1 : flat_params) ||
      core_type.results.size() != (results_in_memory ? 1 : flat_results)) {
    return make_error("core function type " + core_type.to_string() +
                      " does not match the lifted function type (expected " +
                      flatten_func(type, Direction::Lift).to_string() + ")");
  }

  std::optional<CallScope> scope;
  if (options.handles) scope.emplace(*options.handles);
  Codec cx(options, scope ? &*scope : nullptr);

  wasm::Slot core_args[kMaxFlatParams] = {};
  if (params_in_memory) {
    Layout tuple = tuple_layout(type.params);
    ACTR_TRY(uint32_t ptr, cx.realloc(0, 0, tuple.align, tuple.size));
    ACTR_TRY_VOID(store_tuple(cx, type.params, args, ptr));
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
  if (results_in_memory) {
    auto ptr = static_cast<uint32_t>(core_results[0]);
    ACTR_TRY_VOID(cx.check_pointer(ptr, tuple_layout(type.results)));
    ACTR_TRY_VOID(load_tuple(cx, type.results, ptr, results));
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
  ACTR_TRY_VOID(check_types(type.params));
  ACTR_TRY_VOID(check_types(type.results));

  const uint32_t flat_params = flat_count(type.params);
  const uint32_t flat_results = flat_count(type.results);
  const bool params_in_memory = flat_params > kMaxFlatParams;
  const bool results_in_memory = flat_results > kMaxFlatResults;

  std::optional<CallScope> scope;
  if (options.handles) scope.emplace(*options.handles);
  Codec cx(options, scope ? &*scope : nullptr);

  std::vector<Value> args(type.params.size());
  uint32_t next_arg = 0;
  if (params_in_memory) {
    auto ptr = static_cast<uint32_t>(core_args[0]);
    ACTR_TRY_VOID(cx.check_pointer(ptr, tuple_layout(type.params)));
    ACTR_TRY_VOID(load_tuple(cx, type.params, ptr, args));
    next_arg = 1;
  } else {
    FlatReader in{core_args, flat_params};
    for (size_t i = 0; i < args.size(); ++i)
      ACTR_TRY_VOID(cx.lift_flat(*type.params[i].type, in, args[i]));
    next_arg = flat_params;
  }

  std::vector<Value> results;
  results.reserve(type.results.size());
  if (auto r = host(args, results); !r) {
    Error e = r.take_error();
    if (e.code == 0) e.code = static_cast<int>(wasm::TrapKind::Host);
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
  if (results_in_memory) {
    auto ptr = static_cast<uint32_t>(core_args[next_arg]);
    ACTR_TRY_VOID(cx.check_pointer(ptr, tuple_layout(type.results)));
    ACTR_TRY_VOID(store_tuple(cx, type.results, results, ptr));
  } else {
    FlatWriter out{core_results, kMaxFlatResults};
    for (size_t i = 0; i < results.size(); ++i)
      ACTR_TRY_VOID(cx.lower_flat(*type.results[i].type, results[i], out));
  }
  if (scope) ACTR_TRY_VOID(scope->finish());
  return {};
}

}  // namespace actr::component::canonical
