#include "component/validate/resource_subst.hpp"

namespace actr::component::validate {

std::shared_ptr<const ResourceType> ResourceSubst::resource(
    const std::shared_ptr<const ResourceType>& r) const {
  if (!r) return r;
  auto it = map_.find(r.get());
  return it == map_.end() ? r : it->second;
}

std::shared_ptr<const void> ResourceSubst::alias(const std::shared_ptr<const void>& a) const {
  if (!a) return a;
  auto it = alias_map_.find(a.get());
  return it == alias_map_.end() ? a : it->second;
}

TypeRef ResourceSubst::value(const TypeRef& t) {
  if (!t || empty()) return t;
  if (auto it = value_map_.find(t.get()); it != value_map_.end()) return it->second;
  if (auto it = values_.find(t.get()); it != values_.end()) return it->second;
  // The children substituted first: a type whose children are all unchanged is shared, not
  // copied (most types of an interface mention no resource).
  std::vector<TypeRef> subs;
  bool changed = false;
  auto sub = [&](const TypeRef& c) {
    subs.push_back(value(c));
    changed |= subs.back() != c;
  };
  for (const auto* c : {&t->key, &t->elem, &t->ok, &t->err}) sub(*c);
  for (const auto& f : t->fields) sub(f.type);
  for (const auto& i : t->items) sub(i);
  for (const auto& c : t->cases) sub(c.type);
  auto resource_to = resource(t->resource);
  auto alias_to = alias(t->resource_alias);
  changed |= resource_to != t->resource || alias_to != t->resource_alias;
  if (!changed) {
    values_.emplace(t.get(), t);
    return t;
  }
  auto copy = std::make_shared<ValueType>(*t);
  size_t next = 0;
  for (auto* c : {&copy->key, &copy->elem, &copy->ok, &copy->err}) *c = std::move(subs[next++]);
  for (auto& f : copy->fields) f.type = std::move(subs[next++]);
  for (auto& i : copy->items) i = std::move(subs[next++]);
  for (auto& c : copy->cases) c.type = std::move(subs[next++]);
  copy->resource = std::move(resource_to);
  copy->resource_alias = std::move(alias_to);
  TypeRef out = std::move(copy);
  values_.emplace(t.get(), out);
  return out;
}

std::shared_ptr<const FuncType> ResourceSubst::func(const std::shared_ptr<const FuncType>& f) {
  if (!f || empty()) return f;
  if (auto it = funcs_.find(f.get()); it != funcs_.end()) return it->second;
  std::vector<TypeRef> subs;
  bool changed = false;
  for (const auto* list : {&f->params, &f->results}) {
    for (const auto& p : *list) {
      subs.push_back(value(p.type));
      changed |= subs.back() != p.type;
    }
  }
  if (!changed) {
    funcs_.emplace(f.get(), f);
    return f;
  }
  auto copy = std::make_shared<FuncType>(*f);
  size_t next = 0;
  for (auto* list : {&copy->params, &copy->results}) {
    for (auto& p : *list) p.type = std::move(subs[next++]);
  }
  std::shared_ptr<const FuncType> out = std::move(copy);
  funcs_.emplace(f.get(), out);
  return out;
}

DefinedType ResourceSubst::defined(const DefinedType& d) {
  DefinedType out = d;
  out.value = value(d.value);
  out.func = func(d.func);
  out.resource = resource(d.resource);
  out.resource_alias = alias(d.resource_alias);
  out.instance = instance(d.instance);
  out.component = component(d.component);
  return out;
}

ExternType ResourceSubst::extern_type(const ExternType& e) {
  ExternType out = e;
  out.func = func(e.func);
  out.value = value(e.value);
  out.type = defined(e.type);
  out.instance = instance(e.instance);
  out.component = component(e.component);
  return out;
}

std::vector<ResourceSlot> ResourceSubst::slots(const std::vector<ResourceSlot>& in) const {
  // A quantified resource that gets substituted is no longer abstract.
  std::vector<ResourceSlot> out;
  for (const auto& s : in) {
    if (!map_.count(s.resource.get())) out.push_back(s);
  }
  return out;
}

std::shared_ptr<const InstanceType> ResourceSubst::instance(
    const std::shared_ptr<const InstanceType>& t) {
  if (!t || empty()) return t;
  if (auto it = instances_.find(t.get()); it != instances_.end()) return it->second;
  auto copy = std::make_shared<InstanceType>();
  for (const auto& e : t->exports) copy->exports.push_back({e.name, extern_type(e.type)});
  copy->abstract_resources = slots(t->abstract_resources);
  copy->index();
  instances_.emplace(t.get(), copy);
  return copy;
}

std::shared_ptr<const ComponentType> ResourceSubst::component(
    const std::shared_ptr<const ComponentType>& t) {
  if (!t || empty()) return t;
  if (auto it = components_.find(t.get()); it != components_.end()) return it->second;
  auto copy = std::make_shared<ComponentType>();
  for (const auto& e : t->imports) copy->imports.push_back({e.name, extern_type(e.type)});
  for (const auto& e : t->exports) copy->exports.push_back({e.name, extern_type(e.type)});
  copy->imported_resources = slots(t->imported_resources);
  copy->defined_resources = slots(t->defined_resources);
  components_.emplace(t.get(), copy);
  return copy;
}

}  // namespace actr::component::validate
