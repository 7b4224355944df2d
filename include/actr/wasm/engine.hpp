// The core WebAssembly engine interface. Two backends implement it with identical behaviour:
//   - aot:    wasm2c -> C -> system compiler -> shared object (cached on disk) -> dlopen
//   - interp: the wabt interpreter
// The component layer (actr::component) drives everything through this header only.
//
// Threading: a Store and everything created in it is used by one thread at a time (it may move
// between threads between calls). Different stores may run concurrently on different threads.
// A guest call may be suspended inside a host function (the runtime runs dispatches on fibers)
// while other stores run guest code on the same thread; engines must support that.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/wasm/trap.hpp"
#include "actr/wasm/types.hpp"

namespace actr::wasm {

class Store;

// Per-store resource limits.
struct StoreLimits {
  // Upper bound on the total bytes of linear memory of all memories in the store. memory.grow
  // beyond it returns -1 to the guest (as the spec allows); instantiation that needs more fails.
  uint64_t max_memory_bytes = 64ull << 20;
  // Upper bound on nested guest calls (wasm frames); exceeding it traps with StackExhausted.
  uint32_t max_call_depth = 10000;
  // Upper bound on the guest time of one top-level entry from the host into the store (time spent
  // in host functions does not count). Exceeding it traps with DeadlineExceeded and poisons the
  // store. Zero disables the deadline.
  std::chrono::nanoseconds deadline = std::chrono::seconds(5);
};

// A function: defined in a guest instance, or a host function. Calling a guest function is a
// "guest entry" when no guest code of the same store is on the stack; the store's deadline then
// applies. A trap inside returns an Error whose code is a TrapKind and poisons the store.
class Func {
 public:
  virtual ~Func() = default;
  virtual const FuncType& type() const = 0;
  // args: type().params.size() slots; results: type().results.size() slots.
  virtual Result<void> call(const Slot* args, Slot* results) = 0;
};

class Memory {
 public:
  virtual ~Memory() = default;
  // Base pointer and size in bytes. Both change when the memory grows (including during any
  // guest call), so re-read them after every call into the guest.
  virtual uint8_t* data() = 0;
  virtual uint64_t size() const = 0;
  virtual MemoryType type() const = 0;
  // Grows by delta_pages; returns the old size in pages, or an error if refused.
  virtual Result<uint64_t> grow(uint64_t delta_pages) = 0;
};

class Table {
 public:
  virtual ~Table() = default;
  virtual TableType type() const = 0;
  virtual uint32_t size() const = 0;
};

class Global {
 public:
  virtual ~Global() = default;
  virtual GlobalType type() const = 0;
  virtual Slot get() const = 0;
  virtual Result<void> set(Slot value) = 0;
};

// An exception tag, defined by an instance (each instance its own) or imported. Handles compare
// by identity: the tag a catch names must be the very tag the throw used.
class Tag {
 public:
  virtual ~Tag() = default;
  virtual const TagType& type() const = 0;
};

// Something an instance exports or imports. The handles stay valid while their Store lives.
using Extern = std::variant<std::shared_ptr<Func>, std::shared_ptr<Table>, std::shared_ptr<Memory>,
                            std::shared_ptr<Global>, std::shared_ptr<Tag>>;

ExternKind kind_of(const Extern& e);

// A validated, compiled module. Immutable; may be shared by many stores and threads.
class Module {
 public:
  virtual ~Module() = default;
  virtual const std::vector<ImportType>& imports() const = 0;
  virtual const std::vector<ExportType>& exports() const = 0;
  // The module's own functions (index among the functions it defines, imports not counted) that
  // this engine has seen running: a profile for the next tier's compile. The interpreter samples
  // its call stack every chunk of instructions, so a function that ran long enough to matter is
  // in the set; compiled engines keep no profile (empty).
  virtual std::vector<uint32_t> sampled_functions() const { return {}; }
};

// What an instance itself defines (not what it imports), exported or not, in index order: the
// state guest code can change. Moving a live instance to another engine (tiered execution) copies
// the memories' bytes and the mutable globals from one to the other; tables must not change at
// run time for that (see code_keeps_tables_fixed()).
struct DefinedState {
  std::vector<std::shared_ptr<Memory>> memories;
  std::vector<std::shared_ptr<Global>> globals;
  std::vector<std::shared_ptr<Table>> tables;
};

class Instance {
 public:
  virtual ~Instance() = default;
  virtual std::optional<Extern> get_export(std::string_view name) = 0;
  // Export `index` of module().exports(): what get_export(its name) returns, for callers that
  // resolved the name once for every instance of the module.
  virtual std::optional<Extern> export_at(uint32_t index) {
    const auto& exports = module().exports();
    if (index >= exports.size()) return std::nullopt;
    return get_export(exports[index].name);
  }
  virtual const Module& module() const = 0;
  virtual DefinedState defined_state() = 0;
};

// Fails, naming the instruction and the function, when code of the module can change a table or
// drop a segment at run time (table.set/grow/fill/copy/init, elem.drop, data.drop): state that
// DefinedState cannot carry from one engine to another.
Result<void> code_keeps_tables_fixed(std::span<const uint8_t> module_bytes);

// A host function body. Returning an error traps the calling guest with TrapKind::Host and the
// error's message (the host must never throw through guest frames).
using HostFn = std::function<Result<void>(const Slot* args, Slot* results)>;

// The owner of instances, memories, tables, globals and host functions that live and die
// together (one component instance). After a trap the store is poisoned: every further call into
// it fails at once with TrapKind::Poisoned, naming the first trap.
class Store {
 public:
  virtual ~Store() = default;
  virtual const StoreLimits& limits() const = 0;
  virtual bool poisoned() const = 0;
  virtual const std::string& poison_reason() const = 0;
  // Marks the store poisoned (used by the component layer for canonical-ABI traps).
  virtual void poison(std::string reason) = 0;

  // Instantiates `module`; `imports` are in the order of module.imports() and must have matching
  // types (checked; a mismatch is an error naming the import). Runs the start function.
  virtual Result<std::shared_ptr<Instance>> instantiate(const Module& module,
                                                        std::span<const Extern> imports) = 0;
  // A host function whose type may be shared with others: every instance of a component lowers
  // the same imports, and a copy of the type each would cost an instance ~100 bytes per import.
  virtual std::shared_ptr<Func> host_func(std::shared_ptr<const FuncType> type, HostFn fn) = 0;
  std::shared_ptr<Func> host_func(FuncType type, HostFn fn) {
    return host_func(std::make_shared<const FuncType>(std::move(type)), std::move(fn));
  }
  // Several host functions at once, function i made from specs[i] (moved from). An engine may
  // keep them in one block that lives while any of them does: an instance of a component lowers
  // a dozen imports, and an object with a reference count and an allocation of its own each
  // costs an idle instance ~30 bytes per function more.
  struct HostFuncSpec {
    std::shared_ptr<const FuncType> type;
    HostFn fn;
  };
  virtual std::vector<std::shared_ptr<Func>> host_funcs(std::span<HostFuncSpec> specs) {
    std::vector<std::shared_ptr<Func>> funcs;
    funcs.reserve(specs.size());
    for (HostFuncSpec& s : specs) funcs.push_back(host_func(std::move(s.type), std::move(s.fn)));
    return funcs;
  }
};

// aot: what a compile that is not in the cache is doing (it takes seconds to minutes).
struct CompileProgress {
  // Translated: the C is written and the compile begins (once per module); Compiling: a unit
  // of a split module is done; then Finished or Failed.
  enum class Stage { Translated, Compiling, Finished, Failed };
  Stage stage = Stage::Translated;
  size_t wasm_bytes = 0;
  size_t c_bytes = 0;  // the generated C
  // The module's own functions, and how many of them a profile saw running (CompileHints).
  size_t functions = 0, profiled_functions = 0;
  size_t units_done = 0, units_total = 1;
  std::chrono::milliseconds elapsed{0};  // since the compile began
};

struct EngineOptions {
  // aot: where compiled shared objects are cached; created if missing. Default:
  // $ACTR_CACHE_DIR, else $XDG_CACHE_HOME/actr, else ~/.cache/actr.
  std::optional<std::filesystem::path> cache_dir;
  // aot: the C compiler (default: $CC, else cc).
  std::optional<std::string> c_compiler;
  // aot: the cache's size cap in bytes; the least recently used objects go first. Default:
  // $ACTR_CACHE_MAX_MB, else 2 GiB.
  std::optional<uint64_t> cache_max_bytes;
  // aot: told about compiles that miss the cache (any thread; keep it short).
  std::function<void(const CompileProgress&)> on_compile;
  // aot: only load what the code cache holds; a module that is not there fails compile() with
  // "not in the code cache" instead of being compiled (a tiered node's fast path).
  bool cache_only = false;
};

// aot: a profile for a module's compile. A module big enough to be split into translation units
// (a JavaScript engine) compiles the functions in `hot_functions` optimized and the rest at -O0,
// which takes the compile of a 12 MB module from ~3 minutes to under 2; without a profile (or
// an empty one) every unit is optimized. Asked once the C is written, so a profile that an
// earlier tier gathers while the compile translates is used.
struct CompileHints {
  std::function<std::vector<uint32_t>()> hot_functions;  // as Module::sampled_functions
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;  // "aot" or "interp"
  // Validates and compiles a core module binary. Errors name the byte offset and the reason.
  // `hints` may guide the compile with what an earlier tier saw running (aot: see CompileHints).
  virtual Result<std::shared_ptr<Module>> compile(std::span<const uint8_t> bytes,
                                                  const CompileHints& hints) = 0;
  Result<std::shared_ptr<Module>> compile(std::span<const uint8_t> bytes) {
    return compile(bytes, CompileHints{});
  }
  virtual std::unique_ptr<Store> new_store(const StoreLimits& limits = {}) = 0;
  // Stops this engine's compiles in progress at once (they fail with "compile cancelled") and
  // refuses its later ones: for an owner that is going away. No-op for engines that do not
  // compile out of process.
  virtual void cancel_compiles() {}
};

enum class EngineKind { Aot, Interp };

Result<std::unique_ptr<Engine>> make_engine(EngineKind kind, const EngineOptions& options = {});
// aot when a C compiler is available, else interp.
EngineKind default_engine_kind();
Result<EngineKind> parse_engine_kind(std::string_view name);

// Stops every running compile of the process at once (the aot engine's C compilers and their
// children are killed) and makes later compiles fail with "compile cancelled": what a process
// does on SIGINT/SIGTERM so that it never waits for a compiler. allow_compiles() undoes it.
void cancel_compiles();
void allow_compiles();

}  // namespace actr::wasm
