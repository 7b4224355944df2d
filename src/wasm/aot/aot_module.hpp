// A compiled module of the aot engine: its shape and the shared object holding its code.
#pragma once

#include <memory>

#include "wasm/aot/code_cache.hpp"
#include "wasm/aot/module_shape.hpp"
#include "wasm/engine.hpp"

namespace actr::wasm::aot {

class AotModule final : public Module, public std::enable_shared_from_this<AotModule> {
 public:
  AotModule(ModuleShape shape, std::shared_ptr<LoadedObject> object)
      : shape_(std::move(shape)), object_(std::move(object)) {}

  const std::vector<ImportType>& imports() const override { return shape_.imports; }
  const std::vector<ExportType>& exports() const override { return shape_.exports; }

  const ModuleShape& shape() const { return shape_; }
  const actr_glue_module_t& glue() const { return object_->glue(); }

 private:
  ModuleShape shape_;
  std::shared_ptr<LoadedObject> object_;
};

}  // namespace actr::wasm::aot
