#include "actr/component/linker.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "actr/component/component.hpp"
#include "component/canonical/call.hpp"
#include "component/canonical/handle_table.hpp"
#include "component/linker/canon_bridge.hpp"
#include "component/linker/host_imports.hpp"
#include "component/linker/instance_tape.hpp"
#include "component/linker/instantiator.hpp"
#include "component/linker/pre_cache.hpp"

namespace actr::component {
namespace {

// What a tape's instance needs to lift a lazy export later (link::lift_later).
struct LazyLifts {
  std::shared_ptr<const link::Tape> tape;
  link::TapedInstance* made = nullptr;
};

class ExportedFuncImpl final : public ExportedFunc {
 public:
  explicit ExportedFuncImpl(link::FuncRef fn) : fn_(std::move(fn)) {}
  // Lifted function `lifted` of a tape's instance, made on the first call.
  ExportedFuncImpl(const LazyLifts* lazy, uint32_t lifted) : lazy_(lazy), lifted_(lifted) {}

  const FuncType& type() const override { return fn_ ? *fn_->type : *lazy_op().type; }
  Result<std::vector<Value>> call(std::span<const Value> args) override {
    if (!fn_) [[unlikely]]
      ACTR_TRY_VOID(make());
    return link::call_func(*fn_, args);
  }
  bool supports_raw() const override { return fn_ ? link::supports_raw(*fn_) : lazy_op().raw; }
  Result<void> call_raw(RawLower lower, RawLift lift) override {
    if (!fn_) [[unlikely]]
      ACTR_TRY_VOID(make());
    return link::call_raw(*fn_, lower, lift);
  }

 private:
  const link::TapeOp& lazy_op() const { return lazy_->tape->ops[lazy_->tape->lift_ops[lifted_]]; }
  Result<void> make() {
    ACTR_TRY(fn_, link::lift_later(*lazy_->tape, lifted_, *lazy_->made));
    return {};
  }

  link::FuncRef fn_;
  const LazyLifts* lazy_ = nullptr;
  uint32_t lifted_ = 0;
};

class InstanceImpl final : public Instance {
 public:
  InstanceImpl(std::unique_ptr<wasm::Store> store, std::shared_ptr<const Component> component)
      : store_(std::move(store)), component_(std::move(component)) {}

  // By replaying the component's definitions; with `record`, also records its tape.
  Result<void> init(const Linker& linker, link::Tape* record) {
    ACTR_TRY(made_.tree, link::instantiate_component(linker, *component_, *store_, record));
    auto funcs = link::exported_funcs(*made_.tree.root);
    // The exports are reached through funcs_ from now on; the instance graph that named them
    // (maps of every nested instance's exports) is not needed any more.
    made_.tree.root = nullptr;
    auto names = std::make_shared<std::vector<std::string>>();
    names->reserve(funcs.size());
    funcs_.reserve(funcs.size());
    for (auto& [name, fn] : funcs) {
      names->push_back(std::move(name));
      funcs_.emplace_back(std::move(fn));
    }
    names_ = std::move(names);
    return {};
  }

  // From a tape: the names are the tape's, shared by every instance made from it.
  Result<void> init(std::shared_ptr<const link::Tape> tape) {
    ACTR_TRY(link::TapedInstance made, link::replay_tape(*tape, *store_));
    names_ = tape->export_names;
    funcs_.reserve(made.exports.size());
    for (size_t i = 0; i < made.exports.size(); ++i) {
      if (made.exports[i]) {
        funcs_.emplace_back(std::move(made.exports[i]));
      } else {
        funcs_.emplace_back(&lazy_, tape->exports[i].lifted);
      }
    }
    std::vector<link::FuncRef>().swap(made.exports);  // moved into funcs_: free its block
    made_ = std::move(made);
    lazy_.tape = std::move(tape);
    lazy_.made = &made_;
    return {};
  }

  ExportedFunc* func(std::string_view name) override {
    auto it = std::lower_bound(names_->begin(), names_->end(), name,
                               [](const std::string& a, std::string_view b) { return a < b; });
    if (it == names_->end() || *it != name) return nullptr;
    return &funcs_[static_cast<size_t>(it - names_->begin())];
  }

  std::vector<std::string> func_names() const override { return *names_; }

  Result<void> drop(const Value& own) override {
    if (own.kind != Kind::Own || !own.handle.type) {
      return make_error("only an `own` resource handle can be dropped");
    }
    if (store_->poisoned()) {
      return wasm::make_trap(wasm::TrapKind::Poisoned,
                             "instance is poisoned by an earlier trap: " + store_->poison_reason());
    }
    auto it = made_.tree.dtors->by_type.find(own.handle.type.get());
    if (it == made_.tree.dtors->by_type.end()) return {};  // a resource without a destructor
    auto r = it->second(own.handle.rep);
    if (!r.ok() && wasm::ends_guest_call(r.error()) && !store_->poisoned()) {
      store_->poison(r.error().message);
    }
    return r;
  }

  bool poisoned() const override { return store_->poisoned(); }

  Result<void> take_state_from(Instance& older_base) override {
    auto* older = dynamic_cast<InstanceImpl*>(&older_base);
    if (!older) return make_error("state hand-over: not an instance of this linker");
    if (older->store_->poisoned()) {
      return make_error("state hand-over: the older instance is poisoned: " +
                        older->store_->poison_reason());
    }
    const auto& from_frames = older->made_.tree.kept;
    const auto& to_frames = made_.tree.kept;
    if (from_frames.size() != to_frames.size()) {
      return make_error("state hand-over: the instances were not built alike");
    }
    // First everything that can fail without changing `older`, then the handles.
    for (size_t f = 0; f < from_frames.size(); ++f) {
      const auto& a = from_frames[f].core_instances;
      const auto& b = to_frames[f].core_instances;
      if (a.size() != b.size()) return make_error("state hand-over: core instances differ");
      for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i] != !b[i]) return make_error("state hand-over: core instances differ");
        if (!a[i]) continue;  // a bundle of exports: holds no state of its own
        ACTR_TRY_VOID(copy_core_state(*a[i], *b[i], f, i));
      }
    }
    for (const auto& frame : from_frames) {
      if (frame.state && frame.state->handles) {
        if (auto r = frame.state->handles->check_movable(); !r) {
          return make_error("state hand-over: " + r.error().message);
        }
      }
    }
    for (size_t f = 0; f < from_frames.size(); ++f) {
      auto& from_state = from_frames[f].state;
      auto& to_state = to_frames[f].state;
      if (!from_state || !to_state || !from_state->handles || !to_state->handles) continue;
      // Handles this instance's start functions made (the older one made the same, and then
      // more): dropped, their host objects freed, before the older instance's move in.
      for (auto& [type, rep] : to_state->handles->release_all()) {
        auto dtor = made_.tree.dtors->by_type.find(type.get());
        if (dtor != made_.tree.dtors->by_type.end()) (void)dtor->second(rep);
      }
      if (auto r = to_state->handles->take_handles_from(*from_state->handles); !r) {
        return make_error("state hand-over: " + r.error().message);
      }
    }
    return {};
  }

  static bool is_reference(wasm::ValType t) {
    return t == wasm::ValType::FuncRef || t == wasm::ValType::ExternRef;
  }

  static Result<void> copy_core_state(wasm::Instance& from, wasm::Instance& to, size_t frame,
                                      size_t index) {
    auto where = [&] {
      return "core instance " + std::to_string(index) + " of component frame " +
             std::to_string(frame);
    };
    wasm::DefinedState a = from.defined_state();
    wasm::DefinedState b = to.defined_state();
    if (a.memories.size() != b.memories.size() || a.globals.size() != b.globals.size() ||
        a.tables.size() != b.tables.size()) {
      return make_error("state hand-over: " + where() + " defines other things");
    }
    for (size_t t = 0; t < a.tables.size(); ++t) {
      if (a.tables[t]->size() != b.tables[t]->size()) {
        return make_error("state hand-over: table " + std::to_string(t) + " of " + where() +
                          " changed size");
      }
    }
    for (size_t g = 0; g < a.globals.size(); ++g) {
      wasm::GlobalType type = a.globals[g]->type();
      if (type.is_mutable && is_reference(type.type) && a.globals[g]->get() != 0) {
        return make_error("state hand-over: global " + std::to_string(g) + " of " + where() +
                          " holds a reference");
      }
    }
    for (size_t m = 0; m < a.memories.size(); ++m) {
      wasm::Memory& src = *a.memories[m];
      wasm::Memory& dst = *b.memories[m];
      if (dst.size() > src.size()) {
        return make_error("state hand-over: memory " + std::to_string(m) + " of " + where() +
                          " is larger in the new instance");
      }
      if (dst.size() < src.size()) {
        ACTR_TRY_VOID(dst.grow((src.size() - dst.size()) / wasm::kPageSize));
      }
      std::memcpy(dst.data(), src.data(), src.size());
    }
    for (size_t g = 0; g < a.globals.size(); ++g) {
      wasm::GlobalType type = a.globals[g]->type();
      if (!type.is_mutable || is_reference(type.type)) continue;
      ACTR_TRY_VOID(b.globals[g]->set(a.globals[g]->get()));
    }
    return {};
  }
  wasm::Store& store() override { return *store_; }

  ~InstanceImpl() override {
    // Frames reference the store's objects; release them before the store.
    funcs_.clear();
    made_ = {};
  }

 private:
  std::unique_ptr<wasm::Store> store_;
  std::shared_ptr<const Component> component_;
  // The frames (and, for a tape's instance, the core instances its lazy lifts take exports of).
  link::TapedInstance made_;
  LazyLifts lazy_;
  // Exported functions, by the sorted names in names_ (Instance::func() names; shared by the
  // instances of one pre). Never resized after init: func() hands out addresses.
  std::shared_ptr<const std::vector<std::string>> names_;
  std::vector<ExportedFuncImpl> funcs_;
};

// A value no other linker state ever had, so pres are never mistaken for another's.
uint64_t next_generation() {
  static std::atomic<uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace

Linker::Linker(wasm::Engine& engine) : engine_(engine), generation_(next_generation()) {}
Linker::Linker(const Linker& other, Snapshot)
    : engine_(other.engine_),
      defs_(other.defs_),
      trap_unknown_imports_(other.trap_unknown_imports_),
      denied_(other.denied_),
      generation_(other.generation_) {}
Linker::~Linker() = default;

void Linker::changed() { generation_ = next_generation(); }

void Linker::func(std::string_view instance, std::string_view name, FuncType type,
                  HostFunction fn) {
  func(instance, name, std::move(type), std::move(fn), {});
}

void Linker::func(std::string_view instance, std::string_view name, FuncType type, HostFunction fn,
                  RawHostFunction raw) {
  auto item = std::make_shared<link::FuncItem>();
  item->type = std::make_shared<const FuncType>(type);
  auto body = std::make_shared<link::HostBody>();
  body->fn = fn;
  body->raw = raw;
  item->debug_name =
      instance.empty() ? std::string(name) : std::string(instance) + "#" + std::string(name);
  // A type the canonical ABI cannot plan is reported when a guest lowers it.
  if (auto plan = canonical::plan_call(*item->type); plan.ok()) body->plan = std::move(*plan);
  item->host = std::move(body);
  defs_[std::string(instance)].funcs[std::string(name)] = {std::move(type), std::move(fn),
                                                           std::move(raw), std::move(item)};
  changed();
}

std::shared_ptr<const ResourceType> Linker::resource(std::string_view instance,
                                                     std::string_view name,
                                                     ResourceDestructor dtor) {
  auto type = std::make_shared<ResourceType>();
  type->name = std::string(name);
  type->host_defined = true;
  defs_[std::string(instance)].resources[std::string(name)] = {type, std::move(dtor)};
  changed();
  return type;
}

struct InstancePre::State {
  explicit State(const Linker& from) : linker(from, Linker::Snapshot{}) {}
  Linker linker;  // the definitions as they were when the pre was made
  std::mutex mu;
  std::shared_ptr<const link::Tape> tape;  // once an instantiation recorded a complete one
  bool untapeable = false;                 // a recording was incomplete: replay in full
};

Result<std::unique_ptr<Instance>> Linker::instantiate(const Component& component,
                                                      const wasm::StoreLimits& limits) const {
  link::PreCache& cache = component.pre_cache();
  std::shared_ptr<const InstancePre> pre;
  {
    std::lock_guard lock(cache.mu);
    for (const auto& [generation, made] : cache.pres) {
      if (generation == generation_) pre = made;
    }
  }
  if (!pre) {
    ACTR_TRY(auto made, instantiate_pre(component));
    std::lock_guard lock(cache.mu);
    for (const auto& [generation, other] : cache.pres) {
      if (generation == generation_) pre = other;  // another thread was first
    }
    if (!pre) {
      pre = std::move(made);
      // Linkers redefined or made per use leave pres nobody asks for again: keep the newest few.
      if (cache.pres.size() >= link::PreCache::kMax) cache.pres.erase(cache.pres.begin());
      cache.pres.emplace_back(generation_, pre);
    }
  }
  return pre->instantiate(limits);
}

Result<std::shared_ptr<const InstancePre>> Linker::instantiate_pre(
    const Component& component) const {
  std::shared_ptr<InstancePre> pre(new InstancePre(*this, component));
  ACTR_TRY_VOID(link::check_host_imports(pre->state_->linker, component));
  return std::shared_ptr<const InstancePre>(std::move(pre));
}

InstancePre::InstancePre(const Linker& linker, const Component& component)
    : component_(component), state_(std::make_unique<State>(linker)) {}
InstancePre::~InstancePre() = default;

bool InstancePre::replays_tape() const {
  std::lock_guard lock(state_->mu);
  return state_->tape != nullptr;
}

Result<std::unique_ptr<Instance>> InstancePre::instantiate(const wasm::StoreLimits& limits) const {
  std::shared_ptr<const link::Tape> tape;
  bool record = false;
  {
    std::lock_guard lock(state_->mu);
    tape = state_->tape;
    record = !tape && !state_->untapeable;
  }
  // The store comes from the engine that compiled the component: one linker (its host
  // definitions) serves components of every engine, as a tiered node needs.
  auto store = component_.engine().new_store(limits);
  // Components are shared immutable objects; the instance keeps it alive through a non-owning
  // alias when the caller owns it elsewhere.
  std::shared_ptr<const Component> keep(std::shared_ptr<const Component>(), &component_);
  auto instance = std::make_unique<InstanceImpl>(std::move(store), std::move(keep));
  if (tape) {
    ACTR_TRY_VOID(instance->init(tape));
  } else if (record) {
    auto recorded = std::make_shared<link::Tape>();
    ACTR_TRY_VOID(instance->init(state_->linker, recorded.get()));
    std::lock_guard lock(state_->mu);
    if (!recorded->complete) {
      state_->untapeable = true;
    } else if (!state_->tape) {
      state_->tape = std::move(recorded);
    }
  } else {
    ACTR_TRY_VOID(instance->init(state_->linker, nullptr));
  }
  return std::unique_ptr<Instance>(std::move(instance));
}

Result<void> ExportedFunc::call_raw(RawLower, RawLift) {
  return make_error("this function has no raw calling path (see supports_raw())");
}

Result<std::vector<Value>> Instance::call(std::string_view name, std::span<const Value> args) {
  ExportedFunc* fn = func(name);
  if (!fn) return make_error("no exported function named `" + std::string(name) + "`");
  return fn->call(args);
}

}  // namespace actr::component
