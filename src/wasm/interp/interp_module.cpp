#include "wasm/interp/interp_module.hpp"

#include <algorithm>
#include <cstdio>

#include "wabt/binary-reader.h"
#include "wabt/error.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wasm/exception_lowering.hpp"
#include "wasm/interp/type_convert.hpp"

namespace actr::wasm::interp {
namespace {

std::string format_error(const wabt::Errors& errors) {
  if (errors.empty()) return "invalid module";
  const wabt::Error& first = errors.front();
  char where[40];
  std::snprintf(where, sizeof where, "at byte 0x%zx: ", first.loc.offset);
  return where + first.message;
}

}  // namespace

wabt::Features interp_features() {
  wabt::Features features;
  features.enable_exceptions();
  return features;
}

Result<std::shared_ptr<InterpModule>> InterpModule::compile(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return make_error("at byte 0x0: empty module");
  ACTR_TRY(std::optional<std::vector<uint8_t>> lowered, lower_try_table(bytes));
  if (lowered) bytes = *lowered;
  // wabt 1.0.32 loses a function's locals in its catch handlers (wabt#2476): move them into
  // parameters. The hoisted bodies are appended; the profile names only the original functions.
  uint32_t defined_functions = 0;
  ACTR_TRY(std::optional<std::vector<uint8_t>> hoisted,
           hoist_locals_out_of_try_functions(bytes, &defined_functions));
  if (hoisted) bytes = *hoisted;
  // Debug names stay off: wabt 1.0.32 rejects the name section that wit-component writes for
  // the WASI preview1 adapter, and the interpreter has no use for them.
  wabt::ReadBinaryOptions options(interp_features(), /*log_stream=*/nullptr,
                                  /*read_debug_names=*/false, /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  wabt::Errors errors;
  std::shared_ptr<InterpModule> module(new InterpModule());
  if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", bytes.data(), bytes.size(), options, &errors,
                                        &module->desc_))) {
    return make_error(format_error(errors));
  }

  wi::ModuleDesc& desc = module->desc_;
  for (const wi::ImportDesc& import : desc.imports) {
    auto type = from_wabt(*import.type.type);
    if (!type) {
      return make_error("import `" + import.type.module + "." + import.type.name +
                        "`: " + type.error().message);
    }
    module->imports_.push_back(ImportType{import.type.module, import.type.name, *type});
    module->uses_tags_ |= type->kind == ExternKind::Tag;
  }
  module->uses_tags_ |= !desc.tags.empty();
  for (size_t i = 0; i < desc.exports.size(); ++i) {
    const wi::ExportType& exp = desc.exports[i].type;
    auto type = from_wabt(*exp.type);
    if (!type) return make_error("export `" + exp.name + "`: " + type.error().message);
    module->exports_.push_back(ExportType{exp.name, *type});
    module->export_index_.emplace(exp.name, i);
  }
  for (const wi::MemoryDesc& memory : desc.memories) {
    if (memory.type.limits.is_64 || memory.type.limits.is_shared) {
      return make_error("only 32-bit unshared memories are supported");
    }
    module->defined_memory_bytes_ += memory.type.limits.initial * kPageSize;
  }
  if (!desc.starts.empty()) {
    module->start_func_ = desc.starts.front().func_index;
    desc.starts.clear();
  }
  module->code_offsets_.reserve(desc.funcs.size());
  for (const wi::FuncDesc& func : desc.funcs) module->code_offsets_.push_back(func.code_offset);
  if (hoisted && module->code_offsets_.size() > defined_functions) {
    // Time in a hoisted body is not credited to the function before it.
    module->profile_end_ = module->code_offsets_[defined_functions];
    module->code_offsets_.resize(defined_functions);
  }
  if (!std::is_sorted(module->code_offsets_.begin(), module->code_offsets_.end())) {
    module->code_offsets_
        .clear();  // not wabt's usual layout: keep no profile rather than a wrong one
  }
  module->sampled_ = std::make_unique<std::atomic<bool>[]>(module->code_offsets_.size());
  return module;
}

void InterpModule::mark_running(uint32_t code_offset) const {
  if (code_offset >= profile_end_) return;
  auto after = std::upper_bound(code_offsets_.begin(), code_offsets_.end(), code_offset);
  if (after == code_offsets_.begin()) return;
  sampled_[static_cast<size_t>(after - code_offsets_.begin()) - 1].store(true,
                                                                         std::memory_order_relaxed);
}

std::vector<uint32_t> InterpModule::sampled_functions() const {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < code_offsets_.size(); ++i) {
    if (sampled_[i].load(std::memory_order_relaxed)) out.push_back(static_cast<uint32_t>(i));
  }
  return out;
}

std::optional<size_t> InterpModule::export_index(std::string_view name) const {
  auto it = export_index_.find(name);
  if (it == export_index_.end()) return std::nullopt;
  return it->second;
}

}  // namespace actr::wasm::interp
