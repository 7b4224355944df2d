// Behaviour specific to the interpreter backend.
#include <gtest/gtest.h>

#include <boost/context/fiber.hpp>

#include "actr/wasm/engine.hpp"
#include "support/wat.hpp"

namespace actr::wasm {
namespace {

class InterpEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = make_engine(EngineKind::Interp);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(engine).value();
    store_ = engine_->new_store();
  }

  std::shared_ptr<Instance> instantiate(std::string_view wat, std::vector<Extern> imports = {}) {
    auto module = engine_->compile(test::wat_to_wasm(wat));
    EXPECT_TRUE(module.ok()) << module.error().message;
    if (!module) return nullptr;
    auto instance = store_->instantiate(**module, imports);
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    return instance ? *instance : nullptr;
  }

  static std::shared_ptr<Func> func(Instance& instance, std::string_view name) {
    auto e = instance.get_export(name);
    if (!e || kind_of(*e) != ExternKind::Func) return nullptr;
    return std::get<std::shared_ptr<Func>>(*e);
  }

  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Store> store_;
};

TEST_F(InterpEngineTest, ReferenceSlotsAreEngineHandles) {
  auto instance = instantiate(R"(
    (module
      (type $r (func (result i32)))
      (table 1 funcref)
      (func $nine (result i32) (i32.const 9))
      (elem declare func $nine)
      (func (export "get") (result funcref) (ref.func $nine))
      (func (export "call") (param funcref) (result i32)
        (table.set 0 (i32.const 0) (local.get 0))
        (call_indirect (type $r) (i32.const 0)))
      (func (export "is_null") (param externref) (result i32) (ref.is_null (local.get 0))))
  )");
  ASSERT_TRUE(instance);
  Slot ref = 0;
  ASSERT_TRUE(func(*instance, "get")->call(nullptr, &ref).ok());
  EXPECT_NE(ref, 0u);
  Slot result = 0;
  ASSERT_TRUE(func(*instance, "call")->call(&ref, &result).ok());
  EXPECT_EQ(result, 9u);

  Slot null = 0;
  ASSERT_TRUE(func(*instance, "is_null")->call(&null, &result).ok());
  EXPECT_EQ(result, 1u);

  // A made-up handle is refused before it reaches guest code.
  Slot bogus = 123456789;
  auto r = func(*instance, "call")->call(&bogus, &result);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(store_->poisoned());
}

// Two fibers enter the same store, each suspending in a host function; resuming the first one
// first breaks the nesting. The store must be poisoned, not corrupted.
TEST_F(InterpEngineTest, OutOfOrderReentryPoisonsTheStore) {
  namespace ctx = boost::context;
  ctx::fiber to_main;
  auto wait = store_->host_func(FuncType{}, [&](const Slot*, Slot*) {
    to_main = std::move(to_main).resume();
    return Result<void>();
  });
  auto instance = instantiate(R"(
    (module (import "h" "wait" (func $wait)) (func (export "run") (call $wait)))
  )",
                              {wait});
  ASSERT_TRUE(instance);
  auto run = func(*instance, "run");

  Result<void> first, second;
  auto body = [&](Result<void>& out) {
    return [&](ctx::fiber&& main_side) {
      to_main = std::move(main_side);
      out = run->call(nullptr, nullptr);
      return std::move(to_main);
    };
  };
  ctx::fiber a{body(first)};
  a = std::move(a).resume();
  ctx::fiber b{body(second)};
  b = std::move(b).resume();
  ASSERT_TRUE(a && b);

  // `a` resumes while `b`, which entered later, is still suspended.
  a = std::move(a).resume();
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(trap_kind(first.error()), TrapKind::Other);
  EXPECT_NE(first.error().message.find("out of order"), std::string::npos) << first.error().message;
  EXPECT_TRUE(store_->poisoned());
  b = std::move(b).resume();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(trap_kind(second.error()), TrapKind::Other);

  // The store stays refused; another store works.
  EXPECT_FALSE(run->call(nullptr, nullptr).ok());
  auto other = engine_->new_store();
  auto module = engine_->compile(test::wat_to_wasm("(module (func (export \"f\")))"));
  ASSERT_TRUE(module.ok());
  auto other_instance = other->instantiate(**module, {});
  ASSERT_TRUE(other_instance.ok());
  EXPECT_TRUE(func(**other_instance, "f")->call(nullptr, nullptr).ok());
}

}  // namespace
}  // namespace actr::wasm
