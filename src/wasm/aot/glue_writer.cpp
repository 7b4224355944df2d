#include "wasm/aot/glue_writer.hpp"

#include <cstdio>
#include <map>
#include <set>

#include "wasm/aot/c_translation.hpp"
#include "wasm/aot/embedded_text.hpp"
#include "wasm/aot/instance_tags.hpp"

namespace actr::wasm::aot {
namespace {

// Concatenates by appending (GCC 12 warns, wrongly, on chains of `"literal" + std::string`).
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  ((out += parts), ...);
  return out;
}

std::string num(size_t n) { return std::to_string(n); }

// Inserted where wasm2c's table helpers begin: their bounds checks report table (not memory)
// accesses.
constexpr std::string_view kTableHelpersMarker = "static inline void funcref_table_init(";
constexpr std::string_view kTableHelpersPatch = R"(
/* actr: table helpers trap as table accesses. */
#undef TRAP
#define ACTR_TABLE_TRAP_OOB ((wasm_rt_trap_t)ACTR_TRAP_TABLE_OOB)
#define TRAP(x) (wasm_rt_trap(ACTR_TABLE_TRAP_##x), 0)
)";

// Inserted where the module-specific code begins.
constexpr std::string_view kModuleCodeMarker = "static bool s_module_initialized";
constexpr std::string_view kModuleCodePatch = R"(
/* actr: restore traps; count wasm frames against the store's call-depth budget (a thread-local
 * the host saves and restores around every entry and host call); classify call_indirect traps. */
#undef TRAP
#define TRAP(x) (wasm_rt_trap(WASM_RT_TRAP_##x), 0)
#undef FUNC_PROLOGUE
#undef FUNC_EPILOGUE
#define FUNC_PROLOGUE                                                      \
  if (UNLIKELY(actr_wasm_call_budget == 0 || ACTR_STACK_POINTER() < actr_wasm_stack_limit)) \
    wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);                                   \
  --actr_wasm_call_budget
#define FUNC_EPILOGUE ++actr_wasm_call_budget
/* Exceptions: tries and throws go through actr_unwind_target_t (glue_abi.h). */
#undef WASM_RT_UNWIND_TARGET
#define WASM_RT_UNWIND_TARGET actr_unwind_target_t
#undef wasm_rt_try
#define wasm_rt_try(target) _setjmp(actr_prepare_try(&(target)))
#define wasm_rt_get_unwind_target actr_wasm_get_unwind_target
#define wasm_rt_set_unwind_target actr_wasm_set_unwind_target
#define wasm_rt_throw actr_wasm_throw
#undef CALL_INDIRECT
#define CALL_INDIRECT(table, t, ft, x, ...)                                     \
  (LIKELY((x) < table.size && table.data[x].func_type == func_types[ft]) ||    \
       (actr_wasm_call_indirect_trap(&(table), (x)), 0),                        \
   ((t)table.data[x].func)(__VA_ARGS__))

)";

constexpr std::string_view kPrelude = R"(
/* actr: runtime hooks the host executable exports (see runtime.cpp). */
extern __thread uint32_t actr_wasm_call_budget __attribute__((tls_model("initial-exec")));
extern __thread uintptr_t actr_wasm_stack_limit __attribute__((tls_model("initial-exec")));
#if defined(__x86_64__)
#define ACTR_STACK_POINTER() \
  ({ uintptr_t sp_; __asm__ volatile("mov %%rsp, %0" : "=r"(sp_)); sp_; })
#elif defined(__aarch64__)
#define ACTR_STACK_POINTER() \
  ({ uintptr_t sp_; __asm__ volatile("mov %0, sp" : "=r"(sp_)); sp_; })
#else
#define ACTR_STACK_POINTER() ((uintptr_t)__builtin_frame_address(0))
#endif
WASM_RT_NO_RETURN void actr_wasm_call_indirect_trap(const wasm_rt_funcref_table_t* table,
                                                    uint32_t index);
actr_unwind_target_t* actr_wasm_get_unwind_target(void);
void actr_wasm_set_unwind_target(actr_unwind_target_t* target);
WASM_RT_NO_RETURN void actr_wasm_throw(void);
static inline __attribute__((unused)) struct __jmp_buf_tag* actr_prepare_try(
    actr_unwind_target_t* target) {
  target->call_budget = actr_wasm_call_budget;
  return target->jmp;
}

static inline uint64_t actr_from_f32(f32 v) { uint32_t b; memcpy(&b, &v, 4); return b; }
static inline uint64_t actr_from_f64(f64 v) { uint64_t b; memcpy(&b, &v, 8); return b; }
static inline f32 actr_to_f32(uint64_t s) { uint32_t b = (uint32_t)s; f32 v; memcpy(&v, &b, 4); return v; }
static inline f64 actr_to_f64(uint64_t s) { f64 v; memcpy(&v, &s, 8); return v; }
/* funcrefs have no slot representation; only null crosses the host boundary. */
static inline uint64_t actr_from_funcref(wasm_rt_funcref_t r) {
  if (r.func != NULL) wasm_rt_trap((wasm_rt_trap_t)ACTR_TRAP_UNSUPPORTED_VALUE);
  return 0;
}
static inline wasm_rt_funcref_t actr_to_funcref(uint64_t s) {
  if (s != 0) wasm_rt_trap((wasm_rt_trap_t)ACTR_TRAP_UNSUPPORTED_VALUE);
  return wasm_rt_funcref_null_value;
}
static inline uint64_t actr_from_externref(wasm_rt_externref_t r) { return (uint64_t)(uintptr_t)r; }
static inline wasm_rt_externref_t actr_to_externref(uint64_t s) { return (wasm_rt_externref_t)(uintptr_t)s; }
)";

const char* c_type(ValType t) {
  switch (t) {
    case ValType::I32:
      return "u32";
    case ValType::I64:
      return "u64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    case ValType::FuncRef:
      return "wasm_rt_funcref_t";
    case ValType::ExternRef:
      return "wasm_rt_externref_t";
  }
  return "u32";
}

char multi_letter(ValType t) {
  switch (t) {
    case ValType::I32:
      return 'i';
    case ValType::I64:
      return 'j';
    case ValType::F32:
      return 'f';
    case ValType::F64:
      return 'd';
    case ValType::FuncRef:
      return 'r';
    case ValType::ExternRef:
      return 'e';
  }
  return 'i';
}

const char* slot_suffix(ValType t) {
  switch (t) {
    case ValType::I32:
      return "u32";
    case ValType::I64:
      return "u64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    case ValType::FuncRef:
      return "funcref";
    case ValType::ExternRef:
      return "externref";
  }
  return "u32";
}

// C expression converting a value of type `t` to a uint64_t slot.
std::string to_slot(ValType t, const std::string& expr) {
  switch (t) {
    case ValType::I32:
    case ValType::I64:
      return cat("(uint64_t)(", expr, ")");
    default:
      return cat("actr_from_", slot_suffix(t), "(", expr, ")");
  }
}

std::string from_slot(ValType t, const std::string& expr) {
  switch (t) {
    case ValType::I32:
      return cat("(u32)(", expr, ")");
    case ValType::I64:
      return cat("(u64)(", expr, ")");
    default:
      return cat("actr_to_", slot_suffix(t), "(", expr, ")");
  }
}

std::string result_type(const FuncType& f) {
  if (f.results.empty()) return "void";
  if (f.results.size() == 1) return c_type(f.results[0]);
  std::string s = "struct wasm_multi_";
  for (ValType t : f.results) s += multi_letter(t);
  return s;
}

std::string multi_field(const FuncType& f, size_t i) {
  return cat(std::string(1, multi_letter(f.results[i])), num(i));
}

// "T (*)(void*, P0, P1)"
std::string typed_pointer_type(const FuncType& f) {
  std::string s = cat(result_type(f), " (*)(void*");
  for (ValType t : f.params) s += cat(", ", c_type(t));
  return s + ")";
}

const char* kind_constant(ExternKind k) {
  switch (k) {
    case ExternKind::Func:
      return "ACTR_EXTERN_FUNC";
    case ExternKind::Table:
      return "ACTR_EXTERN_TABLE";
    case ExternKind::Memory:
      return "ACTR_EXTERN_MEMORY";
    case ExternKind::Global:
      return "ACTR_EXTERN_GLOBAL";
    case ExternKind::Tag:
      return "ACTR_EXTERN_TAG";
  }
  return "ACTR_EXTERN_FUNC";
}

std::string c_string_literal(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out + "\"";
}

class GlueWriter {
 public:
  GlueWriter(const ModuleShape& shape, std::string_view cache_key,
             std::string_view tag_registrations)
      : shape_(shape),
        cache_key_(cache_key),
        prefix_(cat("Z_", kGeneratedModuleName)),
        tag_registrations_(tag_registrations) {}

  std::string write() {
    plan_imports();
    out_ += "\n/* ---- actr glue ---- */\n";
    write_import_thunks();
    write_export_adapters();
    write_descriptor();
    return std::move(out_);
  }

 private:
  template <typename... Parts>
  void emit(const Parts&... parts) {
    ((out_ += parts), ...);
  }

  void plan_imports() {
    std::set<std::string> names;
    for (const ImportType& imp : shape_.imports) names.insert(imp.module);
    module_names_.assign(names.begin(), names.end());
    std::map<std::string, uint32_t> index_of;
    for (uint32_t i = 0; i < module_names_.size(); ++i) index_of[module_names_[i]] = i;
    slot_counts_.assign(module_names_.size(), 0);
    // wasm2c defines one symbol per (module, name); duplicates (same type, checked earlier) share
    // the first one's slot.
    std::map<std::pair<std::string, std::string>, std::pair<uint32_t, uint32_t>> first;
    for (const ImportType& imp : shape_.imports) {
      uint32_t m = index_of[imp.module];
      auto key = std::pair(imp.module, imp.name);
      auto it = first.find(key);
      if (it != first.end()) {
        placement_.push_back(it->second);
        duplicate_.push_back(true);
        continue;
      }
      auto where = std::pair(m, slot_counts_[m]++);
      first.emplace(key, where);
      placement_.push_back(where);
      duplicate_.push_back(false);
    }
  }

  // The slot of import `i`, reached from the module block pointer `p` (see actr_import_module).
  std::string slot_expr(size_t i) {
    return cat("(((actr_import_module_t*)p)->self->slots[", num(placement_[i].second), "])");
  }

  void write_import_thunks() {
    for (size_t i = 0; i < shape_.imports.size(); ++i) {
      if (duplicate_[i]) continue;
      const ImportType& imp = shape_.imports[i];
      std::string symbol = cat(mangle_c_name(imp.module), mangle_c_name(imp.name));
      std::string module_struct = cat("struct ", mangle_c_name(imp.module), "_instance_t");
      std::string slot = slot_expr(i);
      switch (imp.type.kind) {
        case ExternKind::Func:
          write_func_thunk(imp.type.func, symbol, module_struct, slot);
          break;
        case ExternKind::Memory:
          write_accessor("wasm_rt_memory_t", symbol, module_struct, slot);
          break;
        case ExternKind::Table:
          write_accessor(imp.type.table.elem == ValType::FuncRef ? "wasm_rt_funcref_table_t"
                                                                 : "wasm_rt_externref_table_t",
                         symbol, module_struct, slot);
          break;
        case ExternKind::Global:
          write_accessor(c_type(imp.type.global.type), symbol, module_struct, slot);
          break;
        case ExternKind::Tag:
          break;  // an instance field, set by actr_instantiate (instance_tags.hpp)
      }
    }
  }

  void write_accessor(const std::string& type, const std::string& symbol,
                      const std::string& module_struct, const std::string& slot) {
    emit(type, "* ", symbol, "(", module_struct, "* p) { return (", type, "*)", slot,
         ".target; }\n");
  }

  void write_func_thunk(const FuncType& f, const std::string& symbol,
                        const std::string& module_struct, const std::string& slot) {
    std::string rt = result_type(f);
    emit(rt, " ", symbol, "(", module_struct, "* p");
    std::string args;
    for (size_t i = 0; i < f.params.size(); ++i) {
      emit(", ", c_type(f.params[i]), " a", num(i));
      args += cat(", a", num(i));
    }
    emit(") {\n  const actr_import_slot_t* s = &", slot, ";\n");
    // Another compiled function: a direct call, no slots.
    std::string direct = cat("((", typed_pointer_type(f), ")s->typed)(s->target", args, ")");
    if (f.results.empty()) {
      emit("  if (LIKELY(s->typed != NULL)) {\n    ", direct, ";\n    return;\n  }\n");
    } else {
      emit("  if (LIKELY(s->typed != NULL)) return ", direct, ";\n");
    }
    // A host function: through slots.
    size_t nargs = f.params.empty() ? 1 : f.params.size();
    size_t nres = f.results.empty() ? 1 : f.results.size();
    emit("  uint64_t args[", num(nargs), "], res[", num(nres), "];\n");
    for (size_t i = 0; i < f.params.size(); ++i) {
      emit("  args[", num(i), "] = ", to_slot(f.params[i], cat("a", num(i))), ";\n");
    }
    emit("  s->host(s->target, args, res);\n");
    if (f.results.size() == 1) {
      emit("  return ", from_slot(f.results[0], "res[0]"), ";\n");
    } else if (f.results.size() > 1) {
      emit("  ", rt, " r;\n");
      for (size_t i = 0; i < f.results.size(); ++i) {
        emit("  r.", multi_field(f, i), " = ", from_slot(f.results[i], cat("res[", num(i), "]")),
             ";\n");
      }
      emit("  return r;\n");
    }
    emit("}\n");
  }

  void write_export_adapters() {
    std::string instance_type = cat(prefix_, "_instance_t");
    for (size_t e = 0; e < shape_.exports.size(); ++e) {
      const ExportType& exp = shape_.exports[e];
      std::string symbol = cat(prefix_, mangle_c_name(exp.name));
      if (exp.type.kind != ExternKind::Func) {
        emit("static void* actr_accessor_", num(e), "(void* i) { return (void*)", symbol, "((",
             instance_type, "*)i); }\n");
        continue;
      }
      const FuncType& f = exp.type.func;
      std::string call = cat(symbol, "((", instance_type, "*)i");
      for (size_t p = 0; p < f.params.size(); ++p) {
        call += cat(", ", from_slot(f.params[p], cat("s[", num(p), "]")));
      }
      call += ")";
      emit("static void actr_trampoline_", num(e), "(void* i, uint64_t* s) {\n  ");
      if (f.results.empty()) {
        emit("(void)s;\n  ", call, ";\n");
      } else if (f.results.size() == 1) {
        emit(c_type(f.results[0]), " r = ", call, ";\n  s[0] = ", to_slot(f.results[0], "r"),
             ";\n");
      } else {
        emit(result_type(f), " r = ", call, ";\n");
        for (size_t i = 0; i < f.results.size(); ++i) {
          emit("  s[", num(i), "] = ", to_slot(f.results[i], cat("r.", multi_field(f, i))), ";\n");
        }
      }
      emit("}\n");
    }
  }

  void write_descriptor() {
    std::string instance_type = cat(prefix_, "_instance_t");
    emit("static void actr_instantiate(void* raw, actr_import_module_t* const* mods) {\n");
    emit("  ", instance_type, "* instance = (", instance_type, "*)raw;\n  (void)mods;\n");
    // Tags first: the start function may throw.
    for (size_t i = 0; i < shape_.imports.size(); ++i) {
      const ImportType& imp = shape_.imports[i];
      if (imp.type.kind != ExternKind::Tag) continue;
      std::string symbol = cat(mangle_c_name(imp.module), mangle_c_name(imp.name));
      emit("  instance->", imported_tag_field(symbol), " = (const u32*)mods[",
           num(placement_[i].first), "]->slots[", num(placement_[i].second), "].target;\n");
    }
    emit(tag_registrations_);
    emit("  ", prefix_, "_instantiate(instance");
    for (size_t m = 0; m < module_names_.size(); ++m) {
      emit(", (struct ", mangle_c_name(module_names_[m]), "_instance_t*)mods[", num(m), "]");
    }
    emit(");\n}\n");
    emit("static void actr_free(void* instance) { ", prefix_, "_free((", instance_type,
         "*)instance); }\n");

    // Accessors of everything the module defines, through the exports translate_to_c added for
    // them, for moving an instance's state to another engine.
    struct Defined {
      const char* kind;
      char letter;
      size_t first, count;
    };
    const Defined defined[] = {
        {"ACTR_EXTERN_TABLE", 'T', shape_.imported_tables, shape_.tables.size()},
        {"ACTR_EXTERN_MEMORY", 'M', shape_.imported_memories, shape_.memories.size()},
        {"ACTR_EXTERN_GLOBAL", 'g', shape_.imported_globals, shape_.globals.size()}};
    for (const Defined& d : defined) {
      for (size_t i = d.first; i < d.count; ++i) {
        emit("static void* actr_defined_", std::string(1, d.letter), num(i),
             "(void* i) { return (void*)", prefix_, mangle_c_name(defined_export_name(d.letter, i)),
             "((", instance_type, "*)i); }\n");
      }
    }
    emit("static const actr_glue_defined_t actr_defined[] = {\n");
    defined_count_ = 0;
    for (const Defined& d : defined) {
      for (size_t i = d.first; i < d.count; ++i, ++defined_count_) {
        emit("  {", d.kind, ", ", num(i), "u, actr_defined_", std::string(1, d.letter), num(i),
             "},\n");
      }
    }
    emit("  {0u, 0u, NULL}};\n");

    // Every array gets a sentinel so that none is empty.
    emit("static const actr_glue_import_t actr_imports[] = {");
    for (auto [m, s] : placement_) emit("{", num(m), "u, ", num(s), "u}, ");
    emit("{0u, 0u}};\n");
    emit("static const uint32_t actr_import_slot_counts[] = {");
    for (uint32_t c : slot_counts_) emit(num(c), "u, ");
    emit("0u};\n");
    emit("static const actr_glue_export_t actr_exports[] = {\n");
    for (size_t e = 0; e < shape_.exports.size(); ++e) {
      const ExportType& exp = shape_.exports[e];
      emit("  {", kind_constant(exp.type.kind), ", ", num(shape_.export_indices[e]), "u, ");
      if (exp.type.kind == ExternKind::Func) {
        emit("actr_trampoline_", num(e), ", (actr_generic_fn_t)&", prefix_, mangle_c_name(exp.name),
             ", NULL},\n");
      } else {
        emit("NULL, NULL, actr_accessor_", num(e), "},\n");
      }
    }
    emit("  {0u, 0u, NULL, NULL, NULL}};\n");
    emit(
        "__attribute__((visibility(\"default\"))) const actr_glue_module_t actr_glue_module = {\n");
    emit("  ACTR_GLUE_ABI_VERSION, (uint32_t)sizeof(", instance_type, "), (uint32_t)_Alignof(",
         instance_type, "),\n");
    emit("  ", num(shape_.imports.size()), "u, actr_imports, ", num(module_names_.size()),
         "u, actr_import_slot_counts,\n");
    emit("  ", num(shape_.exports.size()), "u, actr_exports, ", c_string_literal(cache_key_),
         ",\n");
    emit("  ", prefix_, "_init_module, actr_instantiate, actr_free,\n");
    emit("  ", num(defined_count_), "u, actr_defined};\n");
  }

  const ModuleShape& shape_;
  std::string cache_key_;
  std::string prefix_;
  std::string tag_registrations_;
  std::string out_;
  std::vector<std::string> module_names_;
  std::vector<uint32_t> slot_counts_;
  std::vector<std::pair<uint32_t, uint32_t>> placement_;
  std::vector<bool> duplicate_;
  size_t defined_count_ = 0;
};

Result<void> insert_before(std::string& source, std::string_view marker, std::string_view text) {
  size_t at = source.find(marker);
  if (at == std::string::npos) {
    return make_error(cat("aot: unexpected wasm2c output (missing `", std::string(marker),
                          "`); this engine supports wabt 1.0.32"));
  }
  source.insert(at, text);
  return {};
}

}  // namespace

std::string mangle_c_name(std::string_view name) {
  std::string out = "Z_";
  for (unsigned char c : name) {
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if ((alnum && c != 'Z') || c == '_') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      snprintf(buf, sizeof buf, "Z%02X", c);
      out += buf;
    }
  }
  return out;
}

Result<std::string> write_module_source(const ModuleShape& shape, const CTranslation& translation,
                                        std::string_view cache_key) {
  std::string source = translation.source;
  // The glue ABI and prelude go right after wasm2c's include of the module header.
  std::string include = cat("#include \"", kGeneratedHeaderName, "\"\n");
  ACTR_TRY_VOID(insert_before(source, include, glue_abi_header_text()));
  size_t after_include = source.find(include) + include.size();
  source.insert(after_include, kPrelude);
  ACTR_TRY_VOID(insert_before(source, kTableHelpersMarker, kTableHelpersPatch));
  ACTR_TRY_VOID(insert_before(source, kModuleCodeMarker, kModuleCodePatch));
  source += GlueWriter(shape, cache_key, translation.tag_registrations).write();
  return source;
}

}  // namespace actr::wasm::aot
