// A compiled module of the aot engine: its shape and the shared object holding its code.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "wasm/aot/aot_externs.hpp"
#include "wasm/aot/code_cache.hpp"
#include "wasm/aot/memory_image.hpp"
#include "wasm/aot/module_shape.hpp"

namespace actr::wasm::aot {

class AotModule final : public Module, public std::enable_shared_from_this<AotModule> {
 public:
  AotModule(ModuleShape shape, std::shared_ptr<LoadedObject> object, bool memory_images = true);

  const std::vector<ImportType>& imports() const override { return shape_.imports; }
  const std::vector<ExportType>& exports() const override { return shape_.exports; }

  const ModuleShape& shape() const { return shape_; }
  const actr_glue_module_t& glue() const { return object_->glue(); }

  // What instantiation needs to know about the module, worked out once here rather than per
  // instance.
  static constexpr uint32_t kNotImported = UINT32_MAX;
  // The position of export `name` in exports(), if any.
  std::optional<uint32_t> find_export(std::string_view name) const;
  // For each export: the position in imports() of the import it re-exports, or kNotImported.
  const std::vector<uint32_t>& reexported_imports() const { return reexported_imports_; }
  // Whether an export is one of the module's imports.
  bool reexports_imports() const { return reexports_imports_; }
  // Whether two imports share a module and name (wasm2c binds them to one symbol).
  bool has_merged_imports() const { return has_merged_imports_; }
  // The functions the module defines and exports, in export order: each instance makes one
  // GuestFunc per entry. For each export: its position here, or kNotAFunc.
  static constexpr uint32_t kNotAFunc = UINT32_MAX;
  const std::vector<GuestFuncInfo>& func_exports() const { return func_exports_; }
  const std::vector<uint32_t>& export_funcs() const { return export_funcs_; }

  // The image its instances' memory starts from (memory_image.hpp), once the first instance
  // offered one; null before, and always for a module whose initial memory is not the same for
  // every instance (a start function, data at offsets read from globals, an imported or a second
  // memory).
  const MemoryImage* memory_image() const { return image_.load(std::memory_order_acquire); }
  bool wants_memory_image() const { return wants_image_.load(std::memory_order_relaxed); }
  // The memory of an instance that was just instantiated the plain way; the first offer wins.
  // True when it became the module's image.
  bool offer_memory_image(const uint8_t* data, uint64_t bytes) const;

 private:
  ModuleShape shape_;
  std::shared_ptr<LoadedObject> object_;
  std::vector<std::pair<std::string_view, uint32_t>> export_index_;  // sorted by name
  std::vector<uint32_t> reexported_imports_;
  std::vector<GuestFuncInfo> func_exports_;
  std::vector<uint32_t> export_funcs_;
  bool has_merged_imports_ = false;
  bool reexports_imports_ = false;
  mutable std::atomic<bool> wants_image_{false};  // until the first offer
  mutable std::mutex image_mu_;                   // one capture at a time
  mutable std::unique_ptr<MemoryImage> image_owner_;
  mutable std::atomic<const MemoryImage*> image_{nullptr};
};

}  // namespace actr::wasm::aot
