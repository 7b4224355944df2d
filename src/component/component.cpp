#include "actr/component/component.hpp"

#include <fstream>
#include <iterator>

#include "component/binary/decoder.hpp"
#include "component/linker/pre_cache.hpp"
#include "component/validate/validator.hpp"

namespace actr::component {
namespace {

using Modules = std::map<const ast::Definition*, std::shared_ptr<wasm::Module>>;

// `earlier`: the same component's modules on another engine, whose profiles guide this compile.
Result<void> compile_modules(wasm::Engine& engine, const ast::Component& c, Modules& out,
                             const Modules* earlier = nullptr) {
  for (const auto& def : c.defs) {
    if (def.kind == ast::Definition::Kind::CoreModule) {
      std::span<const uint8_t> bytes(c.bytes->data() + def.module_offset, def.module_size);
      wasm::CompileHints hints;
      if (earlier) {
        if (auto it = earlier->find(&def); it != earlier->end()) {
          hints.hot_functions = [m = it->second] { return m->sampled_functions(); };
        }
      }
      auto module = engine.compile(bytes, hints);
      if (!module.ok()) {
        return make_error("core module at byte " + std::to_string(def.module_offset) + ": " +
                          module.error().message);
      }
      out[&def] = std::move(module).value();
    } else if (def.kind == ast::Definition::Kind::Component && def.component) {
      ACTR_TRY_VOID(compile_modules(engine, *def.component, out, earlier));
    }
  }
  return {};
}

}  // namespace

Component::Component() : pre_cache_(std::make_unique<link::PreCache>()) {}
Component::~Component() = default;

bool Component::imports_with_prefix(std::string_view prefix) const {
  for (const auto& def : ast_->defs) {
    if (def.kind == ast::Definition::Kind::Import && def.import.name.starts_with(prefix)) {
      return true;
    }
  }
  return false;
}

Result<std::shared_ptr<const Component>> Component::load(wasm::Engine& engine,
                                                         std::span<const uint8_t> bytes) {
  ACTR_TRY(std::shared_ptr<const ast::Component> tree, binary::decode(bytes));
  auto types = std::make_shared<TypeModel>();
  ACTR_TRY_VOID(validate::validate(*tree, types.get()));
  std::shared_ptr<Component> c(new Component());
  c->types_ = std::move(types);
  c->engine_ = &engine;
  c->ast_ = std::move(tree);
  ACTR_TRY_VOID(compile_modules(engine, *c->ast_, c->modules_));
  return std::shared_ptr<const Component>(std::move(c));
}

Result<std::shared_ptr<const Component>> Component::load_file(wasm::Engine& engine,
                                                              const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open " + path.string());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  auto c = load(engine, bytes);
  if (!c.ok()) return make_error(path.string() + ": " + c.error().message);
  return c;
}

Result<std::shared_ptr<const Component>> Component::recompile(wasm::Engine& engine) const {
  std::shared_ptr<Component> c(new Component());
  c->engine_ = &engine;
  c->ast_ = ast_;
  c->types_ = types_;
  ACTR_TRY_VOID(compile_modules(engine, *c->ast_, c->modules_, &modules_));
  return std::shared_ptr<const Component>(std::move(c));
}

namespace {

Result<void> modules_keep_tables_fixed(const ast::Component& c) {
  for (const auto& def : c.defs) {
    if (def.kind == ast::Definition::Kind::CoreModule) {
      std::span<const uint8_t> bytes(c.bytes->data() + def.module_offset, def.module_size);
      if (auto r = wasm::code_keeps_tables_fixed(bytes); !r) {
        return make_error("core module at byte " + std::to_string(def.module_offset) + ": " +
                          r.error().message);
      }
    } else if (def.kind == ast::Definition::Kind::Component && def.component) {
      ACTR_TRY_VOID(modules_keep_tables_fixed(*def.component));
    }
  }
  return {};
}

}  // namespace

Result<void> Component::state_transferable() const { return modules_keep_tables_fixed(*ast_); }

std::shared_ptr<wasm::Module> Component::module(const ast::Definition& def) const {
  auto it = modules_.find(&def);
  return it == modules_.end() ? nullptr : it->second;
}

}  // namespace actr::component
