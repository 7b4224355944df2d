#include "component/linker/host_imports.hpp"

#include "component/linker/import_name.hpp"
#include "component/linker/type_resolver.hpp"

namespace actr::component::link {
namespace {

// Compares the component's expected function type with the host's; names the first difference,
// e.g. "import `h#call` has the wrong type: result: in `actr-error`, case 1 is `timed-out` in the
// component, `connection-not-ready` in the host".
Result<void> check_func_type(const std::string& what, const FuncType& want, const FuncType& have) {
  std::string why;
  if (same_func_type(want, have, &why, "the component", "the host")) return {};
  return make_error("import `" + what + "` has the wrong type: " + why);
}

// A value type exported under a name carries that name (for messages; not part of identity).
TypeItem named(TypeItem t, const std::string& name) {
  // Primitives stay bare: a name is what a defined type (list and above) is known by.
  if (t.kind == TypeItem::Kind::Value && t.value && t.value->kind >= Kind::List) {
    t.value = component::named(t.value, name);
  }
  return t;
}

FuncRef trapping_func(const std::string& what, FuncType type, std::string message = {}) {
  auto fn = std::make_shared<FuncItem>();
  fn->type = std::move(type);
  fn->debug_name = what;
  if (message.empty()) message = "unknown import `" + what + "` called";
  fn->host = [message](std::span<const Value>, std::vector<Value>&) -> Result<void> {
    return make_error(message);
  };
  return fn;
}

FuncRef host_func(const std::string& what, const Linker::HostFuncDef& def) {
  auto fn = std::make_shared<FuncItem>();
  fn->type = def.type;
  fn->host = def.fn;
  fn->raw_host = def.raw;
  fn->debug_name = what;
  return fn;
}

Result<std::shared_ptr<const FuncType>> func_type_at(const TypeScope& scope, uint32_t index) {
  if (index >= scope.types.size() || scope.types[index].kind != TypeItem::Kind::Func) {
    return make_error("type index " + std::to_string(index) + " is not a function type");
  }
  return scope.types[index].func;
}

Result<FuncRef> match_func(const Linker& linker, const std::string& what, const FuncType& want,
                           const Linker::HostFuncDef* def) {
  if (!def) {
    if (const std::string* why = linker.denial(what)) {
      return trapping_func(what, want, "`" + what + "` " + *why);
    }
    if (linker.traps_unknown_imports()) return trapping_func(what, want);
    return make_error("import `" + what + "` is not defined by the host");
  }
  ACTR_TRY_VOID(check_func_type(what, want, def->type));
  return host_func(what, *def);
}

// Sets `*fresh` when it creates a resource type (which no other instantiation may share).
Result<std::shared_ptr<const ResourceType>> match_resource(const Linker& linker,
                                                           const std::string& what,
                                                           const Linker::HostResourceDef* def,
                                                           bool* fresh) {
  if (def) return def->type;
  if (linker.traps_unknown_imports() || linker.denial(what)) {
    *fresh = true;
    auto r = std::make_shared<ResourceType>();
    r->name = what;
    r->host_defined = true;
    return std::shared_ptr<const ResourceType>(std::move(r));
  }
  return make_error("imported resource `" + what + "` is not defined by the host");
}

// Interprets an instance type's declarations against the host's definition of that instance.
Result<std::shared_ptr<InstanceItem>> match_instance(const Linker& linker, const std::string& name,
                                                     const TypeItem& type,
                                                     const Linker::HostInstanceDef* def,
                                                     bool* fresh) {
  // An instance that exports only value types needs no host definition (as in wasmtime); a
  // missing function or resource is reported below with its full name.
  auto scope = std::make_shared<TypeScope>();
  scope->parent = type.scope.lock();
  auto out = std::make_shared<InstanceItem>();
  for (const auto& decl : type.instance->decls) {
    using K = ast::TypeDecl::Kind;
    switch (decl.kind) {
      case K::CoreType:
        break;
      case K::Type: {
        ACTR_TRY(TypeItem t, resolve_typedef(scope, *decl.type));
        if (t.kind == TypeItem::Kind::Resource) *fresh = true;
        scope->types.push_back(std::move(t));
        break;
      }
      case K::Alias: {
        if (decl.alias.target != ast::Alias::Target::Outer || decl.alias.sort != ast::Sort::Type) {
          break;  // core type aliases do not affect the component-level type space
        }
        ACTR_TRY(TypeItem t,
                 resolve_outer_type(*scope, decl.alias.outer_count, decl.alias.outer_index));
        scope->types.push_back(std::move(t));
        break;
      }
      case K::Import:
        return make_error("instance type of `" + name + "` declares an import");
      case K::Export: {
        const auto& e = decl.export_;
        std::string what = name + "#" + e.name;
        switch (e.desc.kind) {
          case ast::ExternDesc::Kind::Type: {
            TypeItem t;
            if (e.desc.bound.sub_resource) {
              const Linker::HostResourceDef* rdef = nullptr;
              if (def) {
                auto it = def->resources.find(e.name);
                if (it != def->resources.end()) rdef = &it->second;
              }
              t.kind = TypeItem::Kind::Resource;
              ACTR_TRY(t.resource, match_resource(linker, what, rdef, fresh));
            } else {
              ACTR_TRY(t, resolve_outer_type(*scope, 0, e.desc.bound.eq));
              t = named(std::move(t), e.name);
            }
            out->exports[e.name] = t;
            scope->types.push_back(std::move(t));
            break;
          }
          case ast::ExternDesc::Kind::Func: {
            ACTR_TRY(auto ft, func_type_at(*scope, e.desc.type_index));
            const Linker::HostFuncDef* fdef = nullptr;
            if (def) {
              auto it = def->funcs.find(e.name);
              if (it != def->funcs.end()) fdef = &it->second;
            }
            ACTR_TRY(FuncRef fn, match_func(linker, what, *ft, fdef));
            out->exports[e.name] = fn;
            break;
          }
          default:
            return make_error("import `" + name +
                              "`: exports of kind other than func and type are not supported");
        }
        break;
      }
    }
  }
  return out;
}

Result<Item> import_func(const Linker& linker, const TypeScope& scope, const std::string& name,
                         const ast::ExternDesc& desc);

// The entries outside an instance type that its declarations refer to (outer aliases), appended
// to `out`. False when one is out of bounds (left to match_instance's error).
bool outer_inputs(const TypeItem& type, std::vector<const TypeItem*>& out) {
  auto defining = type.scope.lock();
  for (const auto& decl : type.instance->decls) {
    if (decl.kind != ast::TypeDecl::Kind::Alias) continue;
    const ast::Alias& a = decl.alias;
    if (a.target != ast::Alias::Target::Outer || a.sort != ast::Sort::Type || a.outer_count == 0) {
      continue;
    }
    // Count 1 is the scope the instance type was defined in.
    const TypeScope* s = defining.get();
    for (uint32_t i = 1; s != nullptr && i < a.outer_count; ++i) s = s->parent.get();
    if (s == nullptr || a.outer_index >= s->types.size()) return false;
    out.push_back(&s->types[a.outer_index]);
  }
  return true;
}

}  // namespace

const Linker::HostInstanceDef* find_host_instance(const Linker& linker, std::string_view name) {
  const auto& defs = linker.definitions();
  if (auto it = defs.find(name); it != defs.end()) return &it->second;
  InterfaceName wanted = parse_interface_name(name);
  if (!wanted.version) return nullptr;
  const Linker::HostInstanceDef* best = nullptr;
  SemVer best_version;
  for (const auto& [defined_name, def] : defs) {
    InterfaceName have = parse_interface_name(defined_name);
    if (have.base != wanted.base || !have.version) continue;
    if (!compatible(*wanted.version, *have.version)) continue;
    if (!best || older(best_version, *have.version)) {
      best = &def;
      best_version = *have.version;
    }
  }
  return best;
}

namespace {

Result<Item> import_func(const Linker& linker, const TypeScope& scope, const std::string& name,
                         const ast::ExternDesc& desc) {
  ACTR_TRY(auto ft, func_type_at(scope, desc.type_index));
  const Linker::HostFuncDef* fdef = nullptr;
  if (const auto* top = find_host_instance(linker, "")) {
    auto it = top->funcs.find(name);
    if (it != top->funcs.end()) fdef = &it->second;
  }
  ACTR_TRY(FuncRef fn, match_func(linker, name, *ft, fdef));
  return Item(fn);
}

}  // namespace

Result<Item> import_from_host(const Linker& linker, const Frame& frame, const std::string& name,
                              const ast::ExternDesc& desc, InstantiationCache& cache) {
  using D = ast::ExternDesc::Kind;
  const TypeScope& scope = *frame.types;
  switch (desc.kind) {
    case D::Instance: {
      if (desc.type_index >= scope.types.size() ||
          scope.types[desc.type_index].kind != TypeItem::Kind::Instance) {
        return make_error("import `" + name + "`: type " + std::to_string(desc.type_index) +
                          " is not an instance type");
      }
      // Host functions and the types they are checked against are matched once per (component,
      // linker version); an instance type that creates resource types is matched every time.
      const TypeItem& type = scope.types[desc.type_index];
      std::vector<const TypeItem*> inputs;
      bool cacheable = outer_inputs(type, inputs);
      InstantiationCache::Key key{&desc, type.instance, linker.version()};
      if (cacheable) {
        if (auto hit = cache.find(key, inputs)) return std::move(*hit);
      }
      bool fresh = false;
      ACTR_TRY(auto inst,
               match_instance(linker, name, type, find_host_instance(linker, name), &fresh));
      if (cacheable && !fresh) cache.store(key, inputs, Item(inst));
      return Item(inst);
    }
    case D::Func: {
      if (desc.type_index >= scope.types.size()) return import_func(linker, scope, name, desc);
      const TypeItem* input = &scope.types[desc.type_index];
      InstantiationCache::Key key{&desc, nullptr, linker.version()};
      if (auto hit = cache.find(key, {&input, 1})) return std::move(*hit);
      ACTR_TRY(Item fn, import_func(linker, scope, name, desc));
      cache.store(key, {&input, 1}, fn);
      return fn;
    }
    case D::Type: {
      TypeItem t;
      if (desc.bound.sub_resource) {
        const Linker::HostResourceDef* rdef = nullptr;
        if (const auto* top = find_host_instance(linker, "")) {
          auto it = top->resources.find(name);
          if (it != top->resources.end()) rdef = &it->second;
        }
        t.kind = TypeItem::Kind::Resource;
        bool fresh = false;
        ACTR_TRY(t.resource, match_resource(linker, name, rdef, &fresh));
      } else {
        ACTR_TRY(t, resolve_outer_type(scope, 0, desc.bound.eq));
      }
      return Item(t);
    }
    default:
      return make_error("import `" + name + "`: importing a " +
                        std::string(desc.kind == D::CoreModule  ? "core module"
                                    : desc.kind == D::Component ? "component"
                                                                : "value") +
                        " from the host is not supported");
  }
}

}  // namespace actr::component::link
