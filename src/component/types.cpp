#include "actr/component/types.hpp"

#include <set>
#include <string_view>
#include <utility>

namespace actr::component {

const char* to_string(Kind k) {
  switch (k) {
    case Kind::Bool:
      return "bool";
    case Kind::S8:
      return "s8";
    case Kind::U8:
      return "u8";
    case Kind::S16:
      return "s16";
    case Kind::U16:
      return "u16";
    case Kind::S32:
      return "s32";
    case Kind::U32:
      return "u32";
    case Kind::S64:
      return "s64";
    case Kind::U64:
      return "u64";
    case Kind::F32:
      return "f32";
    case Kind::F64:
      return "f64";
    case Kind::Char:
      return "char";
    case Kind::String:
      return "string";
    case Kind::List:
      return "list";
    case Kind::Record:
      return "record";
    case Kind::Tuple:
      return "tuple";
    case Kind::Variant:
      return "variant";
    case Kind::Enum:
      return "enum";
    case Kind::Option:
      return "option";
    case Kind::Result:
      return "result";
    case Kind::Flags:
      return "flags";
    case Kind::Own:
      return "own";
    case Kind::Borrow:
      return "borrow";
    case Kind::Map:
      return "map";
    case Kind::FixedList:
      return "fixed-size list";
  }
  return "?";
}

namespace {

TypeRef make(ValueType t) { return std::make_shared<const ValueType>(std::move(t)); }

}  // namespace

TypeRef primitive(Kind k) {
  // Primitives are immutable and shared; one instance per kind avoids an allocation per use.
  static const std::vector<TypeRef> kPrimitives = [] {
    std::vector<TypeRef> all;
    for (int k = 0; k <= static_cast<int>(Kind::String); ++k) {
      ValueType t;
      t.kind = static_cast<Kind>(k);
      all.push_back(make(std::move(t)));
    }
    return all;
  }();

  auto i = static_cast<size_t>(k);
  if (i < kPrimitives.size()) return kPrimitives[i];
  ValueType t;
  t.kind = k;
  return make(std::move(t));
}

TypeRef list_of(TypeRef elem) {
  ValueType t;
  t.kind = Kind::List;
  t.elem = std::move(elem);
  return make(std::move(t));
}

TypeRef fixed_list_of(TypeRef elem, uint32_t length) {
  ValueType t;
  t.kind = Kind::FixedList;
  t.elem = std::move(elem);
  t.length = length;
  return make(std::move(t));
}

TypeRef map_of(TypeRef key, TypeRef value) {
  ValueType t;
  t.kind = Kind::Map;
  t.key = std::move(key);
  t.elem = std::move(value);
  return make(std::move(t));
}

bool is_map_key(Kind k) {
  switch (k) {
    case Kind::Bool:
    case Kind::S8:
    case Kind::U8:
    case Kind::S16:
    case Kind::U16:
    case Kind::S32:
    case Kind::U32:
    case Kind::S64:
    case Kind::U64:
    case Kind::Char:
    case Kind::String:
      return true;
    default:
      return false;
  }
}

TypeRef option_of(TypeRef elem) {
  ValueType t;
  t.kind = Kind::Option;
  t.elem = std::move(elem);
  return make(std::move(t));
}

TypeRef result_of(TypeRef ok, TypeRef err) {
  ValueType t;
  t.kind = Kind::Result;
  t.ok = std::move(ok);
  t.err = std::move(err);
  return make(std::move(t));
}

TypeRef tuple_of(std::vector<TypeRef> items) {
  ValueType t;
  t.kind = Kind::Tuple;
  t.items = std::move(items);
  return make(std::move(t));
}

TypeRef record_of(std::vector<Field> fields) {
  ValueType t;
  t.kind = Kind::Record;
  t.fields = std::move(fields);
  return make(std::move(t));
}

TypeRef variant_of(std::vector<Case> cases) {
  ValueType t;
  t.kind = Kind::Variant;
  t.cases = std::move(cases);
  return make(std::move(t));
}

TypeRef enum_of(std::vector<std::string> names) {
  ValueType t;
  t.kind = Kind::Enum;
  t.names = std::move(names);
  return make(std::move(t));
}

TypeRef flags_of(std::vector<std::string> names) {
  ValueType t;
  t.kind = Kind::Flags;
  t.names = std::move(names);
  return make(std::move(t));
}

TypeRef own_of(std::shared_ptr<const ResourceType> r) {
  ValueType t;
  t.kind = Kind::Own;
  t.resource = std::move(r);
  return make(std::move(t));
}

TypeRef borrow_of(std::shared_ptr<const ResourceType> r) {
  ValueType t;
  t.kind = Kind::Borrow;
  t.resource = std::move(r);
  return make(std::move(t));
}

TypeRef named(const TypeRef& type, std::string name) {
  if (!type || type->wit_name == name) return type;
  auto copy = std::make_shared<ValueType>(*type);
  copy->wit_name = std::move(name);
  return copy;
}

namespace {

std::string quoted(std::string_view s) { return "`" + std::string(s) + "`"; }

std::string resource_name(const ResourceType* r) {
  if (!r) return "?";
  return r->name.empty() ? std::string("<anonymous resource>") : r->name;
}

}  // namespace

struct TypeEquality::Memory {
  std::set<std::pair<const ValueType*, const ValueType*>> equal;
  std::set<std::pair<const ResourceType*, const ResourceType*>> bound;
};

// Walks two types in lockstep and reports the first difference, prefixed by where it is.
class TypeComparer {
 public:
  TypeComparer(TypeEquality& equality, std::string* why)
      : equality_(equality), a_(equality.a_name_), b_(equality.b_name_), why_(why) {}

  bool same(const ValueType* a, const ValueType* b) {
    if (a == b) return true;
    if (!a || !b) return differ("a type is present in one and absent in the other");
    if (!equality_.remember_pairs_) return compare(a, b);
    auto& equal = equality_.memory_->equal;
    if (equal.count({a, b})) return true;
    if (!compare(a, b)) return false;
    equal.insert({a, b});
    return true;
  }

  bool same_params(const std::vector<Param>& pa, const std::vector<Param>& pb, const char* singular,
                   const char* plural) {
    if (pa.size() != pb.size()) {
      return differ(std::string("function has ") + std::to_string(pa.size()) + " " + plural +
                    " in " + std::string(a_) + ", " + std::to_string(pb.size()) + " in " +
                    std::string(b_));
    }
    for (size_t i = 0; i < pa.size(); ++i) {
      // Messages only: which parameter, by position and then by name.
      auto where = [&] {
        return std::string(singular) + " " +
               (pa[i].name.empty() || pa[i].name != pb[i].name ? std::to_string(i)
                                                               : quoted(pa[i].name));
      };
      if (pa[i].name != pb[i].name) {
        if (!why_) return false;
        return differ(where() + " is " + quoted(pa[i].name) + " in " + std::string(a_) + ", " +
                      quoted(pb[i].name) + " in " + std::string(b_));
      }
      std::string inner;
      TypeComparer types(equality_, why_ ? &inner : nullptr);
      if (!types.same(pa[i].type.get(), pb[i].type.get())) {
        if (why_) *why_ = where() + ": " + inner;
        return false;
      }
    }
    return true;
  }

 private:
  bool compare(const ValueType* a, const ValueType* b) {
    if (a->kind != b->kind) {
      return differ(quoted(to_wit(*a)) + " in " + std::string(a_) + ", " + quoted(to_wit(*b)) +
                    " in " + std::string(b_));
    }
    // Name the type being compared when it has one, e.g. "in `actr-error`: case 1 is ...".
    if (why_ && !a->wit_name.empty() && (path_.empty() || path_.back() != quoted(a->wit_name))) {
      return nested([&] { return quoted(a->wit_name); }, [&] { return compare(a, b); });
    }
    switch (a->kind) {
      case Kind::List:
        return nested([&] { return "list element"; },
                      [&] { return same(a->elem.get(), b->elem.get()); });
      case Kind::Option:
        return nested([&] { return "option payload"; },
                      [&] { return same(a->elem.get(), b->elem.get()); });
      case Kind::FixedList:
        if (a->length != b->length) {
          return differ("length " + std::to_string(a->length) + " in " + std::string(a_) + ", " +
                        std::to_string(b->length) + " in " + std::string(b_));
        }
        return nested([&] { return "list element"; },
                      [&] { return same(a->elem.get(), b->elem.get()); });
      case Kind::Map:
        return nested([&] { return "map key"; },
                      [&] { return same(a->key.get(), b->key.get()); }) &&
               nested([&] { return "map value"; },
                      [&] { return same(a->elem.get(), b->elem.get()); });
      case Kind::Record:
        return same_record(*a, *b);
      case Kind::Tuple:
        return same_tuple(*a, *b);
      case Kind::Variant:
        return same_variant(*a, *b);
      case Kind::Enum:
        return same_labels(*a, *b, "enum", "case");
      case Kind::Flags:
        return same_labels(*a, *b, "flags", "flag");
      case Kind::Result:
        return same_result(*a, *b);
      case Kind::Own:
      case Kind::Borrow:
        return same_resource(*a, *b);
      default:
        return true;
    }
  }

 private:
  // `where` describes the spot; it is only asked for when a message is wanted (the success path
  // of instantiation compares every imported function and builds no strings).
  template <typename Where, typename F>
  bool nested(Where&& where, F&& check) {
    if (!why_) return check();
    path_.push_back(std::string(where()));
    bool ok = check();
    path_.pop_back();
    return ok;
  }

  bool differ(const std::string& what) {
    if (why_) {
      std::string prefix;
      if (!path_.empty()) {
        prefix = "in ";
        for (size_t i = 0; i < path_.size(); ++i) {
          if (i) prefix += ", ";
          prefix += path_[i];
        }
        prefix += ": ";
      }
      *why_ = prefix + what;
    }
    return false;
  }

  std::string counts(const char* what, size_t na, size_t nb, const char* unit) {
    return std::string(what) + " has " + std::to_string(na) + " " + unit + " in " +
           std::string(a_) + ", " + std::to_string(nb) + " in " + std::string(b_);
  }

  std::string names(const char* what, size_t i, std::string_view na, std::string_view nb) {
    return std::string(what) + " " + std::to_string(i) + " is " + quoted(na) + " in " +
           std::string(a_) + ", " + quoted(nb) + " in " + std::string(b_);
  }

  // The first point where two lists of names differ: a name that differs, or the first one only
  // one side has (with the counts, so the size of the difference shows too).
  template <class NameA, class NameB>
  bool same_names(const char* what, const char* unit, const char* units, size_t na, size_t nb,
                  NameA name_a, NameB name_b) {
    for (size_t i = 0; i < std::min(na, nb); ++i) {
      if (name_a(i) != name_b(i)) return differ(names(unit, i, name_a(i), name_b(i)));
    }
    if (na == nb) return true;
    bool a_longer = na > nb;
    size_t i = std::min(na, nb);
    std::string_view extra = a_longer ? name_a(i) : name_b(i);
    return differ(std::string(unit) + " " + std::to_string(i) + " " + quoted(extra) +
                  " is only in " + std::string(a_longer ? a_ : b_) + " (" +
                  counts(what, na, nb, units) + ")");
  }

  bool same_record(const ValueType& a, const ValueType& b) {
    if (!same_names(
            "record", "field", "fields", a.fields.size(), b.fields.size(),
            [&](size_t i) -> std::string_view { return a.fields[i].name; },
            [&](size_t i) -> std::string_view { return b.fields[i].name; }))
      return false;
    for (size_t i = 0; i < a.fields.size(); ++i) {
      if (!nested([&] { return "field " + quoted(a.fields[i].name); },
                  [&] { return same(a.fields[i].type.get(), b.fields[i].type.get()); }))
        return false;
    }
    return true;
  }

  bool same_tuple(const ValueType& a, const ValueType& b) {
    if (a.items.size() != b.items.size())
      return differ(counts("tuple", a.items.size(), b.items.size(), "items"));
    for (size_t i = 0; i < a.items.size(); ++i) {
      if (!nested([&] { return "tuple item " + std::to_string(i); },
                  [&] { return same(a.items[i].get(), b.items[i].get()); }))
        return false;
    }
    return true;
  }

  bool same_variant(const ValueType& a, const ValueType& b) {
    if (!same_names(
            "variant", "case", "cases", a.cases.size(), b.cases.size(),
            [&](size_t i) -> std::string_view { return a.cases[i].name; },
            [&](size_t i) -> std::string_view { return b.cases[i].name; }))
      return false;
    for (size_t i = 0; i < a.cases.size(); ++i) {
      const Case& ca = a.cases[i];
      const Case& cb = b.cases[i];
      if (!ca.type != !cb.type) {
        return differ("case " + quoted(ca.name) + " has " + (ca.type ? "a payload" : "no payload") +
                      " in " + std::string(a_) + ", " + (cb.type ? "a payload" : "no payload") +
                      " in " + std::string(b_));
      }
      if (ca.type && !nested([&] { return "case " + quoted(ca.name); },
                             [&] { return same(ca.type.get(), cb.type.get()); }))
        return false;
    }
    return true;
  }

  bool same_labels(const ValueType& a, const ValueType& b, const char* what, const char* unit) {
    return same_names(
        what, unit, std::string_view(unit) == "case" ? "cases" : "flags", a.names.size(),
        b.names.size(), [&](size_t i) -> std::string_view { return a.names[i]; },
        [&](size_t i) -> std::string_view { return b.names[i]; });
  }

  bool same_result(const ValueType& a, const ValueType& b) {
    auto side = [&](const TypeRef& x, const TypeRef& y, const char* which) {
      if (!x != !y) {
        return differ(std::string("result ") + which + " type is " + (x ? "present" : "absent") +
                      " in " + std::string(a_) + ", " + (y ? "present" : "absent") + " in " +
                      std::string(b_));
      }
      if (!x) return true;
      return nested([&] { return std::string("result ") + which; },
                    [&] { return same(x.get(), y.get()); });
    };
    return side(a.ok, b.ok, "ok") && side(a.err, b.err, "err");
  }

  bool same_resource(const ValueType& a, const ValueType& b) {
    if (equality_.same_resource(a.resource.get(), b.resource.get())) return true;
    std::string na = resource_name(a.resource.get());
    std::string nb = resource_name(b.resource.get());
    if (na == nb) {
      return differ("resource " + quoted(na) + " in " + std::string(a_) +
                    " is a different resource type from " + quoted(nb) + " in " + std::string(b_));
    }
    return differ("resource " + quoted(na) + " in " + std::string(a_) + ", " + quoted(nb) + " in " +
                  std::string(b_));
  }

  TypeEquality& equality_;
  std::string_view a_, b_;
  std::string* why_;
  std::vector<std::string> path_;
};

TypeEquality::TypeEquality(std::string a_name, std::string b_name, bool remember_pairs)
    : a_name_(std::move(a_name)),
      b_name_(std::move(b_name)),
      remember_pairs_(remember_pairs),
      memory_(remember_pairs ? new Memory : nullptr) {}
TypeEquality::~TypeEquality() = default;

bool TypeEquality::same(const ValueType& a, const ValueType& b, std::string* why) {
  return TypeComparer(*this, why).same(&a, &b);
}

bool TypeEquality::same(const FuncType& a, const FuncType& b, std::string* why) {
  TypeComparer comparer(*this, why);
  return comparer.same_params(a.params, b.params, "param", "params") &&
         comparer.same_params(a.results, b.results, "result", "results");
}

void TypeEquality::unify(const ResourceType* a, const ResourceType* b) {
  if (a == b) return;
  if (!memory_) memory_.reset(new Memory);
  memory_->bound.insert({a, b});
  memory_->bound.insert({b, a});
}

bool TypeEquality::same_resource(const ResourceType* a, const ResourceType* b) const {
  return a == b || (memory_ && memory_->bound.count({a, b}) > 0);
}

bool same_type(const ValueType& a, const ValueType& b, std::string* why) {
  return same_type(a, b, why, "a", "b");
}

bool same_type(const ValueType& a, const ValueType& b, std::string* why, std::string_view a_name,
               std::string_view b_name) {
  return TypeEquality(std::string(a_name), std::string(b_name), false).same(a, b, why);
}

bool same_func_type(const FuncType& a, const FuncType& b, std::string* why, std::string_view a_name,
                    std::string_view b_name) {
  return TypeEquality(std::string(a_name), std::string(b_name), false).same(a, b, why);
}

namespace {

void append_wit(std::string& out, const ValueType& t, const WitNaming& n, bool use_name = true);

void append_wit_ref(std::string& out, const TypeRef& t, const WitNaming& n) {
  if (t) {
    append_wit(out, *t, n);
  } else {
    out += "_";
  }
}

template <typename Items, typename Each>
void append_list(std::string& out, const char* open, const Items& items, Each each,
                 const char* close) {
  out += open;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ", ";
    first = false;
    each(item);
  }
  out += close;
}

void append_wit(std::string& out, const ValueType& t, const WitNaming& n, bool use_name) {
  if (use_name && !t.wit_name.empty()) {
    out += n.ident(t.wit_name);
    return;
  }
  auto ref = [&](const TypeRef& r) { append_wit_ref(out, r, n); };
  switch (t.kind) {
    case Kind::List:
    case Kind::Option:
      out += t.kind == Kind::List ? "list<" : "option<";
      ref(t.elem);
      out += ">";
      return;
    case Kind::FixedList:
      out += "list<";
      ref(t.elem);
      out += ", " + std::to_string(t.length) + ">";
      return;
    case Kind::Map:
      out += "map<";
      ref(t.key);
      out += ", ";
      ref(t.elem);
      out += ">";
      return;
    case Kind::Result:
      out += "result";
      if (t.ok || t.err) {
        out += "<";
        ref(t.ok);
        if (t.err) {
          out += ", ";
          ref(t.err);
        }
        out += ">";
      }
      return;
    case Kind::Tuple:
      append_list(out, "tuple<", t.items, ref, ">");
      return;
    case Kind::Record:
      append_list(
          out, "record { ", t.fields,
          [&](const Field& f) {
            out += n.ident(f.name) + ": ";
            ref(f.type);
          },
          " }");
      return;
    case Kind::Variant:
      append_list(
          out, "variant { ", t.cases,
          [&](const Case& c) {
            out += n.ident(c.name);
            if (c.type) {
              out += "(";
              ref(c.type);
              out += ")";
            }
          },
          " }");
      return;
    case Kind::Enum:
    case Kind::Flags:
      append_list(
          out, t.kind == Kind::Enum ? "enum { " : "flags { ", t.names,
          [&](const std::string& name) { out += n.ident(name); }, " }");
      return;
    case Kind::Own:
      out += n.resource(t.resource.get());
      return;
    case Kind::Borrow:
      out += "borrow<" + n.resource(t.resource.get()) + ">";
      return;
    default:
      out += to_string(t.kind);
      return;
  }
}

const WitNaming kPlainNames;

}  // namespace

std::string WitNaming::resource(const ResourceType* r) const { return resource_name(r); }
std::string WitNaming::ident(std::string_view name) const { return std::string(name); }

std::string to_wit(const ValueType& t) { return to_wit(t, kPlainNames); }

std::string to_wit(const ValueType& t, const WitNaming& naming) {
  std::string out;
  append_wit(out, t, naming);
  return out;
}

std::string wit_structure(const ValueType& t, const WitNaming& naming) {
  std::string out;
  append_wit(out, t, naming, false);
  return out;
}

std::string to_wit(const FuncType& f) {
  std::string out = "func(";
  for (size_t i = 0; i < f.params.size(); ++i) {
    if (i) out += ", ";
    out += f.params[i].name + ": ";
    append_wit_ref(out, f.params[i].type, kPlainNames);
  }
  out += ")";
  if (f.results.size() == 1 && f.results[0].name.empty()) {
    out += " -> ";
    append_wit_ref(out, f.results[0].type, kPlainNames);
  } else if (!f.results.empty()) {
    out += " -> (";
    for (size_t i = 0; i < f.results.size(); ++i) {
      if (i) out += ", ";
      out += f.results[i].name + ": ";
      append_wit_ref(out, f.results[i].type, kPlainNames);
    }
    out += ")";
  }
  return out;
}

}  // namespace actr::component
