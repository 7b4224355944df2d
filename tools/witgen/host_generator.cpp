#include <sstream>

#include "component/canonical/layout.hpp"
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
  c << "TypeRef Conv<" << t << ">::type() {\n  static const TypeRef t = named(";
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

}  // namespace

Result<std::vector<OutputFile>> generate_host(const PackageSet& packages,
                                              const GeneratorOptions& options) {
  ACTR_TRY(BindingPlan plan, BindingPlan::make(packages, options));
  std::string base = plan.file_base();
  ACTR_TRY(std::string types, emit_types_header(plan));

  std::ostringstream h, c;
  h << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n// Host bindings: Value conversions (Conv), canonical ABI code (Abi), "
       "imports "
       "to implement, export proxies.\n#pragma once\n\n#include <memory>\n\n#include "
       "\"actr_wit_host.hpp\"\n"
       "#include \""
    << base << "_types.hpp\"\n#include \"component/linker.hpp\"\n\nnamespace actr::wit::host {\n\n";
  c << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n#include \"" << base
    << "_host.hpp\"\n\n#include <array>\n#include <span>\n\nnamespace actr::wit::host {\n\n";
  std::vector<const TypeDef*> defs;
  for (const auto& b : plan.interfaces()) defs.insert(defs.end(), b.types.begin(), b.types.end());
  defs.insert(defs.end(), plan.world_types().begin(), plan.world_types().end());
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
    h << "// The host's implementation of `" << (iface ? instance : plan.world().name)
      << "` imports. An Error traps the calling guest.\nclass " << cls
      << " {\n public:\n  virtual ~" << cls << "() = default;\n";
    c << "namespace " << namespace_decl(ns) << " {\n\n";
    c << "void add_to_linker(::actr::component::Linker& linker, std::shared_ptr<" << cls
      << "> impl) {\n  using namespace ::actr::wit::host;\n";
    for (const BoundFunction* bf : funcs) {
      const Function& f = *bf->function;
      ACTR_TRY(Signature s, signature(plan, f));
      std::string name = snake_name(f.name);
      h << doc_lines(f.docs, "  ") << "  virtual ::actr::Result<" << s.result << "> " << name << "("
        << s.params_decl << ") = 0;\n";
      c << "  linker.func(" << string_literal(instance) << ", " << string_literal(bf->wit_name)
        << ",\n              " << func_type_expr(plan, f, s) << ",\n";
      c << "              [impl](std::span<const Value> args, std::vector<Value>& results) -> "
           "::actr::Result<void> {\n";
      c << "                if (args.size() != " << s.param_types.size() << ") return make_error("
        << string_literal(bf->wit_name + ": wrong argument count") << ");\n";
      std::string call_args;
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << "                ACTR_TRY(auto a" << i << ", (Conv<" << s.param_types[i]
          << ">::from(args[" << i << "])));\n";
        call_args += (i ? ", " : "") + std::string("a") + std::to_string(i);
      }
      if (s.result == "void") {
        c << "                (void)results;\n                return impl->" << name << "("
          << call_args << ");\n";
      } else {
        c << "                ACTR_TRY(auto r, impl->" << name << "(" << call_args << "));\n";
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
          << call_args << ");\n";
      } else {
        c << "                ACTR_TRY(auto r, impl->" << name << "(" << call_args << "));\n";
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
    h << "// Typed calls to the `" << (iface ? instance : plan.world().name)
      << "` exports of an instance (which must outlive the proxy).\nclass " << cls
      << " {\n public:\n  static ::actr::Result<" << cls
      << "> bind(::actr::component::Instance& instance);\n\n";
    c << "namespace " << namespace_decl(ns) << " {\n\n";
    c << "::actr::Result<" << cls << "> " << cls
      << "::bind(::actr::component::Instance& instance) {\n  using namespace ::actr::wit::host;\n  "
      << cls << " p;\n  std::string why;\n";
    std::string members;
    for (const BoundFunction* bf : funcs) {
      const Function& f = *bf->function;
      ACTR_TRY(Signature s, signature(plan, f));
      std::string name = snake_name(f.name);
      std::string export_name = iface ? instance + "#" + bf->wit_name : bf->wit_name;
      members += "  ::actr::component::ExportedFunc* " + name + "_ = nullptr;\n";
      members += "  bool " + name + "_raw_ = false;  // the fast path\n";
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
      std::string name = snake_name(bf->function->name);
      c << "  p." << name << "_raw_ = p." << name << "_->supports_raw();\n";
    }
    c << "  return p;\n}\n\n";
    for (const BoundFunction* bf : funcs) {
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
    h << "\n private:\n" << members << "};\n\n}  // namespace " << namespace_decl(ns) << "\n\n";
    c << "}  // namespace " << namespace_decl(ns) << "\n\n";
  }

  return std::vector<OutputFile>{runtime_header(),
                                 host_runtime_header(),
                                 {base + "_types.hpp", std::move(types)},
                                 {base + "_host.hpp", h.str()},
                                 {base + "_host.cpp", c.str()}};
}

}  // namespace actr::witgen
