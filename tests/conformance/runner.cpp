#include "conformance/runner.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "conformance/async_features.hpp"
#include "conformance/wast_value.hpp"

namespace actr::conformance {

const char* to_string(Outcome::Status s) {
  switch (s) {
    case Outcome::Status::Pass:
      return "pass";
    case Outcome::Status::Fail:
      return "fail";
    case Outcome::Status::Skip:
      return "skip";
  }
  return "?";
}

size_t FileRun::count(Outcome::Status s) const {
  size_t n = 0;
  for (const auto& o : outcomes) n += o.status == s;
  return n;
}

namespace {

using component::Component;
using component::Linker;
using ComponentPtr = std::shared_ptr<const Component>;
using InstancePtr = std::shared_ptr<component::Instance>;

// What a name ($x) or "the current instance" refers to: a live object, or why there is none.
template <typename T>
struct Slot {
  T value;
  bool skipped = false;
  std::string why;  // when !value
};

class Run {
 public:
  Run(const Script& script, wasm::Engine& engine, TextConverter& converter,
      const Expectations& expectations, FileRun& out)
      : script_(script),
        engine_(engine),
        converter_(converter),
        expectations_(expectations),
        out_(out) {}

  void all() {
    std::vector<std::string> texts;
    for (const Command& c : script_.commands) {
      if (c.component && c.component->encoding != ComponentForm::Encoding::Binary) {
        texts.push_back(c.component->source);
      }
    }
    if (auto r = converter_.prepare(texts); !r) {
      out_.error = r.error().message;
      return;
    }
    for (const Command& c : script_.commands) {
      if (const Expectation* e = expectations_.skip(out_.file, c.line, out_.engine)) {
        skip_listed(c, e->reason.empty() ? "listed as skipped" : e->reason);
      } else {
        step(c);
      }
    }
  }

 private:
  void record(const Command& c, Outcome::Status status, std::string detail = {}) {
    Outcome o;
    o.status = status;
    o.line = c.line;
    o.kind = c.head;
    o.text = c.text;
    o.detail = std::move(detail);
    out_.outcomes.push_back(std::move(o));
  }

  std::optional<std::string> async_reason(const ComponentForm& form) {
    auto features = async_features(*form.node);
    if (features.empty()) return std::nullopt;
    std::string why = "uses async features (";
    for (size_t i = 0; i < features.size(); ++i) why += (i ? ", " : "") + features[i];
    return why + "); actr's component host is synchronous";
  }

  Result<std::vector<uint8_t>> bytes_of(const ComponentForm& form) {
    if (form.encoding == ComponentForm::Encoding::Binary) {
      return std::vector<uint8_t>(form.source.begin(), form.source.end());
    }
    return converter_.binary(form.source);
  }

  Result<ComponentPtr> load(const ComponentForm& form) {
    ACTR_TRY(auto bytes, bytes_of(form));
    auto c = Component::load(engine_, bytes);
    if (!c) return make_error("load failed: " + c.error().message);
    keep_alive_.push_back(*c);
    return ComponentPtr(std::move(*c));
  }

  Result<InstancePtr> instantiate(const Component& c) {
    Linker linker(engine_);
    auto inst = linker.instantiate(c);
    if (!inst) return make_error("instantiation failed: " + inst.error().message);
    return InstancePtr(std::move(*inst));
  }

  void set_current(Slot<InstancePtr> slot, const std::optional<std::string>& id) {
    if (id) instances_[*id] = slot;
    current_ = std::move(slot);
  }

  void step(const Command& c) {
    switch (c.kind) {
      case Command::Kind::Component:
        return component_command(c);
      case Command::Kind::Instance:
        return instance_command(c);
      case Command::Kind::Invoke:
      case Command::Kind::AssertReturn:
        return invoke_command(c);
      case Command::Kind::AssertTrap:
        return trap_command(c);
      case Command::Kind::AssertInvalid:
      case Command::Kind::AssertMalformed:
        return invalid_command(c);
      case Command::Kind::AssertUnlinkable:
        return unlinkable_command(c);
      case Command::Kind::Unsupported:
        return record(c, Outcome::Status::Skip, "command `" + c.head + "` is not supported");
    }
  }

  // A command the expectations list skips; a skipped component makes its dependents skip too.
  void skip_listed(const Command& c, const std::string& why) {
    std::string label = "line " + std::to_string(c.line) + " is skipped: " + why;
    if (c.kind == Command::Kind::Component) {
      if (c.component->id) definitions_[*c.component->id] = {nullptr, true, label};
      if (!c.component->definition) set_current({nullptr, true, label}, c.component->id);
    } else if (c.kind == Command::Kind::Instance) {
      set_current({nullptr, true, label}, c.instance_id);
    }
    record(c, Outcome::Status::Skip, why);
  }

  void component_command(const Command& c) {
    const ComponentForm& form = *c.component;
    std::string label = "component at line " + std::to_string(c.line);
    if (auto why = async_reason(form)) {
      Slot<ComponentPtr> def{nullptr, true, label + " " + *why};
      if (form.id) definitions_[*form.id] = def;
      if (!form.definition) set_current({nullptr, true, def.why}, form.id);
      return record(c, Outcome::Status::Skip, *why);
    }
    auto loaded = load(form);
    if (!loaded) {
      if (form.id) definitions_[*form.id] = {nullptr, false, label + ": " + loaded.error().message};
      if (!form.definition)
        set_current({nullptr, false, label + ": " + loaded.error().message}, form.id);
      return record(c, Outcome::Status::Fail, loaded.error().message);
    }
    if (form.definition) {  // validated; an unnamed one is never instantiated
      if (form.id) definitions_[*form.id] = {*loaded, false, {}};
      return record(c, Outcome::Status::Pass);
    }
    auto inst = instantiate(**loaded);
    if (!inst) {
      set_current({nullptr, false, label + ": " + inst.error().message}, form.id);
      return record(c, Outcome::Status::Fail, inst.error().message);
    }
    set_current({std::move(*inst), false, {}}, form.id);
    record(c, Outcome::Status::Pass);
  }

  // Looks up definition $id; on failure records the outcome and returns null.
  const Slot<ComponentPtr>* definition(const Command& c, const std::string& id) {
    auto it = definitions_.find(id);
    if (it == definitions_.end()) {
      record(c, Outcome::Status::Fail, "no component definition $" + id);
      return nullptr;
    }
    if (!it->second.value) {
      record(c, it->second.skipped ? Outcome::Status::Skip : Outcome::Status::Fail,
             "needs $" + id + ": " + it->second.why);
      return nullptr;
    }
    return &it->second;
  }

  void instance_command(const Command& c) {
    auto fail_slot = [&](bool skipped, std::string why) {
      set_current({nullptr, skipped, std::move(why)}, c.instance_id);
    };
    auto it = definitions_.find(*c.definition_id);
    if (it == definitions_.end() || !it->second.value) {
      bool skipped = it != definitions_.end() && it->second.skipped;
      std::string why = it == definitions_.end() ? "no component definition $" + *c.definition_id
                                                 : it->second.why;
      fail_slot(skipped, "$" + *c.definition_id + ": " + why);
      return record(c, skipped ? Outcome::Status::Skip : Outcome::Status::Fail,
                    "needs $" + *c.definition_id + ": " + why);
    }
    auto inst = instantiate(*it->second.value);
    if (!inst) {
      fail_slot(false, "instance $" + *c.instance_id + ": " + inst.error().message);
      return record(c, Outcome::Status::Fail, inst.error().message);
    }
    set_current({std::move(*inst), false, {}}, c.instance_id);
    record(c, Outcome::Status::Pass);
  }

  // The instance an invoke targets, or records why there is none and returns null.
  component::Instance* target(const Command& c, const Invoke& inv) {
    const Slot<InstancePtr>* slot = &current_;
    if (inv.instance) {
      auto it = instances_.find(*inv.instance);
      if (it == instances_.end()) {
        record(c, Outcome::Status::Fail, "no instance $" + *inv.instance);
        return nullptr;
      }
      slot = &it->second;
    }
    if (!slot->value) {
      std::string why = slot->why.empty() ? "no component instantiated before it" : slot->why;
      record(c, slot->skipped ? Outcome::Status::Skip : Outcome::Status::Fail, "needs " + why);
      return nullptr;
    }
    return slot->value.get();
  }

  // Calls the export; on any failure to even make the call records it and returns nothing.
  std::optional<Result<std::vector<component::Value>>> call(const Command& c, const Invoke& inv,
                                                            component::ExportedFunc** func_out) {
    component::Instance* inst = target(c, inv);
    if (!inst) return std::nullopt;
    component::ExportedFunc* func = inst->func(inv.name);
    if (!func) {
      record(c, Outcome::Status::Fail, "no exported function `" + inv.name + "`");
      return std::nullopt;
    }
    const auto& params = func->type().params;
    if (inv.args.size() != params.size()) {
      record(c, Outcome::Status::Fail,
             "`" + inv.name + "` takes " + std::to_string(params.size()) +
                 " arguments, the script gives " + std::to_string(inv.args.size()));
      return std::nullopt;
    }
    std::vector<component::Value> args;
    for (size_t i = 0; i < params.size(); ++i) {
      auto v = to_value(*inv.args[i], *params[i].type);
      if (!v) {
        record(c, Outcome::Status::Fail,
               "argument " + std::to_string(i) + ": " + v.error().message);
        return std::nullopt;
      }
      args.push_back(std::move(*v));
    }
    *func_out = func;
    return func->call(args);
  }

  void invoke_command(const Command& c) {
    component::ExportedFunc* func = nullptr;
    auto result = call(c, *c.invoke, &func);
    if (!result) return;
    if (!*result)
      return record(c, Outcome::Status::Fail, "call failed: " + result->error().message);
    if (c.kind == Command::Kind::Invoke) return record(c, Outcome::Status::Pass);
    const auto& results = func->type().results;
    const auto& got = **result;
    if (c.expected.size() != results.size() || got.size() != results.size()) {
      return record(c, Outcome::Status::Fail,
                    "expected " + std::to_string(c.expected.size()) +
                        " results; the function has " + std::to_string(results.size()) +
                        " and returned " + std::to_string(got.size()));
    }
    for (size_t i = 0; i < results.size(); ++i) {
      if (auto m = mismatch(*c.expected[i], *results[i].type, got[i])) {
        return record(c, Outcome::Status::Fail, "result " + std::to_string(i) + ": " + *m);
      }
    }
    record(c, Outcome::Status::Pass);
  }

  static std::string trap_note(const std::string& got, const std::string& upstream) {
    if (got.find(upstream) != std::string::npos) return {};
    return "trapped with \"" + got + "\" (upstream message: \"" + upstream + "\")";
  }

  void trap_command(const Command& c) {
    if (c.invoke) {
      component::ExportedFunc* func = nullptr;
      auto result = call(c, *c.invoke, &func);
      if (!result) return;
      if (*result) return record(c, Outcome::Status::Fail, "returned normally; expected a trap");
      return record(c, Outcome::Status::Pass, trap_note(result->error().message, c.message));
    }
    // A component or instance whose instantiation must trap.
    ComponentPtr comp;
    if (c.component) {
      if (auto why = async_reason(*c.component)) return record(c, Outcome::Status::Skip, *why);
      auto loaded = load(*c.component);
      if (!loaded) return record(c, Outcome::Status::Fail, loaded.error().message);
      comp = *loaded;
    } else {
      const Slot<ComponentPtr>* def = definition(c, *c.definition_id);
      if (!def) return;
      comp = def->value;
    }
    auto inst = instantiate(*comp);
    if (inst) return record(c, Outcome::Status::Fail, "instantiated; expected a trap");
    record(c, Outcome::Status::Pass, trap_note(inst.error().message, c.message));
  }

  void invalid_command(const Command& c) {
    if (auto why = async_reason(*c.component)) return record(c, Outcome::Status::Skip, *why);
    auto bytes = bytes_of(*c.component);
    if (!bytes) return record(c, Outcome::Status::Pass, bytes.error().message);
    auto loaded = Component::load(engine_, *bytes);
    if (loaded) {
      keep_alive_.push_back(*loaded);
      return record(c, Outcome::Status::Fail, "loaded; expected \"" + c.message + "\"");
    }
    record(c, Outcome::Status::Pass, trap_note(loaded.error().message, c.message));
  }

  void unlinkable_command(const Command& c) {
    if (auto why = async_reason(*c.component)) return record(c, Outcome::Status::Skip, *why);
    auto loaded = load(*c.component);
    if (!loaded) return record(c, Outcome::Status::Fail, loaded.error().message);
    auto inst = instantiate(**loaded);
    if (inst) return record(c, Outcome::Status::Fail, "linked; expected \"" + c.message + "\"");
    record(c, Outcome::Status::Pass, trap_note(inst.error().message, c.message));
  }

  const Script& script_;
  wasm::Engine& engine_;
  TextConverter& converter_;
  const Expectations& expectations_;
  FileRun& out_;
  // Every loaded component lives as long as the run (declared first: destroyed after instances).
  std::vector<ComponentPtr> keep_alive_;
  std::map<std::string, Slot<ComponentPtr>> definitions_;
  std::map<std::string, Slot<InstancePtr>> instances_;
  Slot<InstancePtr> current_{nullptr, false, {}};
};

}  // namespace

FileRun run_script(const Script& script, const std::string& file, wasm::Engine& engine,
                   TextConverter& converter, const Expectations& expectations) {
  FileRun out;
  out.file = file;
  out.engine = std::string(engine.name());
  Run(script, engine, converter, expectations, out).all();
  return out;
}

}  // namespace actr::conformance
