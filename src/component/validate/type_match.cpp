#include "component/validate/type_match.hpp"

#include <map>
#include <set>
#include <unordered_map>
#include <utility>

namespace actr::component::validate {
namespace {

void set(std::string* why, std::string s) {
  if (why) *why = std::move(s);
}

bool limits_match(const wasm::Limits& actual, const wasm::Limits& expected) {
  if (actual.min < expected.min) return false;
  if (expected.max) return actual.max && *actual.max <= *expected.max;
  return true;
}

// Subtyping of extern types. Pairs of instance/component types already found to match are
// remembered, so DAG-shaped types (the same instance type used by many exports) cost linear time.
class ExternMatcher {
 public:
  bool defined(const DefinedType& actual, const DefinedType& expected, std::string* why) {
    using K = DefinedType::Kind;
    if (actual.kind != expected.kind) {
      set(why, "a different kind of type");
      return false;
    }
    switch (actual.kind) {
      case K::Value:
        return values_.same(*actual.value, *expected.value, why);
      case K::Func:
        return funcs(*actual.func, *expected.func, why);
      case K::Resource:
        if (!values_.same_resource(actual.resource.get(), expected.resource.get())) {
          set(why, "a different resource type");
          return false;
        }
        return true;
      case K::Instance:
        return instance(*actual.instance, *expected.instance, why) &&
               instance(*expected.instance, *actual.instance, why);
      case K::Component:
        return component(*actual.component, *expected.component, why) &&
               component(*expected.component, *actual.component, why);
    }
    return true;
  }

  bool sub(const ExternType& actual, const ExternType& expected, std::string* why) {
    if (actual.kind != expected.kind) {
      set(why, std::string("expected a ") + to_string(expected.kind) + ", found a " +
                   to_string(actual.kind));
      return false;
    }
    switch (actual.kind) {
      case ExternKind::Func:
        return funcs(*actual.func, *expected.func, why);
      case ExternKind::Value:
        return values_.same(*actual.value, *expected.value, why);
      case ExternKind::Type:
        return defined(actual.type, expected.type, why);
      case ExternKind::Instance:
        return instance(*actual.instance, *expected.instance, why);
      case ExternKind::Component:
        return component(*actual.component, *expected.component, why);
      case ExternKind::CoreModule:
        return module(*actual.module, *expected.module, why);
    }
    return true;
  }

 private:
  bool funcs(const FuncType& a, const FuncType& b, std::string* why) {
    return &a == &b || values_.same(a, b, why);
  }

  bool instance(const InstanceType& actual, const InstanceType& expected, std::string* why) {
    if (&actual == &expected || done_.count({&actual, &expected})) return true;
    for (const auto& e : expected.exports) {
      const ExternType* a = actual.find(e.name);
      if (!a) {
        set(why, "missing export `" + e.name + "`");
        return false;
      }
      std::string inner;
      if (!sub(*a, e.type, why ? &inner : nullptr)) {
        set(why, "export `" + e.name + "`: " + inner);
        return false;
      }
    }
    done_.insert({&actual, &expected});
    return true;
  }

  static std::unordered_map<std::string_view, const NamedExtern*> by_name(
      const std::vector<NamedExtern>& list) {
    std::unordered_map<std::string_view, const NamedExtern*> m;
    for (const auto& x : list) m.emplace(x.name, &x);
    return m;
  }

  static const ResourceType* resource_of(const ExternType& t) {
    return t.kind == ExternKind::Type && t.type.kind == DefinedType::Kind::Resource
               ? t.type.resource.get()
               : nullptr;
  }

  // Contravariant in the imports, covariant in the exports.
  bool component(const ComponentType& actual, const ComponentType& expected, std::string* why) {
    if (&actual == &expected || done_.count({&actual, &expected})) return true;
    auto expected_imports = by_name(expected.imports);
    // Resource types the two types import (or export) under one name are one type for the
    // rest of the comparison: each type binds its own, as a function type binds its parameters.
    for (const auto& i : actual.imports) {
      auto it = expected_imports.find(i.name);
      const ResourceType* a = resource_of(i.type);
      const ResourceType* e =
          it == expected_imports.end() ? nullptr : resource_of(it->second->type);
      if (a && e) values_.unify(a, e);
    }
    {
      auto exports = by_name(actual.exports);
      for (const auto& x : expected.exports) {
        auto it = exports.find(x.name);
        const ResourceType* e = resource_of(x.type);
        const ResourceType* a = it == exports.end() ? nullptr : resource_of(it->second->type);
        if (a && e) values_.unify(a, e);
      }
    }
    for (const auto& i : actual.imports) {
      auto it = expected_imports.find(i.name);
      if (it == expected_imports.end()) {
        set(why, "unexpected import `" + i.name + "`");
        return false;
      }
      std::string inner;
      if (!sub(it->second->type, i.type, why ? &inner : nullptr)) {
        set(why, "import `" + i.name + "`: " + inner);
        return false;
      }
    }
    auto actual_exports = by_name(actual.exports);
    for (const auto& e : expected.exports) {
      auto it = actual_exports.find(e.name);
      if (it == actual_exports.end()) {
        set(why, "missing export `" + e.name + "`");
        return false;
      }
      std::string inner;
      if (!sub(it->second->type, e.type, why ? &inner : nullptr)) {
        set(why, "export `" + e.name + "`: " + inner);
        return false;
      }
    }
    done_.insert({&actual, &expected});
    return true;
  }

  // Module subtyping: the actual module may import less and export more.
  static bool module(const CoreModuleType& actual, const CoreModuleType& expected,
                     std::string* why) {
    if (&actual == &expected) return true;
    std::map<std::pair<std::string_view, std::string_view>, const wasm::ImportType*> imports;
    // Views of the strings themselves: std::make_pair would copy them into a temporary pair first.
    for (const auto& x : expected.imports) {
      imports.emplace(std::pair<std::string_view, std::string_view>(x.module, x.name), &x);
    }
    for (const auto& i : actual.imports) {
      auto it = imports.find({i.module, i.name});
      if (it == imports.end() || !core_matches(it->second->type, i.type)) {
        set(why, "module import `" + i.module + "` `" + i.name + "` is not provided for");
        return false;
      }
    }
    std::unordered_map<std::string_view, const wasm::ExportType*> exports;
    for (const auto& x : actual.exports) exports.emplace(x.name, &x);
    for (const auto& e : expected.exports) {
      auto it = exports.find(e.name);
      if (it == exports.end() || !core_matches(it->second->type, e.type)) {
        set(why, "module export `" + e.name + "` missing or of another type");
        return false;
      }
    }
    return true;
  }

  TypeEquality values_{"the given type", "the expected type"};
  std::set<std::pair<const void*, const void*>> done_;
};

}  // namespace

bool is_subtype(const DefinedType& actual, const DefinedType& expected, std::string* why) {
  ExternMatcher m;
  return m.defined(actual, expected, why);
}

bool is_subtype(const ExternType& actual, const ExternType& expected, std::string* why) {
  ExternMatcher m;
  return m.sub(actual, expected, why);
}

bool core_matches(const wasm::ExternType& actual, const wasm::ExternType& expected,
                  std::string* why) {
  if (actual.kind != expected.kind) {
    set(why, std::string("expected a ") + wasm::to_string(expected.kind) + ", found a " +
                 wasm::to_string(actual.kind));
    return false;
  }
  switch (actual.kind) {
    case wasm::ExternKind::Func:
      if (actual.func != expected.func) {
        set(why, "function type " + actual.func.to_string() + " instead of " +
                     expected.func.to_string());
        return false;
      }
      return true;
    case wasm::ExternKind::Table:
      if (actual.table.elem != expected.table.elem ||
          !limits_match(actual.table.limits, expected.table.limits)) {
        set(why, "table type does not match");
        return false;
      }
      return true;
    case wasm::ExternKind::Memory:
      if (!limits_match(actual.memory.limits, expected.memory.limits)) {
        set(why, "memory limits do not match");
        return false;
      }
      return true;
    case wasm::ExternKind::Global:
      if (actual.global.type != expected.global.type ||
          actual.global.is_mutable != expected.global.is_mutable) {
        set(why, "global type does not match");
        return false;
      }
      return true;
    case wasm::ExternKind::Tag:
      if (actual.tag != expected.tag) {
        set(why, "tag type does not match");
        return false;
      }
      return true;
  }
  return true;
}

}  // namespace actr::component::validate
