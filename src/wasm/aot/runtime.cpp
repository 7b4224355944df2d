#include "wasm/aot/runtime.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "actr/wasm/trap.hpp"
#include "wasm/aot/memory_image.hpp"
#include "wasm/aot/memory_pool.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

// ---- state shared with generated code ----------------------------------------------------------

extern "C" {
// Frames the running guest may still push; generated prologues decrement it (see glue_writer).
thread_local uint32_t actr_wasm_call_budget = 0;
// Generated prologues trap when the stack pointer is below this address.
thread_local uintptr_t actr_wasm_stack_limit = 0;
}

namespace {
// The innermost try of the guest code running on this thread (null: a throw is uncaught).
thread_local actr_unwind_target_t* tls_unwind_target = nullptr;
// The exception being thrown or just caught: its tag id and its values, as the generated code
// lays them out (a struct of the tag's parameters).
thread_local uint32_t tls_exception_tag = 0;
thread_local std::vector<unsigned char> tls_exception_values;
}  // namespace

namespace actr::wasm::aot {
namespace {

// Non-null exactly while guest code runs on this thread.
thread_local Activation* tls_guest = nullptr;
thread_local ThreadRecord tls_thread_record;
thread_local bool tls_thread_ready = false;
// The thread's own stack, and the top of the stack the current stack limit was derived for.
thread_local uintptr_t tls_thread_stack_low = 0;
thread_local uintptr_t tls_thread_stack_high = 0;
thread_local uintptr_t tls_thread_stack_limit = 0;
thread_local uintptr_t tls_stack_top = 0;

// Kept free at the end of a thread's stack for host functions called at the deepest point (a
// quarter of smaller stacks).
constexpr uintptr_t kThreadStackReserve = 128 * 1024;
// How far below the stack limit the host frames between a guest call and a nested entry reach.
// Smaller than the distance between the limit and another fiber's stack when fiber stacks have
// at least 128 KiB (kForeignStackAllowance + this < 128 KiB).
constexpr uintptr_t kNestedSlack = 16 * 1024;

inline void set_guest(Activation* act) {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  tls_guest = act;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

// The compiler's own setjmp/longjmp pair: the setjmp saves three words inline (the frame, the stack
// and the resume address; the frame that calls it saves every callee-saved register itself)
// instead of a call into libc per guest entry. Like _setjmp/_longjmp it leaves the signal mask
// alone, and it works from a signal handler on the alternate stack just the same.
inline void** jump_buffer(Activation* act) { return reinterpret_cast<void**>(&act->jmp); }
static_assert(sizeof(jmp_buf) >= 5 * sizeof(void*), "__builtin_setjmp needs five words");

[[noreturn]] void unwind(Activation* act, int code) {
  act->trap_code = code;
  set_guest(nullptr);
#if defined(__SANITIZE_ADDRESS__)
  // What ASan's longjmp interceptor would do: forget the skipped frames' poisoned redzones.
  __asan_handle_no_return();
#endif
  __builtin_longjmp(jump_buffer(act), 1);
}

[[noreturn]] void fatal(const char* what) {
  fprintf(stderr, "actr aot runtime: %s\n", what);
  abort();
}

// ---- threads: alternate signal stacks and watchdog registration ---------------------------------

struct ThreadResources {
  void* alt_stack = nullptr;
  size_t alt_stack_size = 0;
  bool registered = false;
  ~ThreadResources() {
    if (registered) unregister_thread(&tls_thread_record);
    if (alt_stack != nullptr) {
      stack_t disable{};
      disable.ss_flags = SS_DISABLE;
      sigaltstack(&disable, nullptr);
      munmap(alt_stack, alt_stack_size);
    }
  }
};

thread_local ThreadResources tls_resources;

__attribute__((noinline)) void init_thread() {
  init_runtime();
  ThreadResources& res = tls_resources;
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
    // A guard page below the alternate stack turns a handler overflow into a crash, not
    // corruption.
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t size = std::max<size_t>(64 * 1024, 4 * static_cast<size_t>(sysconf(_SC_MINSIGSTKSZ)));
    size = (size + page - 1) / page * page;
    void* mem =
        mmap(nullptr, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) {
      mprotect(mem, page, PROT_NONE);
      stack_t ss{};
      ss.ss_sp = static_cast<char*>(mem) + page;
      ss.ss_size = size;
      if (sigaltstack(&ss, nullptr) == 0) {
        res.alt_stack = mem;
        res.alt_stack_size = size + page;
      } else {
        munmap(mem, size + page);
      }
    }
  }
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* low = nullptr;
    size_t size = 0;
    if (pthread_attr_getstack(&attr, &low, &size) == 0) {
      tls_thread_stack_low = reinterpret_cast<uintptr_t>(low);
      tls_thread_stack_high = tls_thread_stack_low + size;
      tls_thread_stack_limit =
          tls_thread_stack_low + std::min<uintptr_t>(kThreadStackReserve, size / 4);
    }
    pthread_attr_destroy(&attr);
  }
  register_thread(&tls_thread_record);
  res.registered = true;
  tls_thread_ready = true;
}

inline ThreadRecord* this_thread() {
  if (__builtin_expect(!tls_thread_ready, 0)) init_thread();
  return &tls_thread_record;
}

// ---- signals ------------------------------------------------------------------------------------

struct sigaction g_previous[NSIG];

void chain(int sig, siginfo_t* info, void* context) {
  const struct sigaction& prev = g_previous[sig];
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction != nullptr) {
    prev.sa_sigaction(sig, info, context);
  } else if (prev.sa_handler == SIG_IGN) {
    return;
  } else if (prev.sa_handler == SIG_DFL) {
    if (sig == kDeadlineSignal) return;  // SIGURG's default action is to ignore it
    // Not ours: restore the default action; the faulting instruction runs again and the process
    // dies as it would have without us.
    signal(sig, SIG_DFL);
    if (info->si_code <= 0) raise(sig);
  } else {
    prev.sa_handler(sig);
  }
}

uintptr_t stack_pointer_of(void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.sp);
#else
  (void)uc;
  return 0;
#endif
}

void on_fault(int sig, siginfo_t* info, void* context) {
  Activation* act = tls_guest;
  if (act == nullptr) return chain(sig, info, context);
  // Linear memories are 8 GiB reservations far from any stack; a fault within a few pages of the
  // stack pointer is the guard page of the (thread's or fiber's) stack.
  uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
  uintptr_t sp = stack_pointer_of(context);
  constexpr uintptr_t kNear = 64 * 1024;
  bool stack_overflow = sp != 0 && addr + kNear >= sp && addr <= sp + kNear;
  act->from_signal = true;
  unwind(act, stack_overflow ? WASM_RT_TRAP_EXHAUSTION : WASM_RT_TRAP_OOB);
}

void on_deadline(int sig, siginfo_t* info, void* context) {
  Activation* act = tls_guest;
  if (act == nullptr) return chain(sig, info, context);
  StoreContext* store = act->store;
  if (!store->timer || !store->timer->expired(store->generation)) return;
  act->from_signal = true;
  unwind(act, ACTR_TRAP_DEADLINE);
}

void install_handlers() {
  struct sigaction sa {};
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGSEGV);
  sigaddset(&sa.sa_mask, SIGBUS);
  sigaddset(&sa.sa_mask, kDeadlineSignal);
  sa.sa_sigaction = on_fault;
  sigaction(SIGSEGV, &sa, &g_previous[SIGSEGV]);
  sigaction(SIGBUS, &sa, &g_previous[SIGBUS]);
  sa.sa_flags |= SA_RESTART;  // a deadline signal landing in host code must not break syscalls
  sa.sa_sigaction = on_deadline;
  sigaction(kDeadlineSignal, &sa, &g_previous[kDeadlineSignal]);
}

// Handlers leave their signals blocked when they unwind by longjmp.
void unblock_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGSEGV);
  sigaddset(&set, SIGBUS);
  sigaddset(&set, kDeadlineSignal);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

// ---- runtime functions called from guest code ---------------------------------------------------
// They may take locks or allocate, so guest mode is suspended while they run (a deadline signal
// arriving meanwhile is deferred) and a pending deadline is honoured on the way back.

inline Activation* suspend_guest() {
  Activation* act = tls_guest;
  set_guest(nullptr);
  return act;
}

inline void resume_guest(Activation* act) {
  if (act == nullptr) return;
  set_guest(act);
  StoreContext* store = act->store;
  if (store->timer && store->timer->expired(store->generation)) unwind(act, ACTR_TRAP_DEADLINE);
}

// Formats into a stack buffer: frames skipped by the unwind must hold no heap-owning temporaries.
[[noreturn]] __attribute__((format(printf, 3, 4))) void trap_from_runtime(Activation* act, int code,
                                                                          const char* format, ...) {
  char message[256];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  if (act == nullptr) fatal(message);
  act->message = message;
  unwind(act, code);
}

// ---- linear memory ------------------------------------------------------------------------------
// Each memory reserves a header page, 8 GiB (any i32 address plus any i32 offset) and a guard, so
// generated code needs no bounds checks (memory_pool.hpp). memory_headers() finds the owning
// store on growth and free.

// The reservations come from (and go back to) MemoryPool::process().

constexpr uint64_t kHeaderBytes = kMemoryHeaderBytes;
// wasm_rt_memory_t::size is 32 bits wide, so 65536 pages cannot be represented.
constexpr uint32_t kMaxPages = 65535;

// What the runtime keeps about each live memory, by its data pointer. Not in the reservation's
// header page: writing there would make that page resident in every instance (4 KiB each).
struct MemoryHeader {
  StoreContext* store;
  const MemoryImage* image;  // mapped over the first pages; undone before the pool reuses them
};

struct MemoryHeaders {
  std::mutex mu;
  std::unordered_map<const uint8_t*, MemoryHeader> by_data;
};

MemoryHeaders& memory_headers() {
  static auto* headers = new MemoryHeaders();  // leaked: memories may be freed during exit
  return *headers;
}

// The image the next memory allocated on this thread starts from (set around the instantiation
// of a module that has one, see ImageScope), and the memory that took it: that instantiation's
// active data segments are already in place.
thread_local const MemoryImage* tls_pending_image = nullptr;
thread_local const uint8_t* tls_image_memory = nullptr;

// Stable while the memory lives (unordered_map nodes do not move); a memory that is not live is
// a fatal error.
MemoryHeader* header_of(const wasm_rt_memory_t* memory) {
  MemoryHeaders& headers = memory_headers();
  std::lock_guard lock(headers.mu);
  auto it = headers.by_data.find(memory->data);
  if (it == headers.by_data.end()) fatal("corrupt linear memory header");
  return &it->second;
}

uint32_t effective_max_pages(const wasm_rt_memory_t* memory) {
  return std::min<uint32_t>(memory->max_pages, kMaxPages);
}

// ---- function type registry ---------------------------------------------------------------------

struct RegisteredType {
  std::vector<wasm_rt_type_t> params;
  std::vector<wasm_rt_type_t> results;
};

std::mutex g_types_mu;
std::vector<RegisteredType>* g_types = new std::vector<RegisteredType>;  // leaked: process lifetime

constexpr uint32_t kMaxTableElements = 10'000'000;

}  // namespace

void init_runtime() {
  static std::once_flag once;
  std::call_once(once, install_handlers);
}

Error poisoned_error(const StoreContext& store) {
  return make_trap(TrapKind::Poisoned, std::string(default_message(TrapKind::Poisoned)) + ": " +
                                           store.first_trap.message);
}

namespace {

Error trap_error(const Activation& act) {
  switch (act.trap_code) {
    case WASM_RT_TRAP_OOB:
      return make_trap(TrapKind::MemoryOutOfBounds);
    case WASM_RT_TRAP_INT_OVERFLOW:
      return make_trap(TrapKind::IntegerOverflow);
    case WASM_RT_TRAP_DIV_BY_ZERO:
      return make_trap(TrapKind::IntegerDivideByZero);
    case WASM_RT_TRAP_INVALID_CONVERSION:
      return make_trap(TrapKind::InvalidConversion);
    case WASM_RT_TRAP_UNREACHABLE:
      return make_trap(TrapKind::Unreachable);
    case WASM_RT_TRAP_CALL_INDIRECT:
      return make_trap(TrapKind::IndirectCallTypeMismatch);
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
      return make_trap(TrapKind::Other, "uncaught exception");
    case WASM_RT_TRAP_EXHAUSTION:
      return make_trap(TrapKind::StackExhausted);
    case ACTR_TRAP_TABLE_OOB:
    case ACTR_TRAP_UNDEFINED_ELEMENT:
      return make_trap(TrapKind::TableOutOfBounds);
    case ACTR_TRAP_UNINITIALIZED_ELEMENT:
      return make_trap(TrapKind::UninitializedElement);
    case ACTR_TRAP_INDIRECT_CALL_TYPE:
      return make_trap(TrapKind::IndirectCallTypeMismatch);
    case ACTR_TRAP_HOST:
      return make_trap(TrapKind::Host, act.message);
    case ACTR_TRAP_DEADLINE:
      return make_trap(TrapKind::DeadlineExceeded);
    case ACTR_TRAP_MEMORY_LIMIT:
      return make_trap(TrapKind::MemoryLimit, act.message);
    case ACTR_TRAP_UNSUPPORTED_VALUE:
      return make_trap(TrapKind::Other,
                       "a non-null funcref cannot cross the host boundary (aot engine)");
    case ACTR_TRAP_POISONED:
      return poisoned_error(*act.store);
  }
  return make_trap(TrapKind::Other);
}

// The only frame that calls setjmp: it touches nothing after a longjmp but its return value.
__attribute__((noinline)) int run_protected(Activation* act, actr_trampoline_t fn, void* a,
                                            uint64_t* b) {
  if (__builtin_setjmp(jump_buffer(act)) != 0) return 1;
  set_guest(act);
  fn(a, b);
  set_guest(nullptr);
  return 0;
}

inline uintptr_t current_stack_pointer() {
  return reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
}

// Everything an entry changes in thread and store state, put back however the entry ends: by
// returning, by a trap (longjmp to run_protected), or by an exception unwinding through it (a
// fiber destroyed while suspended in a host function), which also poisons the store.
class EntryScope {
 public:
  EntryScope(StoreContext& store, ThreadRecord* thread)
      : store_(store),
        saved_budget_(actr_wasm_call_budget),
        saved_limit_(actr_wasm_stack_limit),
        saved_top_(tls_stack_top),
        saved_unwind_target_(tls_unwind_target) {
    tls_unwind_target = nullptr;  // a throw the entry does not catch ends it as a trap
    bool outermost = store.active_entries == 0;
    actr_wasm_call_budget = outermost ? store.max_call_depth : store.budget_in_host;
    uintptr_t sp = current_stack_pointer();
    if (sp > tls_thread_stack_low && sp <= tls_thread_stack_high) {
      actr_wasm_stack_limit = tls_thread_stack_limit;
      tls_stack_top = tls_thread_stack_high;
    } else if (!(saved_limit_ != 0 && sp <= saved_top_ && sp + kNestedSlack > saved_limit_)) {
      // A stack we know nothing about, and not nested in an entry on it: a fiber. (A nested
      // entry may start a little below the limit: the host frames in between are unchecked; its
      // guest code then traps at once.)
      actr_wasm_stack_limit = sp > kForeignStackAllowance ? sp - kForeignStackAllowance : 0;
      tls_stack_top = sp;
    }
    if (DeadlineTimer* timer = store.timer.get()) {
      if (outermost) store.generation = timer->begin_entry();
      timer->run_on(thread);
    }
    ++store.active_entries;
  }

  ~EntryScope() {
    --store_.active_entries;
    if (store_.timer) store_.timer->stop();
    actr_wasm_call_budget = saved_budget_;
    actr_wasm_stack_limit = saved_limit_;
    tls_stack_top = saved_top_;
    tls_unwind_target = saved_unwind_target_;
    if (!finished_) {  // an exception is unwinding through the entry
      set_guest(nullptr);
      store_.poison_with(make_trap(TrapKind::Other, "guest call abandoned by an exception"));
    }
  }

  EntryScope(const EntryScope&) = delete;
  EntryScope& operator=(const EntryScope&) = delete;

  void finish() { finished_ = true; }

 private:
  StoreContext& store_;
  uint32_t saved_budget_;
  uintptr_t saved_limit_;
  uintptr_t saved_top_;
  actr_unwind_target_t* saved_unwind_target_;
  bool finished_ = false;
};

}  // namespace

Result<void> guarded_call(StoreContext& store, actr_trampoline_t fn, void* a, uint64_t* b) {
  if (store.poisoned) return poisoned_error(store);
  ThreadRecord* thread = this_thread();
  Activation act;
  act.store = &store;
  int trapped;
  {
    EntryScope scope(store, thread);
    trapped = run_protected(&act, fn, a, b);
    scope.finish();
  }
  if (!trapped) return {};
  if (act.from_signal) unblock_signals();
  // A nested entry trapped first (or the host poisoned the store): that trap is unwinding.
  if (store.poisoned) return store.first_trap;
  Error error = trap_error(act);
  if (act.trap_code != ACTR_TRAP_MEMORY_LIMIT) store.poison_with(error);
  return error;
}

namespace {

// Exceptions derived from std::exception become traps; any other (a fiber's forced unwind)
// propagates, through the guest frames, to the entry that started the call.
__attribute__((noinline)) bool invoke_host(HostFunction* host, const uint64_t* args,
                                           uint64_t* results, std::string* message) {
  try {
    Result<void> r = host->fn(args, results);
    if (r.ok()) return true;
    *message = r.error().message;
    if (message->empty()) *message = default_message(TrapKind::Host);
  } catch (const std::exception& e) {
    *message = std::string("host function threw: ") + e.what();
  }
  return false;
}

}  // namespace

extern "C" void actr_wasm_host_call(void* target, const uint64_t* args, uint64_t* results) {
  Activation* act = tls_guest;
  if (act == nullptr) fatal("host import called outside guest code");
  StoreContext* store = act->store;
  uint32_t budget = actr_wasm_call_budget;
  uintptr_t limit = actr_wasm_stack_limit;
  uintptr_t top = tls_stack_top;
  actr_unwind_target_t* unwind_target = tls_unwind_target;
  store->budget_in_host = budget;
  set_guest(nullptr);
  if (store->timer) store->timer->stop();
  bool ok = invoke_host(static_cast<HostFunction*>(target), args, results, &act->message);
  // Other fibers may have run guest code on this thread meanwhile, or the host may have moved
  // this fiber to another thread: put this call's state back.
  ThreadRecord* thread = this_thread();
  if (store->timer) store->timer->run_on(thread);
  actr_wasm_call_budget = budget;
  actr_wasm_stack_limit = limit;
  tls_stack_top = top;
  tls_unwind_target = unwind_target;
  set_guest(act);
  // Even a host function that succeeded must not return into a poisoned store.
  if (store->poisoned) unwind(act, ACTR_TRAP_POISONED);
  if (!ok) unwind(act, ACTR_TRAP_HOST);
  if (store->timer && store->timer->expired(store->generation)) unwind(act, ACTR_TRAP_DEADLINE);
}

uint32_t grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old_pages = memory->pages;
  if (delta == 0) return old_pages;
  uint64_t new_pages = uint64_t{old_pages} + delta;
  if (new_pages > effective_max_pages(memory)) return UINT32_MAX;
  MemoryHeader* header = header_of(memory);
  uint64_t delta_bytes = uint64_t{delta} * kPageSize;
  StoreContext* store = header->store;
  if (store && store->memory_bytes + delta_bytes > store->max_memory_bytes) return UINT32_MAX;
  uint64_t old_bytes = uint64_t{old_pages} * kPageSize;
  if (mprotect(memory->data + old_bytes, delta_bytes, PROT_READ | PROT_WRITE) != 0)
    return UINT32_MAX;
  if (store) store->memory_bytes += delta_bytes;
  memory->pages = static_cast<uint32_t>(new_pages);
  memory->size = static_cast<uint32_t>(new_pages * kPageSize);
  return old_pages;
}

uint32_t registered_func_types() {
  std::lock_guard lock(g_types_mu);
  return static_cast<uint32_t>(g_types->size());
}

}  // namespace actr::wasm::aot

// ---- the wasm-rt.h API --------------------------------------------------------------------------

using actr::wasm::aot::Activation;
namespace aot = actr::wasm::aot;

extern "C" {

void wasm_rt_init(void) { aot::init_runtime(); }
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t code) {
  Activation* act = aot::tls_guest;
  if (act == nullptr) aot::fatal("trap outside guest code");
  aot::unwind(act, code);
}

void actr_wasm_call_indirect_trap(const wasm_rt_funcref_table_t* table, uint32_t index) {
  int code = index >= table->size                 ? ACTR_TRAP_UNDEFINED_ELEMENT
             : table->data[index].func == nullptr ? ACTR_TRAP_UNINITIALIZED_ELEMENT
                                                  : ACTR_TRAP_INDIRECT_CALL_TYPE;
  wasm_rt_trap(static_cast<wasm_rt_trap_t>(code));
}

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (static_cast<int>(trap)) {
    case WASM_RT_TRAP_NONE:
      return "no error";
    case WASM_RT_TRAP_OOB:
      return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW:
      return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO:
      return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION:
      return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE:
      return "unreachable";
    case WASM_RT_TRAP_CALL_INDIRECT:
      return "indirect call type mismatch";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
      return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION:
      return "call stack exhausted";
  }
  return "trap";
}

uint32_t wasm_rt_register_func_type(uint32_t param_count, uint32_t result_count, ...) {
  aot::RegisteredType type;
  va_list args;
  va_start(args, result_count);
  for (uint32_t i = 0; i < param_count; ++i) {
    type.params.push_back(static_cast<wasm_rt_type_t>(va_arg(args, int)));
  }
  for (uint32_t i = 0; i < result_count; ++i) {
    type.results.push_back(static_cast<wasm_rt_type_t>(va_arg(args, int)));
  }
  va_end(args);
  std::lock_guard lock(aot::g_types_mu);
  auto& types = *aot::g_types;
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i].params == type.params && types[i].results == type.results) {
      return static_cast<uint32_t>(i + 1);
    }
  }
  types.push_back(std::move(type));
  return static_cast<uint32_t>(types.size());  // 0 stays free for the null funcref
}

// Tags are generative: each defining instance registers its own (see instance_tags.hpp), and a
// catch compares ids. Ids are never reused; 2^32 instantiations of tag-defining modules in one
// process would wrap.
uint32_t wasm_rt_register_tag(uint32_t) {
  static std::atomic<uint32_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}
void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void* values) {
  tls_exception_tag = tag;
  tls_exception_values.resize(size);
  if (size != 0) std::memcpy(tls_exception_values.data(), values, size);
}
// A throw lands in the innermost try, with the call budget of its frame (the frames in between
// never ran their epilogues). No try: the entry traps.
void actr_wasm_throw(void) {
  actr_unwind_target_t* target = tls_unwind_target;
  if (target == nullptr) wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
  actr_wasm_call_budget = target->call_budget;
  longjmp(target->jmp, 1);
}
// wasm-rt.h's throw and unwind-target pair, for the API's sake: generated code uses the
// actr_wasm_ ones (the target type differs).
void wasm_rt_throw(void) { wasm_rt_trap(WASM_RT_TRAP_UNCAUGHT_EXCEPTION); }
actr_unwind_target_t* actr_wasm_get_unwind_target(void) { return tls_unwind_target; }
void actr_wasm_set_unwind_target(actr_unwind_target_t* target) { tls_unwind_target = target; }
WASM_RT_UNWIND_TARGET* wasm_rt_get_unwind_target(void) { return nullptr; }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET*) {}
uint32_t wasm_rt_exception_tag(void) { return tls_exception_tag; }
uint32_t wasm_rt_exception_size(void) { return static_cast<uint32_t>(tls_exception_values.size()); }
void* wasm_rt_exception(void) { return tls_exception_values.data(); }

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  Activation* act = aot::suspend_guest();
  aot::StoreContext* store = act ? act->store : nullptr;
  *memory = wasm_rt_memory_t{};
  uint64_t bytes = uint64_t{initial_pages} * actr::wasm::kPageSize;
  if (initial_pages > aot::kMaxPages) {
    aot::trap_from_runtime(act, ACTR_TRAP_MEMORY_LIMIT,
                           "a linear memory of %u pages is larger than the engine supports",
                           initial_pages);
  }
  if (store && store->memory_bytes + bytes > store->max_memory_bytes) {
    aot::trap_from_runtime(act, ACTR_TRAP_MEMORY_LIMIT,
                           "memory limit exceeded: instantiation needs %llu bytes of linear "
                           "memory, the store allows %llu",
                           static_cast<unsigned long long>(store->memory_bytes + bytes),
                           static_cast<unsigned long long>(store->max_memory_bytes));
  }
  const aot::MemoryImage* image = aot::tls_pending_image;
  aot::tls_pending_image = nullptr;  // for this instantiation's first memory only
  if (image != nullptr && image->bytes() != bytes) image = nullptr;
  // A pooled reservation that already maps the image, reading as it, needs no mapping.
  uint8_t* base = image != nullptr ? aot::MemoryPool::process().acquire_image(image) : nullptr;
  bool mapped = base != nullptr;
  if (base == nullptr) base = aot::MemoryPool::process().acquire(bytes);
  if (base == nullptr) {
    aot::trap_from_runtime(act, ACTR_TRAP_MEMORY_LIMIT,
                           "cannot reserve address space for a linear memory");
  }
  uint8_t* data = base + aot::kHeaderBytes;
  aot::MemoryHeader header{store, nullptr};
  if (image != nullptr && (mapped || image->map_into(base))) {
    header.image = image;
    aot::tls_image_memory = data;
  }
  {
    aot::MemoryHeaders& headers = aot::memory_headers();
    std::lock_guard lock(headers.mu);
    headers.by_data[data] = header;
  }
  if (store) store->memory_bytes += bytes;
  memory->data = data;
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = static_cast<uint32_t>(bytes);
  aot::resume_guest(act);
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  Activation* act = aot::suspend_guest();
  uint32_t result = aot::grow_memory(memory, delta);
  aot::resume_guest(act);
  return result;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  if (memory->data == nullptr) return;
  aot::MemoryHeader header = *aot::header_of(memory);
  {
    aot::MemoryHeaders& headers = aot::memory_headers();
    std::lock_guard lock(headers.mu);
    headers.by_data.erase(memory->data);  // a stale pointer to it must not pass header_of()
  }
  if (header.store) header.store->memory_bytes -= uint64_t{memory->pages} * actr::wasm::kPageSize;
  uint8_t* base = memory->data - aot::kHeaderBytes;
  uint64_t data_bytes = uint64_t{memory->pages} * actr::wasm::kPageSize;
  aot::MemoryPool& pool = aot::MemoryPool::process();
  if (header.image == nullptr) {
    pool.release(base, data_bytes);
  } else if (!pool.release_image(base, data_bytes, header.image)) {
    // Not kept with its image: back to anonymous pages, or, if that fails, to the system.
    if (header.image->unmap_from(base)) {
      pool.release(base, data_bytes);
    } else {
      munmap(base, aot::kReservationBytes);
    }
  }
  memory->data = nullptr;
  memory->pages = memory->size = 0;
}

// Called by the generated code before it copies an active data segment (c_translation.cpp).
int actr_wasm_memory_from_image(const wasm_rt_memory_t* memory) {
  return memory->data != nullptr && memory->data == aot::tls_image_memory;
}

}  // extern "C"

namespace actr::wasm::aot {

ImageScope::ImageScope(const MemoryImage* image) {
  tls_pending_image = image;
  tls_image_memory = nullptr;
}

ImageScope::~ImageScope() {
  tls_pending_image = nullptr;
  tls_image_memory = nullptr;
}

bool ImageScope::used() const { return tls_image_memory != nullptr; }

}  // namespace actr::wasm::aot

namespace {

template <typename Table, typename Elem>
void allocate_table(Table* table, uint32_t elements, uint32_t max_elements) {
  Activation* act = aot::suspend_guest();
  *table = Table{};
  if (elements > aot::kMaxTableElements) {
    aot::trap_from_runtime(act, ACTR_TRAP_MEMORY_LIMIT,
                           "a table of %u elements is larger than the engine supports", elements);
  }
  table->data = static_cast<Elem*>(calloc(std::max<uint32_t>(elements, 1), sizeof(Elem)));
  if (table->data == nullptr) {
    aot::trap_from_runtime(act, ACTR_TRAP_MEMORY_LIMIT, "cannot allocate a table");
  }
  table->size = elements;
  table->max_size = max_elements;
  aot::resume_guest(act);
}

template <typename Table, typename Elem>
uint32_t grow_table(Table* table, uint32_t delta, Elem init) {
  Activation* act = aot::suspend_guest();
  uint32_t old_size = table->size;
  uint64_t new_size = uint64_t{old_size} + delta;
  uint32_t result = old_size;
  if (delta != 0) {
    if (new_size > table->max_size || new_size > aot::kMaxTableElements) {
      result = UINT32_MAX;
    } else if (auto* data = static_cast<Elem*>(realloc(table->data, new_size * sizeof(Elem)))) {
      std::fill(data + old_size, data + new_size, init);
      table->data = data;
      table->size = static_cast<uint32_t>(new_size);
    } else {
      result = UINT32_MAX;
    }
  }
  aot::resume_guest(act);
  return result;
}

template <typename Table>
void free_table(Table* table) {
  free(table->data);
  table->data = nullptr;
  table->size = 0;
}

}  // namespace

extern "C" {

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements,
                                    uint32_t max_elements) {
  allocate_table<wasm_rt_funcref_table_t, wasm_rt_funcref_t>(table, elements, max_elements);
}
void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) { free_table(table); }
void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* table, uint32_t elements,
                                      uint32_t max_elements) {
  allocate_table<wasm_rt_externref_table_t, wasm_rt_externref_t>(table, elements, max_elements);
}
void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) { free_table(table); }
uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta,
                                    wasm_rt_funcref_t init) {
  return grow_table(table, delta, init);
}
uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta,
                                      wasm_rt_externref_t init) {
  return grow_table(table, delta, init);
}

}  // extern "C"
