// A loaded component: decoded, validated, and every core module compiled by one engine.
// Immutable once loaded; instantiate it any number of times with a Linker.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string_view>

#include "actr/common/result.hpp"
#include "actr/wasm/engine.hpp"

namespace actr::component {

namespace ast {
struct Component;
struct Definition;
}  // namespace ast
class TypeModel;  // src/component/validate/type_model.hpp
namespace link {
struct PreCache;  // src/component/linker/pre_cache.hpp
}

class Component {
 public:
  static Result<std::shared_ptr<const Component>> load(wasm::Engine& engine,
                                                       std::span<const uint8_t> bytes);
  static Result<std::shared_ptr<const Component>> load_file(wasm::Engine& engine,
                                                            const std::filesystem::path& path);

  // The same component (the same decoded, validated tree) with its core modules compiled by
  // `engine`: the next tier of tiered execution. Instances of the two may hand state over
  // (Instance::take_state_from). What this component's modules saw running guides the compile
  // (wasm::CompileHints), so the profile its instances gather until the C is written counts.
  Result<std::shared_ptr<const Component>> recompile(wasm::Engine& engine) const;
  // Whether a live instance of it can move to another engine: no core module's code changes
  // tables or drops segments at run time (wasm::code_keeps_tables_fixed); else why not.
  Result<void> state_transferable() const;

  wasm::Engine& engine() const { return *engine_; }
  const ast::Component& ast() const { return *ast_; }
  // Whether one of the component's own imports (what a host must provide) has a name starting
  // with `prefix`, e.g. "wasi:": a host can skip setting up for interfaces no instance can call.
  bool imports_with_prefix(std::string_view prefix) const;
  // The compiled form of a CoreModule definition anywhere in the component tree.
  std::shared_ptr<wasm::Module> module(const ast::Definition& def) const;
  // The resolved types of the component and of every component nested in it, as validation
  // computed them (instantiation reads them; nothing is resolved twice).
  const TypeModel& types() const { return *types_; }
  // The instance pres Linker::instantiate made for this component (they live as long as it).
  link::PreCache& pre_cache() const { return *pre_cache_; }

  ~Component();
  Component(const Component&) = delete;
  Component& operator=(const Component&) = delete;

 private:
  Component();
  wasm::Engine* engine_ = nullptr;
  std::shared_ptr<const ast::Component> ast_;
  std::map<const ast::Definition*, std::shared_ptr<wasm::Module>> modules_;
  std::shared_ptr<const TypeModel> types_;
  std::unique_ptr<link::PreCache> pre_cache_;
};

}  // namespace actr::component
