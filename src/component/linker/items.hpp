// The runtime model of a component being instantiated: what each index space holds.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actr/component/canonical/guest_memory.hpp"
#include "actr/component/linker.hpp"
#include "actr/component/types.hpp"
#include "actr/wasm/engine.hpp"
#include "component/ast.hpp"
#include "component/validate/resource_subst.hpp"
#include "component/validate/type_model.hpp"

namespace actr::component::canonical {
class HandleTable;
struct CallPlan;
}  // namespace actr::component::canonical

namespace actr::component::link {

struct ComponentState;  // one component instance (nested instances have their own)

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

// What a host function is besides its type.
struct HostBody {
  HostFunction fn;
  RawHostFunction raw;  // optionally: its fast path (Linker::func)
  // The canonical ABI's plan for the type, made once by the Linker.
  std::shared_ptr<const canonical::CallPlan> plan;
};

// A component-level function: a host function, or a core function lifted by some instance.
struct FuncItem {
  // Shared, not copied: every instance of a component lifts the same functions.
  std::shared_ptr<const FuncType> type;
  std::string debug_name;
  // Set for host functions. Out of line: an instance makes one FuncItem per lifted function and
  // none per host function, and the host's parts would be a quarter of each.
  std::shared_ptr<const HostBody> host;
  // Set for lifted functions; held inline: an instance makes one FuncItem per lifted function.
  std::optional<LiftedFunc> lifted;
};
using FuncRef = std::shared_ptr<FuncItem>;

struct InstanceItem;
struct ComponentItem;
struct ModuleItem {
  std::shared_ptr<wasm::Module> module;
};

using Item = std::variant<FuncRef, DefinedType, std::shared_ptr<InstanceItem>,
                          std::shared_ptr<ComponentItem>, ModuleItem>;

const char* item_kind(const Item& item);

struct InstanceItem {
  std::map<std::string, Item, std::less<>> exports;
};

// A nested component definition with the frame it was defined in (for outer aliases).
struct ComponentItem {
  const ast::Component* ast = nullptr;
  std::weak_ptr<struct Frame> parent;  // weak: the parent frame holds this item
};

// A core instance: a real engine instance, or a bundle of exports.
struct CoreInstanceItem {
  std::shared_ptr<wasm::Instance> instance;
  std::map<std::string, wasm::Extern, std::less<>> bundle;
  std::optional<wasm::Extern> get(std::string_view name) const;
};

// The index spaces of one component while (and after) it is instantiated.
struct Frame {
  // What validation resolved for this component (Component::types()), and how the model's
  // resource types map to this instance's: every type entry below is the model's entry with that
  // mapping applied (entries without resources are the model's own objects).
  const ComponentTypes* model = nullptr;
  validate::ResourceSubst resources;
  std::vector<DefinedType> types;
  size_t imports = 0;  // imports defined so far (the model lists them in order)
  std::vector<std::shared_ptr<wasm::Func>> core_funcs;
  std::vector<wasm::Extern> core_tables, core_memories, core_globals, core_tags;
  std::vector<ModuleItem> core_modules;
  std::vector<CoreInstanceItem> core_instances;
  std::vector<FuncRef> funcs;
  std::vector<std::shared_ptr<ComponentItem>> components;
  std::vector<std::shared_ptr<InstanceItem>> instances;
  std::shared_ptr<Frame> parent;
  std::shared_ptr<ComponentState> state;
};

}  // namespace actr::component::link
