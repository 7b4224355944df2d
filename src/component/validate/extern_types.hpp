// Resolved types of everything a component can import, export or hold in an index space: the
// types of functions, instances and components, with every type index replaced by a resolved
// component::ValueType / FuncType / ResourceType (types.hpp). TypeSpace (type_space.hpp) builds
// them; the validator, the linker and the WIT printer read them.
//
// Resource identity: a ResourceType object *is* a resource type (see types.hpp). Instance and
// component types that quantify over resources ((sub resource) imports and exports) list those
// abstract ResourceType objects with the path of names that reaches each one, so that using the
// type (importing it, instantiating a component of that type) can substitute concrete ones.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actr/component/types.hpp"
#include "actr/wasm/types.hpp"

namespace actr::component {

struct CoreModuleType {
  std::vector<wasm::ImportType> imports;
  std::vector<wasm::ExportType> exports;
};

// A core instance: the exports of an instantiated module, or a bundle of core items.
struct CoreInstanceType {
  std::vector<wasm::ExportType> exports;
  // find() is a hash lookup once index() has been called after the last change to `exports`
  // (TypeSpace does so for every type it makes), a linear search before.
  const wasm::ExternType* find(std::string_view name) const;
  void index();

 private:
  std::unordered_map<std::string, size_t> by_name_;
};

struct InstanceType;
struct ComponentType;

// One entry of a component-level type index space.
struct DefinedType {
  enum class Kind : uint8_t { Value, Func, Resource, Instance, Component };
  Kind kind = Kind::Value;
  TypeRef value;                                 // Value
  std::shared_ptr<const FuncType> func;          // Func
  std::shared_ptr<const ResourceType> resource;  // Resource
  // Resource: the name this entry gives the resource; each definition, import and export of a
  // resource type makes a new one (ValueType::resource_alias).
  std::shared_ptr<const void> resource_alias;
  std::shared_ptr<const InstanceType> instance;    // Instance
  std::shared_ptr<const ComponentType> component;  // Component
};

enum class ExternKind : uint8_t { CoreModule, Func, Value, Type, Instance, Component };
const char* to_string(ExternKind k);

// The type of an import or export (the spec's `externtype`), resolved.
struct ExternType {
  ExternKind kind = ExternKind::Func;
  std::shared_ptr<const CoreModuleType> module;    // CoreModule
  std::shared_ptr<const FuncType> func;            // Func
  TypeRef value;                                   // Value
  DefinedType type;                                // Type: the type the name stands for
  std::shared_ptr<const InstanceType> instance;    // Instance
  std::shared_ptr<const ComponentType> component;  // Component
};

struct NamedExtern {
  std::string name;
  ExternType type;
};

// An abstract resource type and where it sits: `path` names the import or export and then the
// instance exports leading to the resource, e.g. {"wasi:io/streams@0.2.0", "output-stream"}.
struct ResourceSlot {
  std::vector<std::string> path;
  std::shared_ptr<const ResourceType> resource;
};

struct InstanceType {
  std::vector<NamedExtern> exports;
  // The resources declared by (sub resource) exports of this type, also inside nested instance
  // exports. Every import or export that uses the type gets fresh ones (or, for the imports of the
  // component being instantiated, the ones the embedder supplies). Empty for the type of an
  // actual instance.
  std::vector<ResourceSlot> abstract_resources;

  // As CoreInstanceType::find.
  const ExternType* find(std::string_view name) const;
  void index();

 private:
  std::unordered_map<std::string, size_t> by_name_;
};

struct ComponentType {
  std::vector<NamedExtern> imports;
  std::vector<NamedExtern> exports;
  // Resources the imports quantify over: instantiation replaces them by the arguments' (paths
  // start with the import name).
  std::vector<ResourceSlot> imported_resources;
  // Resources the exports mention that are not imported (defined inside the component): fresh for
  // every instantiation (paths start with the export name).
  std::vector<ResourceSlot> defined_resources;
};

}  // namespace actr::component
