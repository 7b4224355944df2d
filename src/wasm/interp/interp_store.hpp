// An interpreter store: one wabt::interp::Store and the one wabt Thread that runs all guest code
// of it, with the store's limits, deadline and poisoning.
//
// Guest calls push their frame on the thread and run it in chunks of instructions; between
// chunks the store checks the deadline and keeps memory.grow within the byte budget. A host
// function may call back into the store's guest code: the nested call runs on the same thread
// on top of the host frame. Calls into one store must nest (a call that is suspended inside a
// host function, e.g. on a fiber, must not resume while a later call into the same store is
// still running); breaking that order poisons the store instead of corrupting it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "wabt/interp/interp.h"
#include "wasm/interp/guest_clock.hpp"

namespace actr::wasm::interp {

namespace wi = wabt::interp;

class InterpModule;
class InterpHostFunc;

class InterpStore final : public Store {
 public:
  explicit InterpStore(const StoreLimits& limits);
  ~InterpStore() override;

  const StoreLimits& limits() const override { return limits_; }
  bool poisoned() const override { return poisoned_; }
  const std::string& poison_reason() const override { return first_trap_.message; }
  void poison(std::string reason) override;

  Result<std::shared_ptr<Instance>> instantiate(const Module& module,
                                                std::span<const Extern> imports) override;
  using Store::host_func;
  std::shared_ptr<Func> host_func(std::shared_ptr<const FuncType> type, HostFn fn) override;

  // For the extern handles of this store.
  Result<void> call_guest(const wi::DefinedFunc& func, const FuncType& type, const Slot* args,
                          Slot* results);
  Result<uint64_t> grow_memory(wi::Memory& memory, uint64_t delta_pages);
  Result<Extern> wrap(wi::Ref ref);
  // Reference slots from the host must name a live object of the store (0 is null).
  Result<void> check_ref(ValType type, Slot slot) const;

 private:
  enum class Outcome { Returned, Trapped, StackExhausted, DeadlineExceeded };
  struct MemoryRecord {
    wi::Memory* memory;
    std::optional<uint64_t> declared_max;  // in pages
    uint64_t max_pages() const { return declared_max.value_or(kMaxMemoryPages); }
  };
  static constexpr uint64_t kMaxMemoryPages = 65536;
  class EntryGuard;

  Outcome run(wi::Trap::Ptr& trap);
  Error trap_error(Outcome outcome, const wi::Trap::Ptr& trap);
  Error poisoned_error() const;
  void poison_with(const Error& error);
  wabt::Result on_host_call(InterpHostFunc& func, const wi::Values& params, wi::Values& results,
                            wi::Trap::Ptr* out_trap);
  void reset_thread();
  // Gives the thread an empty frame stack for a nested entry at `level`; returns the vector that
  // holds the outer frames meanwhile.
  std::vector<wi::Frame>& isolate_frames(int level);
  void register_memory(wi::Memory& memory);
  MemoryRecord* find_memory(const wi::Memory& memory);
  uint64_t memory_bytes() const;
  void apply_memory_budget();
  wi::Ref module_ref(const InterpModule& module);
  // Marks the functions on the call stack as running in their modules' profiles.
  void sample(const std::vector<wi::Frame>& frames);

  StoreLimits limits_;
  wi::Store store_;
  std::unique_ptr<wi::Thread> thread_;
  size_t frame_capacity_;  // the thread's frame limit: max_call_depth
  GuestClock clock_;

  // Active host->guest entries (> 1 while a host function has called back into the store).
  int entries_ = 0;
  // A module of the store uses exception tags: nested entries run on frames of their own.
  bool may_throw_ = false;
  std::vector<std::vector<wi::Frame>> nested_frames_;
  // A trap left the thread mid-call; it is replaced when no entry is active any more.
  bool thread_dirty_ = false;
  bool poisoned_ = false;
  Error first_trap_;
  // Set by a host function that failed, for the entry its trap unwinds to.
  std::optional<Error> host_error_;

  std::vector<MemoryRecord> memories_;
  // Handles already given out, by wabt object index, so an object has one handle.
  std::unordered_map<size_t, Extern> externs_;
  // Modules instantiated in this store (wabt needs a per-store copy), kept alive by the store.
  std::map<const InterpModule*, std::pair<std::shared_ptr<const InterpModule>, wi::Ref>> modules_;
  // The same, by the store's copy (what call frames point to).
  std::vector<std::pair<const wi::Module*, const InterpModule*>> module_of_copy_;

  // Scratch for argument and result values; reused so calls do not allocate.
  wi::Values args_;
  wi::Values results_;
};

}  // namespace actr::wasm::interp
