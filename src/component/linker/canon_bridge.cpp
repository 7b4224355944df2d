#include "component/linker/canon_bridge.hpp"

#include "actr/component/canonical/layout.hpp"
#include "actr/wasm/trap.hpp"
#include "component/canonical/call.hpp"
#include "component/canonical/handle_table.hpp"
#include "wasm/aot/memory_fields.hpp"

namespace actr::component::link {
namespace {

// The fast paths read an aot memory's base and size directly.
canonical::MemoryCells cells_of(const wasm::Memory* memory) {
  if (memory == nullptr) return {};
  std::optional<wasm::aot::MemoryFields> fields = wasm::aot::memory_fields(*memory);
  if (!fields) return {};
  return canonical::MemoryCells{fields->data, fields->size};
}

canonical::Options to_options(const CanonOpts& opts, ComponentState* state) {
  canonical::Options o;
  o.encoding = opts.encoding;
  o.memory = opts.memory.get();
  o.realloc = opts.realloc.get();
  o.post_return = opts.post_return.get();
  o.handles = state->handles.get();
  o.may_leave = &state->may_leave;
  return o;
}

// A trap anywhere in a component call poisons the whole store: its instances may be in any state.
void poison_if_trap(ComponentState& state, const Result<void>& r) {
  if (!r.ok() && wasm::ends_guest_call(r.error()) && !state.store->poisoned()) {
    state.store->poison(r.error().message);
  }
}

Result<void> poison_on_trap(ComponentState& state, Result<void> r) {
  poison_if_trap(state, r);
  return r;
}

// Handles need the handle table and a call scope, which the raw paths do not set up.
bool mentions_handles(const ValueType* t, int depth = 0) {
  if (!t) return false;
  if (depth > 128) return true;  // cannot happen for validated types; be conservative
  if (t->kind == Kind::Own || t->kind == Kind::Borrow) return true;
  if (mentions_handles(t->elem.get(), depth + 1) || mentions_handles(t->key.get(), depth + 1) ||
      mentions_handles(t->ok.get(), depth + 1) || mentions_handles(t->err.get(), depth + 1)) {
    return true;
  }
  for (const Field& f : t->fields)
    if (mentions_handles(f.type.get(), depth + 1)) return true;
  for (const TypeRef& i : t->items)
    if (mentions_handles(i.get(), depth + 1)) return true;
  for (const Case& c : t->cases)
    if (mentions_handles(c.type.get(), depth + 1)) return true;
  return false;
}

bool mentions_handles(const FuncType& type) {
  for (const Param& p : type.params)
    if (mentions_handles(p.type.get())) return true;
  for (const Param& p : type.results)
    if (mentions_handles(p.type.get())) return true;
  return false;
}

class EnterGuard {
 public:
  explicit EnterGuard(ComponentState& s) : s_(s) { s_.may_enter = false; }
  ~EnterGuard() { s_.may_enter = true; }

 private:
  ComponentState& s_;
};

}  // namespace

Result<std::vector<Value>> call_func(const FuncItem& func, std::span<const Value> args) {
  std::vector<Value> results;
  if (func.host) {
    ACTR_TRY_VOID(func.host->fn(args, results));
    return results;
  }
  const LiftedFunc& lifted = *func.lifted;
  ComponentState& state = *lifted.state;
  if (state.store->poisoned()) {
    return wasm::make_trap(wasm::TrapKind::Poisoned, "instance is poisoned by an earlier trap: " +
                                                         state.store->poison_reason());
  }
  if (!state.may_enter) {
    return wasm::make_trap(wasm::TrapKind::Other,
                           "cannot enter component instance " +
                               (state.name.empty() ? std::string("(root)") : state.name) +
                               ": it is already on the call stack");
  }
  if (!lifted.plan || lifted.plan_source != func.type.get()) {
    ACTR_TRY(lifted.plan, canonical::plan_call(*func.type));
    lifted.plan_source = func.type.get();
  }
  EnterGuard guard(state);
  ACTR_TRY_VOID(poison_on_trap(
      state, canonical::call_export(*lifted.plan, *lifted.core, to_options(lifted.opts, &state),
                                    args, results)));
  return results;
}

bool supports_raw(const FuncItem& func) {
  if (!func.lifted) return false;
  const LiftedFunc& lifted = *func.lifted;
  if (lifted.raw_state == 0) [[unlikely]] {
    bool ok = lifted.opts.encoding == ast::StringEncoding::Utf8 && !mentions_handles(*func.type);
    if (ok) {
      // Validation made the core type match; the raw path writes at most this many slots.
      wasm::FuncType want = canonical::flatten_func(*func.type, canonical::Direction::Lift);
      const wasm::FuncType& have = lifted.core->type();
      ok = have.params.size() == want.params.size() && have.results.size() == want.results.size() &&
           want.params.size() <= canonical::kMaxFlatParams &&
           want.results.size() <= canonical::kMaxFlatResults;
      if (ok) {
        lifted.raw_params = static_cast<uint8_t>(want.params.size());
        lifted.raw_cells = cells_of(lifted.opts.memory.get());
      }
    }
    lifted.raw_state = ok ? 1 : 2;
  }
  return lifted.raw_state == 1;
}

namespace {

// The body of call_raw, once the instance may be entered.
Result<void> run_raw(const LiftedFunc& lifted, ComponentState& state, RawLower lower,
                     RawLift lift) {
  canonical::GuestMemory memory(lifted.opts.memory.get(), lifted.opts.realloc.get(),
                                &state.may_leave, lifted.raw_cells);
  // Only the slots the core function takes are zeroed: the callbacks never touch the rest. (The
  // empty asm keeps the compiler from making the loop a `rep stos`, slower than a few stores.)
  wasm::Slot args[canonical::kMaxFlatParams];
  for (uint32_t i = 0; i < lifted.raw_params; ++i) {
    args[i] = 0;
    __asm__ volatile("");
  }
  ACTR_TRY_VOID(lower(memory, args));
  wasm::Slot results[canonical::kMaxFlatResults] = {};
  // Each step's Status is checked where it was built and the success path returns a new one:
  // moving a Status (its message string) costs more than the small steps here.
  ACTR_TRY_VOID(lifted.core->call(args, results));
  memory.refresh();
  ACTR_TRY_VOID(lift(memory, results));
  if (wasm::Func* post_return = lifted.opts.post_return.get()) {
    bool was = state.may_leave;
    state.may_leave = false;
    wasm::Slot none[1] = {};
    Result<void> r = post_return->call(results, none);
    state.may_leave = was;
    if (!r.ok()) [[unlikely]]
      return r;
  }
  return {};
}

}  // namespace

Result<void> call_raw(const FuncItem& func, RawLower lower, RawLift lift) {
  if (!supports_raw(func)) [[unlikely]] {
    return make_error("`" + func.debug_name + "` has no raw calling path (see supports_raw())");
  }
  const LiftedFunc& lifted = *func.lifted;
  ComponentState& state = *lifted.state;
  if (state.store->poisoned()) [[unlikely]] {
    return wasm::make_trap(wasm::TrapKind::Poisoned, "instance is poisoned by an earlier trap: " +
                                                         state.store->poison_reason());
  }
  if (!state.may_enter) [[unlikely]] {
    return wasm::make_trap(wasm::TrapKind::Other,
                           "cannot enter component instance " +
                               (state.name.empty() ? std::string("(root)") : state.name) +
                               ": it is already on the call stack");
  }
  EnterGuard guard(state);
  Result<void> r = run_raw(lifted, state, lower, lift);
  if (!r.ok()) [[unlikely]] {
    poison_if_trap(state, r);
    return r;
  }
  return {};
}

Result<LowerShape> lower_shape(const FuncItem& callee) {
  LowerShape shape;
  shape.core_type = std::make_shared<const wasm::FuncType>(
      canonical::flatten_func(*callee.type, canonical::Direction::Lower));
  shape.handles = mentions_handles(*callee.type);
  if (callee.host) shape.plan = callee.host->plan;
  if (!shape.plan) {
    ACTR_TRY(shape.plan, canonical::plan_call(*callee.type));
  }
  return shape;
}

Result<std::shared_ptr<wasm::Func>> lower_func(wasm::Store& store, FuncRef callee, CanonOpts opts,
                                               ComponentState* state, const LowerShape* shape) {
  LowerShape made;
  if (!shape) {
    ACTR_TRY(made, lower_shape(*callee));
    shape = &made;
  }
  // Each closure holds `opts` by value: it keeps the memory and realloc alive, and one allocation
  // per lowered function (the closure's) is made instead of two.
  canonical::Options options = to_options(opts, state);
  if (callee->host && callee->host->raw && opts.encoding == ast::StringEncoding::Utf8 &&
      !shape->handles) {
    // The bindings' fast path: they read and write the guest's memory themselves.
    wasm::Memory* memory = opts.memory.get();
    wasm::Func* realloc = opts.realloc.get();
    canonical::MemoryCells cells = cells_of(memory);
    return store.host_func(
        shape->core_type,
        [host = callee->host, memory, realloc, cells, state, keep = std::move(opts)](
            const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
          if (!state->may_leave) {
            return wasm::make_trap(wasm::TrapKind::Other, "cannot leave component instance");
          }
          canonical::GuestMemory guest(memory, realloc, &state->may_leave, cells);
          if (auto r = host->raw(guest, args, results); !r) {
            Error e = r.take_error();
            wasm::as_guest_trap(e);
            return e;
          }
          return {};
        });
  }
  if (callee->host) {
    // A host callee is called directly: no wrapper, no result vector moved through a Result.
    return store.host_func(
        shape->core_type,
        [host = callee->host, plan = shape->plan, options, keep = std::move(opts)](
            const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
          return canonical::call_import(*plan, options, args, results, host->fn);
        });
  }
  return store.host_func(
      shape->core_type,
      [callee = std::move(callee), plan = shape->plan, options, keep = std::move(opts)](
          const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
        return canonical::call_import(
            *plan, options, args, results,
            [&callee](std::span<const Value> in, std::vector<Value>& out) -> Result<void> {
              ACTR_TRY(out, call_func(*callee, in));
              return {};
            });
      });
}

Result<void> fill_lowered_host(LoweredHost& call, const HostBody& host, const CanonOpts& opts,
                               ComponentState* state, const LowerShape& shape) {
  if (!shape.plan) return make_error("lowering a host function without a plan");
  call.host = &host;
  call.plan = shape.plan.get();
  call.state = state;
  call.memory = opts.memory.get();
  call.realloc = opts.realloc.get();
  call.encoding = opts.encoding;
  call.raw = host.raw && opts.encoding == ast::StringEncoding::Utf8 && !shape.handles;
  if (call.raw) call.cells = cells_of(call.memory);
  return {};
}

wasm::HostFn lowered_host_body(const LoweredHost* call) {
  // One pointer: std::function holds it without an allocation.
  return [c = call](const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
    if (c->raw) {
      if (!c->state->may_leave) {
        return wasm::make_trap(wasm::TrapKind::Other, "cannot leave component instance");
      }
      canonical::GuestMemory guest(c->memory, c->realloc, &c->state->may_leave, c->cells);
      if (auto r = c->host->raw(guest, args, results); !r) {
        Error e = r.take_error();
        wasm::as_guest_trap(e);
        return e;
      }
      return {};
    }
    canonical::Options options;
    options.encoding = c->encoding;
    options.memory = c->memory;
    options.realloc = c->realloc;
    options.handles = c->state->handles.get();
    options.may_leave = &c->state->may_leave;
    return canonical::call_import(*c->plan, options, args, results, c->host->fn);
  };
}

std::shared_ptr<wasm::Func> resource_builtin(wasm::Store& store, ResourceBuiltin which,
                                             std::shared_ptr<const ResourceType> type,
                                             ComponentState* state) {
  using V = wasm::ValType;
  // resource.new and resource.drop may not run while the instance may not leave (e.g. in
  // post-return); resource.rep may (the spec's canon_resource_rep has no such check).
  auto body = [state](auto fn) {
    return
        [state, fn = std::move(fn)](const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
          if (!state->may_leave) {
            return wasm::make_trap(wasm::TrapKind::Other, "cannot leave component instance");
          }
          return fn(args, results);
        };
  };
  switch (which) {
    case ResourceBuiltin::New:
      state->handles->add_defined(type.get());
      return store.host_func(
          {{V::I32}, {V::I32}},
          body([type, state](const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
            ACTR_TRY(uint32_t h,
                     state->handles->resource_new(type, static_cast<uint32_t>(args[0])));
            results[0] = h;
            return {};
          }));
    case ResourceBuiltin::Rep:
      return store.host_func(
          {{V::I32}, {V::I32}},
          [type, state](const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
            ACTR_TRY(uint32_t rep,
                     state->handles->resource_rep(static_cast<uint32_t>(args[0]), *type));
            results[0] = rep;
            return {};
          });
    case ResourceBuiltin::Drop:
      return store.host_func(
          {{V::I32}, {}}, body([type, state](const wasm::Slot* args, wasm::Slot*) -> Result<void> {
            ACTR_TRY(auto rep,
                     state->handles->resource_drop(static_cast<uint32_t>(args[0]), *type));
            if (!rep) return {};
            auto it = state->dtors->by_type.find(type.get());
            if (it == state->dtors->by_type.end()) return {};
            return it->second(*rep);
          }));
  }
  return nullptr;
}

ComponentState::ComponentState(bool with_handles)
    : handles(with_handles ? std::make_unique<canonical::HandleTable>() : nullptr) {}
ComponentState::~ComponentState() = default;

}  // namespace actr::component::link
