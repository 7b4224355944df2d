#include <algorithm>
#include <map>
#include <sstream>

#include "actr/component/canonical/layout.hpp"
#include "witgen/cpp_types.hpp"
#include "witgen/generator.hpp"
#include "witgen/names.hpp"

namespace actr::witgen {

namespace {

namespace canonical = component::canonical;

const char* core_type(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::I32:
      return "int32_t";
    case wasm::ValType::I64:
      return "int64_t";
    case wasm::ValType::F32:
      return "float";
    case wasm::ValType::F64:
      return "double";
    default:
      return "int32_t";
  }
}
const char* from_slot(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::I64:
      return "core_i64";
    case wasm::ValType::F32:
      return "core_f32";
    case wasm::ValType::F64:
      return "core_f64";
    default:
      return "core_i32";
  }
}

// A resource's C++ class and the glue names that go with it.
struct ResourceNames {
  std::string cls;     // "::ns::pkg::iface::Counter", "::ns::pkg::exports::iface::Accumulator"
  std::string symbol;  // "test_res_counters_0_1_0_counter": suffix of the glue's helpers
};

std::string exports_ns(const BindingPlan& plan, const Interface* iface) {
  if (!iface) return plan.root_ns() + "::exports";
  std::string ns = plan.ns_of(iface);
  return plan.root_ns() + "::exports" + ns.substr(ns.rfind("::"));
}

ResourceNames resource_names(const BindingPlan& plan, const TypeDef& r) {
  std::string instance = r.owner ? r.owner->qualified_name() : "$root";
  return {plan.resource_class(r), symbol_name(instance + "#" + r.name)};
}

// Member names the handle classes define themselves.
std::string member_name(const std::string& wit_name) {
  std::string n = snake_name(wit_name);
  if (n == "handle" || n == "release" || n == "reset" || n == "valid" || n == "adopt" ||
      n == "create") {
    n += '_';
  }
  return n;
}

// One parameter (or the result) of a function as the bindings move it: the C++ type the guest's
// code sees, and the type whose Abi<> lowers and lifts it (the same, or uint32_t for a handle).
struct Crossing {
  std::string name;
  std::string cpp;  // the user-facing type
  std::string abi;
  std::optional<Handle> handle;
  ResourceNames res;  // handles only
  bool scalar = false;
  bool holds_handles = false;  // a type with handles inside: passed by value (owns move)
};

struct Signature {
  std::string result = "void";  // user-facing
  std::string result_abi = "void";
  std::optional<Handle> result_handle;
  ResourceNames result_res;
  std::vector<Crossing> params;  // methods: `self` first
};

Result<Crossing> crossing(const BindingPlan& plan, const std::string& name, const Type& t) {
  Crossing c;
  c.name = name;
  c.handle = plan.handle_of(t);
  if (!c.handle) {
    ACTR_TRY(c.cpp, plan.cpp_type(t));
    c.abi = c.cpp;
    c.scalar = plan.is_scalar(t);
    c.holds_handles = plan.contains_handle(t);
    return c;
  }
  c.res = resource_names(plan, *c.handle->resource);
  c.abi = "uint32_t";
  if (c.handle->guest_defined) {
    c.cpp = c.handle->own ? "std::unique_ptr<" + c.res.cls + ">" : c.res.cls + "&";
  } else {
    c.cpp = c.handle->own ? c.res.cls : "const " + c.res.cls + "&";
  }
  return c;
}

Result<Signature> signature(const BindingPlan& plan, const BoundFunction& bf) {
  const Function& f = *bf.function;
  Signature s;
  if (bf.resource && f.kind == Function::Kind::Method) {
    Crossing self;
    self.name = "self";
    self.handle = Handle{bf.resource, false, plan.guest_defined(*bf.resource)};
    self.res = resource_names(plan, *bf.resource);
    self.abi = "uint32_t";
    self.cpp = self.handle->guest_defined ? self.res.cls + "&" : "const " + self.res.cls + "&";
    s.params.push_back(std::move(self));
  }
  if (bf.resource && f.kind == Function::Kind::Constructor) {
    if (f.result) {
      return make_error(to_string(f.pos) + ": constructor of `" + bf.resource->name +
                        "` with a result type: not supported by the C++ binding generator yet");
    }
    s.result_handle = Handle{bf.resource, true, plan.guest_defined(*bf.resource)};
  } else if (f.result) {
    s.result_handle = plan.handle_of(*f.result);
    if (!s.result_handle) {
      ACTR_TRY(s.result, plan.cpp_type(*f.result));
      s.result_abi = s.result;
    }
  }
  if (s.result_handle) {
    s.result_res = resource_names(plan, *s.result_handle->resource);
    s.result_abi = "uint32_t";
    s.result = s.result_handle->guest_defined ? "std::unique_ptr<" + s.result_res.cls + ">"
                                              : s.result_res.cls;
  }
  if (!f.named_results.empty()) {
    // `-> (a: u32, b: string)`: a std::tuple, laid out and flattened as the results are.
    s.result = "std::tuple<";
    for (size_t i = 0; i < f.named_results.size(); ++i) {
      ACTR_TRY(std::string t, plan.cpp_type(*f.named_results[i].type));
      s.result += (i ? ", " : "") + t;
    }
    s.result += ">";
    s.result_abi = s.result;
  }
  for (const auto& p : f.params) {
    ACTR_TRY(Crossing c, crossing(plan, snake_name(p.name), *p.type));
    s.params.push_back(std::move(c));
  }
  return s;
}

// The parameters as the import wrapper (the guest calling out) declares them.
std::string import_params(const Signature& s, size_t first) {
  std::string out;
  for (size_t i = first; i < s.params.size(); ++i) {
    const Crossing& c = s.params[i];
    std::string decl = c.handle || c.scalar || c.holds_handles ? c.cpp : "const " + c.cpp + "&";
    out += (out.empty() ? "" : ", ") + decl + " " + c.name;
  }
  return out;
}

// The parameters as the guest's implementation of an export declares them.
std::string export_params(const Signature& s, size_t first) {
  std::string out;
  for (size_t i = first; i < s.params.size(); ++i) {
    out += (out.empty() ? "" : ", ") + s.params[i].cpp + " " + s.params[i].name;
  }
  return out;
}

std::string layout_of_params(const Signature& s) {
  std::string l = "RecordLayout<";
  for (size_t i = 0; i < s.params.size(); ++i) l += (i ? ", " : "") + s.params[i].abi;
  return l + ">";
}

Result<void> emit_abi(const BindingPlan& plan, const TypeDef& def, std::ostream& c) {
  std::string t = plan.cpp_name(def);
  switch (def.tag) {
    case TypeDef::Tag::Alias:
      return {};
    case TypeDef::Tag::Resource: {
      // Handles inside other types: the spellings BindingPlan::cpp_type gives them.
      ResourceNames n = resource_names(plan, def);
      if (plan.guest_defined(def)) {
        c << "template <>\nstruct Abi<std::unique_ptr<" << n.cls << ">> : ExportedOwnAbi<" << n.cls
          << ", &::actr_wit_new_" << n.symbol << ", &::actr_wit_take_" << n.symbol
          << "> {};\ntemplate <>\nstruct Abi<" << n.cls << "*> : ExportedBorrowAbi<" << n.cls
          << "> {};\n\n";
      } else {
        c << "template <>\nstruct Abi<" << n.cls << "> : ImportedOwnAbi<" << n.cls
          << "> {};\ntemplate <>\nstruct Abi<const " << n.cls << "*> : ImportedBorrowAbi<" << n.cls
          << "> {};\n\n";
      }
      return {};
    }
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
        << "  static void store(const " << t << "& v, uint8_t* p, Arena& a) { L::store(v.value, "
        << "p, a); }\n"
        << "  static " << t << " load(const uint8_t* p) { return " << t << "{L::load(p)}; }\n"
        << "  static void lower(const " << t << "& v, uint64_t* s, Arena& a) { L::lower(v.value, "
        << "s, a); }\n"
        << "  static " << t << " lift(const uint64_t* s) { return " << t << "{L::lift(s)}; }\n"
        << "};\n\n";
      return {};
    case TypeDef::Tag::Record: {
      std::vector<std::string> types;
      for (const auto& f : def.fields) {
        ACTR_TRY(std::string ft, plan.cpp_type(*f.type));
        types.push_back(ft);
      }
      c << "template <>\nstruct Abi<" << t << "> {\n  using L = RecordLayout<";
      for (size_t i = 0; i < types.size(); ++i) c << (i ? ", " : "") << types[i];
      c << ">;\n  static constexpr uint32_t size = L::size, align = L::align, flat = L::flat;\n";
      c << "  static void store(const " << t << "& v, uint8_t* p, Arena& a) {\n";
      for (size_t i = 0; i < types.size(); ++i) {
        c << "    Abi<" << types[i] << ">::store(v." << snake_name(def.fields[i].name)
          << ", p + L::offset(" << i << "), a);\n";
      }
      c << "  }\n  static " << t << " load(const uint8_t* p) {\n    " << t << " v;\n";
      for (size_t i = 0; i < types.size(); ++i) {
        c << "    v." << snake_name(def.fields[i].name) << " = Abi<" << types[i]
          << ">::load(p + L::offset(" << i << "));\n";
      }
      c << "    return v;\n  }\n  static void lower(const " << t
        << "& v, uint64_t* s, Arena& a) {\n";
      for (size_t i = 0; i < types.size(); ++i) {
        c << "    Abi<" << types[i] << ">::lower(v." << snake_name(def.fields[i].name)
          << ", s + L::slot(" << i << "), a);\n";
      }
      c << "  }\n  static " << t << " lift(const uint64_t* s) {\n    " << t << " v;\n";
      for (size_t i = 0; i < types.size(); ++i) {
        c << "    v." << snake_name(def.fields[i].name) << " = Abi<" << types[i]
          << ">::lift(s + L::slot(" << i << "));\n";
      }
      c << "    return v;\n  }\n};\n\n";
      return {};
    }
  }
  return {};
}

// The argument expression that hands parameter `c` of an import to the ABI code.
std::string to_abi(const Crossing& c) {
  if (!c.handle) return c.name;
  if (c.name == "self") return "handle_";
  if (c.handle->guest_defined)
    return "::actr_wit_new_" + c.res.symbol + "(" + c.name + ".release())";
  return c.handle->own ? c.name + ".release()" : c.name + ".handle()";
}

// The wrapper of one imported function: lowers the arguments, calls the core import, lifts the
// result (freeing what the host allocated for it). Resource functions become members of the
// resource's class. Returns the declaration for the header.
Result<std::string> emit_import(const BindingPlan& plan, const BoundFunction& bf, std::ostream& c) {
  const Function& f = *bf.function;
  ACTR_TRY(Signature s, signature(plan, bf));
  for (const Crossing& p : s.params) {
    if (p.handle && p.handle->guest_defined && !p.handle->own) {
      return make_error(to_string(f.pos) + ": `" + f.name + "` borrows a resource the guest " +
                        "exports: not supported by the C++ binding generator yet");
    }
  }
  Function::Kind kind = bf.resource ? f.kind : Function::Kind::Freestanding;
  size_t first = kind == Function::Kind::Method ? 1 : 0;
  std::string name = bf.resource ? member_name(f.name) : snake_name(f.name);
  std::string cls = bf.resource ? pascal_name(bf.resource->name) : "";
  std::string params = import_params(s, first);
  std::string symbol = "actr_wit_import_" + symbol_name(bf.instance + "#" + bf.wit_name);
  wasm::FuncType core = canonical::flatten_func(bf.type, canonical::Direction::Lower);
  uint32_t flat_params = canonical::flat_count(bf.type.params);
  uint32_t flat_results = canonical::flat_count(bf.type.results);
  bool params_in_memory = flat_params > canonical::kMaxFlatParams;
  bool result_in_memory = flat_results > canonical::kMaxFlatResults;
  std::string module = bf.instance.empty() ? "$root" : bf.instance;

  std::string indent = bf.resource ? "  " : "";
  std::string decl = doc_lines(f.docs, indent) + indent;
  std::string def;
  switch (kind) {
    case Function::Kind::Constructor:
      if (s.params.empty()) {  // `Counter()` is the empty handle
        decl += "static " + cls + " create();\n";
        def = cls + " " + cls + "::create() {\n";
        break;
      }
      decl += "explicit " + cls + "(" + params + ");\n";
      def = cls + "::" + cls + "(" + params + ") {\n";
      break;
    case Function::Kind::Method:
      decl += s.result + " " + name + "(" + params + ") const;\n";
      def = s.result + " " + cls + "::" + name + "(" + params + ") const {\n";
      break;
    case Function::Kind::Static:
      decl += "static " + s.result + " " + name + "(" + params + ");\n";
      def = s.result + " " + cls + "::" + name + "(" + params + ") {\n";
      break;
    default:
      decl += s.result + " " + name + "(" + params + ");\n";
      def = s.result + " " + name + "(" + params + ") {\n";
      break;
  }
  std::ostringstream extern_decl;
  extern_decl << "extern \"C\" __attribute__((import_module(" << string_literal(module)
              << "), import_name(" << string_literal(bf.wit_name) << "))) "
              << (core.results.empty() ? "void" : core_type(core.results[0])) << " " << symbol
              << "(";
  for (size_t i = 0; i < core.params.size(); ++i) {
    extern_decl << (i ? ", " : "") << core_type(core.params[i]);
  }
  extern_decl << ");\n\n";
  std::ostringstream body;
  body << "  using namespace ::actr::wit::abi;\n  Arena arena;\n  arena.copy_strings = false;\n";
  std::vector<std::string> args;
  if (!s.params.empty()) {
    body << "  using P = " << layout_of_params(s) << ";\n";
    if (params_in_memory) {
      body << "  uint8_t* params = arena.alloc(P::size);\n";
      for (size_t i = 0; i < s.params.size(); ++i) {
        body << "  Abi<" << s.params[i].abi << ">::store(" << to_abi(s.params[i])
             << ", params + P::offset(" << i << "), arena);\n";
      }
      args.push_back("static_cast<int32_t>(address(params))");
    } else {
      body << "  static_assert(P::flat == " << flat_params << ");\n";
      body << "  uint64_t slots[" << flat_params << "] = {};\n";
      for (size_t i = 0; i < s.params.size(); ++i) {
        body << "  Abi<" << s.params[i].abi << ">::lower(" << to_abi(s.params[i])
             << ", slots + P::slot(" << i << "), arena);\n";
      }
      for (uint32_t i = 0; i < flat_params; ++i) {
        args.push_back(std::string(from_slot(core.params[i])) + "(slots[" + std::to_string(i) +
                       "])");
      }
    }
  }
  std::string call_args;
  for (size_t i = 0; i < args.size(); ++i) call_args += (i ? ", " : "") + args[i];
  if (s.result_abi == "void") {
    body << "  " << symbol << "(" << call_args << ");\n}\n\n";
  } else if (result_in_memory) {
    body << "  alignas(8) uint8_t ret[Abi<" << s.result_abi << ">::size];\n";
    body << "  " << symbol << "(" << call_args << (call_args.empty() ? "" : ", ")
         << "static_cast<int32_t>(address(ret)));\n";
    body << "  return Abi<" << s.result_abi << ">::load(ret);\n}\n\n";
  } else if (s.result_handle) {
    std::string h = "static_cast<uint32_t>(" + symbol + "(" + call_args + "))";
    std::string owned = s.result_handle->guest_defined
                            ? "::actr_wit_take_" + s.result_res.symbol + "(" + h + ")"
                            : s.result_res.cls + "::adopt(" + h + ")";
    if (kind == Function::Kind::Constructor && !s.params.empty()) {
      body << "  handle_ = " << h << ";\n}\n\n";
    } else {
      body << "  return " << owned << ";\n}\n\n";
    }
  } else {
    body << "  uint64_t result = slot_of(" << symbol << "(" << call_args << "));\n";
    body << "  return Abi<" << s.result_abi << ">::lift(&result);\n}\n\n";
  }
  c << extern_decl.str() << def << body.str();
  return decl;
}

// The argument expression for parameter `c` of the guest's implementation of an export, from the
// lifted `a<i>`; `pre` receives what must live for the call.
std::string from_abi(const Crossing& c, size_t i, std::string& pre) {
  std::string a = "a" + std::to_string(i);
  if (!c.handle) return "std::move(" + a + ")";
  if (c.handle->guest_defined) {
    if (c.handle->own) return "::actr_wit_take_" + c.res.symbol + "(" + a + ")";
    return "*static_cast<" + c.res.cls + "*>(static_cast<void*>(pointer(" + a + ")))";
  }
  if (c.handle->own) return c.res.cls + "::adopt(" + a + ")";
  // A borrowed handle: dropped when the call returns, as the canonical ABI requires.
  pre += "  " + c.res.cls + " b" + std::to_string(i) + " = " + c.res.cls + "::adopt(" + a + ");\n";
  return "b" + std::to_string(i);
}

// The core export of one exported function: lifts the arguments (freeing the host's blocks),
// calls the guest's implementation, lowers the result into a static return area whose blocks
// the cabi_post_ function frees. Returns the declaration of what the guest implements.
Result<std::string> emit_export(const BindingPlan& plan, const BoundFunction& bf,
                                const std::string& user_ns, std::ostream& c) {
  const Function& f = *bf.function;
  ACTR_TRY(Signature s, signature(plan, bf));
  Function::Kind kind = bf.resource ? f.kind : Function::Kind::Freestanding;
  size_t first = kind == Function::Kind::Method ? 1 : 0;
  std::string name = bf.resource ? member_name(f.name) : snake_name(f.name);
  std::string cls = bf.resource ? resource_names(plan, *bf.resource).cls : "";
  std::string export_name = bf.instance.empty() ? bf.wit_name : bf.instance + "#" + bf.wit_name;
  std::string symbol = "actr_wit_export_" + symbol_name(export_name);
  wasm::FuncType core = canonical::flatten_func(bf.type, canonical::Direction::Lift);
  uint32_t flat_params = canonical::flat_count(bf.type.params);
  uint32_t flat_results = canonical::flat_count(bf.type.results);
  bool params_in_memory = flat_params > canonical::kMaxFlatParams;
  bool result_in_memory = flat_results > canonical::kMaxFlatResults;

  std::string params = export_params(s, first);
  std::string decl;
  switch (kind) {
    case Function::Kind::Constructor:
      decl = doc_lines(f.docs, "  ") + "  static " + s.result + " create(" + params + ");\n";
      break;
    case Function::Kind::Method:
      decl = doc_lines(f.docs, "  ") + "  virtual " + s.result + " " + name + "(" + params +
             ") = 0;\n";
      break;
    case Function::Kind::Static:
      decl = doc_lines(f.docs, "  ") + "  static " + s.result + " " + name + "(" + params + ");\n";
      break;
    default:
      decl = doc_lines(f.docs, "") + s.result + " " + name + "(" + params + ");\n";
      break;
  }

  if (result_in_memory) {
    // The result itself stays alive until post-return, so that its strings and byte lists are
    // handed to the host in place instead of copied.
    c << "alignas(8) static uint8_t " << symbol << "_ret[::actr::wit::abi::Abi<" << s.result_abi
      << ">::size];\nstatic std::optional<" << s.result_abi << "> " << symbol << "_keep;\n\n";
  }
  c << "extern \"C\" __attribute__((export_name(" << string_literal(export_name) << "))) "
    << (core.results.empty() ? "void" : core_type(core.results[0])) << " " << symbol << "(";
  for (size_t i = 0; i < core.params.size(); ++i) {
    c << (i ? ", " : "") << core_type(core.params[i]) << " p" << i;
  }
  c << ") {\n  using namespace ::actr::wit::abi;\n";
  std::vector<std::string> call_args;
  std::string pre;
  if (std::any_of(s.params.begin(), s.params.end(),
                  [](const Crossing& p) { return p.holds_handles; })) {
    c << "  BorrowScope borrows;  // drops the borrowed handles inside the arguments on return\n";
  }
  if (!s.params.empty()) {
    c << "  using P = " << layout_of_params(s) << ";\n";
    if (params_in_memory) {
      c << "  uint8_t* params = pointer(static_cast<uint32_t>(p0));\n";
      for (size_t i = 0; i < s.params.size(); ++i) {
        c << "  auto a" << i << " = Abi<" << s.params[i].abi << ">::load(params + P::offset(" << i
          << "));\n";
      }
      c << "  host_blocks.give_back(params);\n";
    } else {
      c << "  static_assert(P::flat == " << flat_params << ");\n";
      c << "  const uint64_t slots[" << flat_params << "] = {";
      for (uint32_t i = 0; i < flat_params; ++i) c << (i ? ", " : "") << "slot_of(p" << i << ")";
      c << "};\n";
      for (size_t i = 0; i < s.params.size(); ++i) {
        c << "  auto a" << i << " = Abi<" << s.params[i].abi << ">::lift(slots + P::slot(" << i
          << "));\n";
      }
    }
    for (size_t i = 0; i < s.params.size(); ++i) {
      call_args.push_back(from_abi(s.params[i], i, pre));
    }
  }
  c << pre;
  std::string args;
  for (size_t i = first; i < call_args.size(); ++i) {
    args += (i > first ? ", " : "") + call_args[i];
  }
  std::string call;
  switch (kind) {
    case Function::Kind::Constructor:
      call = cls + "::create(" + args + ")";
      break;
    case Function::Kind::Method:
      call = "(" + call_args[0] + ")." + name + "(" + args + ")";
      break;
    case Function::Kind::Static:
      call = cls + "::" + name + "(" + args + ")";
      break;
    default:
      call = user_ns + "::" + name + "(" + args + ")";
      break;
  }
  if (s.result_abi == "void") {
    c << "  " << call << ";\n}\n\n";
    return decl;
  }
  if (s.result_handle) {
    call = s.result_handle->guest_defined
               ? "::actr_wit_new_" + s.result_res.symbol + "(" + call + ".release())"
               : call + ".release()";
  }
  c << "  auto result = " << call << ";\n";
  if (result_in_memory) {
    c << "  Arena& arena = post_return_arena();\n  arena.release();\n"
      << "  arena.copy_strings = false;\n";
    c << "  " << symbol << "_keep = std::move(result);\n";
    c << "  Abi<" << s.result_abi << ">::store(*" << symbol << "_keep, " << symbol
      << "_ret, arena);\n";
    c << "  return static_cast<int32_t>(address(" << symbol << "_ret));\n}\n\n";
    c << "extern \"C\" __attribute__((export_name(" << string_literal("cabi_post_" + export_name)
      << "))) void " << symbol << "_post(int32_t) {\n"
      << "  ::actr::wit::abi::post_return_arena().release();\n  " << symbol
      << "_keep.reset();\n}\n\n";
  } else {
    c << "  Arena arena;\n  uint64_t slot = 0;\n";
    c << "  Abi<" << s.result_abi << ">::lower(result, &slot, arena);\n";
    c << "  return " << from_slot(core.results[0]) << "(slot);\n}\n\n";
  }
  return decl;
}

}  // namespace

Result<std::vector<OutputFile>> generate_guest(const PackageSet& packages,
                                               const GeneratorOptions& options) {
  ACTR_TRY(BindingPlan plan, BindingPlan::make(packages, options));
  plan.set_side(Side::Guest);
  std::string base = plan.file_base();

  std::ostringstream h, c;
  h << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n// Guest bindings: call the world's imports; implement its exports "
       "(declared under `exports`).\n#pragma once\n\n#include \""
    << base << "_types.hpp\"\n\n#include <cstdint>\n#include <memory>\n\n";
  c << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n// The canonical ABI glue of the guest bindings.\n#include \"" << base
    << "_guest.hpp\"\n\n#include <cstdlib>\n#include <optional>\n\n#include "
       "\"actr_wit_guest_abi.hpp\"\n\n";

  // Every resource the bindings know: those of the exported interfaces are the guest's own.
  std::vector<const TypeDef*> resources;
  for (const auto& b : plan.interfaces()) {
    for (const TypeDef* r : BindingPlan::resources_of(*b.interface)) resources.push_back(r);
  }
  for (const TypeDef* r : resources) {
    if (!plan.guest_defined(*r)) continue;
    // The component's own resource: handles come from resource.new, the objects are the reps.
    ResourceNames n = resource_names(plan, *r);
    std::string module = "[export]" + (r->owner ? r->owner->qualified_name() : "$root");
    const char* ops[] = {"new", "rep", "drop"};
    for (const char* op : ops) {
      c << "extern \"C\" __attribute__((import_module(" << string_literal(module)
        << "), import_name(" << string_literal("[resource-" + std::string(op) + "]" + r->name)
        << "))) " << (std::string(op) == "drop" ? "void" : "int32_t") << " actr_wit_" << op
        << "_raw_" << n.symbol << "(int32_t);\n";
    }
    c << "static uint32_t actr_wit_detaching_" << n.symbol << " = 0;\n\n"
      << "// A new own handle for `object`, which the component owns from now on.\n"
      << "[[maybe_unused]] static uint32_t actr_wit_new_" << n.symbol << "(" << n.cls
      << "* object) {\n  if (!object) __builtin_trap();\n  return "
         "static_cast<uint32_t>(actr_wit_new_raw_"
      << n.symbol << "(static_cast<int32_t>(::actr::wit::abi::address(object))));\n}\n\n"
      << "// The object behind an own handle, taken out of it: the handle is dropped, the object "
         "kept.\n"
      << "[[maybe_unused]] static std::unique_ptr<" << n.cls << "> actr_wit_take_" << n.symbol
      << "(uint32_t handle) {\n  auto rep = static_cast<uint32_t>(actr_wit_rep_raw_" << n.symbol
      << "(static_cast<int32_t>(handle)));\n  actr_wit_detaching_" << n.symbol
      << " = rep;\n  actr_wit_drop_raw_" << n.symbol << "(static_cast<int32_t>(handle));\n"
      << "  actr_wit_detaching_" << n.symbol << " = 0;\n  return std::unique_ptr<" << n.cls
      << ">(static_cast<" << n.cls
      << "*>(static_cast<void*>(::actr::wit::abi::pointer(rep))));\n}\n\n";
    std::string dtor = (r->owner ? r->owner->qualified_name() + "#" : "") + "[dtor]" + r->name;
    c << "extern \"C\" __attribute__((export_name(" << string_literal(dtor)
      << "))) void actr_wit_dtor_" << n.symbol
      << "(int32_t rep) {\n  if (static_cast<uint32_t>(rep) == actr_wit_detaching_" << n.symbol
      << ") return;\n  delete static_cast<" << n.cls
      << "*>(static_cast<void*>(::actr::wit::abi::pointer(static_cast<uint32_t>(rep))));\n}\n\n";
  }

  c << "namespace actr::wit::abi {\n\n";
  for (const auto& b : plan.interfaces()) {
    for (const TypeDef* d : b.types) ACTR_TRY_VOID(emit_abi(plan, *d, c));
  }
  for (const TypeDef* d : plan.world_types()) ACTR_TRY_VOID(emit_abi(plan, *d, c));
  c << "}  // namespace actr::wit::abi\n\n";

  // The allocator the host lowers strings, lists and parameter blocks through: the binding
  // runtime's HostBlocks, which lifting gives every block back to.
  c << "extern \"C\" __attribute__((export_name(\"cabi_realloc\"))) void* cabi_realloc(\n"
       "    void* old_ptr, size_t old_size, size_t align, size_t new_size) {\n"
       "  (void)align;  // blocks are aligned to 8, the ABI's maximum\n"
       "  return ::actr::wit::abi::host_blocks.realloc(old_ptr, old_size, new_size);\n}\n\n";

  std::string open_ns;
  auto switch_ns = [&](const std::string& ns) {
    if (ns == open_ns) return;
    if (!open_ns.empty()) c << "}  // namespace " << namespace_decl(open_ns) << "\n\n";
    open_ns = ns;
    if (!ns.empty()) c << "namespace " << namespace_decl(ns) << " {\n\n";
  };
  std::vector<std::string> retained;
  for (const TypeDef* r : resources) {
    if (plan.guest_defined(*r)) continue;
    ResourceNames n = resource_names(plan, *r);
    std::string module = r->owner ? r->owner->qualified_name() : "$root";
    switch_ns(plan.ns_of(r->owner));
    std::string cls = pascal_name(r->name);
    std::string drop = "actr_wit_drop_" + n.symbol;
    c << "extern \"C\" __attribute__((import_module(" << string_literal(module) << "), import_name("
      << string_literal("[resource-drop]" + r->name) << "))) void " << drop << "(int32_t);\n\nvoid "
      << cls << "::reset() {\n  if (handle_ != 0) " << drop
      << "(static_cast<int32_t>(release()));\n}\n\n";
    retained.push_back(n.cls.substr(0, n.cls.rfind("::")) + "::" + drop);
  }

  std::map<const TypeDef*, std::string> members;  // resource -> member declarations
  std::ostringstream free_imports;
  std::string free_ns;
  for (const auto& bf : plan.imports()) {
    std::string ns = bf.interface ? plan.ns_of(bf.interface) : plan.root_ns();
    switch_ns(ns);
    ACTR_TRY(std::string decl, emit_import(plan, bf, c));
    std::string symbol = "actr_wit_import_" + symbol_name(bf.instance + "#" + bf.wit_name);
    retained.push_back((ns.empty() ? "" : ns + "::") + symbol);
    if (bf.resource) {
      members[bf.resource] += decl;
      continue;
    }
    if (ns != free_ns) {
      if (!free_ns.empty())
        free_imports << "\n}  // namespace " << namespace_decl(free_ns) << "\n\n";
      free_imports << "namespace " << namespace_decl(ns) << " {\n\n";
      free_ns = ns;
    }
    free_imports << decl;
  }
  if (!free_ns.empty()) free_imports << "\n}  // namespace " << namespace_decl(free_ns) << "\n\n";
  switch_ns("");
  // The linker drops imports nothing calls, and wit-component then drops them from the
  // component's world. Keeping every core import makes the component import exactly the world
  // it was generated for, whichever functions the guest uses (a few bytes per import).
  if (!retained.empty()) {
    c << "extern \"C\" __attribute__((used)) const void* const actr_wit_retained_imports[] = {\n";
    for (const auto& r : retained) c << "    reinterpret_cast<const void*>(&" << r << "),\n";
    c << "};\n\n";
  }

  // Exports: the user's functions are declared in the header; the trampolines are extern "C".
  std::ostringstream free_exports;
  std::string user_open;
  for (const auto& bf : plan.exports()) {
    std::string user_ns = exports_ns(plan, bf.interface);
    ACTR_TRY(std::string decl, emit_export(plan, bf, user_ns, c));
    if (bf.resource) {
      members[bf.resource] += decl;
      continue;
    }
    if (user_ns != user_open) {
      if (!user_open.empty()) {
        free_exports << "\n}  // namespace " << namespace_decl(user_open) << "\n\n";
      }
      free_exports << "// Implemented by the guest: the `"
                   << (bf.interface ? bf.instance : plan.world().name) << "` exports.\nnamespace "
                   << namespace_decl(user_ns) << " {\n\n";
      user_open = user_ns;
    }
    free_exports << decl;
  }
  if (!user_open.empty()) free_exports << "\n}  // namespace " << namespace_decl(user_open) << "\n";

  // The resource classes live in the types header: structs may hold handles by value.
  std::vector<ResourceClass> classes;
  for (const TypeDef* r : resources) {
    std::string cls = pascal_name(r->name);
    std::string full = resource_names(plan, *r).cls;
    std::ostringstream t;
    t << "\n" << doc_lines(r->docs, "");
    if (plan.guest_defined(*r)) {
      t << "// Resource `" << r->name
        << "`, implemented by the guest: derive from this class, define create() (the\n"
           "// constructor) and the static functions. The component owns each object through "
           "its\n// handles; the last drop deletes it.\nclass "
        << cls << " {\n public:\n  virtual ~" << cls << "() = default;\n"
        << members[r] << "};\n\n";
    } else {
      t << "// Resource `" << r->name
        << "`: an own handle (move-only; dropped by the destructor). Methods borrow it.\nclass "
        << cls << " {\n public:\n"
        << members[r] << "\n  // No handle (the state of a moved-from object).\n  " << cls
        << "() = default;\n  // Takes ownership of an own handle.\n  static " << cls
        << " adopt(uint32_t handle) { return " << cls << "(Adopt{}, handle); }\n  " << cls << "("
        << cls << "&& o) noexcept : handle_(o.release()) {}\n  " << cls << "& operator=(" << cls
        << "&& o) noexcept {\n    if (this != &o) {\n      reset();\n      handle_ = o.release();\n"
           "    }\n    return *this;\n  }\n  "
        << cls << "(const " << cls << "&) = delete;\n  " << cls << "& operator=(const " << cls
        << "&) = delete;\n  ~" << cls
        << "() { reset(); }\n\n  uint32_t handle() const { return handle_; }\n"
           "  bool valid() const { return handle_ != 0; }\n"
           "  // Gives the handle up: this object no longer drops it.\n"
           "  uint32_t release() {\n    uint32_t h = handle_;\n    handle_ = 0;\n    return h;\n"
           "  }\n  // Drops the handle now ([resource-drop]"
        << r->name << ").\n  void reset();\n\n private:\n  struct Adopt {};\n  " << cls
        << "(Adopt, uint32_t handle) : handle_(handle) {}\n  uint32_t handle_ = 0;\n};\n";
    }
    classes.push_back({full.substr(0, full.rfind("::")), cls, t.str()});
  }
  ACTR_TRY(std::string types, emit_types_header(plan, classes));
  h << free_imports.str() << free_exports.str();

  return std::vector<OutputFile>{runtime_header(),
                                 guest_runtime_header(),
                                 {base + "_types.hpp", std::move(types)},
                                 {base + "_guest.hpp", h.str()},
                                 {base + "_guest.cpp", c.str()}};
}

}  // namespace actr::witgen
