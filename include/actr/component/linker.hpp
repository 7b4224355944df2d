// Loading and instantiating components, with host-defined imports.
//
//   auto engine = wasm::make_engine(wasm::EngineKind::Aot);
//   auto component = Component::load(**engine, bytes);      // decode, validate, compile
//   Linker linker(**engine);
//   wasi::add_to_linker(linker, wasi_config);               // or define functions yourself:
//   linker.func("docs:adder/host@0.1.0", "log", {{{"msg", primitive(Kind::String)}}, {}},
//               [](std::span<const Value> args, std::vector<Value>& results) -> Result<void>
//               {...});
//   auto instance = linker.instantiate(**component);
//   auto sum = (*instance)->call("docs:adder/add@0.1.0#add", {Value::u32(1), Value::u32(2)});
//
// Import names are matched as the Component Model spells them: an interface import
// "ns:pkg/iface@1.2.3" with its function names, or a top-level function import by its name
// (instance name ""). A host definition of `ns:pkg/iface@X.Y.Z` satisfies an import of the same
// interface at any version with the same X.Y (for 0.x: the same 0.Y), as wasmtime does; the
// newest definition wins. Function types are checked strictly against the component's expected
// types at instantiation; a mismatch names the import, the type and the first difference.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/canonical/function_ref.hpp"
#include "actr/component/canonical/guest_memory.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"
#include "actr/wasm/engine.hpp"

namespace actr::component {

class Component;  // component.hpp: a decoded, validated, compiled component
class Instance;
class InstancePre;
namespace link {
struct FuncItem;
}

// A host function. Returning an Error traps the calling guest with that message (use it for
// host failures that the guest cannot handle; WIT-level errors are `result` values instead).
using HostFunction =
    std::function<Result<void>(std::span<const Value> args, std::vector<Value>& results)>;

// The fast path of a host function, for generated bindings that lower and lift typed values
// themselves: gets the flat core arguments of the lowered import (flatten_func(type,
// Direction::Lower): above 16 flat params one pointer to the parameter tuple; above one flat
// result a return pointer as the last argument) and the calling guest's memory and realloc; writes
// the flat core result. Used when the import is lowered with UTF-8 strings; the HostFunction
// defined with it serves every other use. Must check what it reads (GuestMemory does); an Error
// traps the guest.
using RawHostFunction = std::function<Result<void>(
    canonical::GuestMemory& memory, const wasm::Slot* core_args, wasm::Slot* core_results)>;

// Called when the last handle to a host-defined resource is dropped by a guest.
using ResourceDestructor = std::function<void(uint32_t rep)>;

class Linker {
 public:
  explicit Linker(wasm::Engine& engine);
  ~Linker();
  Linker(const Linker&) = delete;
  Linker& operator=(const Linker&) = delete;

  wasm::Engine& engine() const { return engine_; }

  // Defines function `name` of import instance `instance` ("" for a top-level function import).
  // Redefinition replaces the earlier definition.
  void func(std::string_view instance, std::string_view name, FuncType type, HostFunction fn);
  // The same with a fast path for guests (see RawHostFunction); `fn` must behave the same.
  void func(std::string_view instance, std::string_view name, FuncType type, HostFunction fn,
            RawHostFunction raw);

  // Defines a host resource type exported by import instance `instance` under `name`. Use the
  // returned type in own_of()/borrow_of() for the functions that take or return it.
  std::shared_ptr<const ResourceType> resource(std::string_view instance, std::string_view name,
                                               ResourceDestructor dtor = {});

  // When set, imported functions without a host definition are linked to a function that traps
  // with "unknown import `<instance>#<name>` called" instead of failing instantiation.
  void trap_unknown_imports(bool on) {
    trap_unknown_imports_ = on;
    changed();
  }

  // Imports of instances whose name starts with `prefix` (e.g. "wasi:http/") that the host does
  // not define still link: their functions trap with "`<instance>#<name>` <why>", their resources
  // are fresh host types. For capabilities a host withholds: toolchains import more than a
  // component uses, and one that never calls them runs.
  void deny_imports(std::string prefix, std::string why) {
    denied_.emplace_back(std::move(prefix), std::move(why));
    changed();
  }
  // The `why` of the deny_imports() rule that covers import `what` ("instance#name"), or null.
  const std::string* denial(std::string_view what) const {
    for (const auto& [prefix, why] : denied_) {
      if (what.substr(0, prefix.size()) == prefix) return &why;
    }
    return nullptr;
  }

  // Instantiates `component`, which must outlive the instance. Repeated instantiations of one
  // component with the same definitions reuse the InstancePre the first one made.
  Result<std::unique_ptr<Instance>> instantiate(const Component& component,
                                                const wasm::StoreLimits& limits = {}) const;

  // Resolves what every instance of `component` linked by this linker shares: the host
  // definitions its imports name are looked up and type-checked now (a missing one fails here).
  // The pre keeps what it resolved; later changes to the linker do not affect it. `component`
  // must outlive the pre.
  Result<std::shared_ptr<const InstancePre>> instantiate_pre(const Component& component) const;

  // Changes whenever a definition or rule changes: pres are reused only for the same value.
  uint64_t generation() const { return generation_; }

  struct HostFuncDef {
    FuncType type;
    HostFunction fn;
    RawHostFunction raw;  // may be empty
    // What every instance importing it links to (made once, with its call plan).
    std::shared_ptr<link::FuncItem> item;
  };
  struct HostResourceDef {
    std::shared_ptr<const ResourceType> type;
    ResourceDestructor dtor;
  };
  struct HostInstanceDef {
    std::map<std::string, HostFuncDef, std::less<>> funcs;
    std::map<std::string, HostResourceDef, std::less<>> resources;
  };
  // Definitions by full instance name (including version); "" holds top-level functions.
  const std::map<std::string, HostInstanceDef, std::less<>>& definitions() const { return defs_; }
  bool traps_unknown_imports() const { return trap_unknown_imports_; }

 private:
  friend class InstancePre;
  struct Snapshot {};
  // A copy of `other`'s definitions and rules (what an InstancePre keeps).
  Linker(const Linker& other, Snapshot);

  wasm::Engine& engine_;
  std::map<std::string, HostInstanceDef, std::less<>> defs_;
  bool trap_unknown_imports_ = false;
  std::vector<std::pair<std::string, std::string>> denied_;
  uint64_t generation_ = 0;
  void changed();
};

// A component prepared for instantiation with one linker's definitions (like wasmtime's
// InstancePre). The first instance replays the component's definitions and records which
// objects an instance owns and where each comes from; later ones only make those objects (core
// instances, lowered and lifted functions, component states). Every instance has its own store,
// memories, handle tables and resources. Components defining resource types, whose types are
// made anew for each instance, are replayed in full every time. Safe to share between threads.
class InstancePre {
 public:
  ~InstancePre();
  InstancePre(const InstancePre&) = delete;
  InstancePre& operator=(const InstancePre&) = delete;

  Result<std::unique_ptr<Instance>> instantiate(const wasm::StoreLimits& limits = {}) const;
  const Component& component() const { return component_; }
  // Whether instances are made from the recorded tape (after a first instantiation succeeded).
  bool replays_tape() const;

  struct State;  // linker.cpp

 private:
  friend class Linker;
  InstancePre(const Linker& linker, const Component& component);

  const Component& component_;
  std::unique_ptr<State> state_;
};

// The callbacks of ExportedFunc::call_raw: they live only during the call.
using RawLower =
    canonical::FunctionRef<Result<void>(canonical::GuestMemory& memory, wasm::Slot* core_args)>;
using RawLift = canonical::FunctionRef<Result<void>(canonical::GuestMemory& memory,
                                                    const wasm::Slot* core_results)>;

// A callable export of an instance, resolved once for repeated calls.
class ExportedFunc {
 public:
  virtual ~ExportedFunc() = default;
  virtual const FuncType& type() const = 0;
  virtual Result<std::vector<Value>> call(std::span<const Value> args) = 0;

  // The fast path for generated bindings: true when call_raw() works (a function lifted from a
  // guest core function, with UTF-8 strings, whose type has no resource handles).
  virtual bool supports_raw() const { return false; }
  // Calls the export with flat core values the caller lowers and lifts itself: `lower` fills the
  // zeroed core arguments (flatten_func(type(), Direction::Lift): above 16 flat params one pointer
  // to the parameter tuple it allocated), the core function runs, `lift` reads its core results
  // (above one flat result, a pointer to the result tuple), then post-return runs. The instance
  // rules are those of call(): an Error with a trap code from either callback poisons the instance
  // like a trap in the guest.
  virtual Result<void> call_raw(RawLower lower, RawLift lift);
};

// An instantiated component. Used by one thread at a time.
class Instance {
 public:
  virtual ~Instance() = default;
  // Exported function by name: "f" for a top-level export, "ns:pkg/iface@v#f" (or "iface#f") for
  // a function of an exported interface. Null when absent.
  virtual ExportedFunc* func(std::string_view name) = 0;
  // Every callable export name, in the forms accepted by func().
  virtual std::vector<std::string> func_names() const = 0;
  // Convenience: func(name)->call(args), with "no export named `name`" when absent.
  Result<std::vector<Value>> call(std::string_view name, std::span<const Value> args);

  // Drops an `own` handle the host received from this instance (e.g. from a constructor), running
  // the resource's destructor in the instance that defines it. Borrows cannot be dropped.
  virtual Result<void> drop(const Value& own) = 0;

  // True after a trap; every further call fails with the first trap's message.
  virtual bool poisoned() const = 0;

  // Tiered execution: makes this instance (just instantiated, not yet called) continue where
  // `older` -- an instance of the same component, compiled by another engine, at rest between
  // calls -- stands: every core instance's memories and mutable globals, and every component
  // instance's resource handles, move over. Tables must be as instantiation left them (modules
  // whose code changes tables are refused by wasm::code_keeps_tables_fixed beforehand). On error
  // nothing of `older` has changed unless the error says so; this instance must then be dropped.
  virtual Result<void> take_state_from(Instance& older) = 0;
  virtual wasm::Store& store() = 0;
};

}  // namespace actr::component
