#include "wasm/aot/c_translation.hpp"

#include <map>
#include <utility>

#include "wabt/apply-names.h"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/c-writer.h"
#include "wabt/cast.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/generate-names.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wasm/aot/exception_repairs.hpp"
#include "wasm/aot/shared_tables.hpp"

namespace actr::wasm::aot {
namespace {

wabt::Features aot_features() {
  wabt::Features features;
  features.disable_simd();
  features.enable_exceptions();
  return features;
}

std::string hex(size_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%zx", v);
  return buf;
}

Error first_error(const wabt::Errors& errors, std::string_view fallback) {
  for (const wabt::Error& e : errors) {
    if (e.error_level != wabt::ErrorLevel::Error) continue;
    return make_error("at byte 0x" + hex(e.loc.offset) + ": " + e.message);
  }
  return make_error("at byte 0x0: " + std::string(fallback));
}

// Reads and validates into `module`.
Result<void> read_and_validate(std::span<const uint8_t> bytes, wabt::Module& module) {
  if (bytes.empty()) return make_error("at byte 0x0: empty module");
  wabt::Features features = aot_features();
  wabt::Errors errors;
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options, &errors,
                                      &module))) {
    return first_error(errors, "unreadable binary");
  }
  wabt::ValidateOptions validate_options(features);
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, validate_options))) {
    return first_error(errors, "validation failed");
  }
  return {};
}

// wasm2c 1.0.32 merges imports by (module, name); a second import of the same name with another
// kind aborts it, and one with another type would produce C that does not compile.
Result<void> check_translatable(const wabt::Module& module) {
  std::map<std::pair<std::string, std::string>, const wabt::Import*> seen;
  for (const wabt::Import* import : module.imports) {
    auto [it, inserted] = seen.emplace(std::pair(import->module_name, import->field_name), import);
    if (inserted) continue;
    const wabt::Import* first = it->second;
    bool same = first->kind() == import->kind();
    if (same && import->kind() == wabt::ExternalKind::Func) {
      const auto* a = wabt::cast<wabt::FuncImport>(first);
      const auto* b = wabt::cast<wabt::FuncImport>(import);
      same = a->func.decl.sig == b->func.decl.sig;
    } else if (same) {
      same = false;  // tables, memories and globals would alias one definition
    }
    if (!same) {
      return make_error("unsupported by the aot engine: the module imports `" +
                        import->module_name + "` `" + import->field_name +
                        "` twice with different types");
    }
  }
  return {};
}

// The active data segments of the module's own memories are copied in init_memories; each copy
// is made conditional, so that a memory that starts as the module's image (memory_image.hpp),
// which holds them already, is not written (writing would make private copies of shared pages).
Result<void> skip_data_in_images(std::string& source) {
  constexpr std::string_view kInit = "\nstatic void init_memories(";
  constexpr std::string_view kLoad = "\n  LOAD_DATA(instance->";
  size_t begin = source.find(kInit);
  if (begin == std::string::npos) return {};  // no memory of its own
  size_t end = source.find("\n}\n", begin);
  if (end == std::string::npos) return make_error("aot: unexpected wasm2c output (init_memories)");
  constexpr std::string_view kDeclaration =
      "int actr_wasm_memory_from_image(const wasm_rt_memory_t*);\n";
  source.insert(begin + 1, kDeclaration);
  end += kDeclaration.size();
  for (size_t at = source.find(kLoad, begin); at != std::string::npos && at < end;
       at = source.find(kLoad, at + 1)) {
    size_t field = at + kLoad.size() - std::string_view("instance->").size();
    size_t comma = source.find(',', field);
    if (comma == std::string::npos) return make_error("aot: unexpected wasm2c output (LOAD_DATA)");
    std::string memory(source, field, comma - field);
    std::string guard = "\n  if (!actr_wasm_memory_from_image(&" + memory + "))";
    source.insert(at, guard);
    end += guard.size();
    at += guard.size();
  }
  return {};
}

}  // namespace

std::string defined_export_name(char kind, size_t index) {
  return "__actr_defined_" + std::string(1, kind) + std::to_string(index);
}

Result<void> validate_module(std::span<const uint8_t> bytes) {
  wabt::Module module;
  return read_and_validate(bytes, module);
}

Result<CTranslation> translate_to_c(std::span<const uint8_t> bytes, const std::string& module_name,
                                    const std::string& header_name) {
  wabt::Module module;
  ACTR_TRY_VOID(read_and_validate(bytes, module));
  ACTR_TRY_VOID(check_translatable(module));
  // Before the exports below are added: they are the engine's, not the module's.
  const std::vector<bool> shared_tables = shareable_tables(module);
  // Every table, memory and global the module defines gets an export of its own, so that wasm2c
  // writes an accessor for it (the glue's `defined` list, for moving state between engines).
  struct Kind {
    wabt::ExternalKind kind;
    size_t imported, total;
  };
  const Kind kinds[] = {
      {wabt::ExternalKind::Table, module.num_table_imports, module.tables.size()},
      {wabt::ExternalKind::Memory, module.num_memory_imports, module.memories.size()},
      {wabt::ExternalKind::Global, module.num_global_imports, module.globals.size()}};
  for (const Kind& k : kinds) {
    for (size_t i = k.imported; i < k.total; ++i) {
      auto field = std::make_unique<wabt::ExportModuleField>();
      field->export_.name = defined_export_name(k.kind == wabt::ExternalKind::Table    ? 'T'
                                                : k.kind == wabt::ExternalKind::Memory ? 'M'
                                                                                       : 'g',
                                                i);
      field->export_.kind = k.kind;
      field->export_.var = wabt::Var(static_cast<wabt::Index>(i), wabt::Location());
      module.AppendField(std::move(field));
    }
  }
  if (wabt::Failed(wabt::GenerateNames(&module)))
    return make_error("wasm2c: cannot name module items");
  (void)wabt::ApplyNames(&module);  // like wasm2c: an unapplicable name is skipped, not fatal
  wabt::MemoryStream c_stream;
  wabt::MemoryStream h_stream;
  wabt::WriteCOptions options;
  options.module_name = module_name;
  if (wabt::Failed(wabt::WriteC(&c_stream, &h_stream, header_name.c_str(), &module, options))) {
    return make_error("wasm2c: cannot translate the module to C");
  }
  const auto& c = c_stream.output_buffer().data;
  const auto& h = h_stream.output_buffer().data;
  CTranslation out{std::string(c.begin(), c.end()), std::string(h.begin(), h.end()),
                   module.funcs.size() - module.num_func_imports, std::string()};
  ACTR_TRY_VOID(make_try_locals_volatile(out.source));
  ACTR_TRY_VOID(repair_tag_payloads(out.source));
  ACTR_TRY_VOID(skip_data_in_images(out.source));
  ACTR_TRY_VOID(share_tables(shared_tables, module.num_table_imports, out.source));
  return out;
}

}  // namespace actr::wasm::aot
