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

#include "actr/common/result.hpp"
#include "witgen/component_types.hpp"
#include "witgen/model.hpp"
#include "witgen/resolver.hpp"

namespace actr::witgen {

struct GeneratorOptions {
  std::string world;          // name in the main package, or `ns:pkg/world`
  std::string cpp_namespace;  // empty: `ns::pkg` of the world's package
  // Host bindings: the virtuals of imported functions (without handles) take their non-scalar
  // arguments by value and get the lifted ones moved in, so that a host that keeps an argument
  // (a payload it queues) needs no copy of it. Off: `const T&`, what implementations that only
  // read them write.
  bool owned_import_params = false;
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

// A resource handle (`own<r>`, `borrow<r>`, or a bare `r`).
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

// Which bindings a plan spells handle types for: a handle inside another type (`list<own<r>>`)
// is a different C++ type in the guest and in the host.
enum class Side : uint8_t { Guest, Host };

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
  // True when `t` is or holds a handle (through lists, options, records, variants, aliases...).
  bool contains_handle(const Type& t) const;
  bool contains_handle(const TypeDef& def) const;
  // The resources whose handles `t` holds, each once.
  void resources_in(const Type& t, std::vector<const TypeDef*>& out) const;
  // The C++ class of a resource on this plan's side: `::ns::pkg::iface::Counter`, or under
  // `exports` for a resource the guest defines.
  std::string resource_class(const TypeDef& resource) const;
  // Handle spellings inside other types (guest: `Counter`, `const Counter*`,
  // `std::unique_ptr<Accumulator>`, `Accumulator*`; host: `std::unique_ptr<Counter>`,
  // `Counter*`, `Accumulator`, `const Accumulator*`). Set by the generators.
  void set_side(Side side) { side_ = side; }
  Side side() const { return side_; }
  // True when the resource belongs to an interface the world exports (the guest implements it).
  bool guest_defined(const TypeDef& resource) const;
  // True when the world imports the interface, explicitly or because its interfaces `use` it.
  bool imported(const Interface* iface) const { return imported_.count(iface) > 0; }
  // The resources defined by an interface, in definition order.
  static std::vector<const TypeDef*> resources_of(const Interface& iface);

 private:
  Result<std::string> handle_type(const Type& t) const;

  const World* world_ = nullptr;
  std::string root_ns_;
  const Package* main_ = nullptr;
  std::vector<BoundInterface> interfaces_;
  std::map<const Interface*, std::string> ns_;
  std::vector<const TypeDef*> world_types_;
  std::vector<BoundFunction> imports_, exports_;
  std::set<const Interface*> exported_, imported_;
  ComponentTypes component_types_;
  Side side_ = Side::Guest;
};

}  // namespace actr::witgen
