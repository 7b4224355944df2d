#include "component/linker/type_resolver.hpp"

#include <string>

namespace actr::component::link {
namespace {

Result<const TypeItem*> type_at(const TypeScope& scope, uint32_t index) {
  if (index >= scope.types.size()) {
    return make_error("type index " + std::to_string(index) + " out of bounds (" +
                      std::to_string(scope.types.size()) + " types)");
  }
  return &scope.types[index];
}

Result<std::shared_ptr<const ResourceType>> resource_at(const TypeScope& scope, uint32_t index) {
  ACTR_TRY(const TypeItem* item, type_at(scope, index));
  if (item->kind != TypeItem::Kind::Resource) {
    return make_error("type index " + std::to_string(index) + " is not a resource type");
  }
  return item->resource;
}

}  // namespace

Result<TypeRef> resolve_valtype(const TypeScope& scope, const ast::ValTypeRef& ref) {
  if (ref.is_primitive) return primitive(ref.primitive);
  ACTR_TRY(const TypeItem* item, type_at(scope, ref.index));
  if (item->kind != TypeItem::Kind::Value) {
    return make_error("type index " + std::to_string(ref.index) + " is not a value type");
  }
  return item->value;
}

static Result<TypeRef> resolve_optional(const TypeScope& scope,
                                        const std::optional<ast::ValTypeRef>& ref) {
  if (!ref) return TypeRef{};
  return resolve_valtype(scope, *ref);
}

static Result<TypeRef> resolve_defvaltype(const TypeScope& scope, const ast::DefValType& d) {
  switch (d.kind) {
    case Kind::Record: {
      std::vector<Field> fields;
      for (const auto& [name, ref] : d.fields) {
        ACTR_TRY(TypeRef t, resolve_valtype(scope, ref));
        fields.push_back({name, std::move(t)});
      }
      return record_of(std::move(fields));
    }
    case Kind::Variant: {
      std::vector<Case> cases;
      for (const auto& [name, ref] : d.cases) {
        ACTR_TRY(TypeRef t, resolve_optional(scope, ref));
        cases.push_back({name, std::move(t)});
      }
      return variant_of(std::move(cases));
    }
    case Kind::Tuple: {
      std::vector<TypeRef> items;
      for (const auto& ref : d.items) {
        ACTR_TRY(TypeRef t, resolve_valtype(scope, ref));
        items.push_back(std::move(t));
      }
      return tuple_of(std::move(items));
    }
    case Kind::List: {
      ACTR_TRY(TypeRef t, resolve_optional(scope, d.elem));
      if (!t) return make_error("list without element type");
      return list_of(std::move(t));
    }
    case Kind::Option: {
      ACTR_TRY(TypeRef t, resolve_optional(scope, d.elem));
      if (!t) return make_error("option without element type");
      return option_of(std::move(t));
    }
    case Kind::Map: {
      if (d.items.size() != 2) return make_error("map without key and value types");
      ACTR_TRY(TypeRef key, resolve_valtype(scope, d.items[0]));
      ACTR_TRY(TypeRef value, resolve_valtype(scope, d.items[1]));
      return map_of(std::move(key), std::move(value));
    }
    case Kind::Result: {
      ACTR_TRY(TypeRef ok, resolve_optional(scope, d.ok));
      ACTR_TRY(TypeRef err, resolve_optional(scope, d.err));
      return result_of(std::move(ok), std::move(err));
    }
    case Kind::Enum:
      return enum_of(d.names);
    case Kind::Flags:
      return flags_of(d.names);
    case Kind::Own: {
      ACTR_TRY(auto r, resource_at(scope, d.resource));
      return own_of(std::move(r));
    }
    case Kind::Borrow: {
      ACTR_TRY(auto r, resource_at(scope, d.resource));
      return borrow_of(std::move(r));
    }
    default:
      return primitive(d.kind);
  }
}

static Result<std::vector<Param>> resolve_params(
    const TypeScope& scope, const std::vector<std::pair<std::string, ast::ValTypeRef>>& in) {
  std::vector<Param> out;
  out.reserve(in.size());
  for (const auto& [name, ref] : in) {
    ACTR_TRY(TypeRef t, resolve_valtype(scope, ref));
    out.push_back({name, std::move(t)});
  }
  return out;
}

Result<TypeItem> resolve_typedef(const std::shared_ptr<TypeScope>& scope, const ast::TypeDef& def) {
  TypeItem item;
  if (auto* d = std::get_if<ast::DefValType>(&def)) {
    item.kind = TypeItem::Kind::Value;
    ACTR_TRY(item.value, resolve_defvaltype(*scope, *d));
  } else if (auto* f = std::get_if<ast::FuncTypeDef>(&def)) {
    if (f->async)
      return make_error("async function types are not supported: the actr host is synchronous");
    auto ft = std::make_shared<FuncType>();
    ACTR_TRY(ft->params, resolve_params(*scope, f->params));
    ACTR_TRY(ft->results, resolve_params(*scope, f->results));
    item.kind = TypeItem::Kind::Func;
    item.func = std::move(ft);
  } else if (std::holds_alternative<ast::ResourceTypeDef>(def)) {
    item.kind = TypeItem::Kind::Resource;
    item.resource = std::make_shared<ResourceType>();
  } else if (auto* i = std::get_if<ast::InstanceTypeDef>(&def)) {
    item.kind = TypeItem::Kind::Instance;
    item.instance = i;
    item.scope = scope;
  } else if (auto* c = std::get_if<ast::ComponentTypeDef>(&def)) {
    item.kind = TypeItem::Kind::Component;
    item.component = c;
    item.scope = scope;
  }
  return item;
}

bool typedef_inputs(const TypeScope& scope, const ast::TypeDef& def,
                    std::vector<const TypeItem*>& out) {
  bool ok = true;
  auto add_index = [&](uint32_t index) {
    if (index < scope.types.size()) {
      out.push_back(&scope.types[index]);
    } else {
      ok = false;
    }
  };
  auto add = [&](const ast::ValTypeRef& ref) {
    if (!ref.is_primitive) add_index(ref.index);
  };
  auto add_optional = [&](const std::optional<ast::ValTypeRef>& ref) {
    if (ref) add(*ref);
  };
  if (auto* d = std::get_if<ast::DefValType>(&def)) {
    for (const auto& field : d->fields) add(field.second);
    for (const auto& c : d->cases) add_optional(c.second);
    for (const auto& item : d->items) add(item);
    add_optional(d->elem);
    add_optional(d->ok);
    add_optional(d->err);
    if (d->kind == Kind::Own || d->kind == Kind::Borrow) add_index(d->resource);
    return ok;
  }
  if (auto* f = std::get_if<ast::FuncTypeDef>(&def)) {
    for (const auto& p : f->params) add(p.second);
    for (const auto& r : f->results) add(r.second);
    return ok;
  }
  return false;
}

Result<TypeItem> resolve_outer_type(const TypeScope& scope, uint32_t count, uint32_t index) {
  const TypeScope* s = &scope;
  for (uint32_t i = 0; i < count; ++i) {
    if (!s->parent)
      return make_error("outer alias count " + std::to_string(count) + " out of bounds");
    s = s->parent.get();
  }
  ACTR_TRY(const TypeItem* item, type_at(*s, index));
  return *item;
}

}  // namespace actr::component::link
