// A compiled module of the interpreter: wabt's decoded, validated module description.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "wabt/interp/interp.h"

namespace actr::wasm::interp {

namespace wi = wabt::interp;

// The wabt features both the module reader and the stores enable.
wabt::Features interp_features();

class InterpModule final : public Module, public std::enable_shared_from_this<InterpModule> {
 public:
  // Decodes and validates; errors read "at byte 0x1a: <reason>". Exception handling's try_table
  // is lowered to the legacy try/catch wabt reads first (exception_lowering.hpp).
  static Result<std::shared_ptr<InterpModule>> compile(std::span<const uint8_t> bytes);

  const std::vector<ImportType>& imports() const override { return imports_; }
  const std::vector<ExportType>& exports() const override { return exports_; }

  // The description each store instantiates from. Its start function is removed: the store runs
  // it under its own limits (wabt would run it on a thread with no deadline).
  const wi::ModuleDesc& desc() const { return desc_; }
  std::optional<uint32_t> start_func() const { return start_func_; }
  std::optional<size_t> export_index(std::string_view name) const;
  // Bytes of linear memory the module's own memories need at instantiation.
  uint64_t defined_memory_bytes() const { return defined_memory_bytes_; }
  // True when the module defines or imports an exception tag: its code may throw.
  bool uses_tags() const { return uses_tags_; }

  // The sampling profile (see Module::sampled_functions): the store marks the functions on its
  // call stack every chunk of instructions. `code_offset` is an offset into this module's
  // instruction stream, as frames hold it.
  void mark_running(uint32_t code_offset) const;
  std::vector<uint32_t> sampled_functions() const override;

 private:
  InterpModule() = default;

  wi::ModuleDesc desc_;
  std::optional<uint32_t> start_func_;
  std::vector<ImportType> imports_;
  std::vector<ExportType> exports_;
  std::map<std::string, size_t, std::less<>> export_index_;
  uint64_t defined_memory_bytes_ = 0;
  bool uses_tags_ = false;
  // Each defined function's first instruction, ascending (wabt lays functions out in order).
  std::vector<uint32_t> code_offsets_;
  // Where the bodies hoisted out of functions with catch handlers begin (no profile there).
  uint32_t profile_end_ = UINT32_MAX;
  // One flag per defined function; set from any store's thread, read by a compile.
  std::unique_ptr<std::atomic<bool>[]> sampled_;
};

}  // namespace actr::wasm::interp
