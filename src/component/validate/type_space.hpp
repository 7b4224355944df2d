// TypeSpace: the index spaces of one component, replayed definition by definition, holding the
// resolved type of every entry (extern_types.hpp). It is the validator (every index, sort and type
// is checked as it is added; errors name the definition and its byte offset), and what it
// resolves is the component's one type model: with TypeSpaceOptions::record, define_all() keeps
// the index spaces of the component and of every nested component definition in a TypeModel
// (type_model.hpp) that the linker instantiates from.
//
//   TypeSpace space(options);
//   for (const auto& def : component.defs) {
//     ACTR_TRY_VOID(space.define(def));        // errors: "type 3 (at byte 0x1a2): ..."
//     space.func(i)          -> the component func type of func i (e.g. of a canon lift)
//     space.type(i)          -> the resolved type i (value, func, resource, instance, component)
//     space.instance(i)      -> the exports of instance i with their types
//     space.core_func(i)     -> the core type of core func i (e.g. of a canon lower)
//   }
//   space.imports(), space.exports()           // the component's type, once all are defined
//
// Resource types are generative. Every TypeSpace creates fresh ResourceType objects for the
// `(type (resource ...))` definitions it replays; those of a recorded model are stand-ins that the
// linker maps to each instance's own. The abstract resources of the component's imports ((sub
// resource) type imports, and (sub resource) exports of imported instance types) are asked from
// `TypeSpaceOptions::imported_resource` with their path, e.g. {"wasi:io/error@0.2.0", "error"} or
// {"r"} (tests use it to supply known ones); a null answer gives a fresh type (named after the
// last path element). Nested component *definitions* are validated with abstract imports, and
// their instantiations substitute the arguments' resources.
//
// Not supported (rejected with a message saying so): the async ABI and built-ins ("async ... not
// supported: the actr host is synchronous"), threads, error-context, streams, futures,
// value imports/exports and start definitions (🪙); of GC core types, rec groups of more than
// one type, supertypes, structs and arrays, and any use of a non-final function type. Fixed-size
// lists (🔧, `list<T, N>`) are supported.
// External visibility (visibility.hpp) is checked for the imports and exports of components and
// component types. Hostile shapes are bounded: types nest at most 100 deep and
// at most 10^6 nodes written out, a type declares at most 10^4 abstract resources.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "component/ast.hpp"
#include "component/validate/extern_types.hpp"
#include "component/validate/type_model.hpp"

namespace actr::component::validate {

using ImportedResourceFn =
    std::function<std::shared_ptr<const ResourceType>(std::span<const std::string> path)>;

struct TypeSpaceOptions {
  ImportedResourceFn imported_resource;  // may be empty: every import gets fresh resources
  // When set, define_all() records the types of the component and of every component nested in
  // it (for the linker: Component::types()).
  TypeModel* record = nullptr;
};

class TypeSpace {
 public:
  explicit TypeSpace(TypeSpaceOptions options = {});
  // A space for a component nested in the component of `parent` (for outer aliases). `parent`
  // must outlive this space.
  TypeSpace(const TypeSpace* parent, TypeSpaceOptions options);
  ~TypeSpace();
  TypeSpace(const TypeSpace&) = delete;
  TypeSpace& operator=(const TypeSpace&) = delete;

  // Validates `def` against the spaces so far and appends what it defines.
  Result<void> define(const ast::Definition& def);
  // Defines every definition of `component`, then runs the whole-component checks.
  Result<void> define_all(const ast::Component& component);

  // The number of entries of an index space so far.
  uint32_t size(ast::Sort sort) const;

  // Entries of the index spaces; null when out of bounds.
  const DefinedType* type(uint32_t index) const;
  const FuncType* func(uint32_t index) const;
  const InstanceType* instance(uint32_t index) const;
  const ComponentType* component(uint32_t index) const;
  const wasm::FuncType* core_func(uint32_t index) const;
  const wasm::TableType* core_table(uint32_t index) const;
  const wasm::MemoryType* core_memory(uint32_t index) const;
  const wasm::GlobalType* core_global(uint32_t index) const;
  const CoreModuleType* core_module(uint32_t index) const;
  const CoreInstanceType* core_instance(uint32_t index) const;

  // The component's imports and exports so far, in definition order.
  const std::vector<NamedExtern>& imports() const;
  const std::vector<NamedExtern>& exports() const;
  // The whole component type (imports, exports and the resources they quantify over).
  ComponentType component_type() const;

  // Resolves a value type reference against the type space.
  Result<TypeRef> valtype(const ast::ValTypeRef& ref) const;

  // For printers: when a named value type is a renaming alias of another named type (e.g.
  // `(export "b" (type (eq $a)))` where $a was already exported as "a"), the type it renames.
  const ValueType* renamed_from(const ValueType* named) const;

  struct State;  // implementation, in type_space.cpp

 private:
  std::unique_ptr<State> state_;
};

}  // namespace actr::component::validate
