#include "wasm/aot/aot_store.hpp"

#include <algorithm>
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

Result<void> AotInstance::instantiate(std::span<const Extern> imports) {
  // (The store checked that every import is this engine's.)
  auto is_host = [](const Extern& e) {
    return e.index() == 0 &&
           static_cast<AotFunc*>(std::get<0>(e).get())->import_slot().host != nullptr;
  };
  if (module_->reexports_imports()) {
    imports_.assign(imports.begin(), imports.end());
  } else {
    imports_.reserve(std::count_if(imports.begin(), imports.end(), is_host));
    for (const Extern& e : imports) {
      if (is_host(e)) imports_.push_back(e);
    }
  }
  const actr_glue_module_t& glue = module_->glue();
  size_t align = std::max<size_t>(glue.instance_align, alignof(std::max_align_t));
  size_t size = (std::max<size_t>(glue.instance_size, 1) + align - 1) / align * align;
  void* instance = std::aligned_alloc(align, size);
  if (instance == nullptr) return make_error("aot: out of memory for an instance");
  std::memset(instance, 0, size);
  cell_.instance = instance;

  // [pointer to block 0, ..., pointer to block n-1][block 0]...[block n-1]
  size_t bytes = sizeof(actr_import_module_t*) * glue.import_module_count;
  for (uint32_t m = 0; m < glue.import_module_count; ++m) {
    bytes += sizeof(actr_import_module_t) +
             sizeof(actr_import_slot_t) * glue.import_module_slot_counts[m];
  }
  actr_import_module_t** modules = nullptr;
  if (glue.import_module_count != 0) {
    import_block_ = std::calloc(1, bytes);
    if (import_block_ == nullptr) return make_error("aot: out of memory for an instance");
    modules = static_cast<actr_import_module_t**>(import_block_);
    auto* next = reinterpret_cast<char*>(modules + glue.import_module_count);
    for (uint32_t m = 0; m < glue.import_module_count; ++m) {
      auto* block = reinterpret_cast<actr_import_module_t*>(next);
      block->self = block;
      modules[m] = block;
      next += sizeof(actr_import_module_t) +
              sizeof(actr_import_slot_t) * glue.import_module_slot_counts[m];
    }
  }
  for (uint32_t i = 0; i < glue.import_count; ++i) {
    const actr_glue_import_t& where = glue.imports[i];
    modules[where.module_index]->slots[where.slot_index] = slot_for(imports[i]);
  }
  InstantiateCall call{&glue, instance, modules};
  if (const MemoryImage* image = module_->memory_image()) {
    ImageScope scope(image);
    ACTR_TRY_VOID(guarded_call(*cell_.store, &InstantiateCall::run, &call, nullptr));
    if (scope.used()) g_instances_from_images.fetch_add(1, std::memory_order_relaxed);
  } else {
    ACTR_TRY_VOID(guarded_call(*cell_.store, &InstantiateCall::run, &call, nullptr));
    if (module_->wants_memory_image()) offer_memory_image();
  }
  live_ = true;
  const std::vector<GuestFuncInfo>& funcs = module_->func_exports();
  if (!funcs.empty()) {
    funcs_.reset(new GuestFunc[funcs.size()]);
    for (size_t i = 0; i < funcs.size(); ++i) funcs_[i].bind(&cell_);
  }
  cell_.funcs = funcs_.get();
  cell_.infos = funcs.data();
  return {};
}

void AotInstance::offer_memory_image() {
  // Right after instantiation, before any export ran: the memory is zeros plus the data segments.
  const actr_glue_module_t& glue = module_->glue();
  for (uint32_t i = 0; i < glue.defined_count; ++i) {
    if (glue.defined[i].kind != ACTR_EXTERN_MEMORY) continue;
    const auto* memory =
        static_cast<const wasm_rt_memory_t*>(glue.defined[i].accessor(cell_.instance));
    if (module_->offer_memory_image(memory->data, uint64_t{memory->pages} * kPageSize)) {
      g_images.fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
}

Extern AotInstance::make_export(uint32_t e) {
  const ExportType& type = module_->shape().exports[e];
  const actr_glue_export_t& exp = module_->glue().exports[e];
  StoreContext* store = cell_.store;
  void* instance = cell_.instance;
  switch (type.type.kind) {
    case ExternKind::Memory:
      return std::make_shared<AotMemory>(store,
                                         static_cast<wasm_rt_memory_t*>(exp.accessor(instance)),
                                         type.type.memory.limits.max);
    case ExternKind::Table:
      return std::make_shared<AotTable>(store, exp.accessor(instance), type.type.table.elem,
                                        type.type.table.limits.max);
    case ExternKind::Tag:
      return std::make_shared<AotTag>(store, static_cast<const uint32_t*>(exp.accessor(instance)),
                                      type.type.tag);
    case ExternKind::Func:  // export_at() hands out funcs_
    case ExternKind::Global:
      break;
  }
  return std::make_shared<AotGlobal>(store, exp.accessor(instance), type.type.global);
}

DefinedState AotInstance::defined_state() {
  DefinedState state;
  if (!live_) return state;
  const actr_glue_module_t& glue = module_->glue();
  const ModuleShape& shape = module_->shape();
  for (uint32_t i = 0; i < glue.defined_count; ++i) {
    const actr_glue_defined_t& d = glue.defined[i];
    void* raw = d.accessor(cell_.instance);
    switch (d.kind) {
      case ACTR_EXTERN_MEMORY:
        state.memories.push_back(std::make_shared<AotMemory>(
            cell_.store, static_cast<wasm_rt_memory_t*>(raw), shape.memories[d.index].limits.max));
        break;
      case ACTR_EXTERN_GLOBAL:
        state.globals.push_back(
            std::make_shared<AotGlobal>(cell_.store, raw, shape.globals[d.index]));
        break;
      case ACTR_EXTERN_TABLE:
        state.tables.push_back(std::make_shared<AotTable>(
            cell_.store, raw, shape.tables[d.index].elem, shape.tables[d.index].limits.max));
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
  if (!live_ || index >= module_->shape().exports.size()) return std::nullopt;
  uint32_t imported = module_->reexported_imports()[index];
  if (imported != AotModule::kNotImported) return imports_[imported];
  uint32_t func = module_->export_funcs()[index];
  if (func != AotModule::kNotAFunc) {
    return Extern(std::shared_ptr<Func>(shared_from_this(), &funcs_[func]));
  }
  for (const auto& [position, made] : others_) {
    if (position == index) return made;
  }
  others_.emplace_back(index, make_export(index));
  return others_.back().second;
}

void AotInstance::release() {
  if (cell_.instance != nullptr) {
    // Also after a failed instantiation: the instance struct starts zeroed and the runtime's
    // free functions accept never-allocated memories and tables.
    module_->glue().free_instance(cell_.instance);
    std::free(cell_.instance);
    cell_.instance = nullptr;
  }
  std::free(import_block_);
  import_block_ = nullptr;
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
  auto instance = std::make_shared<AotInstance>(aot_module->shared_from_this(), &context_);
  ACTR_TRY_VOID(instance->instantiate(imports));
  instances_.push_back(instance);
  return std::shared_ptr<Instance>(instance);
}

std::shared_ptr<Func> AotStore::host_func(std::shared_ptr<const FuncType> type, HostFn fn) {
  return std::make_shared<HostFunc>(&context_, std::move(type), std::move(fn));
}

std::vector<std::shared_ptr<Func>> AotStore::host_funcs(std::span<HostFuncSpec> specs) {
  struct Block {
    std::vector<HostFunc> funcs;  // never reallocated: import slots point into the functions
  };
  auto block = std::make_shared<Block>();
  block->funcs.reserve(specs.size());
  for (HostFuncSpec& s : specs) {
    block->funcs.emplace_back(&context_, std::move(s.type), std::move(s.fn));
  }
  std::vector<std::shared_ptr<Func>> funcs;
  funcs.reserve(specs.size());
  for (HostFunc& f : block->funcs) funcs.emplace_back(block, &f);
  return funcs;
}

}  // namespace actr::wasm::aot

namespace actr::wasm {

AotImageStats aot_memory_image_stats() {
  return {aot::g_images.load(std::memory_order_relaxed),
          aot::g_instances_from_images.load(std::memory_order_relaxed)};
}

}  // namespace actr::wasm
