#include "componentize/type_spaces.hpp"

#include "component/binary/encoder.hpp"

namespace actr::componentize {
namespace {

Error resource_error(const witgen::Type& t) {
  return make_error(witgen::to_string(t.pos) + ": resource types (`" + t.name +
                    "`) are not supported by actr-componentize; build this guest with jco "
                    "(actr_add_guest_component(... JCO))");
}

}  // namespace

std::string local_name(const witgen::Interface& iface, const witgen::TypeDef& def) {
  if (def.owner == &iface) return def.name;
  for (const auto& use : iface.uses) {
    for (const auto& n : use.names) {
      const std::string& name = n.as.empty() ? n.name : n.as;
      auto it = iface.scope.find(name);
      if (it != iface.scope.end() && it->second == &def) return name;
    }
  }
  return def.name;
}

Result<uint32_t> TypeSpace::named(const witgen::TypeDef& def) {
  if (auto it = named_.find(&def); it != named_.end()) return it->second;
  ACTR_TRY(uint32_t index, provide(def));
  named_[&def] = index;
  return index;
}

Result<uint32_t> TypeSpace::shared(ast::TypeDef type) {
  ACTR_TRY(auto bytes, component::binary::encode_type(type));
  std::string key(bytes.begin(), bytes.end());
  if (auto it = shared_.find(key); it != shared_.end()) return it->second;
  uint32_t index = define(std::move(type));
  shared_.emplace(std::move(key), index);
  return index;
}

Result<ast::ValTypeRef> TypeSpace::valtype(const witgen::Type& t) {
  using Tag = witgen::Type::Tag;
  ast::ValTypeRef ref;
  ast::DefValType d;
  switch (t.tag) {
    case Tag::Primitive:
      ref.primitive = t.primitive;
      return ref;
    case Tag::Ref: {
      if (!t.def)
        return make_error(witgen::to_string(t.pos) + ": unresolved type `" + t.name + "`");
      if (t.def->tag == witgen::TypeDef::Tag::Resource) return resource_error(t);
      ACTR_TRY(ref.index, named(*t.def));
      ref.is_primitive = false;
      return ref;
    }
    case Tag::Own:
    case Tag::Borrow:
      return resource_error(t);
    case Tag::List:
    case Tag::Option: {
      d.kind = t.tag == Tag::List ? component::Kind::List : component::Kind::Option;
      ACTR_TRY(d.elem, valtype(*t.elem));
      break;
    }
    case Tag::Result: {
      d.kind = component::Kind::Result;
      if (t.ok) {
        ACTR_TRY(d.ok, valtype(*t.ok));
      }
      if (t.err) {
        ACTR_TRY(d.err, valtype(*t.err));
      }
      break;
    }
    case Tag::Tuple: {
      d.kind = component::Kind::Tuple;
      for (const auto& item : t.items) {
        ACTR_TRY(auto v, valtype(*item));
        d.items.push_back(v);
      }
      break;
    }
    case Tag::Map: {
      d.kind = component::Kind::Map;
      ACTR_TRY(auto key, valtype(*t.key));
      ACTR_TRY(auto value, valtype(*t.elem));
      d.items = {key, value};
      break;
    }
  }
  ref.is_primitive = false;
  ACTR_TRY(ref.index, shared(ast::TypeDef(std::move(d))));
  return ref;
}

Result<uint32_t> TypeSpace::functype(const witgen::Function& f) {
  if (f.kind != witgen::Function::Kind::Freestanding) {
    return make_error(witgen::to_string(f.pos) + ": resource functions are not supported");
  }
  ast::FuncTypeDef ft;
  for (const auto& p : f.params) {
    ACTR_TRY(auto v, valtype(*p.type));
    ft.params.emplace_back(p.name, v);
  }
  if (f.result) {
    ACTR_TRY(auto v, valtype(*f.result));
    ft.results.emplace_back("", v);
  }
  for (const auto& r : f.named_results) {
    ACTR_TRY(auto v, valtype(*r.type));
    ft.results.emplace_back(r.name, v);
  }
  return shared(ast::TypeDef(std::move(ft)));
}

Result<uint32_t> TypeSpace::definition(const witgen::TypeDef& def) {
  using Tag = witgen::TypeDef::Tag;
  ast::DefValType d;
  switch (def.tag) {
    case Tag::Alias: {
      ACTR_TRY(auto target, valtype(*def.alias));
      if (!target.is_primitive) return target.index;
      d.kind = target.primitive;
      return shared(ast::TypeDef(std::move(d)));
    }
    case Tag::Record:
      d.kind = component::Kind::Record;
      for (const auto& f : def.fields) {
        ACTR_TRY(auto v, valtype(*f.type));
        d.fields.emplace_back(f.name, v);
      }
      break;
    case Tag::Variant:
      d.kind = component::Kind::Variant;
      for (const auto& c : def.cases) {
        std::optional<ast::ValTypeRef> payload;
        if (c.type) {
          ACTR_TRY(payload, valtype(*c.type));
        }
        d.cases.emplace_back(c.name, payload);
      }
      break;
    case Tag::Enum:
      d.kind = component::Kind::Enum;
      d.names = def.names;
      break;
    case Tag::Flags:
      d.kind = component::Kind::Flags;
      d.names = def.names;
      break;
    case Tag::Resource:
      return make_error(witgen::to_string(def.pos) + ": resource `" + def.name +
                        "` is not supported by actr-componentize; build this guest with jco "
                        "(actr_add_guest_component(... JCO))");
  }
  return define(ast::TypeDef(std::move(d)));
}

}  // namespace actr::componentize
