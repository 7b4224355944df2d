#include "component/validate/visibility.hpp"

#include <vector>

namespace actr::component::validate {
namespace {

// The names in force while one extern is checked: the component's, plus the types exported by
// each instance being walked (an instance names the types it exports for its own functions).
struct Names {
  const std::unordered_set<const void*>& base;
  std::vector<std::unordered_set<const void*>> layers;

  bool has(const void* id) const {
    if (base.count(id)) return true;
    for (const auto& layer : layers) {
      if (layer.count(id)) return true;
    }
    return false;
  }
};

// "record `point`", "an enum", "own<file>", "own of a resource type".
std::string describe(const ValueType& t) {
  if (t.kind == Kind::Own || t.kind == Kind::Borrow) {
    std::string k = to_string(t.kind);
    if (t.resource && !t.resource->name.empty()) return k + "<" + t.resource->name + ">";
    return k + " of a resource type";
  }
  std::string k = to_string(t.kind);
  if (!t.wit_name.empty()) return k + " `" + t.wit_name + "`";
  return (k.front() == 'e' ? "an " : "a ") + k;
}

// A resource's entry names it by its alias; types built outside the validator carry no alias and
// are looked up by the resource itself.
void add_resource(const DefinedType& t, std::unordered_set<const void*>& ids) {
  ids.insert(t.resource.get());
  if (t.resource_alias) ids.insert(t.resource_alias.get());
}

class Walker {
 public:
  explicit Walker(const std::unordered_set<const void*>& base) : names_{base, {}} {}

  // Whether a value type, as used in a function or inside another type, refers only to named
  // types. A named kind is checked itself, not its contents (those were checked when it was
  // named); structural kinds are looked through.
  bool value(const TypeRef& t) {
    if (!t) return true;
    if (fine_.count(t.get())) return true;
    bool ok = true;
    switch (t->kind) {
      case Kind::Record:
      case Kind::Variant:
      case Kind::Enum:
      case Kind::Flags:
        ok = names_.has(t.get());
        break;
      case Kind::Own:
      case Kind::Borrow:
        ok = names_.has(t->resource_alias ? t->resource_alias.get() : t->resource.get());
        break;
      case Kind::List:
      case Kind::FixedList:
      case Kind::Option:
        ok = value(t->elem);
        break;
      case Kind::Map:
        ok = value(t->key) && value(t->elem);
        break;
      case Kind::Tuple:
        for (const auto& item : t->items) ok = ok && value(item);
        break;
      case Kind::Result:
        ok = value(t->ok) && value(t->err);
        break;
      default:
        break;
    }
    if (!ok) {
      if (missing_.empty()) missing_ = describe(*t);
      return false;
    }
    if (names_.layers.empty()) fine_.insert(t.get());  // the base only grows: stays fine
    return true;
  }

  // A value type that is itself imported or exported: its contents must be named.
  bool defined(const TypeRef& t) {
    switch (t->kind) {
      case Kind::Record:
        for (const auto& f : t->fields) {
          if (!value(f.type)) return fail_at("field `" + f.name + "`");
        }
        return true;
      case Kind::Variant:
        for (const auto& c : t->cases) {
          if (!value(c.type)) return fail_at("case `" + c.name + "`");
        }
        return true;
      case Kind::Enum:
      case Kind::Flags:
        return true;
      default:
        return value(t);
    }
  }

  bool func(const FuncType& f) {
    for (const auto& p : f.params) {
      if (!value(p.type)) return fail_at("param `" + p.name + "`");
    }
    for (const auto& r : f.results) {
      if (!value(r.type)) return fail_at(r.name.empty() ? "the result" : "result `" + r.name + "`");
    }
    return true;
  }

  bool instance(const InstanceType& t) {
    std::unordered_set<const void*> own;
    for (const auto& e : t.exports) {
      if (e.type.kind != ExternKind::Type) continue;
      if (e.type.type.kind == DefinedType::Kind::Value) own.insert(e.type.type.value.get());
      if (e.type.type.kind == DefinedType::Kind::Resource) add_resource(e.type.type, own);
    }
    names_.layers.push_back(std::move(own));
    bool ok = true;
    for (const auto& e : t.exports) {
      if (!extern_type(e.type)) {
        ok = fail_at("export `" + e.name + "`");
        break;
      }
    }
    names_.layers.pop_back();
    return ok;
  }

  bool extern_type(const ExternType& e) {
    switch (e.kind) {
      case ExternKind::Func:
        return func(*e.func);
      case ExternKind::Value:
        return value(e.value);
      case ExternKind::Instance:
        return instance(*e.instance);
      case ExternKind::Type:
        switch (e.type.kind) {
          case DefinedType::Kind::Value:
            return defined(e.type.value);
          case DefinedType::Kind::Func:
            return func(*e.type.func);
          case DefinedType::Kind::Instance:
            return instance(*e.type.instance);
          case DefinedType::Kind::Resource:
          case DefinedType::Kind::Component:
            return true;
        }
        return true;
      case ExternKind::CoreModule:
      case ExternKind::Component:
        return true;
    }
    return true;
  }

  // "export `f`: param `x` refers to record `point`, ...", innermost position last.
  std::string why(bool for_import) const {
    std::string where;
    for (auto it = path_.rbegin(); it != path_.rend(); ++it) {
      where += (where.empty() ? "" : ": ") + *it;
    }
    return (where.empty() ? std::string("it") : where) + " refers to " + missing_ +
           (for_import ? ", which no preceding import names"
                       : ", which no preceding import or export names");
  }

 private:
  bool fail_at(std::string where) {
    path_.push_back(std::move(where));
    return false;
  }

  Names names_;
  std::unordered_set<const ValueType*> fine_;
  std::string missing_;
  std::vector<std::string> path_;
};

void add_names(const ExternType& e, std::unordered_set<const void*>& ids) {
  if (e.kind == ExternKind::Type) {
    if (e.type.kind == DefinedType::Kind::Value) ids.insert(e.type.value.get());
    if (e.type.kind == DefinedType::Kind::Resource) add_resource(e.type, ids);
  }
  if (e.kind == ExternKind::Instance) {
    for (const auto& x : e.instance->exports) add_names(x.type, ids);
  }
}

}  // namespace

bool NamedTypes::covers(const ExternType& e, bool for_import, std::string* why) const {
  Walker walker(ids_);
  if (walker.extern_type(e)) return true;
  if (why) *why = walker.why(for_import);
  return false;
}

void NamedTypes::add_names_of(const ExternType& e) { add_names(e, ids_); }

}  // namespace actr::component::validate
