// What the C++ binding generators share: which interfaces a world needs (dependencies first),
// the C++ namespace of each, its type definitions in dependency order, and the C++ spelling of
// every WIT type.
//
// Namespaces: the world's package maps to `--namespace` (default `ns::pkg`, e.g.
// `actr::workload`), each interface to a nested namespace (`actr::workload::types`), other
// packages to `ns::pkg::iface`. Exported functions the guest implements live under `exports`.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "witgen/component_types.hpp"
#include "witgen/model.hpp"
#include "witgen/resolver.hpp"

namespace actr::witgen {

struct GeneratorOptions {
  std::string world;          // name in the main package, or `ns:pkg/world`
  std::string cpp_namespace;  // empty: `ns::pkg` of the world's package
};

// A function of the world as bindings see it: where it lives and its component type.
struct BoundFunction {
  const Function* function = nullptr;
  const Interface* interface = nullptr;  // null for a world-level function
  // The resource a constructor, method or static function belongs to (null otherwise).
  const TypeDef* resource = nullptr;
  std::string instance;  // import module / export prefix: "actr:workload/host@0.1.0", or ""
  // The function's name in the component: `f`, `[constructor]r`, `[method]r.f`, `[static]r.f`.
  std::string wit_name;
  component::FuncType type;  // methods: `self: borrow<r>` first
};

// A resource handle as a function parameter or result (`own<r>`, `borrow<r>`, or a bare `r`).
// Handles are supported there only, not inside other types.
struct Handle {
  const TypeDef* resource = nullptr;
  bool own = true;
  bool guest_defined = false;  // the resource belongs to an interface the world exports
};

struct BoundInterface {
  const Interface* interface = nullptr;
  std::string ns;                     // "::actr::workload::types"
  std::vector<const TypeDef*> types;  // own definitions, dependencies first
};

class BindingPlan {
 public:
  static Result<BindingPlan> make(const PackageSet& packages, const GeneratorOptions& options);

  const World& world() const { return *world_; }
  const std::string& root_ns() const { return root_ns_; }  // "::actr::workload"
  std::string file_base() const;                           // "actr_workload_guest"
  // Every interface whose types the world needs, dependencies first.
  const std::vector<BoundInterface>& interfaces() const { return interfaces_; }
  // The world's own type definitions (in root_ns), dependencies first.
  const std::vector<const TypeDef*>& world_types() const { return world_types_; }
  const std::vector<BoundFunction>& imports() const { return imports_; }
  const std::vector<BoundFunction>& exports() const { return exports_; }

  std::string ns_of(const Interface* iface) const;  // root_ns for null (world level)
  std::string cpp_name(const TypeDef& def) const;   // "::actr::workload::types::ActrId"
  Result<std::string> cpp_type(const Type& t) const;
  // `std::string`, `uint32_t`... for a component value type without a WIT name.
  bool is_scalar(const Type& t) const;

  // The handle `t` is, or nothing for any other type.
  std::optional<Handle> handle_of(const Type& t) const;
  // True when the resource belongs to an interface the world exports (the guest implements it).
  bool guest_defined(const TypeDef& resource) const;
  // The resources defined by an interface, in definition order.
  static std::vector<const TypeDef*> resources_of(const Interface& iface);

 private:
  const World* world_ = nullptr;
  std::string root_ns_;
  const Package* main_ = nullptr;
  std::vector<BoundInterface> interfaces_;
  std::map<const Interface*, std::string> ns_;
  std::vector<const TypeDef*> world_types_;
  std::vector<BoundFunction> imports_, exports_;
  std::set<const Interface*> exported_;
  ComponentTypes component_types_;
};

}  // namespace actr::witgen
