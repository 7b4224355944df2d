#include "component/validate/type_space.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "component/validate/names.hpp"
#include "component/validate/resource_subst.hpp"
#include "component/validate/type_facts.hpp"
#include "component/validate/type_match.hpp"
#include "component/validate/visibility.hpp"

namespace actr::component::validate {
namespace {

using ast::Sort;

std::string num(uint64_t v) { return std::to_string(v); }

std::string at_byte(uint32_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, " (at byte 0x%x)", offset);
  return buf;
}

// Prefixes the message of a failed result.
template <typename T>
Result<T> context(Result<T> r, const std::string& where) {
  if (r.ok()) return r;
  Error e = r.take_error();
  e.message = where + ": " + e.message;
  return e;
}

const char* kSync = "not supported: the actr host is synchronous";

// Far beyond the handful of resources an interface declares; bounds the paths kept for them.
constexpr size_t kMaxAbstractResources = 10'000;

// The names of the canonical built-ins actr does not support, by opcode, for messages.
struct Builtin {
  uint8_t opcode;
  const char* name;
};
constexpr Builtin kBuiltins[] = {
    {0x05, "task.cancel"},
    {0x06, "subtask.cancel"},
    {0x07, "resource.drop async"},
    {0x08, "backpressure.set"},
    {0x09, "task.return"},
    {0x0a, "context.get"},
    {0x0b, "context.set"},
    {0x0c, "thread.yield"},
    {0x0d, "subtask.drop"},
    {0x0e, "stream.new"},
    {0x0f, "stream.read"},
    {0x10, "stream.write"},
    {0x11, "stream.cancel-read"},
    {0x12, "stream.cancel-write"},
    {0x13, "stream.drop-readable"},
    {0x14, "stream.drop-writable"},
    {0x15, "future.new"},
    {0x16, "future.read"},
    {0x17, "future.write"},
    {0x18, "future.cancel-read"},
    {0x19, "future.cancel-write"},
    {0x1a, "future.drop-readable"},
    {0x1b, "future.drop-writable"},
    {0x1c, "error-context.new"},
    {0x1d, "error-context.debug-message"},
    {0x1e, "error-context.drop"},
    {0x1f, "waitable-set.new"},
    {0x20, "waitable-set.wait"},
    {0x21, "waitable-set.poll"},
    {0x22, "waitable-set.drop"},
    {0x23, "waitable.join"},
    {0x24, "backpressure.inc"},
    {0x25, "backpressure.dec"},
    {0x26, "thread.index"},
    {0x27, "thread.new-indirect"},
    {0x28, "thread.resume-later"},
    {0x29, "thread.suspend"},
    {0x2a, "thread.suspend-then-resume"},
    {0x2b, "thread.yield-then-resume"},
    {0x2c, "thread.suspend-then-promote"},
    {0x2d, "thread.yield-then-promote"},
    {0x40, "thread.spawn-ref"},
    {0x41, "thread.spawn-indirect"},
    {0x42, "thread.available-parallelism"},
};

const char* builtin_name(uint8_t op) {
  for (const auto& b : kBuiltins) {
    if (b.opcode == op) return b.name;
  }
  return "unknown built-in";
}

std::string unsupported_builtin(uint8_t op) {
  std::string name = builtin_name(op);
  if (name.starts_with("thread.")) return std::string("threads are ") + kSync;
  if (name.starts_with("error-context.")) return "error-context is not supported";
  return std::string("async built-ins are ") + kSync;
}

const char* unsupported_type_name(uint8_t op) {
  switch (op) {
    case 0x66:
      return "stream (async)";
    case 0x65:
      return "future (async)";
    case 0x64:
      return "error-context";
    default:
      return "unknown";
  }
}

struct CoreTypeEntry {
  std::shared_ptr<const wasm::FuncType> func;    // a function type, or
  std::shared_ptr<const CoreModuleType> module;  // a module type
  bool non_final = false;  // func: a GC (sub ...) without final, declared but never matched
};

constexpr const char* kNonFinal =
    "a non-final core function type (sub without final) cannot describe a module's function: GC "
    "subtyping is not supported";

// A new name of a resource type (DefinedType::resource_alias): an object only compared by address.
std::shared_ptr<const void> new_alias() { return std::make_shared<const char>(0); }

// One index-space scope: a component, a component type or an instance type.
struct Scope {
  enum class Kind : uint8_t { Component, ComponentType, InstanceType };
  Kind kind = Kind::Component;
  const Scope* parent = nullptr;

  std::vector<DefinedType> types;
  std::vector<CoreTypeEntry> core_types;
  std::vector<std::shared_ptr<const FuncType>> funcs;
  std::vector<std::shared_ptr<const InstanceType>> instances;
  std::vector<std::shared_ptr<const ComponentType>> components;
  uint32_t values = 0;

  // Core spaces (components only).
  std::vector<wasm::FuncType> core_funcs;
  std::vector<wasm::TableType> core_tables;
  std::vector<wasm::MemoryType> core_memories;
  std::vector<wasm::GlobalType> core_globals;
  std::vector<wasm::TagType> core_tags;
  std::vector<std::shared_ptr<const CoreModuleType>> core_modules;
  std::vector<std::shared_ptr<const CoreInstanceType>> core_instances;

  // Imports and exports (component definitions, or declarations of a type).
  std::vector<NamedExtern> imports, exports;
  std::unordered_map<std::string, std::string> import_keys, export_keys;  // uniqueness key -> name
  std::vector<ResourceSlot> imported_resources, exported_resources;
  // Resources introduced by imports/exports by name, for [constructor]/[method]/[static] checks.
  std::unordered_map<std::string, DefinedType> import_resource_names, export_resource_names;
  uint64_t extern_size = 0;  // written-out size of the imports and exports so far
  // Types with a name outside (visibility.hpp): named by imports; by imports and exports.
  NamedTypes imported_names, exported_names;
  // Resources this component defines with (type (resource ...)).
  std::unordered_set<const ResourceType*> defined_resources;
};

// Whether a type mentions a resource anywhere. `seen` holds the instance and component types
// already known to be free of resources (types are DAGs: each is walked once).
class ResourceFinder {
 public:
  explicit ResourceFinder(TypeFactsCache& facts) : facts_(facts) {}

  bool in(const DefinedType& t) {
    switch (t.kind) {
      case DefinedType::Kind::Value:
        return value(t.value);
      case DefinedType::Kind::Func:
        return func(*t.func);
      case DefinedType::Kind::Resource:
        return true;
      case DefinedType::Kind::Instance:
        return list(t.instance.get(), {&t.instance->exports});
      case DefinedType::Kind::Component:
        return list(t.component.get(), {&t.component->imports, &t.component->exports});
    }
    return false;
  }

  bool in(const ExternType& e) {
    switch (e.kind) {
      case ExternKind::Func:
        return func(*e.func);
      case ExternKind::Value:
        return value(e.value);
      case ExternKind::Type:
        return in(e.type);
      case ExternKind::Instance:
        return list(e.instance.get(), {&e.instance->exports});
      case ExternKind::Component:
        return list(e.component.get(), {&e.component->imports, &e.component->exports});
      case ExternKind::CoreModule:
        return false;
    }
    return false;
  }

 private:
  bool value(const TypeRef& t) { return t && facts_.of(t).has_handle; }

  bool func(const FuncType& f) {
    for (const auto* ps : {&f.params, &f.results}) {
      for (const auto& p : *ps) {
        if (value(p.type)) return true;
      }
    }
    return false;
  }

  bool list(const void* owner, std::initializer_list<const std::vector<NamedExtern>*> lists) {
    if (free_.count(owner)) return false;
    for (const auto* l : lists) {
      for (const auto& x : *l) {
        if (in(x.type)) return true;
      }
    }
    free_.insert(owner);
    return false;
  }

  TypeFactsCache& facts_;
  std::unordered_set<const void*> free_;
};

bool contains_resource(const DefinedType& t, TypeFactsCache& facts) {
  ResourceFinder f(facts);
  return f.in(t);
}

// Every resource an extern type mentions, with the first path at which it appears. Each value,
// instance and component type is walked once, however often it is used.
class ResourceCollector {
 public:
  explicit ResourceCollector(TypeFactsCache& facts) : facts_(facts) {}

  void collect(const ExternType& e, std::vector<std::string>& path) {
    switch (e.kind) {
      case ExternKind::Func:
        func(*e.func, path);
        break;
      case ExternKind::Value:
        value(e.value, path);
        break;
      case ExternKind::Type:
        switch (e.type.kind) {
          case DefinedType::Kind::Resource:
            resource(e.type.resource, path);
            break;
          case DefinedType::Kind::Value:
            value(e.type.value, path);
            break;
          case DefinedType::Kind::Func:
            func(*e.type.func, path);
            break;
          default:
            break;
        }
        break;
      case ExternKind::Instance:
        if (!walked_.insert(e.instance.get()).second) break;
        for (const auto& x : e.instance->exports) {
          path.push_back(x.name);
          collect(x.type, path);
          path.pop_back();
        }
        break;
      default:
        break;
    }
  }

  std::vector<ResourceSlot> take() { return std::move(out_); }

 private:
  void resource(const std::shared_ptr<const ResourceType>& r,
                const std::vector<std::string>& path) {
    if (seen_.insert(r.get()).second) out_.push_back({path, r});
  }

  void value(const TypeRef& t, const std::vector<std::string>& path) {
    if (!t || !facts_.of(t).has_handle || !walked_.insert(t.get()).second) return;
    if (t->resource) resource(t->resource, path);
    for (const auto* r : {&t->key, &t->elem, &t->ok, &t->err}) value(*r, path);
    for (const auto& f : t->fields) value(f.type, path);
    for (const auto& i : t->items) value(i, path);
    for (const auto& c : t->cases) value(c.type, path);
  }

  void func(const FuncType& f, const std::vector<std::string>& path) {
    for (const auto* ps : {&f.params, &f.results}) {
      for (const auto& p : *ps) value(p.type, path);
    }
  }

  TypeFactsCache& facts_;
  std::unordered_set<const void*> walked_;
  std::unordered_set<const ResourceType*> seen_;
  std::vector<ResourceSlot> out_;
};

// The resource at `path` (from element `from` on) inside an extern type, or null.
std::shared_ptr<const ResourceType> resource_at(const ExternType& e,
                                                const std::vector<std::string>& path, size_t from) {
  if (from == path.size()) {
    if (e.kind == ExternKind::Type && e.type.kind == DefinedType::Kind::Resource)
      return e.type.resource;
    return nullptr;
  }
  if (e.kind != ExternKind::Instance) return nullptr;
  const ExternType* x = e.instance->find(path[from]);
  return x ? resource_at(*x, path, from + 1) : nullptr;
}

std::string join_path(std::span<const std::string> path) {
  std::string s;
  for (const auto& p : path) s += (s.empty() ? "" : ".") + p;
  return s;
}

}  // namespace

struct TypeSpace::State {
  TypeSpaceOptions options;
  const Scope* parent_scope = nullptr;
  Scope root;
  TypeFactsCache facts;
  // Shared with the spaces of nested components: their exports become the types of instances here.
  // Entries keep their key alive too, so that an address is never reused for another type.
  using Renames = std::unordered_map<const ValueType*, std::pair<TypeRef, TypeRef>>;
  std::shared_ptr<Renames> renamed_from = std::make_shared<Renames>();
  // Resources created by definitions, mutable so that an export can name them.
  std::unordered_map<const ResourceType*, std::shared_ptr<ResourceType>> own_resources;

  // ---------------------------------------------------------------------------------------------
  // Errors and lookups

  static Error fail(std::string message) { return make_error(std::move(message)); }

  template <typename T>
  static Result<T> at(const std::vector<T>& space, uint32_t index, const char* what) {
    if (index >= space.size()) {
      return fail(std::string(what) + " index " + num(index) + " out of bounds (" +
                  num(space.size()) + " defined)");
    }
    return space[index];
  }

  Result<const Scope*> outer(const Scope& s, uint32_t count, bool& crosses_component) const {
    const Scope* cur = &s;
    crosses_component = false;
    for (uint32_t i = 0; i < count; ++i) {
      if (cur->kind == Scope::Kind::Component) crosses_component = true;
      const Scope* next = cur->parent;
      if (!next) {
        return fail("outer alias count " + num(count) + " exceeds the " + num(i) +
                    " enclosing scopes");
      }
      cur = next;
    }
    return cur;
  }

  // ---------------------------------------------------------------------------------------------
  // Value types

  TypeRef make_value(ValueType v) { return std::make_shared<const ValueType>(std::move(v)); }

  Result<TypeRef> valtype(const Scope& s, const ast::ValTypeRef& ref) {
    if (ref.is_primitive) return primitive(ref.primitive);
    ACTR_TRY(const DefinedType& t, at(s.types, ref.index, "type"));
    if (t.kind != DefinedType::Kind::Value) {
      return fail("type " + num(ref.index) + " is not a value type");
    }
    return t.value;
  }

  Result<void> check_labels(const std::vector<std::string>& labels, const char* what) {
    std::unordered_map<std::string, std::string> keys;
    for (const auto& l : labels) {
      if (!valid_label(l))
        return fail(std::string(what) + " `" + l + "` is not a valid kebab-case label");
      auto [it, fresh] = keys.emplace(uniqueness_key(l), l);
      if (!fresh)
        return fail(std::string(what) + " `" + l + "` conflicts with `" + it->second + "`");
    }
    return {};
  }

  Result<TypeRef> checked(TypeRef t) {
    const TypeFacts& f = facts.of(t);
    if (f.depth > kMaxTypeDepth)
      return fail("type nesting exceeds " + num(kMaxTypeDepth) + " levels");
    if (f.nodes > kMaxTypeNodes)
      return fail("type is too large (more than " + num(kMaxTypeNodes) + " nodes)");
    if (f.size64 >= kMaxElemSize) {
      return fail(
          "type exceeds maximum byte size: its canonical ABI size with 64-bit pointers is "
          "2^28 bytes or more");
    }
    return t;
  }

  Result<TypeRef> defvaltype(const Scope& s, const ast::DefValType& d) {
    if (d.unsupported_opcode) {
      std::string name = unsupported_type_name(d.unsupported_opcode);
      if (name.ends_with("(async)")) return fail(name + " types are " + kSync);
      return fail(name + " types are not supported");
    }
    ValueType v;
    v.kind = d.kind;
    auto vt = [&](const ast::ValTypeRef& r) { return valtype(s, r); };
    switch (d.kind) {
      case Kind::Record: {
        if (d.fields.empty()) return fail("record type has no fields");
        std::vector<std::string> labels;
        for (const auto& [name, ref] : d.fields) {
          ACTR_TRY(TypeRef t, vt(ref));
          v.fields.push_back({name, std::move(t)});
          labels.push_back(name);
        }
        ACTR_TRY_VOID(check_labels(labels, "record field"));
        break;
      }
      case Kind::Variant: {
        if (d.cases.empty()) return fail("variant type has no cases");
        std::vector<std::string> labels;
        for (const auto& [name, ref] : d.cases) {
          TypeRef t;
          if (ref) {
            ACTR_TRY(t, vt(*ref));
          }
          v.cases.push_back({name, std::move(t)});
          labels.push_back(name);
        }
        ACTR_TRY_VOID(check_labels(labels, "variant case"));
        break;
      }
      case Kind::Tuple: {
        if (d.items.empty()) return fail("tuple type has no items");
        for (const auto& ref : d.items) {
          ACTR_TRY(TypeRef t, vt(ref));
          v.items.push_back(std::move(t));
        }
        break;
      }
      case Kind::Flags:
        if (d.names.empty()) return fail("flags type has no labels");
        if (d.names.size() > 32)
          return fail("flags type has " + num(d.names.size()) + " labels (at most 32)");
        ACTR_TRY_VOID(check_labels(d.names, "flag"));
        v.names = d.names;
        break;
      case Kind::Enum:
        if (d.names.empty()) return fail("enum type has no cases");
        ACTR_TRY_VOID(check_labels(d.names, "enum case"));
        v.names = d.names;
        break;
      case Kind::List:
      case Kind::Option: {
        if (!d.elem) return fail("missing element type");
        ACTR_TRY(v.elem, vt(*d.elem));
        break;
      }
      case Kind::FixedList: {
        if (!d.elem) return fail("missing element type");
        if (d.length == 0) return fail("fixed-size list type has length 0 (must be at least 1)");
        ACTR_TRY(v.elem, vt(*d.elem));
        v.length = d.length;
        break;
      }
      case Kind::Map: {
        if (d.items.size() != 2) return fail("map type needs a key and a value type");
        ACTR_TRY(v.key, vt(d.items[0]));
        if (!is_map_key(v.key->kind)) {
          return fail("map key type `" + to_wit(*v.key) +
                      "` is not bool, an integer, char or string");
        }
        ACTR_TRY(v.elem, vt(d.items[1]));
        break;
      }
      case Kind::Result: {
        if (d.ok) {
          ACTR_TRY(v.ok, vt(*d.ok));
        }
        if (d.err) {
          ACTR_TRY(v.err, vt(*d.err));
        }
        break;
      }
      case Kind::Own: {
        case Kind::Borrow: {
          ACTR_TRY(const DefinedType& r, at(s.types, d.resource, "type"));
          if (r.kind != DefinedType::Kind::Resource) {
            return fail(std::string(d.kind == Kind::Own ? "own" : "borrow") + " of type " +
                        num(d.resource) + ", which is not a resource type");
          }
          v.resource = r.resource;
          v.resource_alias = r.resource_alias;
          break;
        }
      }
      default:
        return primitive(d.kind);  // a primitive (alias of it)
    }
    return checked(make_value(std::move(v)));
  }

  // ---------------------------------------------------------------------------------------------
  // Function types

  Result<std::shared_ptr<const FuncType>> functype(const Scope& s, const ast::FuncTypeDef& d) {
    if (d.async) return fail(std::string("async function types are ") + kSync);
    auto f = std::make_shared<FuncType>();
    std::vector<std::string> labels;
    for (const auto& [name, ref] : d.params) {
      ACTR_TRY(TypeRef t, valtype(s, ref));
      f->params.push_back({name, std::move(t)});
      labels.push_back(name);
    }
    ACTR_TRY_VOID(check_labels(labels, "parameter"));
    labels.clear();
    for (const auto& [name, ref] : d.results) {
      ACTR_TRY(TypeRef t, valtype(s, ref));
      if (facts.of(t).has_borrow) return fail("function result type contains a borrow handle");
      f->results.push_back({name, std::move(t)});
      if (!name.empty()) labels.push_back(name);
    }
    if (d.results.size() > 1 || (d.results.size() == 1 && !d.results[0].first.empty())) {
      ACTR_TRY_VOID(check_labels(labels, "result"));
    }
    return std::shared_ptr<const FuncType>(std::move(f));
  }

  // ---------------------------------------------------------------------------------------------
  // Core types

  Result<CoreTypeEntry> core_type(const Scope& s, const ast::CoreTypeDef& d, bool in_module_type) {
    CoreTypeEntry e;
    if (!d.is_module) {
      e.func = std::make_shared<const wasm::FuncType>(d.func);
      e.non_final = !d.final;
      return e;
    }
    if (in_module_type) return fail("a module type cannot be defined inside a module type");
    auto m = std::make_shared<CoreModuleType>();
    std::vector<std::shared_ptr<const wasm::FuncType>> types;  // the module type's own type space
    std::set<std::pair<std::string, std::string>> import_names;
    std::set<std::string> export_names;
    uint32_t i = 0;
    for (const auto& decl : d.module) {
      auto where = "module type declaration " + num(i++);
      auto func_of = [&](uint32_t index) -> Result<wasm::FuncType> {
        if (index >= types.size()) {
          return fail(where + ": core type index " + num(index) + " out of bounds (" +
                      num(types.size()) + " defined)");
        }
        return *types[index];
      };
      using K = ast::CoreModuleTypeDecl::Kind;
      switch (decl.kind) {
        case K::Type: {
          if (!decl.type || decl.type->is_module)
            return fail(where + ": module types cannot be nested");
          if (!decl.type->final) return fail(where + ": " + kNonFinal);
          types.push_back(std::make_shared<const wasm::FuncType>(decl.type->func));
          break;
        }
        case K::Alias: {
          if (decl.alias.outer_count != 1) {
            return fail(where + ": outer alias count must be 1 in a module type, not " +
                        num(decl.alias.outer_count));
          }
          ACTR_TRY(const CoreTypeEntry& t,
                   context(at(s.core_types, decl.alias.outer_index, "core type"), where));
          if (!t.func) return fail(where + ": outer alias of a module type");
          if (t.non_final) return fail(where + ": " + kNonFinal);
          types.push_back(t.func);
          break;
        }
        case K::Import: {
          wasm::ImportType imp = decl.import;
          if (imp.type.kind == wasm::ExternKind::Func) {
            ACTR_TRY(imp.type.func, func_of(decl.func_type_index));
          } else if (imp.type.kind == wasm::ExternKind::Tag) {
            ACTR_TRY(wasm::FuncType f, func_of(decl.func_type_index));
            if (!f.results.empty()) return fail(where + ": a tag's type has results");
            imp.type.tag.params = std::move(f.params);
          }
          if (!import_names.insert({imp.module, imp.name}).second) {
            return fail(where + ": duplicate import `" + imp.module + "` `" + imp.name + "`");
          }
          m->imports.push_back(std::move(imp));
          break;
        }
        case K::Export: {
          wasm::ExportType exp{decl.export_name, decl.export_type};
          if (exp.type.kind == wasm::ExternKind::Func) {
            ACTR_TRY(exp.type.func, func_of(decl.func_type_index));
          } else if (exp.type.kind == wasm::ExternKind::Tag) {
            ACTR_TRY(wasm::FuncType f, func_of(decl.func_type_index));
            if (!f.results.empty()) return fail(where + ": a tag's type has results");
            exp.type.tag.params = std::move(f.params);
          }
          if (!export_names.insert(exp.name).second)
            return fail(where + ": duplicate export `" + exp.name + "`");
          m->exports.push_back(std::move(exp));
          break;
        }
      }
    }
    e.module = std::move(m);
    return e;
  }

  // ---------------------------------------------------------------------------------------------
  // Component and instance types

  // Resolves an extern type written in a scope (import/export declarations, imports, ascriptions).
  // (sub resource) gets a fresh abstract resource named `name`.
  Result<ExternType> extern_desc(Scope& s, const ast::ExternDesc& d, const std::string& name) {
    ExternType e;
    using K = ast::ExternDesc::Kind;
    switch (d.kind) {
      case K::CoreModule: {
        e.kind = ExternKind::CoreModule;
        ACTR_TRY(const CoreTypeEntry& t, at(s.core_types, d.type_index, "core type"));
        if (!t.module) return fail("core type " + num(d.type_index) + " is not a module type");
        e.module = t.module;
        return e;
      }
      case K::Func: {
        e.kind = ExternKind::Func;
        ACTR_TRY(const DefinedType& t, at(s.types, d.type_index, "type"));
        if (t.kind != DefinedType::Kind::Func)
          return fail("type " + num(d.type_index) + " is not a function type");
        e.func = t.func;
        return e;
      }
      case K::Value:
        return fail("component values are not supported");
      case K::Type: {
        e.kind = ExternKind::Type;
        if (d.bound.sub_resource) {
          auto r = std::make_shared<ResourceType>();
          r->name = name;
          e.type.kind = DefinedType::Kind::Resource;
          e.type.resource = std::move(r);
          return e;
        }
        ACTR_TRY(e.type, at(s.types, d.bound.eq, "type"));
        return e;
      }
      case K::Component: {
        e.kind = ExternKind::Component;
        ACTR_TRY(const DefinedType& t, at(s.types, d.type_index, "type"));
        if (t.kind != DefinedType::Kind::Component) {
          return fail("type " + num(d.type_index) + " is not a component type");
        }
        e.component = t.component;
        return e;
      }
      case K::Instance: {
        e.kind = ExternKind::Instance;
        ACTR_TRY(const DefinedType& t, at(s.types, d.type_index, "type"));
        if (t.kind != DefinedType::Kind::Instance) {
          return fail("type " + num(d.type_index) + " is not an instance type");
        }
        e.instance = t.instance;
        return e;
      }
    }
    return fail("invalid extern type");
  }

  // Gives every abstract resource of an instance-typed extern a concrete one: from `supply` when
  // given (the embedder's or an instantiation's), else fresh. The new resources are appended to
  // `slots` with `name` prefixed to their paths.
  Result<ExternType> concretize(Scope& s, const ExternType& e, const std::string& name,
                                const ImportedResourceFn* supply,
                                std::vector<ResourceSlot>& slots) {
    // Every use of an instance type copies it: bound the total written-out size of a scope's
    // imports and exports before copying, and the number of abstract resources it declares.
    s.extern_size = std::min(s.extern_size + shape(e).size, kMaxTypeNodes + 1);
    if (s.extern_size > kMaxTypeNodes) {
      return fail("imports and exports too large (more than " + num(kMaxTypeNodes) +
                  " type nodes when written out)");
    }
    if (e.kind != ExternKind::Instance || e.instance->abstract_resources.empty()) return e;
    if (slots.size() + e.instance->abstract_resources.size() > kMaxAbstractResources) {
      return fail("more than " + num(kMaxAbstractResources) + " abstract resource types");
    }
    ResourceSubst subst;
    for (const auto& slot : e.instance->abstract_resources) {
      std::vector<std::string> path{name};
      path.insert(path.end(), slot.path.begin(), slot.path.end());
      std::shared_ptr<const ResourceType> r;
      if (supply && *supply) r = (*supply)(path);
      if (!r) {
        auto fresh = std::make_shared<ResourceType>(*slot.resource);
        r = std::move(fresh);
      }
      subst.map(slot.resource.get(), r);
      slots.push_back({std::move(path), r});
    }
    ExternType out = subst.extern_type(e);
    note_copies(subst);
    return out;
  }

  // The shape of instance and component types: how deeply they nest through their exports and
  // imports, and how large they are written out as trees (an instance type exporting the same
  // instance type twice counts it twice: every use gets fresh copies of its abstract resources).
  // Both are bounded so that no hostile type makes substitution or matching blow up. Types are
  // checked where they are made; copies made by substitution have the shape of their originals.
  struct Shape {
    uint32_t depth = 0;
    uint64_t size = 0;
  };
  std::unordered_map<const void*, std::pair<std::shared_ptr<const void>, Shape>> shapes;

  static void add(Shape& into, const Shape& child) {
    into.depth = std::max(into.depth, child.depth);
    into.size = std::min(into.size + child.size, kMaxTypeNodes + 1);
  }

  Shape shape(const FuncType& f) {
    Shape s{0, 1};
    for (const auto* ps : {&f.params, &f.results}) {
      for (const auto& p : *ps) add(s, {0, facts.of(p.type).nodes});
    }
    return s;
  }

  Shape shape(const DefinedType& t) {
    switch (t.kind) {
      case DefinedType::Kind::Value:
        return {0, facts.of(t.value).nodes};
      case DefinedType::Kind::Func:
        return shape(*t.func);
      case DefinedType::Kind::Resource:
        return {0, 1};
      case DefinedType::Kind::Instance:
        return shape(t.instance);
      case DefinedType::Kind::Component:
        return shape(t.component);
    }
    return {0, 1};
  }

  Shape shape(const ExternType& e) {
    switch (e.kind) {
      case ExternKind::Func:
        return shape(*e.func);
      case ExternKind::Value:
        return {0, facts.of(e.value).nodes};
      case ExternKind::Type:
        return shape(e.type);
      case ExternKind::Instance:
        return shape(e.instance);
      case ExternKind::Component:
        return shape(e.component);
      case ExternKind::CoreModule:
        return {0, 1 + e.module->imports.size() + e.module->exports.size()};
    }
    return {0, 1};
  }

  template <typename T>
  Shape shape(const std::shared_ptr<const T>& t) {
    if (!t) return {};
    if (auto it = shapes.find(t.get()); it != shapes.end()) return it->second.second;
    Shape s{0, 1};
    if constexpr (std::is_same_v<T, InstanceType>) {
      for (const auto& e : t->exports) add(s, shape(e.type));
    } else {
      for (const auto* list : {&t->imports, &t->exports}) {
        for (const auto& e : *list) add(s, shape(e.type));
      }
    }
    s.depth += 1;
    shapes.emplace(t.get(), std::make_pair(std::shared_ptr<const void>(t), s));
    return s;
  }

  template <typename T>
  Result<void> check_nesting(const std::shared_ptr<const T>& t) {
    Shape s = shape(t);
    if (s.depth > kMaxTypeDepth) {
      return fail("instance and component types nested more than " + num(kMaxTypeDepth) +
                  " levels deep");
    }
    if (s.size > kMaxTypeNodes) {
      return fail("type is too large (more than " + num(kMaxTypeNodes) +
                  " type nodes when written out)");
    }
    return {};
  }

  // Keeps renamed_from up to date when named types are copied by a substitution.
  void note_copies(const ResourceSubst& subst) {
    for (const auto& [from, to] : subst.value_copies()) {
      if (to.get() == from) continue;
      auto it = renamed_from->find(from);
      if (it == renamed_from->end()) continue;
      const TypeRef& old_target = it->second.second;
      auto target = subst.value_copies().find(old_target.get());
      (*renamed_from)[to.get()] = {
          to, target != subst.value_copies().end() ? target->second : old_target};
    }
  }

  // The new type index an import/export of a type introduces: a value type gets the name.
  DefinedType named(const DefinedType& t, const std::string& name) {
    if (t.kind == DefinedType::Kind::Resource) {
      if (auto it = own_resources.find(t.resource.get());
          it != own_resources.end() && it->second->name.empty()) {
        it->second->name = name;
      }
      DefinedType out = t;
      out.resource_alias = new_alias();
      return out;
    }
    if (t.kind != DefinedType::Kind::Value || t.value->wit_name == name) return t;
    auto copy = std::make_shared<ValueType>(*t.value);
    copy->wit_name = name;
    TypeRef ref = copy;
    facts.of(ref);
    if (!t.value->wit_name.empty()) (*renamed_from)[ref.get()] = {ref, t.value};
    DefinedType out = t;
    out.value = std::move(ref);
    return out;
  }

  // Adds the index-space entry for an imported or exported item of type `e`.
  Result<void> push_extern(Scope& s, const ExternType& e, const std::string& name) {
    switch (e.kind) {
      case ExternKind::CoreModule:
        s.core_modules.push_back(e.module);
        return {};
      case ExternKind::Func:
        s.funcs.push_back(e.func);
        return {};
      case ExternKind::Value:
        s.values++;
        return {};
      case ExternKind::Type:
        s.types.push_back(named(e.type, name));
        return {};
      case ExternKind::Instance:
        s.instances.push_back(e.instance);
        return {};
      case ExternKind::Component:
        s.components.push_back(e.component);
        return {};
    }
    return {};
  }

  // (implements "ns:pkg/iface"): an instance with a plain name says which interface it implements.
  Result<void> check_implements(const std::string& name, const ExternName& parsed,
                                const ExternType& e, const ast::NameAttrs& attrs) {
    if (!attrs.implements) return {};
    ExternName iface;
    std::string why;
    if (!parse_extern_name(*attrs.implements, iface, &why)) {
      return fail("`implements` of `" + name + "` is not a valid name: `" + *attrs.implements +
                  "`: " + why);
    }
    if (iface.kind != ExternName::Kind::Interface) {
      return fail("`implements` of `" + name + "` must be an interface name, not `" +
                  *attrs.implements + "`");
    }
    if (e.kind != ExternKind::Instance) {
      return fail("only instances can have an `implements`, not `" + name + "`");
    }
    if (parsed.kind != ExternName::Kind::Plain) {
      return fail("name `" + name + "` is not valid with `implements`: it must be a plain name");
    }
    return {};
  }

  Result<void> check_name(Scope& s, const std::string& name, const ExternType& e, bool is_import,
                          const ast::NameAttrs& attrs) {
    ExternName parsed;
    std::string why;
    const char* what = is_import ? "import" : "export";
    if (!parse_extern_name(name, parsed, &why))
      return fail(std::string("invalid ") + what + " name `" + name + "`: " + why);
    if (!attrs.version_suffix.empty()) {
      if (parsed.kind != ExternName::Kind::Interface || !canonical_version(parsed.version) ||
          !valid_version(parsed.version + attrs.version_suffix)) {
        return fail("version suffix `" + attrs.version_suffix + "` of `" + name +
                    "` must follow a canonical interface version and form a valid semver with it");
      }
    }
    ACTR_TRY_VOID(check_implements(name, parsed, e, attrs));
    auto& keys = is_import ? s.import_keys : s.export_keys;
    auto [it, fresh] = keys.emplace(uniqueness_key(name), name);
    if (!fresh) {
      return fail(std::string(what) + " name `" + name + "` conflicts with previous " + what +
                  " `" + it->second + "`");
    }
    return check_annotated(name, parsed, e,
                           is_import ? s.import_resource_names : s.export_resource_names, what);
  }

  // [constructor]r, [method]r.m, [static]r.m: `r` is a resource named before among the same
  // imports or exports (`what`), and the function's handles are written with that very name.
  Result<void> check_annotated(const std::string& name, const ExternName& parsed,
                               const ExternType& e,
                               const std::unordered_map<std::string, DefinedType>& resources,
                               const char* what) {
    using NK = ExternName::Kind;
    if (parsed.kind == NK::Plain || parsed.kind == NK::Interface) return {};
    if (e.kind != ExternKind::Func)
      return fail("`" + name + "` is annotated as a function but is a " + to_string(e.kind));
    auto r = resources.find(parsed.resource);
    if (r == resources.end()) {
      return fail("`" + name + "` refers to resource `" + parsed.resource +
                  "`, which is not a preceding " + what);
    }
    const DefinedType& entry = r->second;
    const FuncType& f = *e.func;
    bool other_name = false;
    auto is_handle = [&](const TypeRef& t, Kind k) {
      if (!t || t->kind != k || t->resource != entry.resource) return false;
      if (t->resource_alias && entry.resource_alias && t->resource_alias != entry.resource_alias)
        other_name = true;
      return true;
    };
    if (parsed.kind == NK::Constructor) {
      bool ok = f.results.size() == 1 && (is_handle(f.results[0].type, Kind::Own) ||
                                          (f.results[0].type->kind == Kind::Result &&
                                           is_handle(f.results[0].type->ok, Kind::Own)));
      if (!ok) return fail("constructor `" + name + "` must return `own<" + parsed.resource + ">`");
    } else if (parsed.kind == NK::Method) {
      if (f.params.empty() || f.params[0].name != "self" ||
          !is_handle(f.params[0].type, Kind::Borrow)) {
        return fail("method `" + name + "` must take `self: borrow<" + parsed.resource +
                    ">` first");
      }
    }
    if (other_name) {
      return fail("`" + name + "`: resource used in function does not have a name in this " +
                  "context (the function writes resource `" + parsed.resource +
                  "` with another of its names)");
    }
    return {};
  }

  Result<std::shared_ptr<const InstanceType>> instance_type(const Scope& parent,
                                                            const ast::InstanceTypeDef& d) {
    Scope s;
    s.kind = Scope::Kind::InstanceType;
    s.parent = &parent;
    uint32_t i = 0;
    for (const auto& decl : d.decls) {
      ACTR_TRY_VOID(context(type_decl(s, decl), "instance type declaration " + num(i++)));
    }
    auto t = std::make_shared<InstanceType>();
    t->exports = std::move(s.exports);
    t->abstract_resources = std::move(s.exported_resources);
    t->index();
    std::shared_ptr<const InstanceType> out = std::move(t);
    ACTR_TRY_VOID(check_nesting(out));
    return out;
  }

  Result<std::shared_ptr<const ComponentType>> component_type(const Scope& parent,
                                                              const ast::ComponentTypeDef& d) {
    Scope s;
    s.kind = Scope::Kind::ComponentType;
    s.parent = &parent;
    uint32_t i = 0;
    for (const auto& decl : d.decls) {
      ACTR_TRY_VOID(context(type_decl(s, decl), "component type declaration " + num(i++)));
    }
    auto t = std::make_shared<ComponentType>();
    t->imports = std::move(s.imports);
    t->exports = std::move(s.exports);
    t->imported_resources = std::move(s.imported_resources);
    t->defined_resources = std::move(s.exported_resources);
    std::shared_ptr<const ComponentType> out = std::move(t);
    ACTR_TRY_VOID(check_nesting(out));
    return out;
  }

  Result<void> type_decl(Scope& s, const ast::TypeDecl& decl) {
    using K = ast::TypeDecl::Kind;
    switch (decl.kind) {
      case K::CoreType: {
        if (!decl.core_type) return fail("missing core type");
        ACTR_TRY(CoreTypeEntry e, core_type(s, *decl.core_type, false));
        s.core_types.push_back(std::move(e));
        return {};
      }
      case K::Type: {
        if (!decl.type) return fail("missing type");
        if (std::holds_alternative<ast::ResourceTypeDef>(*decl.type)) {
          return fail("resource types cannot be defined inside component or instance types");
        }
        ACTR_TRY(DefinedType t, deftype(s, *decl.type));
        s.types.push_back(std::move(t));
        return {};
      }
      case K::Alias: {
        const ast::Alias& a = decl.alias;
        if (a.target == ast::Alias::Target::Export) {
          if (a.sort != Sort::Type && a.sort != Sort::Instance) {
            return fail(
                std::string("export aliases in types may only alias types and instances, not ") +
                ast::to_string(a.sort) + "s");
          }
        } else if (a.target == ast::Alias::Target::Outer) {
          if (a.sort != Sort::Type && a.sort != Sort::CoreType) {
            return fail(
                std::string("outer aliases in types may only alias types and core types, not ") +
                ast::to_string(a.sort) + "s");
          }
        } else {
          return fail("core export aliases are not allowed in types");
        }
        return alias(s, a);
      }
      case K::Import: {
        const auto& d = decl.import;
        ACTR_TRY(ExternType e, context(extern_desc(s, d.desc, d.name), "import `" + d.name + "`"));
        ACTR_TRY(e, concretize(s, e, d.name, nullptr, s.imported_resources));
        if (e.kind == ExternKind::Type && d.desc.bound.sub_resource) {
          s.imported_resources.push_back({{d.name}, e.type.resource});
        }
        ACTR_TRY_VOID(check_name(s, d.name, e, true, d.attrs));
        if (s.kind == Scope::Kind::ComponentType) ACTR_TRY_VOID(check_visible(s, e, true));
        ACTR_TRY_VOID(push_extern(s, e, d.name));
        if (e.kind == ExternKind::Type) e.type = s.types.back();
        name_types(s, d.name, e, true);
        s.imports.push_back({d.name, std::move(e)});
        return {};
      }
      case K::Export: {
        const auto& d = decl.export_;
        ACTR_TRY(ExternType e, context(extern_desc(s, d.desc, d.name), "export `" + d.name + "`"));
        ACTR_TRY(e, concretize(s, e, d.name, nullptr, s.exported_resources));
        if (e.kind == ExternKind::Type && d.desc.bound.sub_resource) {
          s.exported_resources.push_back({{d.name}, e.type.resource});
        }
        ACTR_TRY_VOID(check_name(s, d.name, e, false, d.attrs));
        if (s.kind == Scope::Kind::ComponentType) ACTR_TRY_VOID(check_visible(s, e, false));
        ACTR_TRY_VOID(push_extern(s, e, d.name));
        if (e.kind == ExternKind::Type) e.type = s.types.back();  // carries the export's name
        name_types(s, d.name, e, false);
        s.exports.push_back({d.name, std::move(e)});
        return {};
      }
    }
    return {};
  }

  Result<DefinedType> deftype(Scope& s, const ast::TypeDef& def) {
    DefinedType t;
    if (auto* v = std::get_if<ast::DefValType>(&def)) {
      t.kind = DefinedType::Kind::Value;
      ACTR_TRY(t.value, defvaltype(s, *v));
    } else if (auto* f = std::get_if<ast::FuncTypeDef>(&def)) {
      t.kind = DefinedType::Kind::Func;
      ACTR_TRY(t.func, functype(s, *f));
    } else if (auto* c = std::get_if<ast::ComponentTypeDef>(&def)) {
      t.kind = DefinedType::Kind::Component;
      ACTR_TRY(t.component, component_type(s, *c));
    } else if (auto* i = std::get_if<ast::InstanceTypeDef>(&def)) {
      t.kind = DefinedType::Kind::Instance;
      ACTR_TRY(t.instance, instance_type(s, *i));
    } else if (auto* r = std::get_if<ast::ResourceTypeDef>(&def)) {
      if (s.kind != Scope::Kind::Component) {
        return fail("resource types cannot be defined inside component or instance types");
      }
      if (r->async) return fail(std::string("async resource destructors are ") + kSync);
      if (r->rep != wasm::ValType::I32) {
        return fail(std::string("resource representation must be i32, not ") +
                    wasm::to_string(r->rep));
      }
      if (r->dtor) {
        ACTR_TRY(const wasm::FuncType& ft, at(s.core_funcs, *r->dtor, "core func"));
        wasm::FuncType expected{{wasm::ValType::I32}, {}};
        if (ft != expected) {
          return fail("resource destructor (core func " + num(*r->dtor) + ") has type " +
                      ft.to_string() + ", expected (i32) -> ()");
        }
      }
      auto res = std::make_shared<ResourceType>();
      own_resources[res.get()] = res;
      s.defined_resources.insert(res.get());
      t.kind = DefinedType::Kind::Resource;
      t.resource = std::move(res);
      t.resource_alias = new_alias();
    }
    return t;
  }

  // ---------------------------------------------------------------------------------------------
  // Aliases

  Result<void> alias(Scope& s, const ast::Alias& a) {
    using T = ast::Alias::Target;
    switch (a.target) {
      case T::Export: {
        ACTR_TRY(const std::shared_ptr<const InstanceType>& inst,
                 at(s.instances, a.instance, "instance"));
        const ExternType* e = inst->find(a.name);
        if (!e)
          return fail("instance " + num(a.instance) + " has no export named `" + a.name + "`");
        ExternKind want;
        switch (a.sort) {
          case Sort::Func:
            want = ExternKind::Func;
            break;
          case Sort::Value:
            want = ExternKind::Value;
            break;
          case Sort::Type:
            want = ExternKind::Type;
            break;
          case Sort::Component:
            want = ExternKind::Component;
            break;
          case Sort::Instance:
            want = ExternKind::Instance;
            break;
          case Sort::CoreModule:
            want = ExternKind::CoreModule;
            break;
          default:
            return fail(std::string("cannot alias a ") + ast::to_string(a.sort) +
                        " from a component instance");
        }
        if (e->kind != want) {
          return fail("export `" + a.name + "` of instance " + num(a.instance) + " is a " +
                      to_string(e->kind) + ", not a " + to_string(want));
        }
        if (want == ExternKind::Value) return fail("component values are not supported");
        switch (want) {
          case ExternKind::Type:
            s.types.push_back(e->type);
            break;
          default:
            ACTR_TRY_VOID(push_extern(s, *e, a.name));
            break;
        }
        return {};
      }
      case T::CoreExport: {
        ACTR_TRY(const std::shared_ptr<const CoreInstanceType>& inst,
                 at(s.core_instances, a.instance, "core instance"));
        const wasm::ExternType* e = inst->find(a.name);
        if (!e)
          return fail("core instance " + num(a.instance) + " has no export named `" + a.name + "`");
        wasm::ExternKind want;
        switch (a.sort) {
          case Sort::CoreFunc:
            want = wasm::ExternKind::Func;
            break;
          case Sort::CoreTable:
            want = wasm::ExternKind::Table;
            break;
          case Sort::CoreMemory:
            want = wasm::ExternKind::Memory;
            break;
          case Sort::CoreGlobal:
            want = wasm::ExternKind::Global;
            break;
          case Sort::CoreTag:
            want = wasm::ExternKind::Tag;
            break;
          default:
            return fail(std::string("cannot alias a ") + ast::to_string(a.sort) +
                        " from a core instance");
        }
        if (e->kind != want) {
          return fail("export `" + a.name + "` of core instance " + num(a.instance) + " is a " +
                      wasm::to_string(e->kind) + ", not a " + wasm::to_string(want));
        }
        push_core(s, *e);
        return {};
      }
      case T::Outer: {
        bool crosses = false;
        ACTR_TRY(const Scope* target, outer(s, a.outer_count, crosses));
        switch (a.sort) {
          case Sort::Type: {
            ACTR_TRY(const DefinedType& t, at(target->types, a.outer_index, "outer type"));
            if (crosses && contains_resource(t, facts)) {
              return fail("outer alias of type " + num(a.outer_index) +
                          " crosses a component boundary but the type refers to a resource");
            }
            s.types.push_back(t);
            return {};
          }
          case Sort::CoreType: {
            ACTR_TRY(const CoreTypeEntry& t,
                     at(target->core_types, a.outer_index, "outer core type"));
            s.core_types.push_back(t);
            return {};
          }
          case Sort::CoreModule: {
            ACTR_TRY(auto m, at(target->core_modules, a.outer_index, "outer core module"));
            s.core_modules.push_back(std::move(m));
            return {};
          }
          case Sort::Component: {
            ACTR_TRY(auto c, at(target->components, a.outer_index, "outer component"));
            s.components.push_back(std::move(c));
            return {};
          }
          default:
            return fail(std::string("outer aliases may only refer to types, core types, modules "
                                    "and components, not ") +
                        ast::to_string(a.sort) + "s");
        }
      }
    }
    return {};
  }

  void push_core(Scope& s, const wasm::ExternType& e) {
    switch (e.kind) {
      case wasm::ExternKind::Func:
        s.core_funcs.push_back(e.func);
        break;
      case wasm::ExternKind::Table:
        s.core_tables.push_back(e.table);
        break;
      case wasm::ExternKind::Memory:
        s.core_memories.push_back(e.memory);
        break;
      case wasm::ExternKind::Global:
        s.core_globals.push_back(e.global);
        break;
      case wasm::ExternKind::Tag:
        s.core_tags.push_back(e.tag);
        break;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Instances

  Result<void> core_instance(Scope& s, const ast::CoreInstance& ci) {
    auto inst = std::make_shared<CoreInstanceType>();
    if (ci.instantiate) {
      ACTR_TRY(const std::shared_ptr<const CoreModuleType>& m,
               at(s.core_modules, ci.module, "core module"));
      std::unordered_map<std::string, const CoreInstanceType*> args;
      for (const auto& arg : ci.args) {
        ACTR_TRY(const std::shared_ptr<const CoreInstanceType>& a,
                 at(s.core_instances, arg.instance, "core instance"));
        if (!args.emplace(arg.name, a.get()).second)
          return fail("duplicate instantiation argument `" + arg.name + "`");
      }
      for (const auto& imp : m->imports) {
        auto it = args.find(imp.module);
        if (it == args.end()) {
          return fail("core module " + num(ci.module) + " imports `" + imp.module + "` `" +
                      imp.name + "` but no instantiation argument is named `" + imp.module + "`");
        }
        const wasm::ExternType* e = it->second->find(imp.name);
        if (!e) {
          return fail("core module " + num(ci.module) + " import `" + imp.module + "` `" +
                      imp.name + "`: the argument instance has no export `" + imp.name + "`");
        }
        std::string why;
        if (!core_matches(*e, imp.type, &why)) {
          return fail("core module " + num(ci.module) + " import `" + imp.module + "` `" +
                      imp.name + "`: " + why);
        }
      }
      inst->exports = m->exports;
    } else {
      std::unordered_set<std::string> names;
      for (const auto& e : ci.exports) {
        if (!names.insert(e.name).second) return fail("duplicate export `" + e.name + "`");
        wasm::ExportType x;
        x.name = e.name;
        switch (e.item.sort) {
          case Sort::CoreFunc: {
            x.type.kind = wasm::ExternKind::Func;
            ACTR_TRY(x.type.func, at(s.core_funcs, e.item.index, "core func"));
            break;
          }
          case Sort::CoreTable: {
            x.type.kind = wasm::ExternKind::Table;
            ACTR_TRY(x.type.table, at(s.core_tables, e.item.index, "core table"));
            break;
          }
          case Sort::CoreMemory: {
            x.type.kind = wasm::ExternKind::Memory;
            ACTR_TRY(x.type.memory, at(s.core_memories, e.item.index, "core memory"));
            break;
          }
          case Sort::CoreGlobal: {
            x.type.kind = wasm::ExternKind::Global;
            ACTR_TRY(x.type.global, at(s.core_globals, e.item.index, "core global"));
            break;
          }
          case Sort::CoreTag: {
            x.type.kind = wasm::ExternKind::Tag;
            ACTR_TRY(x.type.tag, at(s.core_tags, e.item.index, "core tag"));
            break;
          }
          default:
            return fail(std::string("a core instance cannot export a ") +
                        ast::to_string(e.item.sort));
        }
        inst->exports.push_back(std::move(x));
      }
    }
    inst->index();
    s.core_instances.push_back(std::move(inst));
    return {};
  }

  // The type of the item a sortidx names (component-level sorts).
  Result<ExternType> item_type(const Scope& s, const ast::SortIdx& item) {
    ExternType e;
    switch (item.sort) {
      case Sort::Func: {
        e.kind = ExternKind::Func;
        ACTR_TRY(e.func, at(s.funcs, item.index, "func"));
        return e;
      }
      case Sort::Type: {
        e.kind = ExternKind::Type;
        ACTR_TRY(e.type, at(s.types, item.index, "type"));
        return e;
      }
      case Sort::Instance: {
        e.kind = ExternKind::Instance;
        ACTR_TRY(e.instance, at(s.instances, item.index, "instance"));
        return e;
      }
      case Sort::Component: {
        e.kind = ExternKind::Component;
        ACTR_TRY(e.component, at(s.components, item.index, "component"));
        return e;
      }
      case Sort::CoreModule: {
        e.kind = ExternKind::CoreModule;
        ACTR_TRY(e.module, at(s.core_modules, item.index, "core module"));
        return e;
      }
      case Sort::Value:
        return fail("component values are not supported");
      default:
        return fail(std::string("a ") + ast::to_string(item.sort) + " cannot be used here");
    }
  }

  // Matches `args` against the imports of a component type and gives the type of the instance.
  Result<std::shared_ptr<const InstanceType>> instantiate(const ComponentType& c,
                                                          const std::vector<NamedExtern>& args) {
    std::unordered_map<std::string, const ExternType*> by_name;
    for (const auto& a : args) by_name[a.name] = &a.type;
    ResourceSubst subst;
    for (const auto& slot : c.imported_resources) {
      auto it = by_name.find(slot.path.front());
      if (it == by_name.end()) continue;  // reported below as a missing argument
      auto r = resource_at(*it->second, slot.path, 1);
      if (!r) return fail("argument `" + join_path(slot.path) + "` must be a resource type");
      subst.map(slot.resource.get(), std::move(r));
    }
    // A resource type import's name stands for the argument's name of it (external visibility).
    for (const auto& imp : c.imports) {
      if (imp.type.kind != ExternKind::Type || imp.type.type.kind != DefinedType::Kind::Resource ||
          !imp.type.type.resource_alias)
        continue;
      auto it = by_name.find(imp.name);
      if (it == by_name.end() || it->second->kind != ExternKind::Type) continue;
      subst.map_alias(imp.type.type.resource_alias.get(), it->second->type.resource_alias);
    }
    for (const auto& imp : c.imports) {
      auto it = by_name.find(imp.name);
      if (it == by_name.end()) return fail("missing instantiation argument `" + imp.name + "`");
      ExternType expected = subst.extern_type(imp.type);
      std::string why;
      if (!is_subtype(*it->second, expected, &why)) {
        return fail("instantiation argument `" + imp.name + "` does not match the import: " + why);
      }
    }
    // Type imports stand for their arguments from now on (the spec substitutes them): the
    // instance's type refers to the arguments, which may have names here (external visibility).
    for (const auto& imp : c.imports) {
      if (imp.type.kind != ExternKind::Type || imp.type.type.kind != DefinedType::Kind::Value)
        continue;
      const ExternType* arg = by_name.at(imp.name);
      if (arg->kind == ExternKind::Type && arg->type.kind == DefinedType::Kind::Value &&
          arg->type.value != imp.type.type.value) {
        subst.map_value(imp.type.type.value.get(), arg->type.value);
        (*renamed_from)[imp.type.type.value.get()] = {imp.type.type.value, arg->type.value};
      }
    }
    // Resources the component defines are fresh for each instance.
    for (const auto& slot : c.defined_resources) {
      auto fresh = std::make_shared<ResourceType>(*slot.resource);
      subst.map(slot.resource.get(), std::move(fresh));
    }
    auto inst = std::make_shared<InstanceType>();
    for (const auto& e : c.exports) inst->exports.push_back({e.name, subst.extern_type(e.type)});
    inst->index();
    note_copies(subst);
    return std::shared_ptr<const InstanceType>(std::move(inst));
  }

  Result<void> instance(Scope& s, const ast::Instance& in) {
    if (in.instantiate) {
      ACTR_TRY(const std::shared_ptr<const ComponentType>& c,
               at(s.components, in.component, "component"));
      std::vector<NamedExtern> args;
      std::unordered_set<std::string> names;
      for (const auto& a : in.args) {
        if (!names.insert(a.name).second)
          return fail("duplicate instantiation argument `" + a.name + "`");
        ACTR_TRY(ExternType t, context(item_type(s, a.item), "argument `" + a.name + "`"));
        args.push_back({a.name, std::move(t)});
      }
      ACTR_TRY(auto inst,
               context(instantiate(*c, args), "instantiating component " + num(in.component)));
      s.instances.push_back(std::move(inst));
      return {};
    }
    auto inst = std::make_shared<InstanceType>();
    std::unordered_map<std::string, std::string> keys;
    std::unordered_map<std::string, DefinedType> bag_resources;
    for (const auto& e : in.exports) {
      ExternName parsed;
      std::string why;
      if (!parse_extern_name(e.name, parsed, &why))
        return fail("invalid export name `" + e.name + "`: " + why);
      auto [it, fresh] = keys.emplace(uniqueness_key(e.name), e.name);
      if (!fresh) return fail("export name `" + e.name + "` conflicts with `" + it->second + "`");
      ACTR_TRY(ExternType t, context(item_type(s, e.item), "export `" + e.name + "`"));
      ACTR_TRY_VOID(check_implements(e.name, parsed, t, e.attrs));
      ACTR_TRY_VOID(check_annotated(e.name, parsed, t, bag_resources, "export of the instance"));
      if (t.kind == ExternKind::Type) t.type = named(t.type, e.name);
      if (t.kind == ExternKind::Type && t.type.kind == DefinedType::Kind::Resource)
        bag_resources[e.name] = t.type;
      inst->exports.push_back({e.name, std::move(t)});
    }
    inst->index();
    std::shared_ptr<const InstanceType> out = std::move(inst);
    ACTR_TRY_VOID(check_nesting(out));
    s.instances.push_back(std::move(out));
    return {};
  }

  // ---------------------------------------------------------------------------------------------
  // Canonical definitions

  Result<void> canon_options(const Scope& s, const ast::CanonOptions& o, bool lift) {
    if (o.async) return fail(std::string("the async option is ") + kSync);
    if (o.callback) return fail(std::string("the callback option (async) is ") + kSync);
    if (o.memory) {
      ACTR_TRY(const wasm::MemoryType& m, at(s.core_memories, *o.memory, "core memory"));
      (void)m;
    }
    if (o.realloc) {
      if (!o.memory) return fail("`realloc` requires a `memory` option");
      ACTR_TRY(const wasm::FuncType& ft, at(s.core_funcs, *o.realloc, "core func"));
      using V = wasm::ValType;
      wasm::FuncType expected{{V::I32, V::I32, V::I32, V::I32}, {V::I32}};
      if (ft != expected) {
        return fail("realloc (core func " + num(*o.realloc) + ") has type " + ft.to_string() +
                    ", expected (i32, i32, i32, i32) -> (i32)");
      }
    }
    if (o.post_return && !lift) return fail("`post-return` is only allowed on canon lift");
    return {};
  }

  bool params_need_memory(const std::vector<Param>& ps) {
    for (const auto& p : ps) {
      if (facts.of(p.type).has_string_or_list) return true;
    }
    return false;
  }

  Result<void> canon(Scope& s, const ast::Canon& c) {
    using K = ast::Canon::Kind;
    switch (c.kind) {
      case K::Lift: {
        ACTR_TRY(const wasm::FuncType& core, at(s.core_funcs, c.func, "core func"));
        ACTR_TRY(const DefinedType& t, at(s.types, c.type, "type"));
        if (t.kind != DefinedType::Kind::Func)
          return fail("type " + num(c.type) + " is not a function type");
        const FuncType& ft = *t.func;
        ACTR_TRY_VOID(canon_options(s, c.options, true));
        wasm::FuncType expected = canonical::flatten_func(ft, canonical::Direction::Lift);
        if (core != expected) {
          return fail("core func " + num(c.func) + " has type " + core.to_string() +
                      " but lifting `" + to_wit(ft) + "` needs " + expected.to_string());
        }
        if (params_need_memory(ft.params) ||
            canonical::flat_count(ft.params, kMaxFlatParams) > kMaxFlatParams) {
          if (!c.options.realloc) {
            return fail("lifting `" + to_wit(ft) +
                        "` passes arguments in memory: it needs `memory` and `realloc` options");
          }
        }
        if (params_need_memory(ft.results) ||
            canonical::flat_count(ft.results, kMaxFlatResults) > kMaxFlatResults) {
          if (!c.options.memory) {
            return fail("lifting `" + to_wit(ft) +
                        "` returns results in memory: it needs a `memory` option");
          }
        }
        if (c.options.post_return) {
          ACTR_TRY(const wasm::FuncType& pr, at(s.core_funcs, *c.options.post_return, "core func"));
          wasm::FuncType want{expected.results, {}};
          if (pr != want) {
            return fail("post-return (core func " + num(*c.options.post_return) + ") has type " +
                        pr.to_string() + ", expected " + want.to_string());
          }
        }
        s.funcs.push_back(t.func);
        return {};
      }
      case K::Lower: {
        ACTR_TRY(const std::shared_ptr<const FuncType>& f, at(s.funcs, c.func, "func"));
        ACTR_TRY_VOID(canon_options(s, c.options, false));
        const FuncType& ft = *f;
        if ((params_need_memory(ft.params) ||
             canonical::flat_count(ft.params, kMaxFlatParams) > kMaxFlatParams ||
             params_need_memory(ft.results) ||
             canonical::flat_count(ft.results, kMaxFlatResults) > kMaxFlatResults) &&
            !c.options.memory) {
          return fail("lowering `" + to_wit(ft) +
                      "` passes values in memory: it needs a `memory` option");
        }
        if (params_need_memory(ft.results) && !c.options.realloc) {
          return fail("lowering `" + to_wit(ft) +
                      "` returns strings or lists: it needs a `realloc` option");
        }
        s.core_funcs.push_back(canonical::flatten_func(ft, canonical::Direction::Lower));
        return {};
      }
      case K::ResourceNew:
      case K::ResourceDrop: {
        case K::ResourceRep: {
          const char* name = c.kind == K::ResourceNew    ? "resource.new"
                             : c.kind == K::ResourceDrop ? "resource.drop"
                                                         : "resource.rep";
          ACTR_TRY(const DefinedType& t, at(s.types, c.type, "type"));
          if (t.kind != DefinedType::Kind::Resource) {
            return fail(std::string(name) + ": type " + num(c.type) + " is not a resource type");
          }
          using V = wasm::ValType;
          if (c.kind == K::ResourceDrop) {
            s.core_funcs.push_back(wasm::FuncType{{V::I32}, {}});
            return {};
          }
          if (!s.defined_resources.count(t.resource.get())) {
            return fail(std::string(name) + ": type " + num(c.type) +
                        " is not a resource defined by this component");
          }
          s.core_funcs.push_back(wasm::FuncType{{V::I32}, {V::I32}});
          return {};
        }
      }
      case K::Unsupported:
        return fail(unsupported_builtin(c.opcode));
    }
    return {};
  }

  // ---------------------------------------------------------------------------------------------
  // Definitions

  Result<void> import(Scope& s, const ast::Import& imp) {
    ACTR_TRY(ExternType e, extern_desc(s, imp.desc, imp.name));
    ACTR_TRY(e, concretize(s, e, imp.name, &options.imported_resource, s.imported_resources));
    if (e.kind == ExternKind::Type && imp.desc.bound.sub_resource) {
      std::vector<std::string> path{imp.name};
      if (options.imported_resource) {
        if (auto r = options.imported_resource(path)) e.type.resource = std::move(r);
      }
      s.imported_resources.push_back({std::move(path), e.type.resource});
    }
    ACTR_TRY_VOID(check_name(s, imp.name, e, true, imp.attrs));
    ACTR_TRY_VOID(check_visible(s, e, true));
    ACTR_TRY_VOID(push_extern(s, e, imp.name));
    if (e.kind == ExternKind::Type) e.type = s.types.back();
    name_types(s, imp.name, e, true);
    s.imports.push_back({imp.name, std::move(e)});
    return {};
  }

  std::vector<ResourceSlot> resources_of(const ExternType& e, const std::string& name) {
    ResourceCollector collector(facts);
    std::vector<std::string> path{name};
    collector.collect(e, path);
    return collector.take();
  }

  // External visibility (visibility.hpp), checked for the imports and exports of components and
  // component types; instance types are checked where they are imported or exported.
  Result<void> check_visible(const Scope& s, const ExternType& e, bool is_import) {
    std::string why;
    const NamedTypes& names = is_import ? s.imported_names : s.exported_names;
    if (names.covers(e, is_import, &why)) return {};
    return fail(std::string(to_string(e.kind)) + " not valid to be used as " +
                (is_import ? "import" : "export") + ": " + why);
  }

  // Records the names an import or export gives (its type entry already pushed).
  static void name_types(Scope& s, const std::string& name, const ExternType& e, bool is_import) {
    if (is_import) s.imported_names.add_names_of(e);
    s.exported_names.add_names_of(e);  // an imported type may be used by exports too
    if (e.kind == ExternKind::Type && e.type.kind == DefinedType::Kind::Resource)
      (is_import ? s.import_resource_names : s.export_resource_names)[name] = e.type;
  }

  Result<void> export_(Scope& s, const ast::Export& ex) {
    ACTR_TRY(ExternType actual, item_type(s, ex.item));
    ExternType e = actual;
    if (ex.ascribed) {
      ACTR_TRY(ExternType expected,
               context(extern_desc(s, *ex.ascribed, ex.name), "ascribed type"));
      // The ascribed type's abstract resources stand for the exported item's.
      ResourceSubst subst;
      if (expected.kind == ExternKind::Instance) {
        ExternType wrapped = actual;
        for (const auto& slot : expected.instance->abstract_resources) {
          auto r = resource_at(wrapped, slot.path, 0);
          if (r) subst.map(slot.resource.get(), std::move(r));
        }
      }
      // A resource exported as `(sub resource)` is exported as a resource type of its own: the
      // ascription hides that it is the one defined here (a second export of the same resource
      // without the ascription is a different type outside).
      bool hidden_resource = expected.kind == ExternKind::Type &&
                             expected.type.kind == DefinedType::Kind::Resource &&
                             ex.ascribed->bound.sub_resource;
      expected = subst.extern_type(expected);
      note_copies(subst);
      std::string why;
      if (hidden_resource) {
        if (actual.kind != ExternKind::Type || actual.type.kind != DefinedType::Kind::Resource)
          return fail("the exported item does not match the ascribed type: it is not a resource");
      } else if (!is_subtype(actual, expected, &why)) {
        return fail("the exported item does not match the ascribed type: " + why);
      }
      e = std::move(expected);
    }
    ACTR_TRY_VOID(check_name(s, ex.name, e, false, ex.attrs));
    ACTR_TRY_VOID(check_visible(s, e, false));
    ACTR_TRY_VOID(push_extern(s, e, ex.name));
    if (e.kind == ExternKind::Type) e.type = s.types.back();
    name_types(s, ex.name, e, false);
    s.exports.push_back({ex.name, std::move(e)});
    return {};
  }

  // What `def` defines, for messages: "type 3", "canon lift", "import `x`".
  std::string what(const Scope& s, const ast::Definition& def) const {
    using K = ast::Definition::Kind;
    switch (def.kind) {
      case K::CoreModule:
        return "core module " + num(s.core_modules.size());
      case K::CoreInstance:
        return "core instance " + num(s.core_instances.size());
      case K::CoreType:
        return "core type " + num(s.core_types.size());
      case K::Component:
        return "component " + num(s.components.size());
      case K::Instance:
        return "instance " + num(s.instances.size());
      case K::Alias:
        return std::string("alias of a ") + ast::to_string(def.alias.sort);
      case K::Type:
        return "type " + num(s.types.size());
      case K::Canon:
        switch (def.canon.kind) {
          case ast::Canon::Kind::Lift:
            return "canon lift (func " + num(s.funcs.size()) + ")";
          case ast::Canon::Kind::Lower:
            return "canon lower (core func " + num(s.core_funcs.size()) + ")";
          case ast::Canon::Kind::ResourceNew:
            return "canon resource.new";
          case ast::Canon::Kind::ResourceDrop:
            return "canon resource.drop";
          case ast::Canon::Kind::ResourceRep:
            return "canon resource.rep";
          case ast::Canon::Kind::Unsupported:
            return std::string("canon ") + builtin_name(def.canon.opcode);
        }
        return "canon";
      case K::Import:
        return "import `" + def.import.name + "`";
      case K::Export:
        return "export `" + def.export_.name + "`";
      case K::Start:
        return "start";
    }
    return "definition";
  }

  Result<void> define(Scope& s, const ast::Definition& def, const TypeSpace* self) {
    using K = ast::Definition::Kind;
    switch (def.kind) {
      case K::CoreModule: {
        auto m = std::make_shared<CoreModuleType>();
        m->imports = def.module_imports;
        m->exports = def.module_exports;
        s.core_modules.push_back(std::move(m));
        return {};
      }
      case K::CoreInstance:
        return core_instance(s, def.core_instance);
      case K::CoreType: {
        if (!def.core_type) return fail("missing core type");
        ACTR_TRY(CoreTypeEntry e, core_type(s, *def.core_type, false));
        s.core_types.push_back(std::move(e));
        return {};
      }
      case K::Component: {
        if (!def.component) return fail("missing component");
        TypeSpace child(self, TypeSpaceOptions{.imported_resource = {}, .record = options.record});
        ACTR_TRY_VOID(child.define_all(*def.component));
        auto type = std::make_shared<const ComponentType>(child.component_type());
        ACTR_TRY_VOID(check_nesting(type));
        s.components.push_back(std::move(type));
        return {};
      }
      case K::Instance:
        return instance(s, def.instance);
      case K::Alias:
        return alias(s, def.alias);
      case K::Type: {
        if (!def.type) return fail("missing type");
        ACTR_TRY(DefinedType t, deftype(s, *def.type));
        s.types.push_back(std::move(t));
        return {};
      }
      case K::Canon:
        return canon(s, def.canon);
      case K::Import:
        return import(s, def.import);
      case K::Export:
        return export_(s, def.export_);
      case K::Start:
        return fail("start definitions are not supported (component values are not supported)");
    }
    return {};
  }
};

TypeSpace::TypeSpace(TypeSpaceOptions options) : TypeSpace(nullptr, std::move(options)) {}

TypeSpace::TypeSpace(const TypeSpace* parent, TypeSpaceOptions options)
    : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  state_->root.kind = Scope::Kind::Component;
  state_->root.parent = parent ? &parent->state_->root : nullptr;
  if (parent) state_->renamed_from = parent->state_->renamed_from;
}

TypeSpace::~TypeSpace() = default;

Result<void> TypeSpace::define(const ast::Definition& def) {
  std::string what = state_->what(state_->root, def);
  auto r = state_->define(state_->root, def, this);
  if (r.ok()) return r;
  Error e = r.take_error();
  e.message = what + at_byte(def.offset) + ": " + e.message;
  return e;
}

Result<void> TypeSpace::define_all(const ast::Component& component) {
  for (const auto& def : component.defs) ACTR_TRY_VOID(define(def));
  if (TypeModel* model = state_->options.record) {
    const Scope& root = state_->root;
    ComponentTypes types;
    types.types = root.types;
    types.instances = root.instances;
    types.type = component_type();
    types.mentions_resource.reserve(root.types.size());
    for (const DefinedType& t : root.types) {
      bool mentions = t.kind == DefinedType::Kind::Resource;
      if (t.kind == DefinedType::Kind::Value) mentions = state_->facts.of(t.value).has_handle;
      if (t.kind == DefinedType::Kind::Func) {
        for (const auto* list : {&t.func->params, &t.func->results}) {
          for (const auto& p : *list) mentions |= state_->facts.of(p.type).has_handle;
        }
      }
      types.mentions_resource.push_back(mentions);
    }
    model->add(component, std::move(types));
  }
  return {};
}

uint32_t TypeSpace::size(ast::Sort sort) const {
  const Scope& s = state_->root;
  auto n = [](size_t v) { return static_cast<uint32_t>(v); };
  switch (sort) {
    case Sort::CoreFunc:
      return n(s.core_funcs.size());
    case Sort::CoreTable:
      return n(s.core_tables.size());
    case Sort::CoreMemory:
      return n(s.core_memories.size());
    case Sort::CoreGlobal:
      return n(s.core_globals.size());
    case Sort::CoreTag:
      return n(s.core_tags.size());
    case Sort::CoreType:
      return n(s.core_types.size());
    case Sort::CoreModule:
      return n(s.core_modules.size());
    case Sort::CoreInstance:
      return n(s.core_instances.size());
    case Sort::Func:
      return n(s.funcs.size());
    case Sort::Value:
      return s.values;
    case Sort::Type:
      return n(s.types.size());
    case Sort::Component:
      return n(s.components.size());
    case Sort::Instance:
      return n(s.instances.size());
  }
  return 0;
}

const DefinedType* TypeSpace::type(uint32_t i) const {
  const auto& v = state_->root.types;
  return i < v.size() ? &v[i] : nullptr;
}
const FuncType* TypeSpace::func(uint32_t i) const {
  const auto& v = state_->root.funcs;
  return i < v.size() ? v[i].get() : nullptr;
}
const InstanceType* TypeSpace::instance(uint32_t i) const {
  const auto& v = state_->root.instances;
  return i < v.size() ? v[i].get() : nullptr;
}
const ComponentType* TypeSpace::component(uint32_t i) const {
  const auto& v = state_->root.components;
  return i < v.size() ? v[i].get() : nullptr;
}
const wasm::FuncType* TypeSpace::core_func(uint32_t i) const {
  const auto& v = state_->root.core_funcs;
  return i < v.size() ? &v[i] : nullptr;
}
const wasm::TableType* TypeSpace::core_table(uint32_t i) const {
  const auto& v = state_->root.core_tables;
  return i < v.size() ? &v[i] : nullptr;
}
const wasm::MemoryType* TypeSpace::core_memory(uint32_t i) const {
  const auto& v = state_->root.core_memories;
  return i < v.size() ? &v[i] : nullptr;
}
const wasm::GlobalType* TypeSpace::core_global(uint32_t i) const {
  const auto& v = state_->root.core_globals;
  return i < v.size() ? &v[i] : nullptr;
}
const CoreModuleType* TypeSpace::core_module(uint32_t i) const {
  const auto& v = state_->root.core_modules;
  return i < v.size() ? v[i].get() : nullptr;
}
const CoreInstanceType* TypeSpace::core_instance(uint32_t i) const {
  const auto& v = state_->root.core_instances;
  return i < v.size() ? v[i].get() : nullptr;
}

const std::vector<NamedExtern>& TypeSpace::imports() const { return state_->root.imports; }
const std::vector<NamedExtern>& TypeSpace::exports() const { return state_->root.exports; }

ComponentType TypeSpace::component_type() const {
  ComponentType t;
  const Scope& s = state_->root;
  t.imports = s.imports;
  t.exports = s.exports;
  t.imported_resources = s.imported_resources;
  std::unordered_set<const ResourceType*> imported;
  for (const auto& slot : s.imported_resources) imported.insert(slot.resource.get());
  ResourceCollector collector(state_->facts);
  for (const auto& e : s.exports) {
    std::vector<std::string> path{e.name};
    collector.collect(e.type, path);
  }
  std::vector<ResourceSlot> all = collector.take();
  for (auto& slot : all) {
    if (!imported.count(slot.resource.get())) t.defined_resources.push_back(std::move(slot));
  }
  return t;
}

Result<TypeRef> TypeSpace::valtype(const ast::ValTypeRef& ref) const {
  return state_->valtype(state_->root, ref);
}

const ValueType* TypeSpace::renamed_from(const ValueType* named) const {
  auto it = state_->renamed_from->find(named);
  return it == state_->renamed_from->end() ? nullptr : it->second.second.get();
}

}  // namespace actr::component::validate
