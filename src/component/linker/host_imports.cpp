#include "component/linker/host_imports.hpp"

#include "component/linker/import_name.hpp"
#include "component/validate/type_model.hpp"

namespace actr::component::link {
namespace {

// Compares the component's expected function type with the host's; names the first difference,
// e.g. "import `h#call` has the wrong type: result: in `actr-error`, case 1 is `timed-out` in the
// component, `connection-not-ready` in the host".
Result<void> check_func_type(const std::string& what, const FuncType& want, const FuncType& have) {
  if (same_func_type(want, have)) return {};
  std::string why;
  same_func_type(want, have, &why, "the component", "the host");
  return make_error("import `" + what + "` has the wrong type: " + why);
}

FuncRef trapping_func(const std::string& what, FuncType type, std::string message = {}) {
  auto fn = std::make_shared<FuncItem>();
  fn->type = std::make_shared<const FuncType>(std::move(type));
  fn->debug_name = what;
  if (message.empty()) message = "unknown import `" + what + "` called";
  auto body = std::make_shared<HostBody>();
  body->fn = [message](std::span<const Value>, std::vector<Value>&) -> Result<void> {
    return make_error(message);
  };
  fn->host = std::move(body);
  return fn;
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
  return def->item;  // made once by Linker::func
}

// The host's resource for import `what`; a fresh one when the host traps unknown imports or
// denies this one (the component can then be instantiated, and calls using it trap).
Result<std::shared_ptr<const ResourceType>> match_resource(const Linker& linker,
                                                           const std::string& what,
                                                           const Linker::HostResourceDef* def) {
  if (def) return def->type;
  if (linker.traps_unknown_imports() || linker.denial(what)) {
    auto r = std::make_shared<ResourceType>();
    r->name = what;
    r->host_defined = true;
    return std::shared_ptr<const ResourceType>(std::move(r));
  }
  return make_error("imported resource `" + what + "` is not defined by the host");
}

template <typename Map>
const typename Map::mapped_type* find_in(const Map& map, const std::string& key) {
  auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

// Maps the resources import `name` quantifies over (validation's abstract ones) to the host's:
// for an instance import, the host instance's resource of the same export name; for a type
// import, the host's top-level resource of that name.
Result<void> map_imported_resources(const Linker& linker, Frame& frame, const std::string& name,
                                    const Linker::HostInstanceDef* def, bool instance) {
  for (const ResourceSlot& slot : frame.model->type.imported_resources) {
    if (slot.path.empty() || slot.path[0] != name) continue;
    const Linker::HostResourceDef* rdef = nullptr;
    std::string what = name;
    if (instance) {
      if (slot.path.size() != 2) {
        return make_error("import `" + name +
                          "`: resources of instances nested in an imported instance are not "
                          "supported");
      }
      what += "#" + slot.path[1];
      if (def) rdef = find_in(def->resources, slot.path[1]);
    } else if (def) {
      rdef = find_in(def->resources, name);
    }
    ACTR_TRY(auto r, match_resource(linker, what, rdef));
    frame.resources.map(slot.resource.get(), std::move(r));
  }
  return {};
}

// The host's definition of an imported instance, checked against the instance type validation
// resolved for it. An instance that exports only value types needs no host definition (as in
// wasmtime); a missing function or resource is reported with its full name.
Result<std::shared_ptr<InstanceItem>> match_instance(const Linker& linker, Frame& frame,
                                                     const std::string& name,
                                                     const InstanceType& type) {
  const Linker::HostInstanceDef* def = find_host_instance(linker, name);
  ACTR_TRY_VOID(map_imported_resources(linker, frame, name, def, true));
  auto out = std::make_shared<InstanceItem>();
  for (const NamedExtern& e : type.exports) {
    switch (e.type.kind) {
      case ExternKind::Type:
        out->exports[e.name] = frame.resources.defined(e.type.type);
        break;
      case ExternKind::Func: {
        const Linker::HostFuncDef* fdef = def ? find_in(def->funcs, e.name) : nullptr;
        ACTR_TRY(FuncRef fn,
                 match_func(linker, name + "#" + e.name, *frame.resources.func(e.type.func), fdef));
        out->exports[e.name] = std::move(fn);
        break;
      }
      default:
        return make_error("import `" + name +
                          "`: exports of kind other than func and type are not supported");
    }
  }
  return out;
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

Result<Item> import_from_host(const Linker& linker, Frame& frame, const NamedExtern& import) {
  const std::string& name = import.name;
  const ExternType& type = import.type;
  switch (type.kind) {
    case ExternKind::Instance: {
      ACTR_TRY(auto inst, match_instance(linker, frame, name, *type.instance));
      return Item(std::move(inst));
    }
    case ExternKind::Func: {
      const Linker::HostInstanceDef* top = find_host_instance(linker, "");
      const Linker::HostFuncDef* fdef = top ? find_in(top->funcs, name) : nullptr;
      ACTR_TRY(FuncRef fn, match_func(linker, name, *frame.resources.func(type.func), fdef));
      return Item(std::move(fn));
    }
    case ExternKind::Type:
      ACTR_TRY_VOID(
          map_imported_resources(linker, frame, name, find_host_instance(linker, ""), false));
      return Item(frame.resources.defined(type.type));
    default:
      return make_error("import `" + name + "`: importing a " + to_string(type.kind) +
                        " from the host is not supported");
  }
}

Result<void> check_host_imports(const Linker& linker, const Component& component) {
  // The resource mapping the imports build up is thrown away: each instantiation makes its own.
  Frame frame;
  frame.model = component.types().of(component.ast());
  if (!frame.model) return make_error("instantiating a component that was not validated");
  for (const NamedExtern& import : frame.model->type.imports) {
    if (auto r = import_from_host(linker, frame, import); !r.ok()) {
      Error e = r.take_error();
      e.message = "instantiating component: " + e.message;
      return e;
    }
  }
  return {};
}

}  // namespace actr::component::link
