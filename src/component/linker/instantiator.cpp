#include "component/linker/instantiator.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "component/canonical/call.hpp"
#include "component/canonical/handle_table.hpp"
#include "component/linker/canon_bridge.hpp"
#include "component/linker/host_imports.hpp"
#include "component/linker/instance_tape.hpp"

namespace actr::component::link {
namespace {

using Args = std::map<std::string, Item, std::less<>>;

std::string idx(uint32_t i) { return std::to_string(i); }

template <typename T>
Result<T> at(const std::vector<T>& space, uint32_t i, const char* what) {
  if (i >= space.size()) {
    return make_error(std::string(what) + " index " + idx(i) + " out of bounds (" +
                      idx(static_cast<uint32_t>(space.size())) + " defined)");
  }
  return space[i];
}

// As at(), without copying the entry.
template <typename T>
Result<const T*> ref(const std::vector<T>& space, uint32_t i, const char* what) {
  if (i >= space.size()) {
    return make_error(std::string(what) + " index " + idx(i) + " out of bounds (" +
                      idx(static_cast<uint32_t>(space.size())) + " defined)");
  }
  return &space[i];
}

// The object an Extern holds, as the key of what made it.
const void* identity(const wasm::Extern& ext) {
  return std::visit([](const auto& p) -> const void* { return p.get(); }, ext);
}

// A source made by the instance itself (a lowered function or a built-in).
TapeSource made(TapeSource::Kind kind, uint32_t index) {
  TapeSource s;
  s.kind = kind;
  s.index = index;
  return s;
}

bool lazy_source(const TapeSource& s) {
  return s.kind == TapeSource::Kind::None || s.kind == TapeSource::Kind::CoreExport;
}

// Writes the tape of an instantiation while it runs (instance_tape.hpp): every per-instance object
// is named by its kind and creation index, and every use of one by that name.
struct Recorder {
  Tape* tape = nullptr;
  bool ok = true;  // false: something the tape cannot express was met
  std::unordered_map<const void*, TapeSource> sources;
  std::unordered_map<const Frame*, uint32_t> frames;
  std::vector<std::vector<uint32_t>> frame_cores;  // per frame: core instance -> global index
  uint32_t cores = 0, lowered = 0, builtins = 0;
  std::unordered_map<const FuncItem*, uint32_t> lifted;
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> slots;  // (core, export) -> slot

  TapeSource source(const wasm::Extern& ext) {
    auto it = sources.find(identity(ext));
    if (it == sources.end()) {
      ok = false;
      return {};
    }
    return it->second;
  }
  TapeSource source(const std::shared_ptr<wasm::Func>& fn) { return source(wasm::Extern(fn)); }
  TapeOptions options(const CanonOpts& o) {
    TapeOptions t;
    t.encoding = o.encoding;
    if (o.memory) t.memory = source(wasm::Extern(o.memory));
    if (o.realloc) t.realloc = source(o.realloc);
    if (o.post_return) t.post_return = source(o.post_return);
    return t;
  }
  TapeOp& op(TapeOp::Kind kind, const Frame& f) {
    TapeOp& o = tape->ops.emplace_back();
    o.kind = kind;
    o.frame = frames.at(&f);
    return o;
  }
};

class Instantiator {
 public:
  Instantiator(const Linker& linker, const Component& component, wasm::Store& store,
               InstanceTree& tree, Recorder* rec)
      : linker_(linker), component_(component), store_(store), tree_(tree), rec_(rec) {}

  // Whether the tape holds everything (only asked after run()).
  bool recorded() const { return rec_ && rec_->ok && created_.empty(); }

  // `args` is null for the top-level component, whose imports come from the host.
  Result<std::shared_ptr<InstanceItem>> run(const ast::Component& c, std::shared_ptr<Frame> parent,
                                            const Args* args, std::string name) {
    auto frame = std::make_shared<Frame>();
    frame->parent = parent;
    frame->model = component_.types().of(c);
    if (!frame->model) return make_error("instantiating a component that was not validated");
    if (parent) frame->resources.inherit(parent->resources);
    frame->state = std::make_shared<ComponentState>();
    frame->state->store = &store_;
    frame->state->dtors = tree_.dtors;
    frame->state->name = std::move(name);
    tree_.frames.push_back(frame);
    if (rec_) {
      rec_->frames[frame.get()] = static_cast<uint32_t>(rec_->tape->frame_names.size());
      rec_->tape->frame_names.push_back(frame->state->name);
      rec_->frame_cores.emplace_back();
    }
    reserve_index_spaces(*frame, c);

    auto exports = std::make_shared<InstanceItem>();
    for (const auto& def : c.defs) {
      auto r = define(*frame, def, args, *exports);
      if (!r.ok()) {
        Error e = r.take_error();
        e.message = "instantiating " +
                    (frame->state->name.empty() ? std::string("component") : frame->state->name) +
                    ": " + e.message;
        return e;
      }
    }
    return exports;
  }

 private:
  Result<void> define(Frame& f, const ast::Definition& def, const Args* args, InstanceItem& out) {
    using K = ast::Definition::Kind;
    switch (def.kind) {
      case K::CoreModule: {
        auto module = component_.module(def);
        if (!module)
          return make_error("core module at byte " + idx(def.offset) + " was not compiled");
        f.core_modules.push_back({std::move(module)});
        return {};
      }
      case K::CoreInstance:
        return core_instance(f, def.core_instance);
      case K::CoreType:
        return {};  // core types only matter to validation
      case K::Component: {
        auto item = std::make_shared<ComponentItem>();
        item->ast = def.component.get();
        item->parent = find_frame(f);
        f.components.push_back(std::move(item));
        return {};
      }
      case K::Instance:
        return instance(f, def.instance);
      case K::Alias:
        return alias(f, def.alias);
      case K::Type: {
        ACTR_TRY(DefinedType t, defined_type(f));
        if (t.kind == DefinedType::Kind::Resource) {
          if (auto* rt = std::get_if<ast::ResourceTypeDef>(def.type.get()); rt && rt->dtor) {
            ACTR_TRY(auto dtor, at(f.core_funcs, *rt->dtor, "core func"));
            tree_.dtors->by_type[t.resource.get()] = [dtor](uint32_t rep) -> Result<void> {
              wasm::Slot arg = rep;
              return dtor->call(&arg, nullptr);
            };
          }
        }
        f.types.push_back(std::move(t));
        return {};
      }
      case K::Canon:
        return canon(f, def.canon);
      case K::Import: {
        const auto& model_imports = f.model->type.imports;
        if (f.imports >= model_imports.size() || model_imports[f.imports].name != def.import.name) {
          return make_error("import `" + def.import.name + "` is not among the validated imports");
        }
        const NamedExtern& import = model_imports[f.imports++];
        Item item;
        if (args) {
          auto it = args->find(def.import.name);
          if (it == args->end()) {
            return make_error("missing instantiation argument `" + def.import.name + "`");
          }
          item = it->second;
        } else {
          ACTR_TRY(item, import_from_host(linker_, f, import));
        }
        return push(f, def.import.desc.kind, std::move(item), def.import.name);
      }
      case K::Start:
        return make_error("component start functions are not supported");
      case K::Export: {
        ACTR_TRY(Item item, get(f, def.export_.item));
        name_resource(item, def.export_.name);
        out.exports[def.export_.name] = item;
        return push_sort(f, def.export_.item.sort, std::move(item), def.export_.name);
      }
    }
    return {};
  }

  // Sizes the busiest index spaces up front: growing vectors costs more than counting.
  static void reserve_index_spaces(Frame& f, const ast::Component& c) {
    using K = ast::Definition::Kind;
    using S = ast::Sort;
    size_t funcs = 0, core_funcs = 0;
    auto count = [&](S sort) {
      funcs += sort == S::Func;
      core_funcs += sort == S::CoreFunc;
    };
    for (const auto& def : c.defs) {
      switch (def.kind) {
        case K::Alias:
          count(def.alias.sort);
          break;
        case K::Export:
          count(def.export_.item.sort);
          break;
        case K::Import:
          funcs += def.import.desc.kind == ast::ExternDesc::Kind::Func;
          break;
        case K::Canon:
          if (def.canon.kind == ast::Canon::Kind::Lift) {
            ++funcs;
          } else {
            ++core_funcs;
          }
          break;
        default:
          break;
      }
    }
    f.types.reserve(f.model->types.size());
    f.funcs.reserve(funcs);
    f.core_funcs.reserve(core_funcs);
  }

  Result<const DefinedType*> model_type(const Frame& f, size_t index) {
    if (index >= f.model->types.size()) {
      return make_error("type " + std::to_string(index) + " is not among the validated types");
    }
    return &f.model->types[index];
  }

  // The entry a type definition adds: the model's, with this instance's resources. A resource
  // definition is generative: every instance gets a resource type of its own.
  Result<DefinedType> defined_type(Frame& f) {
    size_t index = f.types.size();
    ACTR_TRY(const DefinedType* m, model_type(f, index));
    DefinedType t = *m;
    if (m->kind == DefinedType::Kind::Resource) {
      auto fresh = std::make_shared<ResourceType>(*m->resource);
      created_[fresh.get()] = fresh;
      f.resources.map(m->resource.get(), fresh);
      t.resource = std::move(fresh);
    } else if (f.model->mentions_resource[index]) {
      t.value = f.resources.value(m->value);
      t.func = f.resources.func(m->func);
    }
    return t;
  }

  // A resource defined without a name (e.g. passed to a nested component that exports it) is
  // known by the first name it is exported under, in messages.
  void name_resource(const Item& item, const std::string& name) {
    auto* t = std::get_if<DefinedType>(&item);
    if (!t || t->kind != DefinedType::Kind::Resource || !t->resource->name.empty()) return;
    if (auto it = created_.find(t->resource.get()); it != created_.end()) it->second->name = name;
  }

  // An entry that another item brings (an import, an alias, an export): where the model has a
  // resource at that index, the item's resource stands for it from now on.
  Result<void> add_type(Frame& f, DefinedType t) {
    ACTR_TRY(const DefinedType* m, model_type(f, f.types.size()));
    if (m->kind == DefinedType::Kind::Resource && t.kind == DefinedType::Kind::Resource) {
      f.resources.map(m->resource.get(), t.resource);
    }
    f.types.push_back(std::move(t));
    return {};
  }

  // As add_type, for the resources an instance exports (also from instances it exports).
  void add_instance(Frame& f, std::shared_ptr<InstanceItem> inst) {
    size_t index = f.instances.size();
    if (index < f.model->instances.size() && f.model->instances[index]) {
      learn_resources(f, *f.model->instances[index], *inst);
    }
    f.instances.push_back(std::move(inst));
  }

  static void learn_resources(Frame& f, const InstanceType& model, const InstanceItem& inst) {
    for (const NamedExtern& e : model.exports) {
      bool resource =
          e.type.kind == ExternKind::Type && e.type.type.kind == DefinedType::Kind::Resource;
      if (!resource && e.type.kind != ExternKind::Instance) continue;
      auto it = inst.exports.find(e.name);
      if (it == inst.exports.end()) continue;
      if (resource) {
        if (auto* t = std::get_if<DefinedType>(&it->second);
            t && t->kind == DefinedType::Kind::Resource) {
          f.resources.map(e.type.type.resource.get(), t->resource);
        }
      } else if (auto* i = std::get_if<std::shared_ptr<InstanceItem>>(&it->second)) {
        learn_resources(f, *e.type.instance, **i);
      }
    }
  }

  // The shared_ptr owning `f` (frames are only ever created by run()).
  std::shared_ptr<Frame> find_frame(const Frame& f) {
    for (auto it = tree_.frames.rbegin(); it != tree_.frames.rend(); ++it) {
      if (it->get() == &f) return *it;
    }
    return nullptr;
  }

  // Where `ext`, export `name` of core instance `index` (`src`) of `f`, comes from.
  TapeSource source_of(const Frame& f, uint32_t index, const CoreInstanceItem& src,
                       const std::string& name, const wasm::Extern& ext) {
    if (!src.instance) return rec_->source(ext);  // a bundle re-exports what it was given
    TapeSource s;
    s.kind = TapeSource::Kind::CoreExport;
    s.index = rec_->frame_cores[rec_->frames.at(&f)].at(index);
    s.name = name;
    const auto& exports = src.instance->module().exports();
    auto it = std::find_if(exports.begin(), exports.end(),
                           [&](const wasm::ExportType& e) { return e.name == name; });
    if (it == exports.end()) {
      rec_->ok = false;
      return s;
    }
    s.export_index = static_cast<uint32_t>(it - exports.begin());
    auto [slot, added] =
        rec_->slots.try_emplace({s.index, s.export_index}, rec_->tape->export_slots);
    if (added) ++rec_->tape->export_slots;
    s.slot = slot->second;
    return s;
  }

  Result<void> core_instance(Frame& f, const ast::CoreInstance& ci) {
    CoreInstanceItem item;
    std::vector<TapeSource> sources;
    if (ci.instantiate) {
      ACTR_TRY(ModuleItem m, at(f.core_modules, ci.module, "core module"));
      std::vector<wasm::Extern> imports;
      imports.reserve(m.module->imports().size());
      for (const auto& imp : m.module->imports()) {
        const ast::CoreInstantiateArg* arg = nullptr;
        for (const auto& a : ci.args) {
          if (a.name == imp.module) arg = &a;
        }
        if (!arg) {
          return make_error("core module " + idx(ci.module) + " imports `" + imp.module + "." +
                            imp.name + "` but no argument named `" + imp.module + "` is given");
        }
        ACTR_TRY(const CoreInstanceItem* src,
                 ref(f.core_instances, arg->instance, "core instance"));
        auto ext = src->get(imp.name);
        if (!ext) {
          return make_error("core instance " + idx(arg->instance) + " has no export `" + imp.name +
                            "` for import `" + imp.module + "." + imp.name + "`");
        }
        if (rec_) sources.push_back(source_of(f, arg->instance, *src, imp.name, *ext));
        imports.push_back(*ext);
      }
      ACTR_TRY(item.instance, store_.instantiate(*m.module, imports));
      if (rec_) {
        TapeOp& op = rec_->op(TapeOp::Kind::CoreInstance, f);
        op.module = m.module;
        op.imports = std::move(sources);
        rec_->frame_cores[op.frame].push_back(rec_->cores++);
      }
    } else {
      if (rec_) {
        TapeOp& op = rec_->op(TapeOp::Kind::Bundle, f);
        rec_->frame_cores[op.frame].push_back(UINT32_MAX);
      }
      for (const auto& e : ci.exports) {
        ACTR_TRY(wasm::Extern ext, core_item(f, e.item));
        item.bundle[e.name] = std::move(ext);
      }
    }
    f.core_instances.push_back(std::move(item));
    return {};
  }

  Result<wasm::Extern> core_item(Frame& f, ast::SortIdx s) {
    using S = ast::Sort;
    switch (s.sort) {
      case S::CoreFunc: {
        ACTR_TRY(auto fn, at(f.core_funcs, s.index, "core func"));
        return wasm::Extern(fn);
      }
      case S::CoreTable:
        return at(f.core_tables, s.index, "core table");
      case S::CoreMemory:
        return at(f.core_memories, s.index, "core memory");
      case S::CoreGlobal:
        return at(f.core_globals, s.index, "core global");
      case S::CoreTag:
        return at(f.core_tags, s.index, "core tag");
      default:
        return make_error(std::string("a core instance cannot export a ") + ast::to_string(s.sort));
    }
  }

  Result<void> instance(Frame& f, const ast::Instance& in) {
    if (in.instantiate) {
      ACTR_TRY(auto comp, at(f.components, in.component, "component"));
      Args args;
      for (const auto& a : in.args) {
        ACTR_TRY(Item item, get(f, a.item));
        args[a.name] = std::move(item);
      }
      ACTR_TRY(auto inst,
               run(*comp->ast, comp->parent.lock(), &args,
                   "component instance " + idx(static_cast<uint32_t>(f.instances.size()))));
      add_instance(f, std::move(inst));
    } else {
      auto inst = std::make_shared<InstanceItem>();
      for (const auto& e : in.exports) {
        ACTR_TRY(Item item, get(f, e.item));
        inst->exports[e.name] = std::move(item);
      }
      add_instance(f, std::move(inst));
    }
    return {};
  }

  Result<void> alias(Frame& f, const ast::Alias& a) {
    using T = ast::Alias::Target;
    using S = ast::Sort;
    switch (a.target) {
      case T::Export: {
        ACTR_TRY(auto inst, at(f.instances, a.instance, "instance"));
        auto it = inst->exports.find(a.name);
        if (it == inst->exports.end()) {
          return make_error("instance " + idx(a.instance) + " has no export `" + a.name + "`");
        }
        return push_sort(f, a.sort, it->second, a.name);
      }
      case T::CoreExport: {
        ACTR_TRY(const CoreInstanceItem* ci, ref(f.core_instances, a.instance, "core instance"));
        auto ext = ci->get(a.name);
        if (!ext)
          return make_error("core instance " + idx(a.instance) + " has no export `" + a.name + "`");
        if (rec_ && ci->instance) {
          rec_->sources[identity(*ext)] = source_of(f, a.instance, *ci, a.name, *ext);
        }
        return push_core(f, a.sort, *ext, a.name);
      }
      case T::Outer: {
        Frame* target = &f;
        for (uint32_t i = 0; i < a.outer_count; ++i) {
          if (!target->parent)
            return make_error("outer alias count " + idx(a.outer_count) + " out of bounds");
          target = target->parent.get();
        }
        switch (a.sort) {
          case S::Type: {
            ACTR_TRY(DefinedType t, at(target->types, a.outer_index, "type"));
            return add_type(f, std::move(t));
          }
          case S::CoreModule: {
            ACTR_TRY(ModuleItem m, at(target->core_modules, a.outer_index, "core module"));
            f.core_modules.push_back(std::move(m));
            return {};
          }
          case S::Component: {
            ACTR_TRY(auto c, at(target->components, a.outer_index, "component"));
            f.components.push_back(std::move(c));
            return {};
          }
          case S::CoreType:
            return {};
          default:
            return make_error(std::string("outer alias of a ") + ast::to_string(a.sort) +
                              " is not allowed");
        }
      }
    }
    return {};
  }

  Result<CanonOpts> options(Frame& f, const ast::CanonOptions& o) {
    if (o.async || o.callback) {
      return make_error("async canonical options are not supported: the actr host is synchronous");
    }
    CanonOpts opts;
    opts.encoding = o.encoding;
    if (o.memory) {
      ACTR_TRY(wasm::Extern m, at(f.core_memories, *o.memory, "core memory"));
      opts.memory = std::get<std::shared_ptr<wasm::Memory>>(m);
    }
    if (o.realloc) {
      ACTR_TRY(opts.realloc, at(f.core_funcs, *o.realloc, "core func"));
    }
    if (o.post_return) {
      ACTR_TRY(opts.post_return, at(f.core_funcs, *o.post_return, "core func"));
    }
    return opts;
  }

  Result<void> canon(Frame& f, const ast::Canon& c) {
    using K = ast::Canon::Kind;
    switch (c.kind) {
      case K::Lift: {
        ACTR_TRY(auto core, at(f.core_funcs, c.func, "core func"));
        ACTR_TRY(const DefinedType* t, ref(f.types, c.type, "type"));
        if (t->kind != DefinedType::Kind::Func)
          return make_error("canon lift: type " + idx(c.type) + " is not a function type");
        auto fn = std::make_shared<FuncItem>();
        LiftedFunc& lifted = fn->lifted.emplace();
        lifted.core = std::move(core);
        ACTR_TRY(lifted.opts, options(f, c.options));
        lifted.state = f.state.get();
        fn->type = t->func;
        fn->debug_name = "func " + idx(static_cast<uint32_t>(f.funcs.size()));
        if (rec_) {
          TapeOp& op = rec_->op(TapeOp::Kind::Lift, f);
          op.core = rec_->source(lifted.core);
          op.options = rec_->options(lifted.opts);
          op.type = fn->type;
          op.debug_name = fn->debug_name;
          // Planned once for every instance made from the tape (else on each one's first call).
          if (auto plan = canonical::plan_call(*fn->type); plan.ok()) op.plan = std::move(*plan);
          // Made when first called, unless a source is not a core export (lowered or built-in
          // core functions are not kept for later) or the instance lowers it (below).
          op.lazy = op.core.kind == TapeSource::Kind::CoreExport &&
                    lazy_source(op.options.memory) && lazy_source(op.options.realloc) &&
                    lazy_source(op.options.post_return);
          op.raw = supports_raw(*fn);
          uint32_t n = static_cast<uint32_t>(rec_->lifted.size());
          rec_->lifted[fn.get()] = n;
          rec_->tape->lift_ops.push_back(static_cast<uint32_t>(rec_->tape->ops.size() - 1));
        }
        f.funcs.push_back(std::move(fn));
        return {};
      }
      case K::Lower: {
        ACTR_TRY(FuncRef callee, at(f.funcs, c.func, "func"));
        ACTR_TRY(CanonOpts opts, options(f, c.options));
        if (rec_) {
          TapeOp& op = rec_->op(TapeOp::Kind::Lower, f);
          op.options = rec_->options(opts);
          if (auto it = rec_->lifted.find(callee.get()); it != rec_->lifted.end()) {
            op.lifted_callee = it->second;
            // Every instance needs it at once (rec_->op() above may have moved the ops).
            rec_->tape->ops[rec_->tape->lift_ops[it->second]].lazy = false;
          } else if (callee->host) {
            op.host_callee = callee;
          } else {
            rec_->ok = false;
          }
          if (auto shape = lower_shape(*callee); shape.ok()) {
            op.lower = std::move(*shape);
          } else {
            rec_->ok = false;
          }
          // Replayed from an entry of one block each (instance_tape.cpp).
          if (lowers_host(op)) ++rec_->tape->lowered_hosts;
        }
        ACTR_TRY(auto core, lower_func(store_, std::move(callee), std::move(opts), f.state.get()));
        if (rec_) {
          rec_->sources[core.get()] = made(TapeSource::Kind::Lowered, rec_->lowered++);
        }
        f.core_funcs.push_back(std::move(core));
        return {};
      }
      case K::ResourceNew:
      case K::ResourceDrop:
      case K::ResourceRep: {
        ACTR_TRY(const DefinedType* t, ref(f.types, c.type, "type"));
        if (t->kind != DefinedType::Kind::Resource)
          return make_error("canon resource built-in: type " + idx(c.type) + " is not a resource");
        auto which = c.kind == K::ResourceNew    ? ResourceBuiltin::New
                     : c.kind == K::ResourceDrop ? ResourceBuiltin::Drop
                                                 : ResourceBuiltin::Rep;
        auto fn = resource_builtin(store_, which, t->resource, f.state.get());
        if (rec_) {
          TapeOp& op = rec_->op(TapeOp::Kind::Builtin, f);
          op.builtin = which;
          op.resource = t->resource;
          rec_->sources[fn.get()] = made(TapeSource::Kind::Builtin, rec_->builtins++);
        }
        f.core_funcs.push_back(std::move(fn));
        return {};
      }
      case K::Unsupported:
        return make_error("canonical built-in 0x" + hex(c.opcode) +
                          " is not supported: the actr host is synchronous");
    }
    return {};
  }

  static std::string hex(uint8_t v) {
    static const char* digits = "0123456789abcdef";
    return {digits[v >> 4], digits[v & 15]};
  }

  Result<Item> get(Frame& f, ast::SortIdx s) {
    using S = ast::Sort;
    switch (s.sort) {
      case S::Func: {
        ACTR_TRY(auto fn, at(f.funcs, s.index, "func"));
        return Item(fn);
      }
      case S::Type: {
        ACTR_TRY(DefinedType t, at(f.types, s.index, "type"));
        return Item(std::move(t));
      }
      case S::Instance: {
        ACTR_TRY(auto inst, at(f.instances, s.index, "instance"));
        return Item(inst);
      }
      case S::Component: {
        ACTR_TRY(auto c, at(f.components, s.index, "component"));
        return Item(c);
      }
      case S::CoreModule: {
        ACTR_TRY(ModuleItem m, at(f.core_modules, s.index, "core module"));
        return Item(m);
      }
      default:
        return make_error(std::string("a ") + ast::to_string(s.sort) +
                          " cannot be passed or exported at the component level");
    }
  }

  Result<void> push(Frame& f, ast::ExternDesc::Kind kind, Item item, const std::string& name) {
    using D = ast::ExternDesc::Kind;
    using S = ast::Sort;
    S sort = kind == D::CoreModule  ? S::CoreModule
             : kind == D::Func      ? S::Func
             : kind == D::Value     ? S::Value
             : kind == D::Type      ? S::Type
             : kind == D::Component ? S::Component
                                    : S::Instance;
    return push_sort(f, sort, std::move(item), name);
  }

  Result<void> push_sort(Frame& f, ast::Sort sort, Item item, const std::string& name) {
    using S = ast::Sort;
    auto wrong = [&](const char* want) {
      return make_error("`" + name + "` is a " + item_kind(item) + ", expected a " + want);
    };
    switch (sort) {
      case S::Func:
        if (auto* fn = std::get_if<FuncRef>(&item)) {
          f.funcs.push_back(std::move(*fn));
          return {};
        }
        return wrong("func");
      case S::Type:
        if (auto* t = std::get_if<DefinedType>(&item)) return add_type(f, std::move(*t));
        return wrong("type");
      case S::Instance:
        if (auto* i = std::get_if<std::shared_ptr<InstanceItem>>(&item)) {
          add_instance(f, std::move(*i));
          return {};
        }
        return wrong("instance");
      case S::Component:
        if (auto* c = std::get_if<std::shared_ptr<ComponentItem>>(&item)) {
          f.components.push_back(std::move(*c));
          return {};
        }
        return wrong("component");
      case S::CoreModule:
        if (auto* m = std::get_if<ModuleItem>(&item)) {
          f.core_modules.push_back(std::move(*m));
          return {};
        }
        return wrong("core module");
      case S::Value:
        return make_error("component values are not supported");
      default:
        return make_error(std::string("cannot alias a ") + ast::to_string(sort) + " here");
    }
  }

  Result<void> push_core(Frame& f, ast::Sort sort, const wasm::Extern& ext,
                         const std::string& name) {
    using S = ast::Sort;
    auto expect = [&](wasm::ExternKind k) -> Result<void> {
      if (wasm::kind_of(ext) != k) {
        return make_error("core export `" + name + "` is a " + wasm::to_string(wasm::kind_of(ext)) +
                          ", expected a " + wasm::to_string(k));
      }
      return {};
    };
    switch (sort) {
      case S::CoreFunc:
        ACTR_TRY_VOID(expect(wasm::ExternKind::Func));
        f.core_funcs.push_back(std::get<std::shared_ptr<wasm::Func>>(ext));
        return {};
      case S::CoreTable:
        ACTR_TRY_VOID(expect(wasm::ExternKind::Table));
        f.core_tables.push_back(ext);
        return {};
      case S::CoreMemory:
        ACTR_TRY_VOID(expect(wasm::ExternKind::Memory));
        f.core_memories.push_back(ext);
        return {};
      case S::CoreGlobal:
        ACTR_TRY_VOID(expect(wasm::ExternKind::Global));
        f.core_globals.push_back(ext);
        return {};
      case S::CoreTag:
        ACTR_TRY_VOID(expect(wasm::ExternKind::Tag));
        f.core_tags.push_back(ext);
        return {};
      default:
        return make_error(std::string("cannot alias a core export as a ") + ast::to_string(sort));
    }
  }

  const Linker& linker_;
  const Component& component_;
  wasm::Store& store_;
  InstanceTree& tree_;
  Recorder* rec_;
  // The resource types this instantiation created, still open to naming (name_resource).
  std::unordered_map<const ResourceType*, std::shared_ptr<ResourceType>> created_;
};

}  // namespace

std::optional<wasm::Extern> CoreInstanceItem::get(std::string_view name) const {
  if (instance) return instance->get_export(name);
  auto it = bundle.find(name);
  if (it == bundle.end()) return std::nullopt;
  return it->second;
}

const char* item_kind(const Item& item) {
  switch (item.index()) {
    case 0:
      return "func";
    case 1:
      return "type";
    case 2:
      return "instance";
    case 3:
      return "component";
    default:
      return "core module";
  }
}

namespace {
// Frees a container's storage too (`v = {}` keeps a vector's capacity).
template <typename T>
void discard(T& container) {
  T().swap(container);
}
}  // namespace

void release_index_spaces(InstanceTree& tree) {
  // Once instantiated, an instance is reached through its exports (tree.root), and its frames are
  // only asked for their core instances and component states (state hand-over): they become
  // KeptFrames. The index spaces were only needed to resolve definitions; with many idle
  // instances of one component they were most of an instance's memory. What they referenced and
  // is still used (lowered functions, lifted functions, memories) is owned by whoever uses it.
  tree.kept.reserve(tree.frames.size());
  for (const auto& frame : tree.frames) {
    Frame& f = *frame;
    // The destructors are keyed by resource type: their types must outlive them.
    for (const DefinedType& t : f.types) {
      if (t.kind == DefinedType::Kind::Resource && t.resource) tree.resources.push_back(t.resource);
    }
    KeptFrame& kept = tree.kept.emplace_back();
    kept.core_instances.reserve(f.core_instances.size());
    for (CoreInstanceItem& item : f.core_instances) {
      kept.core_instances.push_back(std::move(item.instance));
    }
    kept.state = std::move(f.state);
    f.parent = nullptr;
  }
  discard(tree.frames);
}

namespace {
void collect(const std::string& prefix, const InstanceItem& inst, int depth,
             std::map<std::string, FuncRef, std::less<>>& out) {
  if (depth > 8) return;
  for (const auto& [name, item] : inst.exports) {
    std::string full = prefix.empty() ? name : prefix + "#" + name;
    if (auto* fn = std::get_if<FuncRef>(&item)) {
      out.insert_or_assign(std::move(full), *fn);
    } else if (auto* sub = std::get_if<std::shared_ptr<InstanceItem>>(&item)) {
      collect(full, **sub, depth + 1, out);
    }
  }
}

// Completes the tape with what the instance exports; false when an export is neither a host
// function nor lifted by the instance.
bool record_exports(Recorder& rec, const std::vector<std::pair<std::string, FuncRef>>& funcs) {
  auto names = std::make_shared<std::vector<std::string>>();
  names->reserve(funcs.size());
  for (const auto& [name, fn] : funcs) {
    TapeExport e;
    if (auto it = rec.lifted.find(fn.get()); it != rec.lifted.end()) {
      e.lifted = it->second;
    } else if (fn->host) {
      e.shared = fn;
    } else {
      return false;
    }
    names->push_back(name);
    rec.tape->exports.push_back(std::move(e));
  }
  rec.tape->export_names = std::move(names);
  return true;
}
}  // namespace

std::vector<std::pair<std::string, FuncRef>> exported_funcs(const InstanceItem& root) {
  std::map<std::string, FuncRef, std::less<>> by_name;
  collect("", root, 0, by_name);
  return {std::make_move_iterator(by_name.begin()), std::make_move_iterator(by_name.end())};
}

Result<InstanceTree> instantiate_component(const Linker& linker, const Component& component,
                                           wasm::Store& store, Tape* record) {
  InstanceTree tree;
  tree.dtors = std::make_shared<ResourceDestructors>();
  for (const auto& [instance_name, def] : linker.definitions()) {
    for (const auto& [resource_name, res] : def.resources) {
      if (!res.dtor) continue;
      tree.dtors->by_type[res.type.get()] = [dtor = res.dtor](uint32_t rep) -> Result<void> {
        dtor(rep);
        return {};
      };
    }
  }
  Recorder rec;
  rec.tape = record;
  Instantiator inst(linker, component, store, tree, record ? &rec : nullptr);
  ACTR_TRY(tree.root, inst.run(component.ast(), nullptr, nullptr, ""));
  release_index_spaces(tree);
  if (record) {
    record->complete = inst.recorded() && record_exports(rec, exported_funcs(*tree.root));
    if (record->complete) {
      record->cores = rec.cores;
      record->lowered = rec.lowered;
      record->builtins = rec.builtins;
      record->lifted = static_cast<uint32_t>(rec.lifted.size());
      record->dtors = tree.dtors;
      record->resources = tree.resources;
      record->handles = !tree.resources.empty() || rec.builtins > 0;
    }
  }
  return tree;
}

}  // namespace actr::component::link
