// Instantiating one loaded component many times: every instance reads the types validation
// resolved once (Component::types()), host imports are matched against the linker's definitions
// as they are at that moment, and resource types stay generative per instantiation.
#include <gtest/gtest.h>

#include <filesystem>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "component/ast.hpp"
#include "component/validate/type_model.hpp"
#include "component_text.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"

namespace actr::component {
namespace {

constexpr const char* kDispatch = "actr:workload/workload@0.1.0#dispatch";

std::filesystem::path workload_guest() {
  return std::filesystem::path(ACTR_BINARY_DIR) / "guests" / "workload_all.wasm";
}

std::string engine_name(const ::testing::TestParamInfo<wasm::EngineKind>& info) {
  return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
}

class RepeatedInstantiationTest : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    auto engine = wasm::make_engine(GetParam());
    if (!engine) ACTR_SKIP_MISSING(engine.error().message);
    engine_ = std::move(*engine);
  }

  void load_workload() {
    if (!std::filesystem::exists(workload_guest()))
      ACTR_SKIP_MISSING("guest workload_all not built");
    auto c = Component::load_file(*engine_, workload_guest());
    ASSERT_TRUE(c.ok()) << c.error().message;
    component_ = *c;
  }

  // Every host function of the actr world; log-message appends to `*logs`.
  static void define_host(Linker& linker, std::vector<std::string>* logs) {
    for (const auto& f : test::workload_host_funcs()) {
      linker.func(
          test::kWorkloadHostInterface, f.name, f.type,
          [logs, name = f.name](std::span<const Value> args, std::vector<Value>&) -> Result<void> {
            if (name == "log-message") {
              logs->push_back(args[1].str);
              return {};
            }
            return make_error(name + " not expected");
          });
    }
  }

  static const FuncType& host_type(std::string_view name) {
    for (const auto& f : test::workload_host_funcs()) {
      if (f.name == name) return f.type;
    }
    static const FuncType none;
    return none;
  }

  static Value envelope() {
    test::RpcEnvelope e;
    e.request_id = "r1";
    e.route_key = "echo";
    e.payload = test::bytes_of("hi");
    return test::to_value(e);
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const Component> component_;
};

TEST_P(RepeatedInstantiationTest, SecondInstanceBehavesAsTheFirst) {
  load_workload();
  std::vector<std::string> logs;
  Linker linker(*engine_);
  define_host(linker, &logs);
  auto first = linker.instantiate(*component_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = linker.instantiate(*component_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  std::vector<Value> args{envelope()};
  for (auto* inst : {first->get(), second->get()}) {
    auto r = inst->call(kDispatch, args);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(logs.size(), 2u);
  EXPECT_FALSE((*first)->poisoned());
  EXPECT_FALSE((*second)->poisoned());
}

TEST_P(RepeatedInstantiationTest, RedefinedHostFunctionsAreUsedByLaterInstances) {
  load_workload();
  std::vector<std::string> old_logs, new_logs;
  Linker linker(*engine_);
  define_host(linker, &old_logs);
  auto before = linker.instantiate(*component_);
  ASSERT_TRUE(before.ok()) << before.error().message;
  linker.func(test::kWorkloadHostInterface, "log-message", host_type("log-message"),
              [&](std::span<const Value> args, std::vector<Value>&) -> Result<void> {
                new_logs.push_back(args[1].str);
                return {};
              });
  auto after = linker.instantiate(*component_);
  ASSERT_TRUE(after.ok()) << after.error().message;
  std::vector<Value> args{envelope()};
  ASSERT_TRUE((*after)->call(kDispatch, args).ok());
  EXPECT_TRUE(old_logs.empty());
  EXPECT_EQ(new_logs.size(), 1u);
  // The earlier instance keeps the functions it was linked with.
  ASSERT_TRUE((*before)->call(kDispatch, args).ok());
  EXPECT_EQ(old_logs.size(), 1u);
  EXPECT_EQ(new_logs.size(), 1u);
}

TEST_P(RepeatedInstantiationTest, ATypeMismatchIntroducedLaterIsStillFound) {
  load_workload();
  std::vector<std::string> logs;
  Linker linker(*engine_);
  define_host(linker, &logs);
  ASSERT_TRUE(linker.instantiate(*component_).ok());
  FuncType wrong = host_type("log-message");
  wrong.params.pop_back();
  linker.func(test::kWorkloadHostInterface, "log-message", wrong,
              [](std::span<const Value>, std::vector<Value>&) -> Result<void> { return {}; });
  auto inst = linker.instantiate(*component_);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("log-message"), std::string::npos) << inst.error().message;
}

TEST_P(RepeatedInstantiationTest, AnotherLinkerDoesNotSeeThisLinkersFunctions) {
  load_workload();
  std::vector<std::string> a_logs, b_logs;
  {
    Linker a(*engine_);
    define_host(a, &a_logs);
    ASSERT_TRUE(a.instantiate(*component_).ok());
  }
  Linker b(*engine_);
  define_host(b, &b_logs);
  auto inst = b.instantiate(*component_);
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  std::vector<Value> args{envelope()};
  ASSERT_TRUE((*inst)->call(kDispatch, args).ok());
  EXPECT_TRUE(a_logs.empty());
  EXPECT_EQ(b_logs.size(), 1u);
}

// A component that defines a resource type and a function returning a fresh handle of it.
constexpr const char* kResourceComponent = R"((component
  (type $r (resource (rep i32)))
  (core func $new (canon resource.new $r))
  (core module $m
    (import "" "new" (func $new (param i32) (result i32)))
    (func (export "make") (result i32) (call $new (i32.const 7))))
  (core instance $i (instantiate $m (with "" (instance (export "new" (func $new))))))
  (export $er "r" (type $r))
  (func $make (result (own $er)) (canon lift (core func $i "make")))
  (export "make" (func $make))
))";

TEST_P(RepeatedInstantiationTest, ResourceTypesStayGenerativePerInstantiation) {
  auto bin = test::component_from_text(kResourceComponent);
  if (bin.tool_missing) ACTR_SKIP_MISSING("node or jco unavailable");
  ASSERT_TRUE(bin.bytes) << bin.error;
  auto c = Component::load(*engine_, *bin.bytes);
  ASSERT_TRUE(c.ok()) << c.error().message;
  Linker linker(*engine_);
  auto one = linker.instantiate(**c);
  auto two = linker.instantiate(**c);
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(two.ok()) << two.error().message;
  auto a1 = (*one)->call("make", {});
  auto a2 = (*one)->call("make", {});
  auto b = (*two)->call("make", {});
  ASSERT_TRUE(a1.ok() && a2.ok() && b.ok());
  ASSERT_EQ(a1->size(), 1u);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*a1)[0].kind, Kind::Own);
  EXPECT_EQ((*a1)[0].handle.type, (*a2)[0].handle.type);
  EXPECT_NE((*a1)[0].handle.type, (*b)[0].handle.type);
  // The function types that mention the resource were resolved per instance as well.
  const FuncType& t1 = (*one)->func("make")->type();
  const FuncType& t2 = (*two)->func("make")->type();
  ASSERT_EQ(t1.results.size(), 1u);
  ASSERT_EQ(t2.results.size(), 1u);
  EXPECT_EQ(t1.results[0].type->resource, (*a1)[0].handle.type);
  EXPECT_EQ(t2.results[0].type->resource, (*b)[0].handle.type);
}

// A component nesting another that defines a resource, instantiated twice inside it.
constexpr const char* kNestedComponent = R"((component
  (type $rec (record (field "a" u32)))
  (component $inner
    (type $t (resource (rep i32)))
    (export "t" (type $t))
  )
  (instance $i1 (instantiate $inner))
  (instance $i2 (instantiate $inner))
  (alias export $i1 "t" (type $t1))
  (alias export $i2 "t" (type $t2))
  (export "t1" (type $t1))
  (export "t2" (type $t2))
))";

TEST_P(RepeatedInstantiationTest, TypesAreResolvedOnceAtLoadForEveryNestedComponent) {
  auto bin = test::component_from_text(kNestedComponent);
  if (bin.tool_missing) ACTR_SKIP_MISSING("node or jco unavailable");
  ASSERT_TRUE(bin.bytes) << bin.error;
  auto c = Component::load(*engine_, *bin.bytes);
  ASSERT_TRUE(c.ok()) << c.error().message;
  const ast::Component& root = (*c)->ast();
  const ComponentTypes* outer = (*c)->types().of(root);
  ASSERT_NE(outer, nullptr);
  const ast::Component* inner_ast = nullptr;
  for (const auto& def : root.defs) {
    if (def.kind == ast::Definition::Kind::Component) inner_ast = def.component.get();
  }
  ASSERT_NE(inner_ast, nullptr);
  const ComponentTypes* inner = (*c)->types().of(*inner_ast);
  ASSERT_NE(inner, nullptr);
  // Outer: the record, two aliases and two exports; only the resources need an instance's own.
  ASSERT_EQ(outer->types.size(), 5u);
  EXPECT_EQ(outer->mentions_resource, (std::vector<uint8_t>{0, 1, 1, 1, 1}));
  ASSERT_EQ(outer->instances.size(), 2u);
  EXPECT_NE(outer->types[1].resource, outer->types[2].resource);
  ASSERT_EQ(inner->types.size(), 2u);
  EXPECT_EQ(inner->types[0].kind, DefinedType::Kind::Resource);

  EXPECT_EQ(inner->types[0].resource->name, "t");
  Linker linker(*engine_);
  for (int i = 0; i < 2; ++i) {
    auto instance = linker.instantiate(**c);
    ASSERT_TRUE(instance.ok()) << instance.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, RepeatedInstantiationTest,
                         ::testing::Values(wasm::EngineKind::Interp, wasm::EngineKind::Aot),
                         engine_name);

}  // namespace
}  // namespace actr::component
