// The runtime model of a component being instantiated: what each index space holds.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "component/ast.hpp"
#include "component/linker.hpp"
#include "component/types.hpp"
#include "wasm/engine.hpp"

namespace actr::component::canonical {
class HandleTable;
}

namespace actr::component::link {

struct ComponentState;  // one component instance (nested instances have their own)

// A resolved entry of a type index space.
struct TypeItem {
  enum class Kind : uint8_t {
    Value,
    Func,
    Resource,
    Instance,
    Component,
    CoreType
  } kind = Kind::Value;
  TypeRef value;
  std::shared_ptr<const FuncType> func;
  std::shared_ptr<const ResourceType> resource;
  // Instance and component types are kept as declarations with the scope they were defined in;
  // they are only interpreted when matching an import. Weak: the scope usually holds this very
  // item (a strong pointer would be a cycle); InstanceTree::frames keeps every scope alive.
  const ast::InstanceTypeDef* instance = nullptr;
  const ast::ComponentTypeDef* component = nullptr;
  std::weak_ptr<struct TypeScope> scope;
};

// A chain of type index spaces, for outer aliases (count 0 = this scope).
struct TypeScope {
  std::vector<TypeItem> types;
  std::shared_ptr<TypeScope> parent;
};

struct LiftedFunc;

// A component-level function: a host function, or a core function lifted by some instance.
struct FuncItem {
  FuncType type;
  std::string debug_name;
  HostFunction host;                   // set for host functions
  RawHostFunction raw_host;            // optionally with host: its fast path (Linker::func)
  std::shared_ptr<LiftedFunc> lifted;  // set for lifted functions
};
using FuncRef = std::shared_ptr<FuncItem>;

struct InstanceItem;
struct ComponentItem;
struct ModuleItem {
  std::shared_ptr<wasm::Module> module;
};

using Item = std::variant<FuncRef, TypeItem, std::shared_ptr<InstanceItem>,
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
  std::shared_ptr<TypeScope> types;
  std::vector<std::shared_ptr<wasm::Func>> core_funcs;
  std::vector<wasm::Extern> core_tables, core_memories, core_globals;
  std::vector<ModuleItem> core_modules;
  std::vector<CoreInstanceItem> core_instances;
  std::vector<FuncRef> funcs;
  std::vector<std::shared_ptr<ComponentItem>> components;
  std::vector<std::shared_ptr<InstanceItem>> instances;
  std::shared_ptr<Frame> parent;
  std::shared_ptr<ComponentState> state;
};

}  // namespace actr::component::link
