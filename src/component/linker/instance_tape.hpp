// What one instantiation of a component made, per instance, and from what: recorded during a full
// replay of the definitions (instantiator.cpp), replayed for the next instances of the same
// component with the same linker (InstancePre). Everything an instance shares with every other
// (types, host functions, modules, names) is resolved once; the tape only makes the objects an
// instance owns: its core instances, lowered and built-in core functions, lifted functions and
// component states.
//
// Components that define resource types are not recorded: a resource definition is generative,
// every instance gets types of its own, and those are looked up by identity while linking.
// The fresh types a host makes for imported resources it does not define (trap_unknown_imports,
// deny_imports) are shared by the instances of a tape: every function that could make or take a
// handle of one traps, so no instance can tell.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "component/ast.hpp"
#include "component/linker/canon_bridge.hpp"
#include "component/linker/instantiator.hpp"

namespace actr::component::link {

// Where a core item of the instance being made comes from.
struct TapeSource {
  enum class Kind : uint8_t { CoreExport, Lowered, Builtin, None };
  Kind kind = Kind::None;
  uint32_t index = 0;         // core instance, lowered function or built-in, in creation order
  uint32_t export_index = 0;  // CoreExport: its position in the module's exports()
  uint32_t slot = 0;          // CoreExport: one per distinct export, so each is looked up once
  std::string name;           // CoreExport: the export's name (for messages)
};

struct TapeOptions {
  ast::StringEncoding encoding = ast::StringEncoding::Utf8;
  TapeSource memory, realloc, post_return;  // Kind::None when absent
};

struct TapeOp {
  enum class Kind : uint8_t { CoreInstance, Bundle, Lower, Builtin, Lift };
  Kind kind = Kind::CoreInstance;
  uint32_t frame = 0;  // the component instance (index into Tape::frame_names) it belongs to
  // CoreInstance: the module and where each of its imports comes from.
  std::shared_ptr<wasm::Module> module;
  std::vector<TapeSource> imports;
  // Lower: the callee is either shared (a host function) or lifted by this instance.
  FuncRef host_callee;
  uint32_t lifted_callee = 0;
  LowerShape lower;  // Lower: the core type and plan, made once
  // Lower, Lift
  TapeOptions options;
  // Builtin
  ResourceBuiltin builtin = ResourceBuiltin::Drop;
  std::shared_ptr<const ResourceType> resource;
  // Lift
  TapeSource core;
  std::shared_ptr<const FuncType> type;
  std::string debug_name;
  std::shared_ptr<const canonical::CallPlan> plan;  // null when the type cannot be planned
  // Lift: made on the first call rather than by the replay (an idle instance's exports are
  // mostly never called): its sources are all core exports, and no lowering in the instance
  // takes it.
  bool lazy = false;
  bool raw = false;  // Lift: what supports_raw() answers for it (the same for every instance)
};

// A Lower op the replay makes from a LoweredHost entry (fill_lowered_host), not with lower_func.
inline bool lowers_host(const TapeOp& op) {
  return op.kind == TapeOp::Kind::Lower && op.host_callee && op.host_callee->host && op.lower.plan;
}

// An exported function: a host function re-exported (shared), or one this instance lifts.
struct TapeExport {
  FuncRef shared;
  uint32_t lifted = 0;
};

struct Tape {
  bool complete = false;                 // false: the recording met something a tape cannot replay
  std::vector<std::string> frame_names;  // one component state each, in creation order
  std::vector<TapeOp> ops;
  uint32_t export_slots = 0;  // distinct core exports the ops use
  // How many of each the ops make (the replay sizes its tables once).
  uint32_t cores = 0, lowered = 0, builtins = 0, lifted = 0;
  uint32_t lowered_hosts = 0;      // of `lowered`: host functions (each with a LoweredHost)
  std::vector<uint32_t> lift_ops;  // the ops of the lifted functions, in creation order
  // Sorted by name (the names InstanceImpl::func() looks up), with what each one is.
  std::shared_ptr<const std::vector<std::string>> export_names;
  std::vector<TapeExport> exports;
  std::shared_ptr<ResourceDestructors> dtors;  // the host's: the same for every instance
  // Whether the instances need handle tables: false when the component's types name no resource
  // type at all (no handle can cross into or out of it) and it has no resource built-ins.
  bool handles = true;
  std::vector<std::shared_ptr<const ResourceType>> resources;
};

// The result of replaying a tape: the instance's frames (as instantiate_component leaves them)
// and its exported functions, in the order of tape.export_names (null for a lazy lift: see
// lift_later()).
struct TapedInstance {
  InstanceTree tree;
  std::vector<FuncRef> exports;
  std::vector<wasm::Instance*> cores;  // the core instances, in creation order (owned by tree)
  // What the instance's lowered host functions point at (one entry per Lower of a host function);
  // freed after the store's functions are last called.
  std::unique_ptr<LoweredHost[]> lowered_hosts;
};

Result<TapedInstance> replay_tape(const Tape& tape, wasm::Store& store);

// Makes lifted function `lifted` (a lazy one, TapeOp::lazy) of an instance the tape made.
Result<FuncRef> lift_later(const Tape& tape, uint32_t lifted, const TapedInstance& instance);

}  // namespace actr::component::link
