// The resolved types of a loaded component, computed once by validation (Component::types()):
// for the component and for every component definition nested in it, the final type and instance
// index spaces and its component type. Instantiation reads them and resolves nothing again.
//
// Resource types in the model are the model's own: abstract stand-ins for what each
// instantiation supplies (a fresh resource per `(type (resource ...))`, the host's or the
// arguments' for imports). The linker maps them to the instance's with a ResourceSubst; entries
// that mention no resource (`mentions_resource`) are shared by every instance as they are.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "component/ast.hpp"
#include "component/validate/extern_types.hpp"

namespace actr::component {

struct ComponentTypes {
  std::vector<DefinedType> types;  // the type index space, in definition order
  // Per type: a resource, or a value or function type with an own/borrow inside.
  std::vector<uint8_t> mentions_resource;
  std::vector<std::shared_ptr<const InstanceType>> instances;  // the instance index space
  ComponentType type;  // imports in definition order, exports, the resources they quantify over
};

class TypeModel {
 public:
  // The types of `c` (the root or a nested component definition); null for a component that is
  // not part of the validated tree.
  const ComponentTypes* of(const ast::Component& c) const {
    auto it = by_component_.find(&c);
    return it == by_component_.end() ? nullptr : it->second.get();
  }
  void add(const ast::Component& c, ComponentTypes types) {
    by_component_[&c] = std::make_unique<const ComponentTypes>(std::move(types));
  }

 private:
  std::unordered_map<const ast::Component*, std::unique_ptr<const ComponentTypes>> by_component_;
};

}  // namespace actr::component
