#include "actr/component/linker.hpp"

#include <cstring>

#include "actr/component/component.hpp"
#include "component/canonical/call.hpp"
#include "component/canonical/handle_table.hpp"
#include "component/linker/canon_bridge.hpp"
#include "component/linker/instantiator.hpp"

namespace actr::component {
namespace {

class ExportedFuncImpl final : public ExportedFunc {
 public:
  explicit ExportedFuncImpl(link::FuncRef fn) : fn_(std::move(fn)) {}
  const FuncType& type() const override { return *fn_->type; }
  Result<std::vector<Value>> call(std::span<const Value> args) override {
    return link::call_func(*fn_, args);
  }
  bool supports_raw() const override { return link::supports_raw(*fn_); }
  Result<void> call_raw(RawLower lower, RawLift lift) override {
    return link::call_raw(*fn_, lower, lift);
  }

 private:
  link::FuncRef fn_;
};

class InstanceImpl final : public Instance {
 public:
  InstanceImpl(std::unique_ptr<wasm::Store> store, std::shared_ptr<const Component> component)
      : store_(std::move(store)), component_(std::move(component)) {}

  Result<void> init(const Linker& linker) {
    ACTR_TRY(tree_, link::instantiate_component(linker, *component_, *store_));
    collect("", *tree_.root, 0);
    // The exports are reached through funcs_ from now on; the instance graph that named them
    // (maps of every nested instance's exports) is not needed any more.
    tree_.root = nullptr;
    return {};
  }

  ExportedFunc* func(std::string_view name) override {
    auto it = funcs_.find(name);
    return it == funcs_.end() ? nullptr : &it->second;
  }

  std::vector<std::string> func_names() const override {
    std::vector<std::string> names;
    for (const auto& [name, fn] : funcs_) names.push_back(name);
    return names;
  }

  Result<void> drop(const Value& own) override {
    if (own.kind != Kind::Own || !own.handle.type) {
      return make_error("only an `own` resource handle can be dropped");
    }
    if (store_->poisoned()) {
      return wasm::make_trap(wasm::TrapKind::Poisoned,
                             "instance is poisoned by an earlier trap: " + store_->poison_reason());
    }
    auto it = tree_.dtors->by_type.find(own.handle.type.get());
    if (it == tree_.dtors->by_type.end()) return {};  // a resource without a destructor
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
    const auto& from_frames = older->tree_.frames;
    const auto& to_frames = tree_.frames;
    if (from_frames.size() != to_frames.size()) {
      return make_error("state hand-over: the instances were not built alike");
    }
    // First everything that can fail without changing `older`, then the handles.
    for (size_t f = 0; f < from_frames.size(); ++f) {
      const auto& a = from_frames[f]->core_instances;
      const auto& b = to_frames[f]->core_instances;
      if (a.size() != b.size()) return make_error("state hand-over: core instances differ");
      for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].instance != !b[i].instance) {
          return make_error("state hand-over: core instances differ");
        }
        if (!a[i].instance) continue;  // a bundle of exports: holds no state of its own
        ACTR_TRY_VOID(copy_core_state(*a[i].instance, *b[i].instance, f, i));
      }
    }
    for (const auto& frame : from_frames) {
      if (frame->state && frame->state->handles) {
        if (auto r = frame->state->handles->check_movable(); !r) {
          return make_error("state hand-over: " + r.error().message);
        }
      }
    }
    for (size_t f = 0; f < from_frames.size(); ++f) {
      auto& from_state = from_frames[f]->state;
      auto& to_state = to_frames[f]->state;
      if (!from_state || !to_state || !from_state->handles || !to_state->handles) continue;
      // Handles this instance's start functions made (the older one made the same, and then
      // more): dropped, their host objects freed, before the older instance's move in.
      for (auto& [type, rep] : to_state->handles->release_all()) {
        auto dtor = tree_.dtors->by_type.find(type.get());
        if (dtor != tree_.dtors->by_type.end()) (void)dtor->second(rep);
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
    tree_ = {};
  }

 private:
  // Top-level function exports by name; functions of exported instances as "instance#func"
  // (nested instances as "outer#inner#func").
  void collect(const std::string& prefix, const link::InstanceItem& inst, int depth) {
    if (depth > 8) return;
    for (const auto& [name, item] : inst.exports) {
      std::string full = prefix.empty() ? name : prefix + "#" + name;
      if (auto* fn = std::get_if<link::FuncRef>(&item)) {
        funcs_.insert_or_assign(std::move(full), ExportedFuncImpl(*fn));
      } else if (auto* sub = std::get_if<std::shared_ptr<link::InstanceItem>>(&item)) {
        collect(full, **sub, depth + 1);
      }
    }
  }

  std::unique_ptr<wasm::Store> store_;
  std::shared_ptr<const Component> component_;
  link::InstanceTree tree_;
  // Held in the map's nodes (one allocation per export, not two); node addresses are stable.
  std::map<std::string, ExportedFuncImpl, std::less<>> funcs_;
};

}  // namespace

Linker::Linker(wasm::Engine& engine) : engine_(engine) {}
Linker::~Linker() = default;

void Linker::func(std::string_view instance, std::string_view name, FuncType type,
                  HostFunction fn) {
  func(instance, name, std::move(type), std::move(fn), {});
}

void Linker::func(std::string_view instance, std::string_view name, FuncType type, HostFunction fn,
                  RawHostFunction raw) {
  auto item = std::make_shared<link::FuncItem>();
  item->type = std::make_shared<const FuncType>(type);
  item->host = fn;
  item->raw_host = raw;
  item->debug_name =
      instance.empty() ? std::string(name) : std::string(instance) + "#" + std::string(name);
  // A type the canonical ABI cannot plan is reported when a guest lowers it.
  if (auto plan = canonical::plan_call(*item->type); plan.ok()) item->plan = std::move(*plan);
  defs_[std::string(instance)].funcs[std::string(name)] = {std::move(type), std::move(fn),
                                                           std::move(raw), std::move(item)};
}

std::shared_ptr<const ResourceType> Linker::resource(std::string_view instance,
                                                     std::string_view name,
                                                     ResourceDestructor dtor) {
  auto type = std::make_shared<ResourceType>();
  type->name = std::string(name);
  type->host_defined = true;
  defs_[std::string(instance)].resources[std::string(name)] = {type, std::move(dtor)};
  return type;
}

Result<std::unique_ptr<Instance>> Linker::instantiate(const Component& component,
                                                      const wasm::StoreLimits& limits) const {
  // The store comes from the engine that compiled the component: one linker (its host
  // definitions) serves components of every engine, as a tiered node needs.
  auto store = component.engine().new_store(limits);
  // Components are shared immutable objects; the instance keeps it alive through a non-owning
  // alias when the caller owns it elsewhere.
  std::shared_ptr<const Component> keep(std::shared_ptr<const Component>(), &component);
  auto instance = std::make_unique<InstanceImpl>(std::move(store), std::move(keep));
  ACTR_TRY_VOID(instance->init(*this));
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
