#include "witgen/binding_plan.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "witgen/names.hpp"

namespace actr::witgen {

namespace {

void referenced_defs(const Type& t, std::vector<const TypeDef*>& out) {
  switch (t.tag) {
    case Type::Tag::Ref:
    case Type::Tag::Own:
    case Type::Tag::Borrow:
      if (t.def) out.push_back(t.def);
      break;
    case Type::Tag::List:
    case Type::Tag::Option:
      referenced_defs(*t.elem, out);
      break;
    case Type::Tag::Map:
      referenced_defs(*t.key, out);
      referenced_defs(*t.elem, out);
      break;
    case Type::Tag::Result:
      if (t.ok) referenced_defs(*t.ok, out);
      if (t.err) referenced_defs(*t.err, out);
      break;
    case Type::Tag::Tuple:
      for (const auto& i : t.items) referenced_defs(*i, out);
      break;
    default:
      break;
  }
}

std::vector<const TypeDef*> dependencies(const TypeDef& def) {
  std::vector<const TypeDef*> out;
  if (def.alias) referenced_defs(*def.alias, out);
  for (const auto& f : def.fields) referenced_defs(*f.type, out);
  for (const auto& c : def.cases) {
    if (c.type) referenced_defs(*c.type, out);
  }
  return out;
}

// Definitions in an order where each comes after the ones it uses by value.
Result<std::vector<const TypeDef*>> ordered(const std::vector<TypeDefPtr>& defs) {
  std::set<const TypeDef*> own;
  for (const auto& d : defs) own.insert(d.get());
  std::vector<const TypeDef*> out;
  std::map<const TypeDef*, int> state;  // 1: visiting, 2: done
  std::function<Result<void>(const TypeDef*)> visit = [&](const TypeDef* d) -> Result<void> {
    if (state[d] == 2) return {};
    if (state[d] == 1) {
      return make_error(to_string(d->pos) + ": type `" + d->name + "` refers to itself");
    }
    state[d] = 1;
    for (const TypeDef* dep : dependencies(*d)) {
      if (own.count(dep)) ACTR_TRY_VOID(visit(dep));
    }
    state[d] = 2;
    out.push_back(d);
    return {};
  };
  for (const auto& d : defs) ACTR_TRY_VOID(visit(d.get()));
  return out;
}

}  // namespace

Result<BindingPlan> BindingPlan::make(const PackageSet& packages, const GeneratorOptions& options) {
  BindingPlan plan;
  ACTR_TRY(plan.world_, packages.world(options.world));
  for (const auto& pkg : packages.packages()) {
    for (const auto& w : pkg->worlds) {
      if (&w == plan.world_) plan.main_ = pkg.get();
    }
  }
  if (!plan.main_) return make_error("internal: world without package");
  plan.root_ns_ = options.cpp_namespace.empty()
                      ? snake_name(plan.main_->name.ns) + "::" + snake_name(plan.main_->name.name)
                      : options.cpp_namespace;
  if (plan.root_ns_.rfind("::", 0) != 0) plan.root_ns_ = "::" + plan.root_ns_;

  std::map<const Interface*, std::string> inline_names;
  for (const auto& item : plan.world_->items) {
    if (item.tag == WorldItem::Tag::InlineInterface) inline_names[item.target] = item.name;
  }
  std::set<const Interface*> seen;
  std::function<Result<void>(const Interface*)> visit =
      [&](const Interface* iface) -> Result<void> {
    if (!seen.insert(iface).second) return {};
    for (const auto& [name, def] : iface->scope) {
      if (def->owner && def->owner != iface) ACTR_TRY_VOID(visit(def->owner));
    }
    BoundInterface b;
    b.interface = iface;
    if (auto it = inline_names.find(iface); it != inline_names.end()) {
      b.ns = plan.root_ns_ + "::" + snake_name(it->second);
    } else if (iface->package == plan.main_) {
      b.ns = plan.root_ns_ + "::" + snake_name(iface->name);
    } else {
      b.ns = "::" + snake_name(iface->package->name.ns) +
             "::" + snake_name(iface->package->name.name) + "::" + snake_name(iface->name);
    }
    ACTR_TRY(b.types, ordered(iface->types));
    plan.ns_[iface] = b.ns;
    plan.interfaces_.push_back(std::move(b));
    return {};
  };
  for (const auto& [name, def] : plan.world_->scope) {
    if (def->owner) ACTR_TRY_VOID(visit(def->owner));
  }
  for (const auto& item : plan.world_->items) {
    if (item.target) ACTR_TRY_VOID(visit(item.target));
  }
  ACTR_TRY(plan.world_types_, ordered(plan.world_->types));
  for (const TypeDef* d : plan.world_types_) {
    if (d->tag == TypeDef::Tag::Resource) {
      return make_error(to_string(d->pos) + ": resource `" + d->name +
                        "` is defined by a world; the C++ binding generator supports resources "
                        "of interfaces only");
    }
  }

  for (const auto& item : plan.world_->items) {
    if (item.is_export && item.target) plan.exported_.insert(item.target);
  }
  for (const auto& item : plan.world_->items) {
    if (item.target && item.is_export) {
      for (const auto& other : plan.world_->items) {
        if (!other.is_export && other.target == item.target &&
            !resources_of(*item.target).empty()) {
          return make_error(to_string(item.pos) + ": interface `" + item.name +
                            "` defines resources and is both imported and exported, which the "
                            "C++ binding generator does not support");
        }
      }
    }
  }
  // World elaboration, as WIT defines it: an interface the world's interfaces `use` without the
  // world naming it is imported (functions and resources included), and so are its own
  // dependencies. An import cannot depend on an export: its types would name the component's
  // own resources, which the component model does not allow (wit-parser rejects it too).
  std::set<const Interface*> imported;
  for (const auto& item : plan.world_->items) {
    if (!item.is_export && item.target) imported.insert(item.target);
  }
  std::vector<const Interface*> implicit;
  std::function<Result<void>(const Interface*, bool)> need = [&](const Interface* iface,
                                                                 bool is_import) -> Result<void> {
    for (const auto& [name, def] : iface->scope) {
      const Interface* dep = def->owner;
      if (!dep || dep == iface) continue;
      if (plan.exported_.count(dep)) {
        if (!is_import) continue;
        return make_error(to_string(iface->pos) + ": imported interface `" + iface->name +
                          "` uses `" + dep->name +
                          "`, which the world exports: an import cannot depend on an export "
                          "(so a guest cannot lend or give its own resources to an import)");
      }
      if (!imported.insert(dep).second) continue;
      implicit.push_back(dep);
      ACTR_TRY_VOID(need(dep, true));
    }
    return {};
  };
  for (const auto& item : plan.world_->items) {
    if (item.target) ACTR_TRY_VOID(need(item.target, !item.is_export));
  }
  for (const auto& [name, def] : plan.world_->scope) {  // a world's own `use`
    const Interface* dep = def->owner;
    if (!dep || plan.exported_.count(dep) || !imported.insert(dep).second) continue;
    implicit.push_back(dep);
    ACTR_TRY_VOID(need(dep, true));
  }

  auto bind_interface = [&](const Interface* target, const std::string& instance,
                            std::vector<BoundFunction>& list) -> Result<void> {
    for (const auto& fn : target->functions) {
      BoundFunction f;
      f.function = &fn;
      f.interface = target;
      f.instance = instance;
      f.wit_name = fn.name;
      ACTR_TRY(f.type, plan.component_types_.func(fn));
      list.push_back(std::move(f));
    }
    for (const TypeDef* r : resources_of(*target)) {
      for (const auto& fn : r->functions) {
        BoundFunction f;
        f.function = &fn;
        f.interface = target;
        f.resource = r;
        f.instance = instance;
        switch (fn.kind) {
          case Function::Kind::Constructor:
            f.wit_name = "[constructor]" + r->name;
            break;
          case Function::Kind::Method:
            f.wit_name = "[method]" + r->name + "." + fn.name;
            break;
          default:
            f.wit_name = "[static]" + r->name + "." + fn.name;
            break;
        }
        ACTR_TRY(f.type, plan.component_types_.func(fn, r));
        list.push_back(std::move(f));
      }
    }
    return {};
  };
  for (const auto& item : plan.world_->items) {
    auto& list = item.is_export ? plan.exports_ : plan.imports_;
    if (item.tag == WorldItem::Tag::Function) {
      BoundFunction f;
      f.function = &item.function;
      f.wit_name = item.name;
      ACTR_TRY(f.type, plan.component_types_.func(item.function));
      list.push_back(std::move(f));
      continue;
    }
    ACTR_TRY_VOID(bind_interface(
        item.target,
        item.tag == WorldItem::Tag::InlineInterface ? item.name : item.target->qualified_name(),
        list));
  }
  for (const Interface* iface : implicit) {
    ACTR_TRY_VOID(bind_interface(iface, iface->qualified_name(), plan.imports_));
  }
  plan.imported_ = std::move(imported);
  return plan;
}

std::string BindingPlan::file_base() const { return snake_name(world_->name); }

std::string BindingPlan::ns_of(const Interface* iface) const {
  if (!iface) return root_ns_;
  auto it = ns_.find(iface);
  return it == ns_.end() ? root_ns_ : it->second;
}

std::string BindingPlan::cpp_name(const TypeDef& def) const {
  return ns_of(def.owner) + "::" + pascal_name(def.name);
}

std::vector<const TypeDef*> BindingPlan::resources_of(const Interface& iface) {
  std::vector<const TypeDef*> out;
  for (const auto& d : iface.types) {
    if (d->tag == TypeDef::Tag::Resource) out.push_back(d.get());
  }
  return out;
}

bool BindingPlan::guest_defined(const TypeDef& resource) const {
  return resource.owner && exported_.count(resource.owner) > 0;
}

std::optional<Handle> BindingPlan::handle_of(const Type& t) const {
  if (t.tag != Type::Tag::Ref && t.tag != Type::Tag::Own && t.tag != Type::Tag::Borrow) {
    return std::nullopt;
  }
  const TypeDef* d = t.def;
  for (int hops = 0;
       d && d->tag == TypeDef::Tag::Alias && d->alias->tag == Type::Tag::Ref && hops < 64; ++hops) {
    d = d->alias->def;
  }
  if (!d || d->tag != TypeDef::Tag::Resource) return std::nullopt;
  return Handle{d, t.tag != Type::Tag::Borrow, guest_defined(*d)};
}

bool BindingPlan::contains_handle(const Type& t) const {
  std::vector<const TypeDef*> found;
  resources_in(t, found);
  return !found.empty();
}

bool BindingPlan::contains_handle(const TypeDef& def) const {
  std::vector<const TypeDef*> found;
  if (def.alias) resources_in(*def.alias, found);
  for (const auto& f : def.fields) resources_in(*f.type, found);
  for (const auto& c : def.cases) {
    if (c.type) resources_in(*c.type, found);
  }
  return !found.empty();
}

void BindingPlan::resources_in(const Type& t, std::vector<const TypeDef*>& out) const {
  // Named types are visited once: WIT types cannot be recursive, but they can be shared.
  std::set<const TypeDef*> seen;
  std::function<void(const Type&)> walk = [&](const Type& x) {
    if (auto h = handle_of(x)) {
      if (std::find(out.begin(), out.end(), h->resource) == out.end()) {
        out.push_back(h->resource);
      }
      return;
    }
    std::vector<const TypeDef*> defs;
    referenced_defs(x, defs);
    for (const TypeDef* d : defs) {
      if (!seen.insert(d).second) continue;
      if (d->alias) walk(*d->alias);
      for (const auto& f : d->fields) walk(*f.type);
      for (const auto& c : d->cases) {
        if (c.type) walk(*c.type);
      }
    }
    if (x.tag == Type::Tag::Ref) return;
    switch (x.tag) {
      case Type::Tag::List:
      case Type::Tag::Option:
        walk(*x.elem);
        break;
      case Type::Tag::Map:
        walk(*x.key);
        walk(*x.elem);
        break;
      case Type::Tag::Result:
        if (x.ok) walk(*x.ok);
        if (x.err) walk(*x.err);
        break;
      case Type::Tag::Tuple:
        for (const auto& i : x.items) walk(*i);
        break;
      default:
        break;
    }
  };
  walk(t);
}

std::string BindingPlan::resource_class(const TypeDef& r) const {
  std::string ns = ns_of(r.owner);
  if (guest_defined(r)) ns = root_ns_ + "::exports" + ns.substr(ns.rfind("::"));
  return ns + "::" + pascal_name(r.name);
}

bool BindingPlan::is_scalar(const Type& t) const {
  if (t.tag == Type::Tag::Primitive) return t.primitive != component::Kind::String;
  if (t.tag == Type::Tag::Ref && t.def) {
    if (t.def->tag == TypeDef::Tag::Enum) return true;
    if (t.def->tag == TypeDef::Tag::Alias) return is_scalar(*t.def->alias);
  }
  return false;
}

Result<std::string> BindingPlan::handle_type(const Type& t) const {
  std::optional<Handle> h = handle_of(t);
  if (!h) return make_error(to_string(t.pos) + ": `" + t.name + "` is not a resource");
  std::string cls = resource_class(*h->resource);
  // The side that defines the resource holds objects; the other side holds handles.
  bool objects = (side_ == Side::Guest) == h->guest_defined;
  if (objects) return h->own ? "std::unique_ptr<" + cls + ">" : cls + "*";
  return h->own ? cls : "const " + cls + "*";
}

Result<std::string> BindingPlan::cpp_type(const Type& t) const {
  using component::Kind;
  switch (t.tag) {
    case Type::Tag::Primitive:
      switch (t.primitive) {
        case Kind::Bool:
          return std::string("bool");
        case Kind::S8:
          return std::string("int8_t");
        case Kind::U8:
          return std::string("uint8_t");
        case Kind::S16:
          return std::string("int16_t");
        case Kind::U16:
          return std::string("uint16_t");
        case Kind::S32:
          return std::string("int32_t");
        case Kind::U32:
          return std::string("uint32_t");
        case Kind::S64:
          return std::string("int64_t");
        case Kind::U64:
          return std::string("uint64_t");
        case Kind::F32:
          return std::string("float");
        case Kind::F64:
          return std::string("double");
        case Kind::Char:
          return std::string("char32_t");
        case Kind::String:
          return std::string("std::string");
        default:
          break;
      }
      return make_error("unexpected primitive type");
    case Type::Tag::Ref:
      if (!t.def) return make_error(to_string(t.pos) + ": unresolved type `" + t.name + "`");
      if (handle_of(t)) return handle_type(t);
      return cpp_name(*t.def);
    case Type::Tag::List: {
      ACTR_TRY(std::string e, cpp_type(*t.elem));
      return "std::vector<" + e + ">";
    }
    case Type::Tag::Option: {
      ACTR_TRY(std::string e, cpp_type(*t.elem));
      return "std::optional<" + e + ">";
    }
    case Type::Tag::Map: {
      ACTR_TRY(std::string k, cpp_type(*t.key));
      ACTR_TRY(std::string v, cpp_type(*t.elem));
      return "::actr::wit::Map<" + k + ", " + v + ">";
    }
    case Type::Tag::Result: {
      std::string ok = "void", err = "void";
      if (t.ok) {
        ACTR_TRY(ok, cpp_type(*t.ok));
      }
      if (t.err) {
        ACTR_TRY(err, cpp_type(*t.err));
      }
      return "::actr::wit::Result<" + ok + ", " + err + ">";
    }
    case Type::Tag::Tuple: {
      std::string s = "std::tuple<";
      for (size_t i = 0; i < t.items.size(); ++i) {
        ACTR_TRY(std::string e, cpp_type(*t.items[i]));
        s += (i ? ", " : "") + e;
      }
      return s + ">";
    }
    case Type::Tag::Own:
    case Type::Tag::Borrow:
      return handle_type(t);
  }
  return make_error("unknown type form");
}

}  // namespace actr::witgen
