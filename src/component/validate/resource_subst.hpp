// Substitution inside resolved types: how an instance or component type that quantifies over
// abstract resources is specialised to concrete ones when it is imported, exported or
// instantiated, and how the value types a component imports stand for the instantiation's
// arguments in the instance's type (so that the instance refers to the very types its creator
// named). Unchanged parts are shared, not copied.
#pragma once

#include <memory>
#include <unordered_map>

#include "component/validate/extern_types.hpp"

namespace actr::component::validate {

class ResourceSubst {
 public:
  void map(const ResourceType* from, std::shared_ptr<const ResourceType> to) {
    map_[from] = std::move(to);
  }
  // A type import's value type stands for `to` (the instantiation argument) from now on.
  void map_value(const ValueType* from, TypeRef to) { value_map_[from] = std::move(to); }
  // A type import's name of a resource stands for the argument's name of it (resource_alias).
  void map_alias(const void* from, std::shared_ptr<const void> to) {
    alias_map_[from] = std::move(to);
  }
  // Every resource mapping of `other` (e.g. the enclosing component instance's), kept below this
  // one's own.
  void inherit(const ResourceSubst& other) { map_.insert(other.map_.begin(), other.map_.end()); }
  bool empty() const { return map_.empty() && value_map_.empty() && alias_map_.empty(); }

  std::shared_ptr<const ResourceType> resource(const std::shared_ptr<const ResourceType>& r) const;
  TypeRef value(const TypeRef& t);
  std::shared_ptr<const FuncType> func(const std::shared_ptr<const FuncType>& f);
  DefinedType defined(const DefinedType& d);
  ExternType extern_type(const ExternType& e);
  std::shared_ptr<const InstanceType> instance(const std::shared_ptr<const InstanceType>& t);
  std::shared_ptr<const ComponentType> component(const std::shared_ptr<const ComponentType>& t);
  std::shared_ptr<const CoreModuleType> module(const std::shared_ptr<const CoreModuleType>& m) {
    return m;
  }

  // Every value type copied so far: original -> substituted copy.
  const std::unordered_map<const ValueType*, TypeRef>& value_copies() const { return values_; }

 private:
  std::vector<ResourceSlot> slots(const std::vector<ResourceSlot>& in) const;

  std::unordered_map<const ResourceType*, std::shared_ptr<const ResourceType>> map_;
  std::shared_ptr<const void> alias(const std::shared_ptr<const void>& a) const;

  std::unordered_map<const void*, std::shared_ptr<const void>> alias_map_;
  std::unordered_map<const ValueType*, TypeRef> value_map_;
  std::unordered_map<const ValueType*, TypeRef> values_;
  std::unordered_map<const FuncType*, std::shared_ptr<const FuncType>> funcs_;
  std::unordered_map<const InstanceType*, std::shared_ptr<const InstanceType>> instances_;
  std::unordered_map<const ComponentType*, std::shared_ptr<const ComponentType>> components_;
};

}  // namespace actr::component::validate
