// A loaded component: decoded, validated, and every core module compiled by one engine.
// Immutable once loaded; instantiate it any number of times with a Linker.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <span>

#include "common/result.hpp"
#include "component/ast.hpp"
#include "wasm/engine.hpp"

namespace actr::component {

class Component {
 public:
  static Result<std::shared_ptr<const Component>> load(wasm::Engine& engine,
                                                       std::span<const uint8_t> bytes);
  static Result<std::shared_ptr<const Component>> load_file(wasm::Engine& engine,
                                                            const std::filesystem::path& path);

  wasm::Engine& engine() const { return *engine_; }
  const ast::Component& ast() const { return *ast_; }
  // The compiled form of a CoreModule definition anywhere in the component tree.
  std::shared_ptr<wasm::Module> module(const ast::Definition& def) const;

 private:
  Component() = default;
  wasm::Engine* engine_ = nullptr;
  std::shared_ptr<const ast::Component> ast_;
  std::map<const ast::Definition*, std::shared_ptr<wasm::Module>> modules_;
};

}  // namespace actr::component
