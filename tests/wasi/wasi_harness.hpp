// Test harness for actr::wasi: a linker with WASI registered (no engine needed: host functions are
// called directly through the definitions the linker holds) and helpers to call them.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "wasi/add_to_linker.hpp"
#include "wasi/interface_builder.hpp"

namespace actr::wasi::test {

// The linker needs an engine only to instantiate, which these tests never do.
class NoEngine final : public wasm::Engine {
 public:
  std::string_view name() const override { return "none"; }
  Result<std::shared_ptr<wasm::Module>> compile(std::span<const uint8_t>,
                                                const wasm::CompileHints&) override {
    return make_error("no engine in wasi tests");
  }
  std::unique_ptr<wasm::Store> new_store(const wasm::StoreLimits&) override { return nullptr; }
};

class WasiHarness {
 public:
  explicit WasiHarness(WasiConfig config = {}) : linker_(engine_) {
    auto state = add_to_linker(linker_, std::move(config));
    EXPECT_TRUE(state.ok()) << (state.ok() ? "" : state.error().message);
    if (state.ok()) state_ = *state;
  }

  component::Linker& linker() { return linker_; }
  WasiState& state() { return *state_; }

  const component::Linker::HostFuncDef* def(std::string_view interface, std::string_view func) {
    auto it = linker_.definitions().find(versioned(interface));
    if (it == linker_.definitions().end()) return nullptr;
    auto f = it->second.funcs.find(func);
    return f == it->second.funcs.end() ? nullptr : &f->second;
  }

  std::shared_ptr<const component::ResourceType> resource(std::string_view interface,
                                                          std::string_view name) {
    auto it = linker_.definitions().find(versioned(interface));
    if (it == linker_.definitions().end()) return nullptr;
    auto r = it->second.resources.find(name);
    return r == it->second.resources.end() ? nullptr : r->second.type;
  }

  // Calls a host function; an Error is a trap. Returns the single result (or an empty Value).
  Result<component::Value> call(std::string_view interface, std::string_view func,
                                std::vector<component::Value> args = {}) {
    const auto* d = def(interface, func);
    if (!d)
      return make_error("no definition of " + std::string(interface) + "#" + std::string(func));
    std::vector<component::Value> results;
    ACTR_TRY_VOID(d->fn(args, results));
    if (results.size() != d->type.results.size()) return make_error("wrong number of results");
    return results.empty() ? component::Value() : results[0];
  }

  // As call(), expecting success.
  component::Value ok(std::string_view interface, std::string_view func,
                      std::vector<component::Value> args = {}) {
    auto r = call(interface, func, std::move(args));
    EXPECT_TRUE(r.ok()) << interface << "#" << func << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : component::Value();
  }

  // Drops a handle as the guest would: the linker calls the resource's destructor.
  void drop(std::string_view interface, const component::Value& handle) {
    auto it = linker_.definitions().find(versioned(interface));
    ASSERT_NE(it, linker_.definitions().end());
    for (const auto& [name, r] : it->second.resources) {
      if (r.type == handle.handle.type) {
        if (r.dtor) r.dtor(handle.handle.rep);
        return;
      }
    }
    FAIL() << "no resource of this handle's type in " << interface;
  }

  static component::Value borrow(const component::Value& own) {
    return component::Value::borrow(own.handle);
  }

 private:
  NoEngine engine_;
  component::Linker linker_;
  std::shared_ptr<WasiState> state_;
};

inline component::Value bytes(std::string_view s) {
  return component::Value::bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// The bytes of a list<u8> (either form) as a string.
inline std::string string_of(const component::Value& list) {
  std::string out;
  EXPECT_TRUE(list.copy_bytes(out)) << "not a list<u8>";
  return out;
}

}  // namespace actr::wasi::test
