#include <sstream>

#include "component/canonical/layout.hpp"
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

struct Signature {
  std::string result = "void";
  std::vector<std::string> param_types, param_names;
  std::string import_params;  // wrapper parameters: `const T& a, uint32_t b`
  std::string export_params;  // user function parameters: `T a, uint32_t b`
};

Result<Signature> signature(const BindingPlan& plan, const Function& f) {
  Signature s;
  if (f.result) {
    ACTR_TRY(s.result, plan.cpp_type(*f.result));
  }
  if (!f.named_results.empty()) {
    // `-> (a: u32, b: string)`: a std::tuple, laid out and flattened as the results are.
    s.result = "std::tuple<";
    for (size_t i = 0; i < f.named_results.size(); ++i) {
      ACTR_TRY(std::string t, plan.cpp_type(*f.named_results[i].type));
      s.result += (i ? ", " : "") + t;
    }
    s.result += ">";
  }
  for (size_t i = 0; i < f.params.size(); ++i) {
    ACTR_TRY(std::string t, plan.cpp_type(*f.params[i].type));
    std::string n = snake_name(f.params[i].name);
    s.param_types.push_back(t);
    s.param_names.push_back(n);
    bool scalar = plan.is_scalar(*f.params[i].type);
    s.import_params += (i ? ", " : "") + (scalar ? t : "const " + t + "&") + " " + n;
    s.export_params += (i ? ", " : "") + t + " " + n;
  }
  return s;
}

std::string layout_of_params(const Signature& s) {
  std::string l = "RecordLayout<";
  for (size_t i = 0; i < s.param_types.size(); ++i) l += (i ? ", " : "") + s.param_types[i];
  return l + ">";
}

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

// The wrapper of one imported function: lowers the arguments, calls the core import, lifts the
// result (freeing what the host allocated for it).
Result<void> emit_import(const BindingPlan& plan, const BoundFunction& bf, std::ostream& h,
                         std::ostream& c) {
  const Function& f = *bf.function;
  ACTR_TRY(Signature s, signature(plan, f));
  std::string name = snake_name(f.name);
  std::string symbol = "actr_wit_import_" + symbol_name(bf.instance + "#" + bf.wit_name);
  wasm::FuncType core = canonical::flatten_func(bf.type, canonical::Direction::Lower);
  uint32_t flat_params = canonical::flat_count(bf.type.params);
  uint32_t flat_results = canonical::flat_count(bf.type.results);
  bool params_in_memory = flat_params > canonical::kMaxFlatParams;
  bool result_in_memory = flat_results > canonical::kMaxFlatResults;
  std::string module = bf.instance.empty() ? "$root" : bf.instance;

  h << doc_lines(f.docs, "") << s.result << " " << name << "(" << s.import_params << ");\n";

  c << "extern \"C\" __attribute__((import_module(" << string_literal(module) << "), import_name("
    << string_literal(bf.wit_name) << "))) "
    << (core.results.empty() ? "void" : core_type(core.results[0])) << " " << symbol << "(";
  for (size_t i = 0; i < core.params.size(); ++i) {
    c << (i ? ", " : "") << core_type(core.params[i]);
  }
  c << ");\n\n";

  c << s.result << " " << name << "(" << s.import_params << ") {\n"
    << "  using namespace ::actr::wit::abi;\n  Arena arena;\n  arena.copy_strings = false;\n";
  std::vector<std::string> args;
  if (!s.param_types.empty()) {
    c << "  using P = " << layout_of_params(s) << ";\n";
    if (params_in_memory) {
      c << "  uint8_t* params = arena.alloc(P::size);\n";
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << "  Abi<" << s.param_types[i] << ">::store(" << s.param_names[i]
          << ", params + P::offset(" << i << "), arena);\n";
      }
      args.push_back("static_cast<int32_t>(address(params))");
    } else {
      c << "  static_assert(P::flat == " << flat_params << ");\n";
      c << "  uint64_t slots[" << flat_params << "] = {};\n";
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << "  Abi<" << s.param_types[i] << ">::lower(" << s.param_names[i] << ", slots + P::slot("
          << i << "), arena);\n";
      }
      for (uint32_t i = 0; i < flat_params; ++i) {
        args.push_back(std::string(from_slot(core.params[i])) + "(slots[" + std::to_string(i) +
                       "])");
      }
    }
  }
  std::string call_args;
  for (size_t i = 0; i < args.size(); ++i) call_args += (i ? ", " : "") + args[i];
  if (s.result == "void") {
    c << "  " << symbol << "(" << call_args << ");\n}\n\n";
  } else if (result_in_memory) {
    c << "  alignas(8) uint8_t ret[Abi<" << s.result << ">::size];\n";
    c << "  " << symbol << "(" << call_args << (call_args.empty() ? "" : ", ")
      << "static_cast<int32_t>(address(ret)));\n";
    c << "  return Abi<" << s.result << ">::load(ret);\n}\n\n";
  } else {
    c << "  uint64_t result = slot_of(" << symbol << "(" << call_args << "));\n";
    c << "  return Abi<" << s.result << ">::lift(&result);\n}\n\n";
  }
  return {};
}

// The core export of one exported function: lifts the arguments (freeing the host's blocks),
// calls the guest's implementation, lowers the result into a static return area whose blocks
// the cabi_post_ function frees.
Result<void> emit_export(const BindingPlan& plan, const BoundFunction& bf,
                         const std::string& user_ns, std::ostream& h, std::ostream& c) {
  const Function& f = *bf.function;
  ACTR_TRY(Signature s, signature(plan, f));
  std::string name = snake_name(f.name);
  std::string export_name = bf.instance.empty() ? bf.wit_name : bf.instance + "#" + bf.wit_name;
  std::string symbol = "actr_wit_export_" + symbol_name(export_name);
  wasm::FuncType core = canonical::flatten_func(bf.type, canonical::Direction::Lift);
  uint32_t flat_params = canonical::flat_count(bf.type.params);
  uint32_t flat_results = canonical::flat_count(bf.type.results);
  bool params_in_memory = flat_params > canonical::kMaxFlatParams;
  bool result_in_memory = flat_results > canonical::kMaxFlatResults;

  h << doc_lines(f.docs, "") << s.result << " " << name << "(" << s.export_params << ");\n";

  if (result_in_memory) {
    // The result itself stays alive until post-return, so that its strings and byte lists are
    // handed to the host in place instead of copied.
    c << "alignas(8) static uint8_t " << symbol << "_ret[::actr::wit::abi::Abi<" << s.result
      << ">::size];\nstatic std::optional<" << s.result << "> " << symbol << "_keep;\n\n";
  }
  c << "extern \"C\" __attribute__((export_name(" << string_literal(export_name) << "))) "
    << (core.results.empty() ? "void" : core_type(core.results[0])) << " " << symbol << "(";
  for (size_t i = 0; i < core.params.size(); ++i) {
    c << (i ? ", " : "") << core_type(core.params[i]) << " p" << i;
  }
  c << ") {\n  using namespace ::actr::wit::abi;\n";
  std::string call_args;
  if (!s.param_types.empty()) {
    c << "  using P = " << layout_of_params(s) << ";\n";
    if (params_in_memory) {
      c << "  uint8_t* params = pointer(static_cast<uint32_t>(p0));\n";
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << "  auto a" << i << " = Abi<" << s.param_types[i] << ">::load(params + P::offset(" << i
          << "));\n";
      }
      c << "  std::free(params);\n";
    } else {
      c << "  static_assert(P::flat == " << flat_params << ");\n";
      c << "  const uint64_t slots[" << flat_params << "] = {";
      for (uint32_t i = 0; i < flat_params; ++i) c << (i ? ", " : "") << "slot_of(p" << i << ")";
      c << "};\n";
      for (size_t i = 0; i < s.param_types.size(); ++i) {
        c << "  auto a" << i << " = Abi<" << s.param_types[i] << ">::lift(slots + P::slot(" << i
          << "));\n";
      }
    }
    for (size_t i = 0; i < s.param_types.size(); ++i) {
      call_args += (i ? ", " : "") + std::string("std::move(a") + std::to_string(i) + ")";
    }
  }
  std::string call = user_ns + "::" + name + "(" + call_args + ")";
  if (s.result == "void") {
    c << "  " << call << ";\n}\n\n";
    return {};
  }
  c << "  auto result = " << call << ";\n";
  if (result_in_memory) {
    c << "  Arena& arena = post_return_arena();\n  arena.release();\n"
      << "  arena.copy_strings = false;\n";
    c << "  " << symbol << "_keep = std::move(result);\n";
    c << "  Abi<" << s.result << ">::store(*" << symbol << "_keep, " << symbol << "_ret, arena);\n";
    c << "  return static_cast<int32_t>(address(" << symbol << "_ret));\n}\n\n";
    c << "extern \"C\" __attribute__((export_name(" << string_literal("cabi_post_" + export_name)
      << "))) void " << symbol << "_post(int32_t) {\n"
      << "  ::actr::wit::abi::post_return_arena().release();\n  " << symbol
      << "_keep.reset();\n}\n\n";
  } else {
    c << "  Arena arena;\n  uint64_t slot = 0;\n";
    c << "  Abi<" << s.result << ">::lower(result, &slot, arena);\n";
    c << "  return " << from_slot(core.results[0]) << "(slot);\n}\n\n";
  }
  return {};
}

}  // namespace

Result<std::vector<OutputFile>> generate_guest(const PackageSet& packages,
                                               const GeneratorOptions& options) {
  ACTR_TRY(BindingPlan plan, BindingPlan::make(packages, options));
  std::string base = plan.file_base();
  ACTR_TRY(std::string types, emit_types_header(plan));

  std::ostringstream h, c;
  h << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n// Guest bindings: call the world's imports; implement its exports "
       "(declared under `exports`).\n#pragma once\n\n#include \""
    << base << "_types.hpp\"\n\n";
  c << "// Generated by actr-witgen from world `" << plan.world().name
    << "`. Do not edit.\n// The canonical ABI glue of the guest bindings.\n#include \"" << base
    << "_guest.hpp\"\n\n#include <cstdlib>\n#include <optional>\n\n#include "
       "\"actr_wit_guest_abi.hpp\"\n\n"
    << "namespace actr::wit::abi {\n\n";
  for (const auto& b : plan.interfaces()) {
    for (const TypeDef* d : b.types) ACTR_TRY_VOID(emit_abi(plan, *d, c));
  }
  for (const TypeDef* d : plan.world_types()) ACTR_TRY_VOID(emit_abi(plan, *d, c));
  c << "}  // namespace actr::wit::abi\n\n";

  // The allocator the host lowers strings, lists and parameter blocks through. A zero-size
  // request still gets a real block, since lifting frees every block it is handed.
  c << "extern \"C\" __attribute__((export_name(\"cabi_realloc\"))) void* cabi_realloc(\n"
       "    void* old_ptr, size_t old_size, size_t align, size_t new_size) {\n"
       "  (void)old_size;\n  (void)align;  // malloc aligns to at least 8, the ABI's maximum\n"
       "  void* block = std::realloc(old_ptr, new_size == 0 ? 1 : new_size);\n"
       "  if (!block) __builtin_trap();\n  return block;\n}\n\n";

  std::string open_ns;
  auto switch_ns = [&](const std::string& ns) {
    if (ns == open_ns) return;
    if (!open_ns.empty()) {
      h << "\n}  // namespace " << namespace_decl(open_ns) << "\n\n";
      c << "}  // namespace " << namespace_decl(open_ns) << "\n\n";
    }
    open_ns = ns;
    if (!ns.empty()) {
      h << "namespace " << namespace_decl(ns) << " {\n\n";
      c << "namespace " << namespace_decl(ns) << " {\n\n";
    }
  };
  for (const auto& bf : plan.imports()) {
    switch_ns(bf.interface ? plan.ns_of(bf.interface) : plan.root_ns());
    ACTR_TRY_VOID(emit_import(plan, bf, h, c));
  }
  switch_ns("");
  // The linker drops imports nothing calls, and wit-component then drops them from the
  // component's world. Keeping every core import makes the component import exactly the world
  // it was generated for, whichever functions the guest uses (a few bytes per import).
  if (!plan.imports().empty()) {
    c << "extern \"C\" __attribute__((used)) const void* const actr_wit_retained_imports[] = {\n";
    for (const auto& bf : plan.imports()) {
      std::string ns = bf.interface ? plan.ns_of(bf.interface) : plan.root_ns();
      c << "    reinterpret_cast<const void*>(&" << (ns.empty() ? "" : ns + "::")
        << "actr_wit_import_" << symbol_name(bf.instance + "#" + bf.wit_name) << "),\n";
    }
    c << "};\n\n";
  }

  // Exports: the user's functions are declared in the header; the trampolines are extern "C".
  std::string user_open;
  for (const auto& bf : plan.exports()) {
    std::string user_ns =
        plan.root_ns() + "::exports" +
        (bf.interface ? plan.ns_of(bf.interface).substr(plan.ns_of(bf.interface).rfind("::")) : "");
    if (user_ns != user_open) {
      if (!user_open.empty()) h << "\n}  // namespace " << namespace_decl(user_open) << "\n\n";
      h << "// Implemented by the guest: the `" << (bf.interface ? bf.instance : plan.world().name)
        << "` exports.\nnamespace " << namespace_decl(user_ns) << " {\n\n";
      user_open = user_ns;
    }
    ACTR_TRY_VOID(emit_export(plan, bf, user_ns, h, c));
  }
  if (!user_open.empty()) h << "\n}  // namespace " << namespace_decl(user_open) << "\n";

  return std::vector<OutputFile>{runtime_header(),
                                 guest_runtime_header(),
                                 {base + "_types.hpp", std::move(types)},
                                 {base + "_guest.hpp", h.str()},
                                 {base + "_guest.cpp", c.str()}};
}

}  // namespace actr::witgen
