#include "wasm/aot/aot_store.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "wasm/aot/aot_engine.hpp"
#include "wasm/aot/aot_externs.hpp"
#include "wasm/extern_match.hpp"

namespace actr::wasm::aot {
namespace {

std::string import_name(const ImportType& imp) { return "`" + imp.module + "." + imp.name + "`"; }

StoreContext* store_of(const Extern& e) {
  switch (e.index()) {
    case 0: {
      auto* f = dynamic_cast<AotFunc*>(std::get<0>(e).get());
      return f ? f->store() : nullptr;
    }
    case 1: {
      auto* t = dynamic_cast<AotTable*>(std::get<1>(e).get());
      return t ? t->store() : nullptr;
    }
    case 2: {
      auto* m = dynamic_cast<AotMemory*>(std::get<2>(e).get());
      return m ? m->store() : nullptr;
    }
    case 3: {
      auto* g = dynamic_cast<AotGlobal*>(std::get<3>(e).get());
      return g ? g->store() : nullptr;
    }
    default: {
      auto* t = dynamic_cast<AotTag*>(std::get<4>(e).get());
      return t ? t->store() : nullptr;
    }
  }
}

actr_import_slot_t slot_for(const Extern& e) {
  switch (e.index()) {
    case 0:
      return static_cast<AotFunc*>(std::get<0>(e).get())->import_slot();
    case 1:
      return {static_cast<AotTable*>(std::get<1>(e).get())->raw(), nullptr, nullptr};
    case 2:
      return {static_cast<AotMemory*>(std::get<2>(e).get())->raw(), nullptr, nullptr};
    case 3:
      return {static_cast<AotGlobal*>(std::get<3>(e).get())->raw(), nullptr, nullptr};
    default:
      return {const_cast<uint32_t*>(static_cast<AotTag*>(std::get<4>(e).get())->raw()), nullptr,
              nullptr};
  }
}

const void* identity_of(const Extern& e) {
  return std::visit([](const auto& p) -> const void* { return p.get(); }, e);
}

std::atomic<uint64_t> g_images{0};
std::atomic<uint64_t> g_instances_from_images{0};

struct InstantiateCall {
  const actr_glue_module_t* glue;
  void* instance;
  actr_import_module_t* const* modules;

  static void run(void* context, uint64_t*) {
    auto* c = static_cast<InstantiateCall*>(context);
    c->glue->instantiate(c->instance, c->modules);
  }
};

}  // namespace

// ---- AotInstance --------------------------------------------------------------------------------

Result<void> AotInstance::instantiate() {
  const actr_glue_module_t& glue = module_->glue();
  size_t align = std::max<size_t>(glue.instance_align, alignof(std::max_align_t));
  size_t size = (std::max<size_t>(glue.instance_size, 1) + align - 1) / align * align;
  instance_ = std::aligned_alloc(align, size);
  if (instance_ == nullptr) return make_error("aot: out of memory for an instance");
  std::memset(instance_, 0, size);

  import_modules_.assign(glue.import_module_count, nullptr);
  for (uint32_t m = 0; m < glue.import_module_count; ++m) {
    size_t bytes = sizeof(actr_import_module_t) +
                   sizeof(actr_import_slot_t) * glue.import_module_slot_counts[m];
    auto* block = static_cast<actr_import_module_t*>(std::calloc(1, bytes));
    if (block == nullptr) return make_error("aot: out of memory for an instance");
    block->self = block;
    import_modules_[m] = block;
  }
  for (uint32_t i = 0; i < glue.import_count; ++i) {
    const actr_glue_import_t& where = glue.imports[i];
    import_modules_[where.module_index]->slots[where.slot_index] = slot_for(imports_[i]);
  }
  InstantiateCall call{&glue, instance_, import_modules_.data()};
  if (const MemoryImage* image = module_->memory_image()) {
    ImageScope scope(image);
    ACTR_TRY_VOID(guarded_call(*store_, &InstantiateCall::run, &call, nullptr));
    if (scope.used()) g_instances_from_images.fetch_add(1, std::memory_order_relaxed);
  } else {
    ACTR_TRY_VOID(guarded_call(*store_, &InstantiateCall::run, &call, nullptr));
    if (module_->wants_memory_image()) offer_memory_image();
  }
  live_ = true;
  exports_.assign(glue.export_count, std::nullopt);
  return {};
}

void AotInstance::offer_memory_image() {
  // Right after instantiation, before any export ran: the memory is zeros plus the data segments.
  const actr_glue_module_t& glue = module_->glue();
  for (uint32_t i = 0; i < glue.defined_count; ++i) {
    if (glue.defined[i].kind != ACTR_EXTERN_MEMORY) continue;
    const auto* memory = static_cast<const wasm_rt_memory_t*>(glue.defined[i].accessor(instance_));
    if (module_->offer_memory_image(memory->data, uint64_t{memory->pages} * kPageSize)) {
      g_images.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
}

Extern AotInstance::make_export(uint32_t e) {
  const ExportType& type = module_->shape().exports[e];
  uint32_t imported = module_->reexported_imports()[e];
  if (imported != AotModule::kNotImported) return imports_[imported];
  const actr_glue_export_t& exp = module_->glue().exports[e];
  switch (type.type.kind) {
    case ExternKind::Func:
      return std::make_shared<GuestFunc>(store_,
                                         std::shared_ptr<const FuncType>(module_, &type.type.func),
                                         instance_, exp.trampoline, exp.typed);
    case ExternKind::Memory:
      return std::make_shared<AotMemory>(store_,
                                         static_cast<wasm_rt_memory_t*>(exp.accessor(instance_)),
                                         type.type.memory.limits.max);
    case ExternKind::Table:
      return std::make_shared<AotTable>(store_, exp.accessor(instance_), type.type.table.elem,
                                        type.type.table.limits.max);
    case ExternKind::Tag:
      return std::make_shared<AotTag>(store_, static_cast<const uint32_t*>(exp.accessor(instance_)),
                                      type.type.tag);
    case ExternKind::Global:
      break;
  }
  return std::make_shared<AotGlobal>(store_, exp.accessor(instance_), type.type.global);
}

DefinedState AotInstance::defined_state() {
  DefinedState state;
  if (!live_) return state;
  const actr_glue_module_t& glue = module_->glue();
  const ModuleShape& shape = module_->shape();
  for (uint32_t i = 0; i < glue.defined_count; ++i) {
    const actr_glue_defined_t& d = glue.defined[i];
    void* raw = d.accessor(instance_);
    switch (d.kind) {
      case ACTR_EXTERN_MEMORY:
        state.memories.push_back(std::make_shared<AotMemory>(
            store_, static_cast<wasm_rt_memory_t*>(raw), shape.memories[d.index].limits.max));
        break;
      case ACTR_EXTERN_GLOBAL:
        state.globals.push_back(std::make_shared<AotGlobal>(store_, raw, shape.globals[d.index]));
        break;
      case ACTR_EXTERN_TABLE:
        state.tables.push_back(std::make_shared<AotTable>(store_, raw, shape.tables[d.index].elem,
                                                          shape.tables[d.index].limits.max));
        break;
      default:
        break;
    }
  }
  return state;
}

std::optional<Extern> AotInstance::get_export(std::string_view name) {
  std::optional<uint32_t> e = module_->find_export(name);
  if (!e) return std::nullopt;
  return export_at(*e);
}

std::optional<Extern> AotInstance::export_at(uint32_t index) {
  if (!live_ || index >= exports_.size()) return std::nullopt;
  std::optional<Extern>& slot = exports_[index];
  if (!slot) slot = make_export(index);
  return slot;
}

void AotInstance::release() {
  if (instance_ != nullptr) {
    // Also after a failed instantiation: the instance struct starts zeroed and the runtime's
    // free functions accept never-allocated memories and tables.
    module_->glue().free_instance(instance_);
    std::free(instance_);
    instance_ = nullptr;
  }
  for (actr_import_module_t* block : import_modules_) std::free(block);
  import_modules_.clear();
  live_ = false;
}

// ---- AotStore -----------------------------------------------------------------------------------

AotStore::AotStore(const StoreLimits& limits) : limits_(limits) {
  context_.max_memory_bytes = limits.max_memory_bytes;
  context_.max_call_depth = limits.max_call_depth;
  if (limits.deadline.count() > 0)
    context_.timer = std::make_unique<DeadlineTimer>(limits.deadline);
}

AotStore::~AotStore() {
  for (auto it = instances_.rbegin(); it != instances_.rend(); ++it) (*it)->release();
}

void AotStore::poison(std::string reason) {
  context_.poison_with(make_trap(TrapKind::Host, std::move(reason)));
}

Result<void> AotStore::check_import(const ImportType& expected, const Extern& actual) const {
  // Checked for every import of every instantiation: the name is only spelled for an error, and
  // a function's type is compared where it is (type_of() copies it).
  if (kind_of(actual) != expected.type.kind) {
    return make_error("import " + import_name(expected) + ": expected a " +
                      to_string(expected.type.kind) + ", got a " + to_string(kind_of(actual)));
  }
  StoreContext* owner = store_of(actual);
  if (owner == nullptr)
    return make_error("import " + import_name(expected) + ": the extern belongs to another engine");
  if (owner != &context_)
    return make_error("import " + import_name(expected) + ": the extern belongs to another store");
  if (expected.type.kind == ExternKind::Func &&
      std::get<std::shared_ptr<Func>>(actual)->type() == expected.type.func) {
    return {};
  }
  ExternType got = type_of(actual);
  if (!import_matches(expected.type, got)) {
    return make_error("import " + import_name(expected) + ": expected " + describe(expected.type) +
                      ", got " + describe(got));
  }
  return {};
}

Result<std::shared_ptr<Instance>> AotStore::instantiate(const Module& module,
                                                        std::span<const Extern> imports) {
  if (context_.poisoned) return poisoned_error(context_);
  const auto* aot_module = dynamic_cast<const AotModule*>(&module);
  if (aot_module == nullptr) return make_error("the module was compiled by another engine");
  const ModuleShape& shape = aot_module->shape();
  if (imports.size() != shape.imports.size()) {
    return make_error("the module has " + std::to_string(shape.imports.size()) + " imports, but " +
                      std::to_string(imports.size()) + " were given");
  }
  for (size_t i = 0; i < imports.size(); ++i) {
    ACTR_TRY_VOID(check_import(shape.imports[i], imports[i]));
  }
  if (aot_module->has_merged_imports()) {
    // wasm2c merges imports with the same module and name into one symbol.
    const actr_glue_module_t& glue = aot_module->glue();
    std::map<std::pair<uint32_t, uint32_t>, const void*> bound;
    for (size_t i = 0; i < imports.size(); ++i) {
      auto where = std::pair(glue.imports[i].module_index, glue.imports[i].slot_index);
      auto [it, inserted] = bound.emplace(where, identity_of(imports[i]));
      if (!inserted && it->second != identity_of(imports[i])) {
        return make_error(
            "import " + import_name(shape.imports[i]) +
            ": the aot engine needs repeated imports of one name bound to one extern");
      }
    }
  }
  auto instance =
      std::make_shared<AotInstance>(aot_module->shared_from_this(),
                                    std::vector<Extern>(imports.begin(), imports.end()), &context_);
  ACTR_TRY_VOID(instance->instantiate());
  instances_.push_back(instance);
  return std::shared_ptr<Instance>(instance);
}

std::shared_ptr<Func> AotStore::host_func(std::shared_ptr<const FuncType> type, HostFn fn) {
  return std::make_shared<HostFunc>(&context_, std::move(type), std::move(fn));
}

}  // namespace actr::wasm::aot

namespace actr::wasm {

AotImageStats aot_memory_image_stats() {
  return {aot::g_images.load(std::memory_order_relaxed),
          aot::g_instances_from_images.load(std::memory_order_relaxed)};
}

}  // namespace actr::wasm
