#include "witgen/component_types.hpp"

namespace actr::witgen {

using component::TypeRef;

namespace {

const TypeDef* follow_aliases(const TypeDef* d) {
  for (int hops = 0;
       d && d->tag == TypeDef::Tag::Alias && d->alias->tag == Type::Tag::Ref && hops < 64; ++hops) {
    d = d->alias->def;
  }
  return d;
}

}  // namespace

void ComponentTypes::bind_resource(const TypeDef& resource,
                                   std::shared_ptr<const component::ResourceType> type) {
  resources_[follow_aliases(&resource)] = std::move(type);
}

std::shared_ptr<const component::ResourceType> ComponentTypes::resource_of(const TypeDef& def) {
  auto& r = resources_[&def];
  if (!r) {
    auto fresh = std::make_shared<component::ResourceType>();
    fresh->name = def.name;
    fresh->host_defined = true;
    r = std::move(fresh);
  }
  return r;
}

Result<TypeRef> ComponentTypes::type(const Type& t) {
  using namespace component;
  switch (t.tag) {
    case Type::Tag::Primitive:
      return primitive(t.primitive);
    case Type::Tag::Ref:
      if (!t.def) return make_error(to_string(t.pos) + ": unresolved type `" + t.name + "`");
      if (const TypeDef* d = follow_aliases(t.def); d && d->tag == TypeDef::Tag::Resource) {
        return component::own_of(resource_of(*d));  // a bare resource name means own<R>
      }
      return type(*t.def);
    case Type::Tag::Own:
    case Type::Tag::Borrow: {
      const TypeDef* d = follow_aliases(t.def);
      if (!d || d->tag != TypeDef::Tag::Resource) {
        return make_error(to_string(t.pos) + ": `" + t.name + "` is not a resource");
      }
      auto r = resource_of(*d);
      return t.tag == Type::Tag::Own ? own_of(r) : borrow_of(r);
    }
    case Type::Tag::List: {
      ACTR_TRY(TypeRef e, type(*t.elem));
      return list_of(e);
    }
    case Type::Tag::Option: {
      ACTR_TRY(TypeRef e, type(*t.elem));
      return option_of(e);
    }
    case Type::Tag::Map: {
      ACTR_TRY(TypeRef k, type(*t.key));
      if (!component::is_map_key(k->kind)) {
        return make_error(to_string(t.key->pos) +
                          ": a map key must be bool, an integer, char or "
                          "string, not `" +
                          component::to_wit(*k) + "`");
      }
      ACTR_TRY(TypeRef v, type(*t.elem));
      return map_of(k, v);
    }
    case Type::Tag::Result: {
      TypeRef ok, err;
      if (t.ok) {
        ACTR_TRY(ok, type(*t.ok));
      }
      if (t.err) {
        ACTR_TRY(err, type(*t.err));
      }
      return result_of(ok, err);
    }
    case Type::Tag::Tuple: {
      std::vector<TypeRef> items;
      for (const auto& i : t.items) {
        ACTR_TRY(TypeRef it, type(*i));
        items.push_back(it);
      }
      return tuple_of(std::move(items));
    }
  }
  return make_error("unknown type form");
}

Result<TypeRef> ComponentTypes::type(const TypeDef& def) {
  if (auto it = done_.find(&def); it != done_.end()) return it->second;
  if (busy_[&def]) {
    return make_error(to_string(def.pos) + ": type `" + def.name + "` refers to itself");
  }
  busy_[&def] = true;
  auto out = convert(def);
  busy_[&def] = false;
  if (out.ok()) done_[&def] = *out;
  return out;
}

Result<TypeRef> ComponentTypes::convert(const TypeDef& def) {
  using namespace component;
  TypeRef out;
  switch (def.tag) {
    case TypeDef::Tag::Alias: {
      ACTR_TRY(TypeRef target, type(*def.alias));
      // An alias of a named type is that type; an alias of a structural type names it.
      out = target->wit_name.empty() && def.alias->tag != Type::Tag::Primitive
                ? named(target, def.name)
                : target;
      break;
    }
    case TypeDef::Tag::Record: {
      std::vector<component::Field> fields;
      for (const auto& f : def.fields) {
        ACTR_TRY(TypeRef ft, type(*f.type));
        fields.push_back({f.name, ft});
      }
      out = named(record_of(std::move(fields)), def.name);
      break;
    }
    case TypeDef::Tag::Variant: {
      std::vector<component::Case> cases;
      for (const auto& c : def.cases) {
        TypeRef ct;
        if (c.type) {
          ACTR_TRY(ct, type(*c.type));
        }
        cases.push_back({c.name, ct});
      }
      out = named(variant_of(std::move(cases)), def.name);
      break;
    }
    case TypeDef::Tag::Enum:
      out = named(enum_of(def.names), def.name);
      break;
    case TypeDef::Tag::Flags:
      out = named(flags_of(def.names), def.name);
      break;
    case TypeDef::Tag::Resource:
      return make_error(to_string(def.pos) + ": resource `" + def.name +
                        "` is used as a value type; use own<" + def.name + "> or borrow<" +
                        def.name + ">");
  }
  return out;
}

Result<component::FuncType> ComponentTypes::func(const Function& f, const TypeDef* resource) {
  component::FuncType ft;
  if (f.kind == Function::Kind::Method) {
    if (!resource) return make_error(to_string(f.pos) + ": method without its resource");
    ft.params.push_back({"self", component::borrow_of(resource_of(*follow_aliases(resource)))});
  }
  for (const auto& p : f.params) {
    ACTR_TRY(TypeRef t, type(*p.type));
    ft.params.push_back({p.name, t});
  }
  if (f.kind == Function::Kind::Constructor) {
    if (!resource) return make_error(to_string(f.pos) + ": constructor without its resource");
    if (f.result) {
      ACTR_TRY(TypeRef t, type(*f.result));
      ft.results.push_back({"", t});
    } else {
      ft.results.push_back({"", component::own_of(resource_of(*follow_aliases(resource)))});
    }
    return ft;
  }
  if (f.result) {
    ACTR_TRY(TypeRef t, type(*f.result));
    ft.results.push_back({"", t});
  }
  for (const auto& r : f.named_results) {
    ACTR_TRY(TypeRef t, type(*r.type));
    ft.results.push_back({r.name, t});
  }
  return ft;
}

}  // namespace actr::witgen
