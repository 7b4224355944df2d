#include <algorithm>
#include <set>
#include <sstream>

#include "actr/component/canonical/layout.hpp"
#include "witgen/cpp_types.hpp"
#include "witgen/generator.hpp"
#include "witgen/names.hpp"

namespace actr::witgen {

namespace {

struct Signature {
  std::string result;  // C++ result type, "void" when none; a std::tuple for named results
  std::vector<std::string> named_types, named_names;  // named results (`-> (a: u32, b: string)`)
  std::vector<std::string> param_types;
  std::vector<std::string> param_names;
  std::string params_decl;  // "const T& a, uint32_t b"
};

Result<Signature> signature(const BindingPlan& plan, const Function& f) {
  Signature s;
  s.result = "void";
  if (f.result) {
    ACTR_TRY(s.result, plan.cpp_type(*f.result));
  }
  if (!f.named_results.empty()) {
    s.result = "std::tuple<";
    for (size_t i = 0; i < f.named_results.size(); ++i) {
      ACTR_TRY(std::string t, plan.cpp_type(*f.named_results[i].type));
      s.named_types.push_back(t);
      s.named_names.push_back(f.named_results[i].name);
      s.result += (i ? ", " : "") + t;
    }
    s.result += ">";
  }
  for (size_t i = 0; i < f.params.size(); ++i) {
    ACTR_TRY(std::string t, plan.cpp_type(*f.params[i].type));
    std::string n = snake_name(f.params[i].name);
    s.param_types.push_back(t);
    s.param_names.push_back(n);
    s.params_decl +=
        (i ? ", " : "") + (plan.is_scalar(*f.params[i].type) ? t : "const " + t + "&") + " " + n;
  }
  return s;
}

Result<void> emit_conv_decl(const BindingPlan& plan, const TypeDef& def, std::ostream& h) {
  if (def.tag == TypeDef::Tag::Alias || def.tag == TypeDef::Tag::Resource) return {};
  std::string t = plan.cpp_name(def);
  h << "template <>\nstruct Conv<" << t << "> {\n  static TypeRef type();\n  static Value to(const "
    << t << "& v);\n  static ::actr::Result<" << t << "> from(const Value& v);\n};\n";
  return {};
}

Result<void> emit_conv_def(const BindingPlan& plan, const TypeDef& def, std::ostream& c) {
  if (def.tag == TypeDef::Tag::Alias || def.tag == TypeDef::Tag::Resource) return {};
  std::string t = plan.cpp_name(def);
  std::string wit = string_literal(def.name);
  std::string what = string_literal(std::string(def.tag == TypeDef::Tag::Record    ? "record"
                                                : def.tag == TypeDef::Tag::Variant ? "variant"
                                                : def.tag == TypeDef::Tag::Enum    ? "enum"
                                                                                   : "flags") +
                                    " `" + def.name + "`");
  // A type with handles names resource types that differ per linker or instance: not cached.
  c << "TypeRef Conv<" << t << ">::type() {\n  "
    << (plan.contains_handle(def) ? "const" : "static const") << " TypeRef t = named(";
  switch (def.tag) {
    case TypeDef::Tag::Record: {
      c << "component::record_of({";
      for (size_t i = 0; i < def.fields.size(); ++i) {
        ACTR_TRY(std::string ft, plan.cpp_type(*def.fields[i].type));
        c << (i ? ", " : "") << "{" << string_literal(def.fields[i].name) << ", Conv<" << ft
          << ">::type()}";
      }
      c << "})";
      break;
    }
    case TypeDef::Tag::Variant: {
      c << "component::variant_of({";
      for (size_t i = 0; i < def.cases.size(); ++i) {
        c << (i ? ", " : "") << "{" << string_literal(def.cases[i].name) << ", ";
        if (def.cases[i].type) {
          ACTR_TRY(std::string ct, plan.cpp_type(*def.cases[i].type));
          c << "Conv<" << ct << ">::type()}";
        } else {
          c << "nullptr}";
        }
      }
      c << "})";
      break;
    }
    default: {
      c << (def.tag == TypeDef::Tag::Enum ? "component::enum_of({" : "component::flags_of({");
      for (size_t i = 0; i < def.names.size(); ++i) {
        c << (i ? ", " : "") << string_literal(def.names[i]);
      }
      c << "})";
      break;
    }
  }
  c << ", " << wit << ");\n  return t;\n}\n\n";

  c << "Value Conv<" << t << ">::to(const " << t << "& v) {\n";
  switch (def.tag) {
    case TypeDef::Tag::Record: {
      c << "  return Value::record({";
      for (size_t i = 0; i < def.fields.size(); ++i) {
        ACTR_TRY(std::string ft, plan.cpp_type(*def.fields[i].type));
        c << (i ? ", " : "") << "Conv<" << ft << ">::to(v." << snake_name(def.fields[i].name)
          << ")";
      }
      c << "});\n";
      break;
    }
    case TypeDef::Tag::Variant:
      c << "  return VariantConv<" << t << "::Value>::to(v.value);\n";
      break;
    case TypeDef::Tag::Enum:
      c << "  return Value::enumeration(static_cast<uint32_t>(v));\n";
      break;
    default:
      c << "  return Value::flags(v.bits);\n";
      break;
  }
  c << "}\n\n";

  c << "::actr::Result<" << t << "> Conv<" << t << ">::from(const Value& v) {\n";
  switch (def.tag) {
    case TypeDef::Tag::Record: {
      c << "  if (v.kind != Kind::Record) return shape_error(" << what << ", v);\n";
      c << "  if (v.items.size() != " << def.fields.size() << ") return make_error(std::string("
        << what << ") + \": wrong number of fields\");\n  " << t << " out;\n";
      for (size_t i = 0; i < def.fields.size(); ++i) {
        ACTR_TRY(std::string ft, plan.cpp_type(*def.fields[i].type));
        c << "  ACTR_TRY(out." << snake_name(def.fields[i].name) << ", (Conv<" << ft
          << ">::from(v.items[" << i << "])));\n";
      }
      c << "  return out;\n";
      break;
    }
    case TypeDef::Tag::Variant:
      c << "  if (v.kind != Kind::Variant) return shape_error(" << what << ", v);\n";
      c << "  ACTR_TRY(auto value, (VariantConv<" << t << "::Value>::from(v)));\n";
      c << "  return " << t << "{std::move(value)};\n";
      break;
    case TypeDef::Tag::Enum:
      c << "  if (v.kind != Kind::Enum) return shape_error(" << what << ", v);\n";
      c << "  if (v.index >= " << def.names.size() << ") return make_error(std::string(" << what
        << ") + \": case out of range\");\n";
      c << "  return static_cast<" << t << ">(v.index);\n";
      break;
    default:
      c << "  if (v.kind != Kind::Flags) return shape_error(" << what << ", v);\n";
      c << "  " << t << " out;\n  out.bits = static_cast<decltype(out.bits)>(v.u);\n";
      c << "  return out;\n";
      break;
  }
  c << "}\n\n";
  return {};
}

// Abi<T> of a named type: the fast path's lowering and lifting (actr_wit_host.hpp).
Result<void> emit_abi(const BindingPlan& plan, const TypeDef& def, std::ostream& c) {
  if (plan.contains_handle(def)) return {};  // functions with handles take the Value path
  std::string t = plan.cpp_name(def);
  switch (def.tag) {
    case TypeDef::Tag::Alias:
    case TypeDef::Tag::Resource:
      return {};
    case TypeDef::Tag::Enum:
      c << "template <>\nstruct Abi<" << t << "> : EnumAbi<" << t << ", " << def.names.size()
        << "> {};\n\n";
      return {};
    case TypeDef::Tag::Flags:
      c << "template <>\nstruct Abi<" << t << "> : FlagsAbi<" << t << ", " << def.names.size()
        << "> {};\n\n";
      return {};
    case TypeDef::Tag::Variant:
      c << "template <>\nstruct Abi<" << t << "> {\n  using L = Abi<" << t << "::Value>;\n"
        << "  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;\n"
        << "  static Status store(GuestMemory& m, uint32_t p, const " << t
        << "& v) { return L::store(m, p, v.value); }\n"
        << "  static Status load(const GuestMemory& m, uint32_t p, " << t
        << "& out) { return L::load(m, p, out.value); }\n"
        << "  static Status lower(GuestMemory& m, const " << t
        << "& v, Slot* s) { return L::lower(m, v.value, s); }\n"
        << "  static Status lift(const GuestMemory& m, const Slot* s, " << t
        << "& out) { return L::lift(m, s, out.value); }\n};\n\n";
      return {};
    case TypeDef::Tag::Record: {
      std::string types, fields, refs;
      for (size_t i = 0; i < def.fields.size(); ++i) {
        ACTR_TRY(std::string ft, plan.cpp_type(*def.fields[i].type));
        types += (i ? ", " : "") + ft;
        fields += (i ? ", v." : "v.") + snake_name(def.fields[i].name);
      }
      c << "template <>\nstruct Abi<" << t << "> {\n  using F = Fields<" << types
        << ">;\n  using L = F::L;\n"
        << "  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;\n"
        << "  static constexpr auto seq = std::make_index_sequence<" << def.fields.size()
        << ">{};\n"
        << "  static Status store(GuestMemory& m, uint32_t p, const " << t
        << "& v) { return F::store(m, p, std::tie(" << fields << "), seq); }\n"
        << "  static Status load(const GuestMemory& m, uint32_t p, " << t
        << "& v) { return F::load(m, p, std::tie(" << fields << "), seq); }\n"
        << "  static Status lower(GuestMemory& m, const " << t
        << "& v, Slot* s) { return F::lower(m, std::tie(" << fields << "), s, seq); }\n"
        << "  static Status lift(const GuestMemory& m, const Slot* s, " << t
        << "& v) { return F::lift(m, s, std::tie(" << fields << "), seq); }\n};\n\n";
      return {};
    }
  }
  return {};
}

// Checks, at compile time, that the templates lay a function out as the component layer does.
std::string layout_asserts(const BoundFunction& bf, const std::string& params,
                           const std::string& result, const std::string& indent) {
  namespace canonical = component::canonical;
  std::ostringstream a;
  a << indent << "static_assert(" << params
    << "::L::flat == " << canonical::flat_count(bf.type.params) << " && " << params
    << "::L::size == " << canonical::tuple_size(bf.type.params) << ");\n";
  if (result != "void" && !bf.type.results.empty()) {
    // One result, or named results as a tuple: laid out as the tuple of the results.
    canonical::Layout l = canonical::tuple_layout(bf.type.results);
    std::string abi = "::actr::wit::host::Abi<" + result + ">";
    a << indent << "static_assert(" << abi << "::flat == " << canonical::flat_count(bf.type.results)
      << " && " << abi << "::size == " << l.size << " && " << abi << "::align == " << l.align
      << ");\n";
  }
  return a.str();
}

std::string params_type(const Signature& s) {
  std::string p = "::actr::wit::host::Params<";
  for (size_t i = 0; i < s.param_types.size(); ++i) p += (i ? ", " : "") + s.param_types[i];
  return p + ">";
}

std::string func_type_expr(const BindingPlan& plan, const Function& f, const Signature& s) {
  (void)plan;
  std::string e = "::actr::component::FuncType{{";
  for (size_t i = 0; i < s.param_types.size(); ++i) {
    e += (i ? ", " : "") + std::string("{") + string_literal(f.params[i].name) + ", Conv<" +
         s.param_types[i] + ">::type()}";
  }
  e += "}, {";
  if (!s.named_types.empty()) {
    for (size_t i = 0; i < s.named_types.size(); ++i) {
      e += (i ? ", " : "") + std::string("{") + string_literal(s.named_names[i]) + ", Conv<" +
           s.named_types[i] + ">::type()}";
    }
  } else if (s.result != "void") {
    e += "{\"\", Conv<" + s.result + ">::type()}";
  }
  return e + "}}";
}

// Functions grouped by the interface they belong to (null: the world's own), in world order.
std::vector<std::pair<const Interface*, std::vector<const BoundFunction*>>> group(
    const std::vector<BoundFunction>& funcs) {
  std::vector<std::pair<const Interface*, std::vector<const BoundFunction*>>> out;
  for (const auto& f : funcs) {
    if (out.empty() || out.back().first != f.interface) out.push_back({f.interface, {}});
    out.back().second.push_back(&f);
  }
  return out;
}

// ---- Resources: functions with handles take the Value path (the fast path has no handles) ----

// Member name for a resource function: `counter_new`, `counter_get`, `counter_make`.
std::string host_name(const BoundFunction& bf) {
  if (!bf.resource) return snake_name(bf.function->name);
  return snake_name(bf.resource->name) + "_" +
         (bf.function->kind == Function::Kind::Constructor ? std::string("new")
                                                           : snake_name(bf.function->name));
}

bool has_handles(const BindingPlan& plan, const BoundFunction& bf) {
  if (bf.resource) return true;
  for (const auto& p : bf.function->params) {
    if (plan.contains_handle(*p.type)) return true;
  }
  return bf.function->result && plan.contains_handle(*bf.function->result);
}

// The steps from `t` to a handle of `r` inside it, as resource_at (actr_wit_host.hpp) takes
// them, or nothing when `t` holds none.
std::optional<std::vector<int>> path_to(const BindingPlan& plan, const Type& t, const TypeDef* r) {
  if (auto h = plan.handle_of(t)) {
    return h->resource == r ? std::optional<std::vector<int>>(std::vector<int>{}) : std::nullopt;
  }
  auto sub = [&](const Type& x, int step) -> std::optional<std::vector<int>> {
    auto rest = path_to(plan, x, r);
    if (!rest) return std::nullopt;
    std::vector<int> path{step};
    path.insert(path.end(), rest->begin(), rest->end());
    return path;
  };
  switch (t.tag) {
    case Type::Tag::Ref: {
      const TypeDef* d = t.def;
      if (!d) return std::nullopt;
      if (d->alias) return path_to(plan, *d->alias, r);
      for (size_t i = 0; i < d->fields.size(); ++i) {
        if (auto p = sub(*d->fields[i].type, static_cast<int>(i))) return p;
      }
      for (size_t i = 0; i < d->cases.size(); ++i) {
        if (!d->cases[i].type) continue;
        if (auto p = sub(*d->cases[i].type, static_cast<int>(i))) return p;
      }
      return std::nullopt;
    }
    case Type::Tag::List:
    case Type::Tag::Option:
      return sub(*t.elem, -1);
    case Type::Tag::Map:
      if (auto p = sub(*t.key, -2)) return p;
      return sub(*t.elem, -1);
    case Type::Tag::Result:
      if (t.ok) {
        if (auto p = sub(*t.ok, -3)) return p;
      }
      return t.err ? sub(*t.err, -4) : std::nullopt;
    case Type::Tag::Tuple:
      for (size_t i = 0; i < t.items.size(); ++i) {
        if (auto p = sub(*t.items[i], static_cast<int>(i))) return p;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::string exports_ns(const BindingPlan& plan, const Interface* iface) {
  if (!iface) return plan.root_ns() + "::exports";
  std::string ns = plan.ns_of(iface);
  return plan.root_ns() + "::exports" + ns.substr(ns.rfind("::"));
}

// One parameter or result of a function with handles.
struct HostCrossing {
  std::string name;  // C++ parameter name
  std::string wit;   // WIT parameter name
  std::string cpp;   // value: the C++ type; handle: the class
  std::optional<Handle> handle;
  std::string var;      // handle: the resource's variable prefix (`counter` -> counter_reps...)
  bool scalar = false;  // passed by value
  // A type with handles inside (`list<own<r>>`): passed by value, converted through Conv<> in
  // a HandleContext naming these resources.
  const Type* type = nullptr;
  std::vector<const TypeDef*> nested;
};

struct HostSignature {
  std::vector<HostCrossing> params;  // methods: self first
  std::optional<HostCrossing> result;
};

// `imports`: the host implements the function (handles of the host's resources); otherwise the
// host calls it (handles of the guest's resources).
Result<HostSignature> host_signature(const BindingPlan& plan, const BoundFunction& bf,
                                     bool imports) {
  const Function& f = *bf.function;
  auto make = [&](const std::string& wit, const Type* t,
                  std::optional<Handle> h) -> Result<HostCrossing> {
    HostCrossing c;
    c.wit = wit;
    c.name = snake_name(wit);
    c.handle = h ? h : plan.handle_of(*t);
    std::vector<const TypeDef*> resources;
    if (c.handle) {
      resources.push_back(c.handle->resource);
    } else {
      plan.resources_in(*t, resources);
    }
    for (const TypeDef* r : resources) {
      bool guest_defined = c.handle ? c.handle->guest_defined : plan.guest_defined(*r);
      bool host_imported = plan.imported(r->owner);  // the host defines it
      const char* why = nullptr;
      if (imports && guest_defined) {
        why = "that the guest defines";
      } else if (!guest_defined && !host_imported) {
        why = "that neither the guest nor an imported interface defines";
      }
      if (why) {
        return make_error(to_string(f.pos) + ": `" + f.name + "` passes a handle of resource `" +
                          r->name + "` " + why + ": not supported by the C++ host bindings yet");
      }
    }
    if (!c.handle) {
      ACTR_TRY(c.cpp, plan.cpp_type(*t));
      c.scalar = plan.is_scalar(*t);
      c.type = t;
      c.nested = std::move(resources);
      return c;
    }
    const TypeDef& r = *c.handle->resource;
    c.cpp = (c.handle->guest_defined ? exports_ns(plan, r.owner) : plan.ns_of(r.owner)) +
            "::" + pascal_name(r.name);
    c.var = snake_name(r.name);
    return c;
  };
  HostSignature s;
  if (bf.resource && f.kind == Function::Kind::Method) {
    ACTR_TRY(auto self, make("self", nullptr, Handle{bf.resource, false, !imports}));
    s.params.push_back(std::move(self));
  }
  for (const auto& p : f.params) {
    ACTR_TRY(auto c, make(p.name, p.type.get(), std::nullopt));
    s.params.push_back(std::move(c));
  }
  if (!f.named_results.empty()) {
    return make_error(to_string(f.pos) + ": `" + f.name +
                      "`: named results with resources are not supported by the C++ host "
                      "bindings yet");
  }
  if (bf.resource && f.kind == Function::Kind::Constructor) {
    if (f.result) {
      return make_error(to_string(f.pos) + ": constructor of `" + bf.resource->name +
                        "` with a result type: not supported by the C++ binding generator yet");
    }
    ACTR_TRY(auto r, make("", nullptr, Handle{bf.resource, true, !imports}));
    s.result = std::move(r);
  } else if (f.result) {
    ACTR_TRY(auto r, make("", f.result.get(), std::nullopt));
    s.result = std::move(r);
  }
  return s;
}

// The C++ type of a parameter or result as the host sees it.
std::string host_type(const HostCrossing& c, bool param) {
  if (!c.handle) return param && !c.scalar && c.nested.empty() ? "const " + c.cpp + "&" : c.cpp;
  if (!c.handle->guest_defined) {
    return c.handle->own ? "std::unique_ptr<" + c.cpp + ">" : c.cpp + "&";
  }
  if (!param) return c.cpp;
  return c.handle->own ? c.cpp : "const " + c.cpp + "&";
}

std::string handle_type_expr(const HostCrossing& c, const std::string& type_var) {
  return std::string(c.handle->own ? "::actr::component::own_of("
                                   : "::actr::component::borrow_of(") +
         type_var + ")";
}

std::string host_func_type(const HostSignature& s, const std::string& type_prefix,
                           const std::string& type_suffix) {
  std::string e = "::actr::component::FuncType{{";
  for (size_t i = 0; i < s.params.size(); ++i) {
    const HostCrossing& c = s.params[i];
    e += (i ? ", " : "") + std::string("{") + string_literal(c.wit) + ", " +
         (c.handle ? handle_type_expr(c, type_prefix + c.var + type_suffix)
                   : "Conv<" + c.cpp + ">::type()") +
         "}";
  }
  e += "}, {";
  if (s.result) {
    const HostCrossing& c = *s.result;
    e += "{\"\", " +
         (c.handle ? handle_type_expr(c, type_prefix + c.var + type_suffix)
                   : "Conv<" + c.cpp + ">::type()") +
         "}";
  }
  return e + "}}";
}

// The resources nested in a signature's parameters and result, each once.
std::vector<const TypeDef*> nested_resources(const HostSignature& s) {
  std::vector<const TypeDef*> out;
  auto add = [&](const HostCrossing& c) {
    for (const TypeDef* r : c.nested) {
      if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    }
  };
  for (const auto& p : s.params) add(p);
  if (s.result) add(*s.result);
  return out;
}

// The HandleBinding of resource `r` from variables `<prefix><r>_reps<suffix>` (a host resource)
// or `<prefix><r>_type<suffix>` and `instance` (a guest resource).
std::string binding_expr(const BindingPlan& plan, const TypeDef& r, const std::string& prefix,
                         const std::string& suffix, const std::string& instance) {
  std::string v = prefix + snake_name(r.name);
  if (plan.guest_defined(r)) {
    return "guest_binding<" + plan.resource_class(r) + ">(" + instance + ", " + v + "_type" +
           suffix + ")";
  }
  return "host_binding(" + v + "_reps" + suffix + ".get(), " + v + "_type" + suffix + ")";
}

std::string context_decl(const BindingPlan& plan, const std::string& name,
                         const std::vector<const TypeDef*>& resources, const std::string& prefix,
                         const std::string& suffix, const std::string& instance) {
  std::string out = "HandleContext " + name + "({";
  for (size_t i = 0; i < resources.size(); ++i) {
    out += (i ? ", " : "") + binding_expr(plan, *resources[i], prefix, suffix, instance);
  }
  return out + "});\n";
}

// The generated code names a resource's table and type after the resource: two resources of
// one name cannot cross the same interface's functions.
Result<void> check_distinct_names(const std::vector<const TypeDef*>& resources) {
  for (size_t i = 0; i < resources.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (snake_name(resources[i]->name) != snake_name(resources[j]->name)) continue;
      return make_error(to_string(resources[i]->pos) + ": resources `" + resources[j]->name +
                        "` and `" + resources[i]->name +
                        "` of different interfaces cross the functions of one interface: not "
                        "supported by the C++ host bindings yet");
    }
  }
  return {};
}

// The linker definition of an import with handles (add_to_linker).
Result<void> emit_host_resource_import(const BindingPlan& plan, const BoundFunction& bf,
                                       const std::string& instance, std::ostream& c) {
  const Function& f = *bf.function;
  ACTR_TRY(HostSignature s, host_signature(plan, bf, true));
  std::string what = string_literal(bf.wit_name);
  std::set<std::string> captures;
  bool method = bf.resource && f.kind == Function::Kind::Method;
  if (!method) captures.insert("impl");
  for (const auto& p : s.params) {
    if (p.handle) captures.insert(p.var + "_reps");
  }
  if (s.result && s.result->handle) {
    captures.insert(s.result->var + "_reps");
    captures.insert(s.result->var + "_type");
  }
  std::vector<const TypeDef*> nested = nested_resources(s);
  for (const TypeDef* r : nested) {
    captures.insert(snake_name(r->name) + "_reps");
    captures.insert(snake_name(r->name) + "_type");
  }
  std::string capture_list;
  for (const auto& cap : captures) capture_list += (capture_list.empty() ? "" : ", ") + cap;
  c << "  linker.func(" << string_literal(instance) << ", " << what << ",\n              "
    << host_func_type(s, "", "_type") << ",\n              [" << capture_list
    << "](std::span<const Value> args, std::vector<Value>& results) -> ::actr::Result<void> {\n";
  std::string in = "                ";
  c << in << "if (args.size() != " << s.params.size() << ") return make_error("
    << string_literal(bf.wit_name + ": wrong argument count") << ");\n";
  std::vector<std::string> call_args;
  if (!nested.empty()) {
    // Own handles no argument took (a conversion failed half way) leave the table.
    c << in << context_decl(plan, "actr_ctx", nested, "", "", "nullptr");
  }
  for (size_t i = 0; i < s.params.size(); ++i) {
    const HostCrossing& p = s.params[i];
    std::string a = "a" + std::to_string(i);
    if (!p.handle && !p.nested.empty()) {
      c << in << "auto " << a << "_r = Conv<" << p.cpp << ">::from(args[" << i << "]);\n"
        << in << "if (!" << a << "_r.ok()) {\n"
        << in << "  actr_ctx.discard_all(args);\n"
        << in << "  return " << a << "_r.take_error();\n"
        << in << "}\n"
        << in << "auto " << a << " = std::move(" << a << "_r).value();\n";
      call_args.push_back("std::move(" + a + ")");
      continue;
    }
    if (!p.handle) {
      c << in << "ACTR_TRY(auto " << a << ", (Conv<" << p.cpp << ">::from(args[" << i << "])));\n";
      call_args.push_back(a);
      continue;
    }
    c << in << "if (args[" << i << "].kind != Kind::" << (p.handle->own ? "Own" : "Borrow")
      << ") return make_error(" << string_literal(bf.wit_name + ": expected a handle") << ");\n";
    if (p.handle->own) {
      c << in << "std::unique_ptr<" << p.cpp << "> " << a << " = " << p.var << "_reps->take(args["
        << i << "].handle.rep);\n";
      call_args.push_back("std::move(" + a + ")");
    } else {
      c << in << p.cpp << "* " << a << " = " << p.var << "_reps->get(args[" << i
        << "].handle.rep);\n";
      call_args.push_back("*" + a);
    }
    c << in << "if (!" << a << ") return make_error("
      << string_literal(bf.wit_name + ": unknown `" + p.handle->resource->name + "` handle")
      << ");\n";
  }
  std::string call;
  if (method) {
    call = "a0->" + snake_name(f.name) + "(";
    for (size_t i = 1; i < call_args.size(); ++i) call += (i > 1 ? ", " : "") + call_args[i];
  } else {
    call = "impl->" + host_name(bf) + "(";
    for (size_t i = 0; i < call_args.size(); ++i) call += (i ? ", " : "") + call_args[i];
  }
  call += ")";
  if (!s.result) {
    c << in << "(void)results;\n" << in << "return " << call << ";\n";
  } else if (!s.result->handle && !s.result->nested.empty()) {
    c << in << "ACTR_TRY(auto r, " << call << ");\n"
      << in << "results.push_back(Conv<" << s.result->cpp << ">::to(r));\n"
      << in << "if (auto st = actr_ctx.status(); !st.ok()) {\n"
      << in << "  actr_ctx.discard_all(results);\n"
      << in << "  results.clear();\n"
      << in << "  return st;\n"
      << in << "}\n"
      << in << "return {};\n";
  } else if (!s.result->handle) {
    c << in << "ACTR_TRY(auto r, " << call << ");\n"
      << in << "results.push_back(Conv<" << s.result->cpp << ">::to(r));\n"
      << in << "return {};\n";
  } else {
    const std::string& v = s.result->var;
    c << in << "ACTR_TRY(auto r, " << call << ");\n"
      << in << "auto rep = " << v << "_reps->insert(std::move(r));\n"
      << in << "if (!rep) return make_error("
      << string_literal(bf.wit_name + ": no object to return, or no reps left") << ");\n"
      << in << "results.push_back(Value::own({" << v << "_type, *rep}));\n"
      << in << "return {};\n";
  }
  c << "              });\n";
  return {};
}

// A Proxy method of an export with handles: the Value path.
Result<void> emit_proxy_resource_call(const BindingPlan& plan, const BoundFunction& bf,
                                      const std::string& cls, std::ostream& h, std::ostream& c) {
  const Function& f = *bf.function;
  ACTR_TRY(HostSignature s, host_signature(plan, bf, false));
  std::string name = host_name(bf);
  std::string result = s.result ? host_type(*s.result, false) : "void";
  std::string params;
  for (size_t i = 0; i < s.params.size(); ++i) {
    params += (i ? ", " : "") + host_type(s.params[i], true) + " " + s.params[i].name;
  }
  h << doc_lines(f.docs, "  ") << "  ::actr::Result<" << result << "> " << name << "(" << params
    << ");\n";
  c << "::actr::Result<" << result << "> " << cls << "::" << name << "(" << params
    << ") {\n  using namespace ::actr::wit::host;\n";
  std::vector<const TypeDef*> nested = nested_resources(s);
  if (!nested.empty()) c << "  " << context_decl(plan, "actr_ctx", nested, "", "_", "instance_");
  c << "  std::array<Value, " << s.params.size() << "> actr_args;\n";
  std::vector<std::string> lent;
  for (size_t i = 0; i < s.params.size(); ++i) {
    const HostCrossing& p = s.params[i];
    std::string what = string_literal(bf.wit_name + ": `" + p.wit + "`");
    if (!p.handle) {
      c << "  actr_args[" << i << "] = Conv<" << p.cpp << ">::to(" << p.name << ");\n";
    } else if (p.handle->guest_defined) {
      c << "  ACTR_TRY(actr_args[" << i << "], " << p.name << "."
        << (p.handle->own ? "own_for" : "borrow_for") << "(*instance_, " << what << "));\n";
    } else {
      // The host's object gets a rep: owned by the table (own) or lent for the call (borrow).
      std::string rep = "actr_rep" + std::to_string(i);
      c << "  auto " << rep << " = " << p.var << "_reps_->"
        << (p.handle->own ? "insert(std::move(" + p.name + "))" : "lend(" + p.name + ")")
        << ";\n  if (!" << rep << ") return make_error(std::string(" << what
        << ") + \": no object, or no reps left\");\n";
      if (!p.handle->own) lent.push_back(rep);
      c << "  actr_args[" << i << "] = Value::" << (p.handle->own ? "own" : "borrow") << "({"
        << p.var << "_type_, *" << rep << "});\n";
    }
  }
  if (!nested.empty()) {
    // Own handles already moved into arguments that will not be sent are released.
    c << "  if (auto st = actr_ctx.status(); !st.ok()) {\n    actr_ctx.discard_all(actr_args);\n"
         "    return st.take_error();\n  }\n";
  }
  if (lent.empty() && nested.empty()) {
    c << "  ACTR_TRY(auto actr_results, " << name << "_->call(actr_args));\n";
  } else {
    c << "  auto actr_call = " << name << "_->call(actr_args);\n";
    for (size_t i = 0; i < s.params.size(); ++i) {
      const HostCrossing& p = s.params[i];
      if (p.handle && !p.handle->guest_defined && !p.handle->own) {
        c << "  " << p.var << "_reps_->end_lend(*actr_rep" << i << ");\n";
      }
    }
    if (!nested.empty()) c << "  actr_ctx.end_lends();\n";
    c << "  ACTR_TRY(auto actr_results, std::move(actr_call));\n";
  }
  if (!s.result) {
    c << "  (void)actr_results;\n  return {};\n}\n\n";
    return {};
  }
  c << "  if (actr_results.size() != 1) return make_error("
    << string_literal(bf.wit_name + ": expected one result") << ");\n";
  if (!s.result->handle && !s.result->nested.empty()) {
    // Handles the conversion did not reach are released if it fails half way.
    c << "  auto actr_out = Conv<" << s.result->cpp << ">::from(actr_results[0]);\n"
      << "  if (!actr_out.ok()) actr_ctx.discard_all(actr_results);\n  return actr_out;\n}\n\n";
  } else if (!s.result->handle) {
    c << "  return Conv<" << s.result->cpp << ">::from(actr_results[0]);\n}\n\n";
  } else if (!s.result->handle->guest_defined) {
    c << "  if (actr_results[0].kind != Kind::Own || actr_results[0].handle.type != "
      << s.result->var << "_type_) {\n    return make_error("
      << string_literal(bf.wit_name + ": expected an own<" + s.result->handle->resource->name +
                        "> result")
      << ");\n  }\n  auto actr_object = " << s.result->var
      << "_reps_->take(actr_results[0].handle.rep);\n  if (!actr_object) return make_error("
      << string_literal(bf.wit_name + ": unknown `" + s.result->handle->resource->name +
                        "` returned")
      << ");\n  return actr_object;\n}\n\n";
  } else {
    c << "  if (actr_results[0].kind != Kind::Own || actr_results[0].handle.type != "
      << s.result->var << "_type_) {\n    return make_error("
      << string_literal(bf.wit_name + ": expected an own<" + s.result->handle->resource->name +
                        "> result")
      << ");\n  }\n  return " << s.result->cpp << "(*instance_, actr_results[0].handle);\n}\n\n";
  }
  return {};
}

}  // namespace

Result<std::vector<OutputFile>> generate_host(const PackageSet& packages,
                                              const GeneratorOptions& options) {
  ACTR_TRY(BindingPlan plan, BindingPlan::make(packages, options));
  plan.set_side(Side::Host);
  std::string base = plan.file_base();

  // The resource classes, in the types header (structs may hold handles by value): the host's
  // objects behind the handles of an imported interface, handles to a guest's objects.
  std::vector<ResourceClass> classes;
  std::vector<const TypeDef*> host_defined, guest_defined;  // with classes
  for (const auto& b : plan.interfaces()) {
    for (const TypeDef* r : BindingPlan::resources_of(*b.interface)) {
      std::string rcls = pascal_name(r->name);
      std::string full = plan.resource_class(*r);
      std::ostringstream t;
      if (plan.guest_defined(*r)) {
        guest_defined.push_back(r);
        t << doc_lines(r->docs, "") << "// An own handle to an instance's `" << r->name
          << "`: move-only, dropped through the instance (which runs\n// the guest's destructor) "
             "by the destructor or drop().\nclass "
          << rcls
          << " : public ::actr::wit::host::GuestResource {\n public:\n  using "
             "GuestResource::GuestResource;\n};\n";
        classes.push_back({full.substr(0, full.rfind("::")), rcls, t.str()});
        continue;
      }
      std::vector<const BoundFunction*> methods;
      for (const auto& bf : plan.imports()) {
        if (bf.resource == r && bf.function->kind == Function::Kind::Method) methods.push_back(&bf);
      }
      host_defined.push_back(r);
      t << doc_lines(r->docs, "") << "// Resource `" << r->name
        << "`: the host's object behind a guest's handle (implement one virtual per\n"
           "// method; Host creates the objects). Destroyed when the guest drops its last "
           "handle.\nclass "
        << rcls << " {\n public:\n  virtual ~" << rcls << "() = default;\n";
      for (const BoundFunction* bf : methods) {
        ACTR_TRY(HostSignature hs, host_signature(plan, *bf, true));
        std::string params;
        for (size_t i = 1; i < hs.params.size(); ++i) {
          params += (i > 1 ? ", " : "") + host_type(hs.params[i], true) + " " + hs.params[i].name;
        }
        t << doc_lines(bf->function->docs, "  ") << "  virtual ::actr::Result<"
          << (hs.result ? host_type(*hs.result, false) : "void") << "> "
          << snake_name(bf->function->name) << "(" << params << ") = 0;\n";
      }
      t << "};\n";
      classes.push_back({full.substr(0, full.rfind("::")), rcls, t.str()});
    }
  }
  ACTR_TRY(
      std::string types,
      emit_types_header(plan, classes, classes.empty() ? "" : "#include \"actr_wit_host.hpp\"\n"));

  std::ostringstream h, c;
  h << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n// Host bindings: Value conversions (Conv), canonical ABI code (Abi), "
       "imports "
       "to implement, export proxies.\n#pragma once\n\n#include <memory>\n\n#include "
       "\"actr_wit_host.hpp\"\n"
       "#include \""
    << base
    << "_types.hpp\"\n#include \"actr/component/linker.hpp\"\n\nnamespace actr::wit::host {\n\n";
  c << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n#include \"" << base
    << "_host.hpp\"\n\n#include <array>\n#include <span>\n\nnamespace actr::wit::host {\n\n";
  std::vector<const TypeDef*> defs;
  for (const auto& b : plan.interfaces()) defs.insert(defs.end(), b.types.begin(), b.types.end());
  defs.insert(defs.end(), plan.world_types().begin(), plan.world_types().end());
  // Handles inside other types (HandleContext in actr_wit_host.hpp).
  for (const TypeDef* r : host_defined) {
    std::string cls = plan.resource_class(*r);
    h << "template <>\nstruct Conv<std::unique_ptr<" << cls << ">> : HostOwnConv<" << cls
      << "> {};\ntemplate <>\nstruct Conv<" << cls << "*> : HostBorrowConv<" << cls << "> {};\n";
  }
  for (const TypeDef* r : guest_defined) {
    std::string cls = plan.resource_class(*r);
    h << "template <>\nstruct Conv<" << cls << "> : GuestOwnConv<" << cls
      << "> {};\ntemplate <>\nstruct Conv<const " << cls << "*> : GuestBorrowConv<" << cls
      << "> {};\n";
  }
  for (const TypeDef* d : defs) ACTR_TRY_VOID(emit_conv_decl(plan, *d, h));
  for (const TypeDef* d : defs) ACTR_TRY_VOID(emit_conv_def(plan, *d, c));
  // In the header: applications may lower and lift these types themselves.
  for (const TypeDef* d : defs) ACTR_TRY_VOID(emit_abi(plan, *d, h));
  h << "\n}  // namespace actr::wit::host\n\n";
  c << "}  // namespace actr::wit::host\n\n";

  // Imports: what the host implements.
  for (const auto& [iface, funcs] : group(plan.imports())) {
    std::string ns = iface ? plan.ns_of(iface) : plan.root_ns();
    std::string cls = iface ? "Host" : "WorldImports";
    std::string instance = funcs.front()->instance;
    h << "namespace " << namespace_decl(ns) << " {\n\n";
    std::vector<const TypeDef*> resources;
    if (iface) resources = BindingPlan::resources_of(*iface);
    h << "// The host's implementation of `" << (iface ? instance : plan.world().name)
      << "` imports. An Error traps the calling guest.\nclass " << cls
      << " {\n public:\n  virtual ~" << cls << "() = default;\n";
    c << "namespace " << namespace_decl(ns) << " {\n\n";
    c << "void add_to_linker(::actr::component::Linker& linker, std::shared_ptr<" << cls
      << "> impl) {\n  using namespace ::actr::wit::host;\n";
    // The host resources the functions pass: the interface's own and those it `use`s, whose
    // table and type this call shares with the add_to_linker of their interface.
    std::vector<const TypeDef*> passed = resources;
    for (const BoundFunction* bf : funcs) {
      if (!has_handles(plan, *bf)) continue;
      ACTR_TRY(HostSignature hs, host_signature(plan, *bf, true));
      auto note = [&](const HostCrossing& x) {
        std::vector<const TypeDef*> rs = x.nested;
        if (x.handle) rs.push_back(x.handle->resource);
        for (const TypeDef* r : rs) {
          if (std::find(passed.begin(), passed.end(), r) == passed.end()) passed.push_back(r);
        }
      };
      for (const auto& p : hs.params) note(p);
      if (hs.result) note(*hs.result);
    }
    ACTR_TRY_VOID(check_distinct_names(passed));
    for (const TypeDef* r : passed) {
      std::string v = snake_name(r->name);
      c << "  auto " << v << "_def = HostResources::define<" << plan.resource_class(*r)
        << ">(linker, " << string_literal(r->owner->qualified_name()) << ", "
        << string_literal(r->name) << ");\n  auto& " << v << "_reps = " << v
        << "_def.first;\n  auto& " << v << "_type = " << v << "_def.second;\n";
    }
    if (!passed.empty()) {
      // The types of functions with handles inside other types name these resources.
      c << "  " << context_decl(plan, "actr_types", passed, "", "", "nullptr");
    }
    for (const BoundFunction* bf : funcs) {
      const Function& f = *bf->function;
      if (has_handles(plan, *bf)) {
        ACTR_TRY_VOID(emit_host_resource_import(plan, *bf, instance, c));
        if (bf->resource && f.kind == Function::Kind::Method) continue;
        ACTR_TRY(HostSignature hs, host_signature(plan, *bf, true));
        std::string params;
        for (size_t i = 0; i < hs.params.size(); ++i) {
          params += (i ? ", " : "") + host_type(hs.params[i], true) + " " + hs.params[i].name;
        }
        h << doc_lines(f.docs, "  ") << "  virtual ::actr::Result<"
          << (hs.result ? host_type(*hs.result, false) : "void") << "> " << host_name(*bf) << "("
          << params << ") = 0;\n";
        continue;
      }
      ACTR_TRY(Signature s, signature(plan, f));
      std::string name = snake_name(f.name);
      bool owned = options.owned_import_params;
      if (owned) {
        s.params_decl.clear();
        for (size_t i = 0; i < s.param_types.size(); ++i) {
          s.params_decl += (i ? ", " : "") + s.param_types[i] + " " + s.param_names[i];
        }
      }
      h << doc_lines(f.docs, "  ") << "  virtual ::actr::Result<" << s.result << "> " << name << "("
        << s.params_decl << ") = 0;\n";
      c << "  linker.func(" << string_literal(instance) << ", " << string_literal(bf->wit_name)
        << ",\n              " << func_type_expr(plan, f, s) << ",\n";
      c << "              [impl](std::span<const Value> args, std::vector<Value>& results) -> "
           "::actr::Result<void> {\n";
      c << "                if (args.size() != " << s.param_types.size() << ") return make_error("
        << string_literal(bf->wit_name + ": wrong argument count") << ");\n";
      std::string call_args, impl_args;  // the locals; what the virtual gets
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << "                ACTR_TRY(auto a" << i << ", (Conv<" << s.param_types[i]
          << ">::from(args[" << i << "])));\n";
        std::string a = "a" + std::to_string(i);
        call_args += (i ? ", " : "") + a;
        impl_args += (i ? ", " : "") + (owned ? "std::move(" + a + ")" : a);
      }
      if (s.result == "void") {
        c << "                (void)results;\n                return impl->" << name << "("
          << impl_args << ");\n";
      } else {
        c << "                ACTR_TRY(auto r, impl->" << name << "(" << impl_args << "));\n";
        if (s.named_types.empty()) {
          c << "                results.push_back(Conv<" << s.result << ">::to(r));\n";
        }
        for (size_t i = 0; i < s.named_types.size(); ++i) {
          c << "                results.push_back(Conv<" << s.named_types[i] << ">::to(std::get<"
            << i << ">(r)));\n";
        }
        c << "                return {};\n";
      }
      // The fast path: lifts the arguments from the guest's memory, lowers the result into it.
      std::string P = params_type(s);
      c << "              },\n              [impl](::actr::wit::host::GuestMemory& m, const "
           "::actr::wit::host::Slot* args, "
           "::actr::wit::host::Slot* results) -> ::actr::wit::host::Status {\n";
      c << layout_asserts(*bf, P, s.result, "                ");
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << "                " << s.param_types[i] << " a" << i << "{};\n";
      }
      c << "                ACTR_TRY_VOID((" << P << "::lift(m, args"
        << (call_args.empty() ? "" : ", ") << call_args << ")));\n";
      if (s.result == "void") {
        c << "                (void)results;\n                return impl->" << name << "("
          << impl_args << ");\n";
      } else {
        c << "                ACTR_TRY(auto r, impl->" << name << "(" << impl_args << "));\n";
        c << "                return ::actr::wit::host::Ret<" << s.result
          << ">::lower(m, r, results, args + " << P << "::core_count);\n";
      }
      c << "              });\n";
    }
    h << "};\n\n// Defines every function of `" << (iface ? instance : plan.world().name)
      << "` in `linker`, calling `impl`.\nvoid add_to_linker(::actr::component::Linker& linker, "
         "std::shared_ptr<"
      << cls << "> impl);\n\n}  // namespace " << namespace_decl(ns) << "\n\n";
    c << "}\n\n}  // namespace " << namespace_decl(ns) << "\n\n";
  }

  // Exports: typed calls into an instance.
  for (const auto& [iface, funcs] : group(plan.exports())) {
    std::string ns = plan.root_ns() + "::exports" +
                     (iface ? plan.ns_of(iface).substr(plan.ns_of(iface).rfind("::")) : "");
    std::string instance = funcs.front()->instance;
    std::string cls = iface ? "Proxy" : "WorldExports";
    h << "namespace " << namespace_decl(ns) << " {\n\n";
    std::vector<const TypeDef*> resources;
    if (iface) resources = BindingPlan::resources_of(*iface);
    bool any_handles = false;
    for (const BoundFunction* bf : funcs) any_handles = any_handles || has_handles(plan, *bf);
    h << "// Typed calls to the `" << (iface ? instance : plan.world().name)
      << "` exports of an instance (which must outlive the proxy).\nclass " << cls
      << " {\n public:\n  static ::actr::Result<" << cls
      << "> bind(::actr::component::Instance& instance);\n\n";
    c << "namespace " << namespace_decl(ns) << " {\n\n";
    c << "::actr::Result<" << cls << "> " << cls
      << "::bind(::actr::component::Instance& instance) {\n  using namespace ::actr::wit::host;\n  "
      << cls << " p;\n  std::string why;\n";
    std::string members;
    std::string fast_paths;
    if (any_handles) {
      members += "  ::actr::component::Instance* instance_ = nullptr;\n";
      c << "  p.instance_ = &instance;\n";
    }
    // Every resource the functions pass: its type is found in the instance's function types
    // (the instance's own for a guest resource; the linker's for a host resource, whose table
    // add_to_linker registered).
    std::vector<std::pair<const TypeDef*, std::vector<std::string>>> used;  // r -> lookups
    for (const TypeDef* r : resources) used.push_back({r, {}});
    for (const BoundFunction* bf : funcs) {
      if (!has_handles(plan, *bf)) continue;
      ACTR_TRY(HostSignature hs, host_signature(plan, *bf, false));
      std::string export_name = iface ? instance + "#" + bf->wit_name : bf->wit_name;
      auto look_up = [&](const TypeDef* r, const std::string& found_by) {
        auto it =
            std::find_if(used.begin(), used.end(), [&](const auto& u) { return u.first == r; });
        if (it == used.end()) it = used.insert(used.end(), {r, {}});
        std::string key = "instance.func(" + string_literal(export_name) + ")";
        for (const auto& l : it->second) {
          if (l.find(key) != std::string::npos) return;  // one look-up per function does
        }
        std::string v = snake_name(r->name);
        it->second.push_back("  if (auto* f = p." + v + "_type_ ? nullptr : instance.func(" +
                             string_literal(export_name) + ")) p." + v + "_type_ = " + found_by +
                             ";\n");
      };
      auto note = [&](const HostCrossing& x, bool in_result, size_t index) {
        std::string where =
            std::string(in_result ? "true" : "false") + ", " + std::to_string(index);
        if (x.handle) {
          look_up(x.handle->resource, "resource_in(f->type(), " + where + ")");
          return;
        }
        for (const TypeDef* r : x.nested) {
          std::string path;
          // Held in a variable: a range-for over `*path_to(...)` would walk a destroyed temporary.
          const std::vector<int> steps = path_to(plan, *x.type, r).value_or(std::vector<int>{});
          for (int step : steps) {
            path += (path.empty() ? "" : ", ") + std::to_string(step);
          }
          look_up(r, "resource_at(f->type(), " + where + ", {" + path + "})");
        }
      };
      for (size_t i = 0; i < hs.params.size(); ++i) note(hs.params[i], false, i);
      if (hs.result) note(*hs.result, true, 0);
    }
    {
      std::vector<const TypeDef*> all;
      for (const auto& u : used) all.push_back(u.first);
      ACTR_TRY_VOID(check_distinct_names(all));
    }
    for (const auto& [r, lookups] : used) {
      std::string v = snake_name(r->name);
      members += "  std::shared_ptr<const ::actr::component::ResourceType> " + v + "_type_;\n";
      for (const auto& l : lookups) c << l;
      c << "  if (!p." << v << "_type_) return make_error("
        << string_literal("the instance exports no function of resource `" + r->name + "`")
        << ");\n";
      if (!plan.guest_defined(*r)) {
        std::string rcls = plan.ns_of(r->owner) + "::" + pascal_name(r->name);
        members +=
            "  std::shared_ptr<::actr::wit::host::RepTable<" + rcls + ">> " + v + "_reps_;\n";
        c << "  p." << v << "_reps_ = HostResources::find<" << rcls << ">(p." << v
          << "_type_);\n  if (!p." << v << "_reps_) return make_error("
          << string_literal("resource `" + r->name +
                            "` is not defined by the add_to_linker of these bindings")
          << ");\n";
      }
    }
    if (!used.empty()) {
      // The bindings' function types name the resources found above.
      std::vector<const TypeDef*> all;
      for (const auto& u : used) all.push_back(u.first);
      c << "  " << context_decl(plan, "actr_types", all, "p.", "_", "&instance");
    }
    for (const BoundFunction* bf : funcs) {
      if (!has_handles(plan, *bf)) continue;
      ACTR_TRY(HostSignature hs, host_signature(plan, *bf, false));
      std::string name = host_name(*bf);
      std::string export_name = iface ? instance + "#" + bf->wit_name : bf->wit_name;
      members += "  ::actr::component::ExportedFunc* " + name + "_ = nullptr;\n";
      c << "  p." << name << "_ = instance.func(" << string_literal(export_name) << ");\n";
      c << "  if (!p." << name << "_) return make_error("
        << string_literal("the instance has no export `" + export_name + "`") << ");\n";
      c << "  if (!::actr::component::same_func_type(p." << name << "_->type(), "
        << host_func_type(hs, "p.", "_type_") << ", &why, \"the component\", \"the bindings\")) {\n"
        << "    return make_error(" << string_literal("export `" + export_name + "`: ")
        << " + why);\n  }\n";
    }
    for (const BoundFunction* bf : funcs) {
      if (has_handles(plan, *bf)) continue;
      const Function& f = *bf->function;
      ACTR_TRY(Signature s, signature(plan, f));
      std::string name = snake_name(f.name);
      std::string export_name = iface ? instance + "#" + bf->wit_name : bf->wit_name;
      members += "  ::actr::component::ExportedFunc* " + name + "_ = nullptr;\n";
      fast_paths += "  bool " + name + "_raw_ : 1 = false;\n";
      h << doc_lines(f.docs, "  ") << "  ::actr::Result<" << s.result << "> " << name << "("
        << s.params_decl << ");\n";
      c << "  p." << name << "_ = instance.func(" << string_literal(export_name) << ");\n";
      c << "  if (!p." << name << "_) return make_error("
        << string_literal("the instance has no export `" + export_name + "`") << ");\n";
      c << "  if (!::actr::component::same_func_type(p." << name << "_->type(), "
        << func_type_expr(plan, f, s) << ", &why, \"the component\", \"the bindings\")) {\n"
        << "    return make_error(" << string_literal("export `" + export_name + "`: ")
        << " + why);\n  }\n";
    }
    for (const BoundFunction* bf : funcs) {
      if (has_handles(plan, *bf)) continue;
      std::string name = snake_name(bf->function->name);
      c << "  p." << name << "_raw_ = p." << name << "_->supports_raw();\n";
    }
    c << "  return p;\n}\n\n";
    for (const BoundFunction* bf : funcs) {
      if (has_handles(plan, *bf)) {
        ACTR_TRY_VOID(emit_proxy_resource_call(plan, *bf, cls, h, c));
        continue;
      }
      const Function& f = *bf->function;
      ACTR_TRY(Signature s, signature(plan, f));
      std::string name = snake_name(f.name);
      c << "::actr::Result<" << s.result << "> " << cls << "::" << name << "(" << s.params_decl
        << ") {\n  using namespace ::actr::wit::host;\n";
      std::string P = params_type(s);
      std::string args;
      for (const auto& n : s.param_names) args += ", " + n;
      c << layout_asserts(*bf, P, s.result, "  ");
      c << "  if (" << name << "_raw_) {\n";
      if (s.result != "void") c << "    " << s.result << " actr_out{};\n";
      c << "    ACTR_TRY_VOID(" << name << "_->call_raw(\n"
        << "        [&](::actr::wit::host::GuestMemory& actr_mem, ::actr::wit::host::Slot* "
           "actr_core_args) {\n          return "
        << P << "::lower(actr_mem, actr_core_args" << args
        << ");\n        },\n        [&](::actr::wit::host::GuestMemory& actr_mem, const "
           "::actr::wit::host::Slot* actr_core_results)\n            -> ::actr::wit::host::Status "
           "{\n";
      if (s.result == "void") {
        c << "          (void)actr_mem;\n          (void)actr_core_results;\n          return "
             "{};\n";
      } else {
        c << "          return ::actr::wit::host::Ret<" << s.result
          << ">::lift(actr_mem, actr_core_results, actr_out);\n";
      }
      c << "        }));\n    return " << (s.result == "void" ? "{}" : "actr_out") << ";\n  }\n";
      c << "  std::array<Value, " << s.param_types.size() << "> actr_args{";
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << (i ? ", " : "") << "Conv<" << s.param_types[i] << ">::to(" << s.param_names[i] << ")";
      }
      c << "};\n  ACTR_TRY(auto actr_results, " << name << "_->call(actr_args));\n";
      if (s.result == "void") {
        c << "  (void)actr_results;\n  return {};\n}\n\n";
      } else {
        if (s.named_types.empty()) {
          c << "  if (actr_results.size() != 1) return make_error("
            << string_literal(bf->wit_name + ": expected one result") << ");\n";
          c << "  return Conv<" << s.result << ">::from(actr_results[0]);\n}\n\n";
        } else {
          c << "  if (actr_results.size() != " << s.named_types.size() << ") return make_error("
            << string_literal(bf->wit_name + ": wrong number of results") << ");\n";
          c << "  " << s.result << " actr_out;\n";
          for (size_t i = 0; i < s.named_types.size(); ++i) {
            c << "  ACTR_TRY(std::get<" << i << ">(actr_out), (Conv<" << s.named_types[i]
              << ">::from(actr_results[" << i << "])));\n";
          }
          c << "  return actr_out;\n}\n\n";
        }
      }
    }
    if (!fast_paths.empty()) {
      // One bit each, after the pointers: a proxy lives as long as its actor (idle or not).
      members += "  // Whether each function takes the fast path (call_raw).\n" + fast_paths;
    }
    h << "\n private:\n" << members << "};\n\n}  // namespace " << namespace_decl(ns) << "\n\n";
    c << "}  // namespace " << namespace_decl(ns) << "\n\n";
  }

  std::vector<OutputFile> files{runtime_header()};
  for (auto& f : host_runtime_headers()) files.push_back(std::move(f));
  files.push_back({base + "_types.hpp", std::move(types)});
  files.push_back({base + "_host.hpp", h.str()});
  files.push_back({base + "_host.cpp", c.str()});
  return files;
}

}  // namespace actr::witgen
