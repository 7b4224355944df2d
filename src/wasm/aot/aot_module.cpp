#include "wasm/aot/aot_module.hpp"

#include <algorithm>
#include <map>

namespace actr::wasm::aot {

AotModule::AotModule(ModuleShape shape, std::shared_ptr<LoadedObject> object, bool memory_images)
    : shape_(std::move(shape)), object_(std::move(object)) {
  // Instances start alike when instantiation only applies data segments at fixed offsets to the
  // module's one memory (a start function could do anything, e.g. call the host).
  wants_image_ = memory_images && !shape_.has_start && !shape_.data_offsets_vary &&
                 shape_.imported_memories == 0 && shape_.memories.size() == 1;
  // The names point into shape_, which never changes after this.
  export_index_.reserve(shape_.exports.size());
  for (size_t e = 0; e < shape_.exports.size(); ++e) {
    export_index_.emplace_back(shape_.exports[e].name, static_cast<uint32_t>(e));
  }
  std::sort(export_index_.begin(), export_index_.end());

  // Imported entities come first in each index space, in import order.
  std::vector<uint32_t> imported[5];  // by ExternKind
  for (size_t i = 0; i < shape_.imports.size(); ++i) {
    imported[static_cast<int>(shape_.imports[i].type.kind)].push_back(static_cast<uint32_t>(i));
  }
  const actr_glue_module_t& g = glue();
  reexported_imports_.assign(shape_.exports.size(), kNotImported);
  for (uint32_t e = 0; e < g.export_count && e < shape_.exports.size(); ++e) {
    const auto& space = imported[static_cast<int>(shape_.exports[e].type.kind)];
    if (g.exports[e].index < space.size()) {
      reexported_imports_[e] = space[g.exports[e].index];
      reexports_imports_ = true;
    }
  }
  export_funcs_.assign(shape_.exports.size(), kNotAFunc);
  for (uint32_t e = 0; e < g.export_count && e < shape_.exports.size(); ++e) {
    const ExternType& type = shape_.exports[e].type;
    if (type.kind != ExternKind::Func || reexported_imports_[e] != kNotImported) continue;
    GuestFuncInfo info;
    info.type = &type.func;
    info.trampoline = g.exports[e].trampoline;
    info.typed = g.exports[e].typed;
    info.param_count = static_cast<uint32_t>(type.func.params.size());
    info.result_count = static_cast<uint32_t>(type.func.results.size());
    info.slot_count = std::max(info.param_count, info.result_count);
    export_funcs_[e] = static_cast<uint32_t>(func_exports_.size());
    func_exports_.push_back(info);
  }

  std::map<std::pair<uint32_t, uint32_t>, int> slots;
  for (uint32_t i = 0; i < g.import_count; ++i) {
    if (++slots[{g.imports[i].module_index, g.imports[i].slot_index}] > 1) {
      has_merged_imports_ = true;
    }
  }
}

std::optional<uint32_t> AotModule::find_export(std::string_view name) const {
  auto it = std::lower_bound(export_index_.begin(), export_index_.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  if (it == export_index_.end() || it->first != name) return std::nullopt;
  return it->second;
}

}  // namespace actr::wasm::aot

namespace actr::wasm::aot {

bool AotModule::offer_memory_image(const uint8_t* data, uint64_t bytes) const {
  std::lock_guard lock(image_mu_);
  if (!wants_image_.load(std::memory_order_relaxed)) return false;
  wants_image_.store(false, std::memory_order_relaxed);  // one attempt, also when it fails
  image_owner_ = MemoryImage::capture(data, bytes);
  if (image_owner_ == nullptr) return false;
  image_.store(image_owner_.get(), std::memory_order_release);
  return true;
}

}  // namespace actr::wasm::aot
