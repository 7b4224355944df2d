// The aot engine's runtime: our implementation of wasm2c's wasm-rt.h API (exported from the host
// executable to the compiled modules), plus the guest-entry protocol.
//
// Unwinding. A trap longjmps (cheap _setjmp/_longjmp, no signal-mask syscall) to the Activation of
// the innermost guest entry on this thread. The thread-local `guest activation` pointer is non-null
// exactly while guest code runs; every entry sets it and every host call clears it and restores it
// afterwards from its own stack frame. So a fiber suspended in a host function and resumed later,
// after other stores ran guest code on the same thread, finds its own state again; and a signal
// (memory fault, stack overflow, deadline) only unwinds when it interrupts guest code.
//
// Call depth. Generated code counts wasm frames down from the store's max_call_depth in a
// thread-local budget, and checks the native stack pointer against a thread-local limit; both are
// saved and restored the same way. On a thread's own stack the limit keeps a reserve above the
// stack's end; on any other stack (a fiber's, whose bounds are unknown) guest code may use
// kForeignStackAllowance below the outermost entry, so fibers need stacks of at least 128 KiB.
// Guard pages (threads, protected fiber stacks) are a second line: a fault there is caught on a
// per-thread alternate signal stack and traps as stack exhaustion.
#pragma once

#include <setjmp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actr/common/result.hpp"
#include "actr/wasm/types.hpp"
#include "wasm-rt.h"
#include "wasm/aot/glue_abi.h"
#include "wasm/aot/watchdog.hpp"

namespace actr::wasm::aot {

inline constexpr size_t kForeignStackAllowance = 96 * 1024;

// What the runtime needs to know about a store.
struct StoreContext {
  uint64_t max_memory_bytes = 0;
  uint64_t memory_bytes = 0;  // linear memory currently allocated by the store's memories
  uint32_t max_call_depth = 0;
  uint32_t budget_in_host = 0;  // call budget left when guest code last called the host
  uint32_t active_entries = 0;  // guest entries of this store on the stack(s)
  uint64_t generation = 0;      // deadline generation of the current top-level entry
  bool poisoned = false;
  Error first_trap;                      // what poisoned the store
  std::unique_ptr<DeadlineTimer> timer;  // null when the store has no deadline

  void poison_with(const Error& error) {
    if (poisoned) return;
    poisoned = true;
    first_trap = error;
  }
};

// One guest entry. Lives on the stack of the entering thread or fiber.
struct Activation {
  jmp_buf jmp;
  StoreContext* store = nullptr;
  int trap_code = 0;
  bool from_signal = false;
  std::string message;  // for host traps and limits
};

// Installs the signal handlers once per process. Idempotent.
void init_runtime();

// Runs fn(a, b) as a guest entry of `store`. A trap returns an Error with a TrapKind code and
// poisons the store (except a memory limit hit while instantiating, which changed nothing); once
// poisoned, a store refuses at once, and a trap unwinding through an outer entry reports the
// first trap.
Result<void> guarded_call(StoreContext& store, actr_trampoline_t fn, void* a, uint64_t* b);

Error poisoned_error(const StoreContext& store);

// A host function as the compiled code sees it (the `target` of a host import slot).
struct HostFunction {
  std::function<Result<void>(const uint64_t*, uint64_t*)> fn;
};
extern "C" void actr_wasm_host_call(void* target, const uint64_t* args, uint64_t* results);

// Memory.grow from the host; UINT32_MAX when refused.
uint32_t grow_memory(wasm_rt_memory_t* memory, uint32_t delta_pages);

class MemoryImage;
// While it lives, the first linear memory that this thread allocates starts as `image` (when the
// sizes agree), and the generated code skips that instantiation's active data segments. Set it
// around the instantiation of a module that has an image (AotInstance::instantiate).
class ImageScope {
 public:
  explicit ImageScope(const MemoryImage* image);
  ~ImageScope();
  ImageScope(const ImageScope&) = delete;
  ImageScope& operator=(const ImageScope&) = delete;
  // Whether a memory was made from the image.
  bool used() const;
};

// How many distinct function types the registry holds (tests).
uint32_t registered_func_types();

}  // namespace actr::wasm::aot
