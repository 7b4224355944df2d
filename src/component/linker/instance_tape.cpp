#include "component/linker/instance_tape.hpp"

#include "component/canonical/handle_table.hpp"

namespace actr::component::link {
namespace {

class Replay {
 public:
  Replay(const Tape& tape, wasm::Store& store) : tape_(tape), store_(store) {}

  Result<TapedInstance> run() {
    TapedInstance out;
    InstanceTree& tree = out.tree;
    tree.dtors = tape_.dtors;
    tree.resources = tape_.resources;
    tree.kept.reserve(tape_.frame_names.size());
    for (const std::string& name : tape_.frame_names) {
      KeptFrame& frame = tree.kept.emplace_back();
      frame.state = std::make_shared<ComponentState>(tape_.handles);
      frame.state->store = &store_;
      frame.state->dtors = tree.dtors;
      frame.state->name = name;
    }
    frames_ = &tree.kept;
    if (tape_.lowered_hosts != 0) {
      out.lowered_hosts = std::make_unique<LoweredHost[]>(tape_.lowered_hosts);
      // Their core functions all at once (the store may keep them in one block); each reads its
      // entry, filled when the replay reaches its Lower op, only when called.
      std::vector<wasm::Store::HostFuncSpec> specs;
      specs.reserve(tape_.lowered_hosts);
      for (const TapeOp& op : tape_.ops) {
        if (!lowers_host(op)) continue;
        if (specs.size() == tape_.lowered_hosts) return make_error("tape: too many host lowerings");
        specs.push_back({op.lower.core_type, lowered_host_body(&out.lowered_hosts[specs.size()])});
      }
      if (specs.size() != tape_.lowered_hosts) return make_error("tape: too few host lowerings");
      host_funcs_ = store_.host_funcs(specs);
    }
    lowered_hosts_ = &out.lowered_hosts;
    slots_.resize(tape_.export_slots);
    core_.reserve(tape_.cores);
    lowered_.reserve(tape_.lowered);
    builtins_.reserve(tape_.builtins);
    lifted_.reserve(tape_.lifted);
    for (const TapeOp& op : tape_.ops) {
      if (auto r = step(op); !r.ok()) {
        Error e = r.take_error();
        const std::string& name = tape_.frame_names[op.frame];
        e.message =
            "instantiating " + (name.empty() ? std::string("component") : name) + ": " + e.message;
        return e;
      }
    }
    out.exports.reserve(tape_.exports.size());
    for (const TapeExport& e : tape_.exports) {
      out.exports.push_back(e.shared ? e.shared : lifted_[e.lifted]);
    }
    out.cores = std::move(core_);
    return out;
  }

 private:
  Result<void> step(const TapeOp& op) {
    KeptFrame& f = (*frames_)[op.frame];
    ComponentState* state = f.state.get();
    using K = TapeOp::Kind;
    switch (op.kind) {
      case K::CoreInstance: {
        imports_.clear();  // one buffer for every core instance (the store copies what it keeps)
        for (const TapeSource& s : op.imports) {
          ACTR_TRY(wasm::Extern ext, resolve(s));
          imports_.push_back(std::move(ext));
        }
        ACTR_TRY(std::shared_ptr<wasm::Instance> instance,
                 store_.instantiate(*op.module, imports_));
        core_.push_back(instance.get());
        f.core_instances.push_back(std::move(instance));
        return {};
      }
      case K::Bundle:
        f.core_instances.emplace_back();
        return {};
      case K::Lower: {
        if (lowers_host(op)) {
          ACTR_TRY(CanonOpts opts, options(op.options));
          LoweredHost& call = (*lowered_hosts_)[next_host_];
          ACTR_TRY_VOID(fill_lowered_host(call, *op.host_callee->host, opts, state, op.lower));
          lowered_.push_back(std::move(host_funcs_[next_host_++]));
          return {};
        }
        FuncRef callee = op.host_callee ? op.host_callee : lifted_[op.lifted_callee];
        ACTR_TRY(CanonOpts opts, options(op.options));
        ACTR_TRY(auto core,
                 lower_func(store_, std::move(callee), std::move(opts), state, &op.lower));
        lowered_.push_back(std::move(core));
        return {};
      }
      case K::Builtin:
        builtins_.push_back(resource_builtin(store_, op.builtin, op.resource, state));
        return {};
      case K::Lift: {
        if (op.lazy) {
          lifted_.emplace_back();
          return {};
        }
        ACTR_TRY(FuncRef fn, lift(op, state));
        lifted_.push_back(std::move(fn));
        return {};
      }
    }
    return {};
  }

 public:
  // `op` (a Lift) in the instance being made, or (lift_later) in one made before.
  Result<FuncRef> lift(const TapeOp& op, ComponentState* state) {
    ACTR_TRY(wasm::Extern core, resolve(op.core));
    auto fn = std::make_shared<FuncItem>();
    LiftedFunc& lifted = fn->lifted.emplace();
    lifted.core = std::get<std::shared_ptr<wasm::Func>>(std::move(core));
    ACTR_TRY(lifted.opts, options(op.options));
    lifted.state = state;
    if (op.plan) {
      lifted.plan = op.plan;
      lifted.plan_source = op.type.get();
    }
    fn->type = op.type;
    fn->debug_name = op.debug_name;
    return fn;
  }

  // For lift_later: the instance's core instances (its exports are then taken without the
  // replay's cache of them).
  void use_cores(std::span<wasm::Instance* const> cores) {
    core_.assign(cores.begin(), cores.end());
  }

 private:
  Result<wasm::Extern> resolve(const TapeSource& s) {
    using K = TapeSource::Kind;
    switch (s.kind) {
      case K::CoreExport: {
        if (slots_.empty()) {  // lift_later
          std::optional<wasm::Extern> ext = core_[s.index]->export_at(s.export_index);
          if (!ext) return make_error("core instance has no export `" + s.name + "`");
          return *std::move(ext);
        }
        std::optional<wasm::Extern>& slot = slots_[s.slot];
        if (!slot) slot = core_[s.index]->export_at(s.export_index);
        if (!slot) return make_error("core instance has no export `" + s.name + "`");
        return *slot;
      }
      case K::Lowered:
        return wasm::Extern(lowered_[s.index]);
      case K::Builtin:
        return wasm::Extern(builtins_[s.index]);
      case K::None:
        break;
    }
    return make_error("instance tape: an item without a source");
  }

  Result<CanonOpts> options(const TapeOptions& o) {
    CanonOpts opts;
    opts.encoding = o.encoding;
    if (o.memory.kind != TapeSource::Kind::None) {
      ACTR_TRY(wasm::Extern m, resolve(o.memory));
      opts.memory = std::get<std::shared_ptr<wasm::Memory>>(std::move(m));
    }
    if (o.realloc.kind != TapeSource::Kind::None) {
      ACTR_TRY(wasm::Extern fn, resolve(o.realloc));
      opts.realloc = std::get<std::shared_ptr<wasm::Func>>(std::move(fn));
    }
    if (o.post_return.kind != TapeSource::Kind::None) {
      ACTR_TRY(wasm::Extern fn, resolve(o.post_return));
      opts.post_return = std::get<std::shared_ptr<wasm::Func>>(std::move(fn));
    }
    return opts;
  }

  const Tape& tape_;
  wasm::Store& store_;
  std::vector<KeptFrame>* frames_ = nullptr;
  // What this instance made so far, by the indices the tape's sources use. The core instances
  // are owned by their frames.
  std::vector<wasm::Instance*> core_;
  std::unique_ptr<LoweredHost[]>* lowered_hosts_ = nullptr;
  std::vector<std::shared_ptr<wasm::Func>> host_funcs_;  // of the lowered hosts, in their order
  uint32_t next_host_ = 0;
  std::vector<std::optional<wasm::Extern>> slots_;  // the core exports taken so far
  std::vector<std::shared_ptr<wasm::Func>> lowered_, builtins_;
  std::vector<FuncRef> lifted_;
  std::vector<wasm::Extern> imports_;
};

}  // namespace

Result<TapedInstance> replay_tape(const Tape& tape, wasm::Store& store) {
  return Replay(tape, store).run();
}

Result<FuncRef> lift_later(const Tape& tape, uint32_t lifted, const TapedInstance& instance) {
  if (lifted >= tape.lift_ops.size()) return make_error("instance tape: no such lifted function");
  const TapeOp& op = tape.ops[tape.lift_ops[lifted]];
  if (op.frame >= instance.tree.kept.size()) return make_error("instance tape: no such frame");
  ComponentState* state = instance.tree.kept[op.frame].state.get();
  // Only core exports are resolved (TapeOp::lazy): no store needed beyond the instances'.
  wasm::Store& store = *state->store;
  Replay replay(tape, store);
  replay.use_cores(instance.cores);
  return replay.lift(op, state);
}

}  // namespace actr::component::link
