#include "wasm/interp/interp_store.hpp"

#include <algorithm>
#include <array>
#include <exception>

#include "wasm/extern_match.hpp"
#include "wasm/interp/interp_func.hpp"
#include "wasm/interp/interp_instance.hpp"
#include "wasm/interp/interp_memory_table_global.hpp"
#include "wasm/interp/interp_module.hpp"
#include "wasm/interp/trap_mapping.hpp"
#include "wasm/interp/type_convert.hpp"
#include "wasm/interp/wabt_access.hpp"

namespace actr::wasm::interp {
namespace {

// Instructions run between two deadline checks: ~0.1 ms of guest time, so the clock costs
// nothing measurable and a deadline overshoots by little.
constexpr size_t kChunkInstructions = 20000;
constexpr size_t kMinFrames = 8;
constexpr size_t kMaxFrames = 1 << 20;
// Host functions calling back into guest code recurse on the native stack (~2-3 KiB a level);
// deeper nesting traps as stack exhaustion so that small fiber stacks cannot overflow.
constexpr int kMaxNestedEntries = 32;
// Arguments and results up to this count are converted on the stack.
constexpr size_t kInlineSlots = 16;

std::string quoted_name(const ImportType& import) {
  return "`" + import.module + "." + import.name + "`";
}

}  // namespace

// Counts an entry into the store. When the last active entry leaves a thread that a trap left
// mid-call, the thread is replaced (a trapped wabt thread is not reusable). If an exception
// unwinds through the call (a fiber destroyed while suspended in a host function), the thread's
// frames are stale too: the store is poisoned.
class InterpStore::EntryGuard {
 public:
  explicit EntryGuard(InterpStore& store)
      : store_(store), top_level_(store.entries_ == 0), exceptions_(std::uncaught_exceptions()) {
    ++store_.entries_;
  }
  ~EntryGuard() {
    if (std::uncaught_exceptions() > exceptions_) {
      store_.poison_with(make_trap(TrapKind::Other, "guest call abandoned by an exception"));
      store_.thread_dirty_ = true;
    }
    if (--store_.entries_ == 0 && store_.thread_dirty_) store_.reset_thread();
  }
  EntryGuard(const EntryGuard&) = delete;
  EntryGuard& operator=(const EntryGuard&) = delete;

  bool top_level() const { return top_level_; }

 private:
  InterpStore& store_;
  bool top_level_;
  int exceptions_;
};

InterpStore::InterpStore(const StoreLimits& limits)
    : limits_(limits),
      store_(interp_features()),
      frame_capacity_(std::clamp<size_t>(limits.max_call_depth, kMinFrames, kMaxFrames)),
      clock_(limits.deadline) {
  reset_thread();
}

InterpStore::~InterpStore() { thread_.reset(); }

void InterpStore::reset_thread() {
  thread_dirty_ = false;
  thread_.reset();
  thread_ = std::make_unique<wi::Thread>(store_);
  // wabt sizes the frame stack at 64 KiB and traps a push when it is full; size it to the
  // store's call depth limit instead. Frames live on the heap, so deep guest recursion never
  // touches the native stack.
  std::vector<wi::Frame> frames;
  frames.reserve(frame_capacity_);
  thread_frames(*thread_).swap(frames);
}

void InterpStore::poison(std::string reason) {
  poison_with(make_trap(TrapKind::Host, std::move(reason)));
}

void InterpStore::poison_with(const Error& error) {
  if (poisoned_) return;
  poisoned_ = true;
  first_trap_ = error;
}

Error InterpStore::poisoned_error() const {
  return make_trap(TrapKind::Poisoned,
                   "instance is poisoned by an earlier trap: " + first_trap_.message);
}

Result<void> InterpStore::check_ref(ValType type, Slot slot) const {
  if (type != ValType::FuncRef && type != ValType::ExternRef) return {};
  if (slot == 0) return {};
  const wi::Ref ref{static_cast<size_t>(slot)};
  // The store never collects garbage, so object indices below the count are all allocated.
  const bool live = slot < store_.object_count() && store_.IsValid(ref);
  if (!live || (type == ValType::FuncRef && !store_.Is<wi::Func>(ref))) {
    return make_error(std::string("invalid ") + to_string(type) + " value " + std::to_string(slot));
  }
  return {};
}

Result<void> InterpStore::call_guest(const wi::DefinedFunc& func, const FuncType& type,
                                     const Slot* args, Slot* results) {
  if (poisoned_) return poisoned_error();
  const size_t param_count = type.params.size();
  for (size_t i = 0; i < param_count; ++i) ACTR_TRY_VOID(check_ref(type.params[i], args[i]));
  if (entries_ >= kMaxNestedEntries) {
    Error error = make_trap(TrapKind::StackExhausted);
    poison_with(error);
    return error;
  }

  EntryGuard guard(*this);
  if (clock_.enabled()) {
    if (guard.top_level()) {
      clock_.start_entry();
    } else {
      clock_.resume();
    }
  }

  args_.resize(param_count);
  for (size_t i = 0; i < param_count; ++i) args_[i] = to_value(type.params[i], args[i]);
  // wabt unwinds a throw through every frame of the thread, host frames included: a nested
  // entry runs on frames of its own, so that an exception it does not catch ends the entry as a
  // trap instead of landing in a handler of the guest code below the host function.
  std::vector<wi::Frame>* outer_frames = nullptr;
  if (may_throw_ && !guard.top_level()) outer_frames = &isolate_frames(entries_ - 1);
  thread_push_values(*thread_, func.type().params, args_);
  wi::Trap::Ptr trap;
  const Outcome outcome =
      thread_push_call(*thread_, func, &trap) == wi::RunResult::Trap ? Outcome::Trapped : run(trap);
  if (outer_frames) {
    std::vector<wi::Frame>& frames = thread_frames(*thread_);
    frames.clear();
    frames.swap(*outer_frames);
  }
  if (clock_.enabled() && !guard.top_level()) clock_.pause();

  if (outcome == Outcome::Returned) {
    thread_pop_values(*thread_, func.type().results, &results_);
    for (size_t i = 0; i < type.results.size(); ++i) {
      results[i] = to_slot(type.results[i], results_[i]);
    }
    if (memories_.size() > 1) apply_memory_budget();
    return {};
  }
  thread_dirty_ = true;
  return trap_error(outcome, trap);
}

std::vector<wi::Frame>& InterpStore::isolate_frames(int level) {
  if (nested_frames_.size() <= static_cast<size_t>(level)) nested_frames_.resize(level + 1);
  std::vector<wi::Frame>& spare = nested_frames_[level];
  if (spare.capacity() < frame_capacity_) spare.reserve(frame_capacity_);
  spare.clear();
  thread_frames(*thread_).swap(spare);
  return spare;  // now holds the outer frames, until the entry swaps them back
}

InterpStore::Outcome InterpStore::run(wi::Trap::Ptr& trap) {
  const std::vector<wi::Frame>& frames = thread_frames(*thread_);
  for (;;) {
    // wabt 1.0.32's call_indirect ignores a failed frame push and runs on with a corrupt value
    // stack. No chunk runs more instructions than there are free frames (an instruction pushes
    // at most one), so that push can only fail in a one-instruction chunk at a full stack, and
    // it is caught below before anything else runs.
    const size_t depth = frames.size();
    const size_t capacity = frames.capacity();
    const size_t chunk = depth < capacity ? std::min(kChunkInstructions, capacity - depth) : 1;
    switch (thread_->Run(static_cast<int>(chunk), &trap)) {
      case wi::RunResult::Return:
        return Outcome::Returned;
      case wi::RunResult::Trap:
      case wi::RunResult::Exception:
        return Outcome::Trapped;
      case wi::RunResult::Ok:
        break;
    }
    if (trap) return Outcome::StackExhausted;
    sample(frames);  // a call that outlasts a chunk: a profile for the compiled tier
    if (clock_.enabled() && clock_.expired()) return Outcome::DeadlineExceeded;
    if (memories_.size() > 1) apply_memory_budget();
  }
}

void InterpStore::sample(const std::vector<wi::Frame>& frames) {
  const wi::Module* last = nullptr;
  const InterpModule* owner = nullptr;
  for (const wi::Frame& frame : frames) {
    if (frame.mod == nullptr) continue;  // a host function
    if (frame.mod != last) {
      last = frame.mod;
      owner = nullptr;
      for (const auto& [copy, module] : module_of_copy_) {
        if (copy == frame.mod) owner = module;
      }
    }
    if (owner) owner->mark_running(frame.offset);
  }
}

Error InterpStore::trap_error(Outcome outcome, const wi::Trap::Ptr& trap) {
  std::optional<Error> host_error = std::move(host_error_);
  host_error_.reset();
  // A nested call trapped first, or the host poisoned the store: that is the trap unwinding.
  if (poisoned_) return first_trap_;
  Error error;
  switch (outcome) {
    case Outcome::StackExhausted:
      error = make_trap(TrapKind::StackExhausted);
      break;
    case Outcome::DeadlineExceeded:
      error = make_trap(TrapKind::DeadlineExceeded);
      break;
    case Outcome::Returned:
    case Outcome::Trapped:
      if (host_error) {
        error = std::move(*host_error);
      } else {
        error = classify_trap(trap ? trap->message() : std::string("uncaught exception"));
      }
      break;
  }
  poison_with(error);
  return error;
}

wabt::Result InterpStore::on_host_call(InterpHostFunc& func, const wi::Values& params,
                                       wi::Values& results, wi::Trap::Ptr* out_trap) {
  const FuncType& type = func.type();
  const size_t param_count = type.params.size();
  const size_t result_count = type.results.size();
  std::array<Slot, kInlineSlots> inline_args{}, inline_results{};
  std::vector<Slot> heap_args, heap_results;
  Slot* args = inline_args.data();
  Slot* res = inline_results.data();
  if (param_count > kInlineSlots) args = (heap_args.resize(param_count), heap_args.data());
  if (result_count > kInlineSlots) res = (heap_results.resize(result_count), heap_results.data());
  for (size_t i = 0; i < param_count; ++i) args[i] = to_slot(type.params[i], params[i]);

  if (clock_.enabled()) clock_.pause();
  const size_t depth = thread_frames(*thread_).size();
  Result<void> outcome;
  try {
    outcome = func.fn()(args, res);
  } catch (const std::exception& e) {
    outcome = make_error(std::string("host function threw: ") + e.what());
  }
  if (clock_.enabled()) clock_.resume();

  if (!poisoned_ && thread_frames(*thread_).size() != depth) {
    poison_with(make_trap(TrapKind::Other,
                          "store re-entered out of order: a suspended guest call resumed while "
                          "a later call into the same store was still running"));
  }
  if (!poisoned_ && outcome) {
    for (size_t i = 0; i < result_count && outcome; ++i) {
      outcome = check_ref(type.results[i], res[i]);
    }
  }
  if (poisoned_ || !outcome) {
    // Even a host function that succeeded must not return into guest code after the store was
    // poisoned (a nested call trapped, or the host gave up on the instance).
    if (!poisoned_) host_error_ = make_trap(TrapKind::Host, outcome.error().message);
    *out_trap = wi::Trap::New(store_, poisoned_ ? first_trap_.message : host_error_->message);
    return wabt::Result::Error;
  }
  for (size_t i = 0; i < result_count; ++i) results[i] = to_value(type.results[i], res[i]);
  return wabt::Result::Ok;
}

std::shared_ptr<Func> InterpStore::host_func(std::shared_ptr<const FuncType> shared_type,
                                             HostFn fn) {
  const FuncType& type = *shared_type;
  auto handle = std::make_shared<InterpHostFunc>(this, type, std::move(fn));
  InterpHostFunc* raw = handle.get();
  auto func = wi::HostFunc::New(store_, to_wabt(type),
                                [this, raw](wi::Thread&, const wi::Values& params,
                                            wi::Values& results, wi::Trap::Ptr* out_trap) {
                                  return on_host_call(*raw, params, results, out_trap);
                                });
  handle->bind(func.ref());
  externs_.emplace(func.ref().index, std::shared_ptr<Func>(handle));
  return handle;
}

wi::Ref InterpStore::module_ref(const InterpModule& module) {
  auto it = modules_.find(&module);
  if (it != modules_.end()) return it->second.second;
  // Module::New copies the description: each store owns its code.
  wi::Module::Ptr wabt_module = wi::Module::New(store_, module.desc());
  const wi::Ref ref = wabt_module.ref();
  modules_.emplace(&module, std::make_pair(module.shared_from_this(), ref));
  module_of_copy_.emplace_back(wabt_module.get(), &module);
  return ref;
}

Result<std::shared_ptr<Instance>> InterpStore::instantiate(const Module& module,
                                                           std::span<const Extern> imports) {
  if (poisoned_) return poisoned_error();
  const auto* interp_module = dynamic_cast<const InterpModule*>(&module);
  if (!interp_module) return make_error("the module was compiled by another engine");
  const std::vector<ImportType>& expected = interp_module->imports();
  if (imports.size() != expected.size()) {
    return make_error("the module has " + std::to_string(expected.size()) + " imports, got " +
                      std::to_string(imports.size()));
  }

  wi::RefVec refs;
  refs.reserve(imports.size());
  size_t imported_memories = 0;
  for (size_t i = 0; i < imports.size(); ++i) {
    const ImportType& want = expected[i];
    InterpExtern* handle = as_interp(imports[i]);
    if (!handle) {
      return make_error("import " + quoted_name(want) +
                        ": missing, or an extern of another engine");
    }
    if (handle->store() != this) {
      return make_error("import " + quoted_name(want) + ": the extern belongs to another store");
    }
    const ExternType got = type_of(imports[i]);
    if (!import_matches(want.type, got)) {
      return make_error("import " + quoted_name(want) + ": expected " + describe(want.type) +
                        ", got " + describe(got));
    }
    if (got.kind == ExternKind::Memory) ++imported_memories;
    refs.push_back(handle->ref());
  }

  const uint64_t in_use = memory_bytes();
  const uint64_t needed = interp_module->defined_memory_bytes();
  if (needed > limits_.max_memory_bytes || in_use > limits_.max_memory_bytes - needed) {
    return make_trap(TrapKind::MemoryLimit, "instantiation needs " + std::to_string(needed) +
                                                " bytes of linear memory; the store's limit is " +
                                                std::to_string(limits_.max_memory_bytes) +
                                                " bytes and " + std::to_string(in_use) +
                                                " are in use");
  }

  const wi::Ref module_object = module_ref(*interp_module);
  wi::Trap::Ptr trap;
  wi::Instance::Ptr instance = wi::Instance::Instantiate(store_, module_object, refs, &trap);
  if (!instance) {
    // Segment initialisation may have written to imported memories and tables already.
    Error error = classify_trap(trap ? trap->message() : std::string("instantiation failed"));
    poison_with(error);
    return error;
  }
  for (size_t i = imported_memories; i < instance->memories().size(); ++i) {
    register_memory(*store_.UnsafeGet<wi::Memory>(instance->memories()[i]));
  }
  apply_memory_budget();
  may_throw_ |= interp_module->uses_tags();

  auto handle =
      std::make_shared<InterpInstance>(this, *instance.get(), interp_module->shared_from_this());
  if (auto start = interp_module->start_func()) {
    ACTR_TRY(Extern start_func, wrap(instance->funcs()[*start]));
    ACTR_TRY_VOID(std::get<std::shared_ptr<Func>>(start_func)->call(nullptr, nullptr));
  }
  return std::shared_ptr<Instance>(std::move(handle));
}

Result<Extern> InterpStore::wrap(wi::Ref ref) {
  if (auto it = externs_.find(ref.index); it != externs_.end()) return it->second;
  if (ref.index >= store_.object_count() || !store_.IsValid(ref)) {
    return make_error("not an object of this store");
  }
  wi::Object& object = *store_.UnsafeGet<wi::Object>(ref);
  Extern handle;
  switch (object.kind()) {
    case wi::ObjectKind::DefinedFunc: {
      auto& func = static_cast<wi::DefinedFunc&>(object);
      ACTR_TRY(FuncType type, from_wabt(func.type()));
      handle = std::shared_ptr<Func>(std::make_shared<InterpGuestFunc>(this, func, type));
      break;
    }
    case wi::ObjectKind::Memory: {
      auto& memory = static_cast<wi::Memory&>(object);
      const MemoryRecord* record = find_memory(memory);
      if (!record) return make_error("memory unknown to this store");
      handle = std::shared_ptr<Memory>(
          std::make_shared<InterpMemory>(this, memory, record->declared_max));
      break;
    }
    case wi::ObjectKind::Table: {
      auto& table = static_cast<wi::Table&>(object);
      ACTR_TRY(ValType elem, from_wabt(table.type().element));
      handle = std::shared_ptr<Table>(std::make_shared<InterpTable>(this, table, elem));
      break;
    }
    case wi::ObjectKind::Global: {
      auto& global = static_cast<wi::Global&>(object);
      ACTR_TRY(ValType value_type, from_wabt(global.type().type));
      const GlobalType type{value_type, global.type().mut == wi::Mutability::Var};
      handle = std::shared_ptr<Global>(std::make_shared<InterpGlobal>(this, global, type));
      break;
    }
    case wi::ObjectKind::Tag: {
      auto& tag = static_cast<wi::Tag&>(object);
      TagType type;
      for (auto t : tag.type().signature) {
        ACTR_TRY(ValType v, from_wabt(t));
        type.params.push_back(v);
      }
      handle = std::shared_ptr<Tag>(std::make_shared<InterpTag>(this, tag, std::move(type)));
      break;
    }
    default:
      return make_error(std::string("cannot export a ") + wi::GetName(object.kind()));
  }
  externs_.emplace(ref.index, handle);
  return handle;
}

void InterpStore::register_memory(wi::Memory& memory) {
  const wabt::Limits& limits = memory.type().limits;
  std::optional<uint64_t> declared_max;
  if (limits.has_max) declared_max = limits.max;
  memories_.push_back(MemoryRecord{&memory, declared_max});
}

InterpStore::MemoryRecord* InterpStore::find_memory(const wi::Memory& memory) {
  for (MemoryRecord& record : memories_) {
    if (record.memory == &memory) return &record;
  }
  return nullptr;
}

uint64_t InterpStore::memory_bytes() const {
  uint64_t total = 0;
  for (const MemoryRecord& record : memories_) total += record.memory->ByteSize();
  return total;
}

// Folds the store's byte budget into each memory's maximum, which wabt's memory.grow honours.
// With several memories each may take all of the remaining budget until the next refresh (after
// every chunk of instructions), so guest growth of two memories within one chunk may overshoot.
void InterpStore::apply_memory_budget() {
  const uint64_t used = memory_bytes();
  const uint64_t budget = limits_.max_memory_bytes;
  const uint64_t free_pages = used < budget ? (budget - used) / kPageSize : 0;
  for (MemoryRecord& record : memories_) {
    memory_type(*record.memory).limits.max =
        std::min(record.max_pages(), record.memory->PageSize() + free_pages);
  }
}

Result<uint64_t> InterpStore::grow_memory(wi::Memory& memory, uint64_t delta_pages) {
  const MemoryRecord* record = find_memory(memory);
  if (!record) return make_error("memory unknown to this store");
  const uint64_t old_pages = memory.PageSize();
  if (delta_pages > record->max_pages() - old_pages) {
    return make_trap(TrapKind::MemoryLimit, "growing by " + std::to_string(delta_pages) +
                                                " pages passes the memory's maximum of " +
                                                std::to_string(record->max_pages()) + " pages");
  }
  const uint64_t used = memory_bytes();
  const uint64_t budget = limits_.max_memory_bytes;
  const uint64_t free_pages = used < budget ? (budget - used) / kPageSize : 0;
  if (delta_pages > free_pages) {
    return make_trap(TrapKind::MemoryLimit, "growing by " + std::to_string(delta_pages) +
                                                " pages passes the store's memory limit of " +
                                                std::to_string(budget) + " bytes");
  }
  apply_memory_budget();
  if (wabt::Failed(memory.Grow(delta_pages))) {
    return make_trap(TrapKind::MemoryLimit, "memory growth refused");
  }
  apply_memory_budget();
  return old_pages;
}

}  // namespace actr::wasm::interp
