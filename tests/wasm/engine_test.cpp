// Behaviour every core engine backend must share, run against each EngineKind.
#include "actr/wasm/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "support/missing.hpp"
#include "support/wat.hpp"

namespace actr::wasm {
namespace {

using namespace std::chrono_literals;
using test::wat_to_wasm;

using Slots = std::vector<Slot>;

std::string kind_name(EngineKind kind) { return kind == EngineKind::Aot ? "aot" : "interp"; }

Slot f32_slot(float v) { return std::bit_cast<uint32_t>(v); }
Slot f64_slot(double v) { return std::bit_cast<uint64_t>(v); }
float slot_f32(Slot s) { return std::bit_cast<float>(static_cast<uint32_t>(s)); }
double slot_f64(Slot s) { return std::bit_cast<double>(s); }

std::shared_ptr<Func> as_func(const std::optional<Extern>& e) {
  if (!e || kind_of(*e) != ExternKind::Func) return nullptr;
  return std::get<std::shared_ptr<Func>>(*e);
}

// Calls `f` with `args`; returns the results or the error.
Result<Slots> invoke(Func& f, Slots args = {}) {
  EXPECT_EQ(args.size(), f.type().params.size());
  Slots results(f.type().results.size() + 1);  // +1: never pass a zero-size buffer's end
  auto r = f.call(args.data(), results.data());
  if (!r) return r.take_error();
  results.pop_back();
  return results;
}

class EngineTest : public ::testing::TestWithParam<EngineKind> {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.cache_dir = std::filesystem::path(ACTR_BINARY_DIR) / "test-aot-cache";
    auto engine = make_engine(GetParam(), options);
    if (!engine)
      ACTR_SKIP_MISSING(kind_name(GetParam()) << " engine unavailable: " << engine.error().message);
    engine_ = std::move(engine).value();
  }

  std::shared_ptr<Module> compile(std::string_view wat) {
    auto bytes = wat_to_wasm(wat);
    auto module = engine_->compile(bytes);
    EXPECT_TRUE(module.ok()) << module.error().message;
    return module ? *module : nullptr;
  }

  std::shared_ptr<Instance> instantiate(Store& store, std::string_view wat,
                                        std::vector<Extern> imports = {}) {
    auto module = compile(wat);
    if (!module) return nullptr;
    auto instance = store.instantiate(*module, imports);
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    return instance ? *instance : nullptr;
  }

  // Instantiates `wat` in a new store and returns export `name`.
  std::shared_ptr<Func> export_func(Store& store, std::string_view wat, std::string_view name) {
    auto instance = instantiate(store, wat);
    if (!instance) return nullptr;
    auto f = as_func(instance->get_export(name));
    EXPECT_NE(f, nullptr) << "no function export " << name;
    return f;
  }

  std::unique_ptr<Engine> engine_;
};

template <typename R>
::testing::AssertionResult IsTrap(const R& result, TrapKind kind) {
  if (result.ok()) return ::testing::AssertionFailure() << "expected a trap, the call succeeded";
  if (trap_kind(result.error()) != kind) {
    return ::testing::AssertionFailure()
           << "expected trap kind " << static_cast<int>(kind) << ", got " << result.error().code
           << " (" << result.error().message << ")";
  }
  return ::testing::AssertionSuccess();
}

#define EXPECT_TRAP(result, kind) EXPECT_TRUE(IsTrap((result), (kind)))
#define ASSERT_TRAP(result, kind) ASSERT_TRUE(IsTrap((result), (kind)))

TEST_P(EngineTest, NameMatchesKind) { EXPECT_EQ(engine_->name(), kind_name(GetParam())); }

TEST_P(EngineTest, CompileErrorsNameTheByteOffset) {
  auto empty = engine_->compile({});
  ASSERT_FALSE(empty.ok());

  const std::vector<uint8_t> bad_version = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
  auto version = engine_->compile(bad_version);
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.error().message.find("at byte 0x"), std::string::npos)
      << version.error().message;

  // Well-formed but invalid: the body leaves an i64 where an i32 is declared.
  auto invalid = engine_->compile(wat_to_wasm("(module (func (result i32) (i64.const 1)))"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find("at byte 0x"), std::string::npos)
      << invalid.error().message;

  auto truncated = wat_to_wasm("(module (func (export \"f\") (result i32) (i32.const 7)))");
  truncated.resize(truncated.size() - 3);
  auto cut = engine_->compile(truncated);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message.find("at byte 0x"), std::string::npos) << cut.error().message;
}

TEST_P(EngineTest, ListsImportsAndExports) {
  auto module = compile(R"(
    (module
      (import "env" "f" (func (param i32 i64) (result f32)))
      (import "env" "mem" (memory 1 4))
      (import "env" "tab" (table 2 funcref))
      (import "env" "g" (global (mut i64)))
      (func (export "h") (param f64) (result i32 i64) (i32.const 0) (i64.const 0))
      (export "m" (memory 0))
      (table (export "t") 3 8 externref)
      (global (export "c") f32 (f32.const 1)))
  )");
  ASSERT_TRUE(module);
  const auto& imports = module->imports();
  ASSERT_EQ(imports.size(), 4u);
  EXPECT_EQ(imports[0].module, "env");
  EXPECT_EQ(imports[0].name, "f");
  EXPECT_EQ(imports[0].type.kind, ExternKind::Func);
  EXPECT_EQ(imports[0].type.func, (FuncType{{ValType::I32, ValType::I64}, {ValType::F32}}));
  EXPECT_EQ(imports[1].type.kind, ExternKind::Memory);
  EXPECT_EQ(imports[1].type.memory.limits, (Limits{1, 4}));
  EXPECT_EQ(imports[2].type.kind, ExternKind::Table);
  EXPECT_EQ(imports[2].type.table, (TableType{ValType::FuncRef, Limits{2, std::nullopt}}));
  EXPECT_EQ(imports[3].type.kind, ExternKind::Global);
  EXPECT_EQ(imports[3].type.global, (GlobalType{ValType::I64, true}));

  const auto& exports = module->exports();
  ASSERT_EQ(exports.size(), 4u);
  EXPECT_EQ(exports[0].name, "h");
  EXPECT_EQ(exports[0].type.func, (FuncType{{ValType::F64}, {ValType::I32, ValType::I64}}));
  EXPECT_EQ(exports[1].name, "m");
  EXPECT_EQ(exports[1].type.memory.limits, (Limits{1, 4}));
  EXPECT_EQ(exports[2].name, "t");
  EXPECT_EQ(exports[2].type.table, (TableType{ValType::ExternRef, Limits{3, 8}}));
  EXPECT_EQ(exports[3].name, "c");
  EXPECT_EQ(exports[3].type.global, (GlobalType{ValType::F32, false}));
}

TEST_P(EngineTest, CallsExportsWithEveryValueType) {
  auto store = engine_->new_store();
  auto instance = instantiate(*store, R"(
    (module
      (func (export "mix") (param i32 i64 f32 f64) (result f64 f32 i64 i32)
        (f64.mul (local.get 3) (f64.const 2))
        (f32.add (local.get 2) (f32.const 0.5))
        (i64.sub (local.get 1) (i64.const 1))
        (i32.mul (local.get 0) (i32.const 3)))
      (func (export "nop"))
      (func (export "i32") (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
      (func (export "i64") (param i64) (result i64) (i64.rotl (local.get 0) (i64.const 8)))
      (func (export "f32bits") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
      (func (export "f64bits") (param f64) (result i64) (i64.reinterpret_f64 (local.get 0))))
  )");
  ASSERT_TRUE(instance);

  auto mix = as_func(instance->get_export("mix"));
  ASSERT_TRUE(mix);
  EXPECT_EQ(mix->type(), (FuncType{{ValType::I32, ValType::I64, ValType::F32, ValType::F64},
                                   {ValType::F64, ValType::F32, ValType::I64, ValType::I32}}));
  auto r = invoke(*mix, {static_cast<uint32_t>(-7), static_cast<uint64_t>(-(1ll << 40)),
                         f32_slot(1.25f), f64_slot(-3.5)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(slot_f64((*r)[0]), -7.0);
  EXPECT_EQ(slot_f32((*r)[1]), 1.75f);
  EXPECT_EQ((*r)[2], static_cast<uint64_t>(-(1ll << 40) - 1));
  EXPECT_EQ((*r)[3], static_cast<uint32_t>(-21));  // i32 results occupy the low 32 bits only

  auto nop = as_func(instance->get_export("nop"));
  ASSERT_TRUE(nop);
  EXPECT_TRUE(nop->call(nullptr, nullptr).ok());

  auto neg = as_func(instance->get_export("i32"));
  auto r32 = invoke(*neg, {5});
  ASSERT_TRUE(r32.ok());
  EXPECT_EQ((*r32)[0], 0xfffffffbu);

  auto rot = as_func(instance->get_export("i64"));
  auto r64 = invoke(*rot, {0x8000000000000001ull});
  ASSERT_TRUE(r64.ok());
  EXPECT_EQ((*r64)[0], 0x0000000000000180ull);

  // Float bit patterns pass unchanged, NaN payloads included.
  auto f32bits = as_func(instance->get_export("f32bits"));
  auto rf = invoke(*f32bits, {0x7fc01234u});
  ASSERT_TRUE(rf.ok());
  EXPECT_EQ((*rf)[0], 0x7fc01234u);
  auto f64bits = as_func(instance->get_export("f64bits"));
  auto rd = invoke(*f64bits, {0xfff8000000abcdefull});
  ASSERT_TRUE(rd.ok());
  EXPECT_EQ((*rd)[0], 0xfff8000000abcdefull);

  EXPECT_FALSE(instance->get_export("missing").has_value());
}

TEST_P(EngineTest, HostFunctionsReceiveArgumentsAndReturnResults) {
  auto store = engine_->new_store();
  std::vector<Slot> seen;
  auto host = store->host_func(FuncType{{ValType::I32, ValType::I64, ValType::F32, ValType::F64},
                                        {ValType::I64, ValType::F64}},
                               [&](const Slot* args, Slot* results) -> Result<void> {
                                 seen.assign(args, args + 4);
                                 results[0] = args[1] * 2;
                                 results[1] = f64_slot(slot_f64(args[3]) + slot_f32(args[2]));
                                 return {};
                               });
  EXPECT_EQ(host->type().params.size(), 4u);
  auto instance = instantiate(*store, R"(
    (module
      (import "host" "f" (func $f (param i32 i64 f32 f64) (result i64 f64)))
      (func (export "run") (param i32) (result i64 f64)
        (call $f (local.get 0) (i64.const 21) (f32.const 0.5) (f64.const 2))))
  )",
                              {host});
  ASSERT_TRUE(instance);
  auto run = as_func(instance->get_export("run"));
  auto r = invoke(*run, {0xdeadbeef});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 42u);
  EXPECT_EQ(slot_f64((*r)[1]), 2.5);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], 0xdeadbeefu);
  EXPECT_EQ(seen[1], 21u);
  EXPECT_EQ(slot_f32(seen[2]), 0.5f);
  EXPECT_EQ(slot_f64(seen[3]), 2.0);

  // A host function can also be called directly.
  Slot args[4] = {1, 2, f32_slot(1), f64_slot(1)};
  Slot results[2] = {};
  ASSERT_TRUE(host->call(args, results).ok());
  EXPECT_EQ(results[0], 4u);
}

// Instances of one component lower the same imports: their host functions take one shared type
// instead of a copy each, and each still calls its own body.
TEST_P(EngineTest, HostFunctionsOfOneSharedTypeEachCallTheirOwnBody) {
  auto type = std::make_shared<const FuncType>(FuncType{{ValType::I32}, {ValType::I32}});
  auto one = engine_->new_store();
  auto two = engine_->new_store();
  auto add = [](Slot n) {
    return [n](const Slot* args, Slot* results) -> Result<void> {
      results[0] = args[0] + n;
      return {};
    };
  };
  auto f1 = one->host_func(type, add(1));
  auto f2 = two->host_func(type, add(2));
  EXPECT_EQ(f1->type(), *type);
  EXPECT_EQ(f2->type(), *type);
  if (GetParam() == EngineKind::Aot) {
    EXPECT_EQ(&f1->type(), type.get());  // shared, not copied
    EXPECT_EQ(&f2->type(), type.get());
  }
  const char* importer = R"(
    (module
      (import "host" "f" (func $f (param i32) (result i32)))
      (func (export "run") (param i32) (result i32) (call $f (local.get 0))))
  )";
  auto i1 = instantiate(*one, importer, {f1});
  auto i2 = instantiate(*two, importer, {f2});
  ASSERT_TRUE(i1 && i2);
  auto r1 = invoke(*as_func(i1->get_export("run")), {40});
  auto r2 = invoke(*as_func(i2->get_export("run")), {40});
  ASSERT_TRUE(r1.ok()) << r1.error().message;
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ((*r1)[0], 41u);
  EXPECT_EQ((*r2)[0], 42u);
  type.reset();  // the functions keep the type alive
  EXPECT_EQ(f1->type().params.size(), 1u);
}

// Host functions made at once (Store::host_funcs) each have their own type and body and outlive
// the vector they came in.
TEST_P(EngineTest, HostFunctionsMadeAtOnceEachCallTheirOwnBody) {
  auto store = engine_->new_store();
  auto unary = std::make_shared<const FuncType>(FuncType{{ValType::I32}, {ValType::I32}});
  auto binary =
      std::make_shared<const FuncType>(FuncType{{ValType::I32, ValType::I32}, {ValType::I32}});
  std::vector<Store::HostFuncSpec> specs;
  specs.push_back({unary, [](const Slot* args, Slot* results) -> Result<void> {
                     results[0] = args[0] + 1;
                     return {};
                   }});
  specs.push_back({binary, [](const Slot* args, Slot* results) -> Result<void> {
                     results[0] = args[0] * args[1];
                     return {};
                   }});
  std::shared_ptr<Func> inc, mul;
  {
    auto funcs = store->host_funcs(specs);
    ASSERT_EQ(funcs.size(), 2u);
    inc = funcs[0];
    mul = funcs[1];
  }
  EXPECT_EQ(inc->type(), *unary);
  EXPECT_EQ(mul->type(), *binary);
  auto instance = instantiate(*store, R"(
    (module
      (import "host" "inc" (func $inc (param i32) (result i32)))
      (import "host" "mul" (func $mul (param i32 i32) (result i32)))
      (func (export "run") (param i32) (result i32)
        (call $mul (call $inc (local.get 0)) (i32.const 10))))
  )",
                              {inc, mul});
  ASSERT_TRUE(instance);
  inc.reset();  // the instance keeps what it imported
  auto r = invoke(*as_func(instance->get_export("run")), {4});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 50u);
  r = invoke(*mul, {6, 7});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 42u);
}

// A table only call_indirect reads (not exported, named by no other table instruction) is one
// template per module in the aot engine (wasm/aot/shared_tables.hpp): each entry must still call
// its function in the calling instance, imports included, and every trap stays as it was.
TEST_P(EngineTest, ReadOnlyTableCallsIntoTheCallingInstance) {
  const char* wat = R"(
    (module
      (import "host" "base" (func $base (result i32)))
      (type $r (func (result i32)))
      (type $p (func (param i32) (result i32)))
      (global $g (mut i32) (i32.const 0))
      (table 6 funcref)
      (func $own (result i32) (global.get $g))
      (func $twice (result i32) (i32.mul (global.get $g) (i32.const 2)))
      (func $takes (param i32) (result i32) (local.get 0))
      (elem (i32.const 0) $own $base $takes)
      (elem (i32.const 3) func $twice)
      (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0)))
      (func (export "set") (param i32) (global.set $g (local.get 0)))
      (func (export "size") (result i32) (table.size 0)))
  )";
  int host_calls = 0;
  // One store per instance, as a component instance has (a trap poisons its store).
  struct Made {
    std::unique_ptr<Store> store;
    std::shared_ptr<Instance> instance;
  };
  auto make = [&](Slot g) {
    Made m{engine_->new_store(), nullptr};
    auto base = m.store->host_func(FuncType{{}, {ValType::I32}}, [&](const Slot*, Slot* r) {
      ++host_calls;
      r[0] = 1000;
      return Result<void>{};
    });
    m.instance = instantiate(*m.store, wat, {base});
    if (m.instance) {
      EXPECT_TRUE(invoke(*as_func(m.instance->get_export("set")), {g}).ok());
    }
    return m;
  };
  auto call = [](const Made& m, Slot index) {
    return invoke(*as_func(m.instance->get_export("call")), {index});
  };
  std::vector<Made> made;
  for (Slot g : {7u, 11u}) {
    made.push_back(make(g));
    ASSERT_TRUE(made.back().instance);
  }
  for (size_t i = 0; i < made.size(); ++i) {
    SCOPED_TRACE(i);
    const Slot g = i == 0 ? 7 : 11;
    auto own = call(made[i], 0);
    ASSERT_TRUE(own.ok()) << own.error().message;
    EXPECT_EQ((*own)[0], g);
    auto twice = call(made[i], 3);
    ASSERT_TRUE(twice.ok()) << twice.error().message;
    EXPECT_EQ((*twice)[0], 2 * g);
    auto host = call(made[i], 1);
    ASSERT_TRUE(host.ok()) << host.error().message;
    EXPECT_EQ((*host)[0], 1000u);
    auto size = invoke(*as_func(made[i].instance->get_export("size")));
    ASSERT_TRUE(size.ok());
    EXPECT_EQ((*size)[0], 6u);
  }
  EXPECT_EQ(host_calls, 2);
  // A global set in one instance is seen through its own table only.
  ASSERT_TRUE(invoke(*as_func(made[1].instance->get_export("set")), {5}).ok());
  EXPECT_EQ((*call(made[0], 0))[0], 7u);
  EXPECT_EQ((*call(made[1], 0))[0], 5u);
  made[0] = {};  // the other instance's table outlives it
  EXPECT_EQ((*call(made[1], 3))[0], 10u);
  // The traps of call_indirect, each in an instance of its own.
  const std::pair<Slot, TrapKind> traps[] = {{2, TrapKind::IndirectCallTypeMismatch},
                                             {4, TrapKind::UninitializedElement},
                                             {6, TrapKind::TableOutOfBounds}};
  for (const auto& [index, kind] : traps) {
    SCOPED_TRACE(index);
    Made m = make(1);
    ASSERT_TRUE(m.instance);
    EXPECT_TRAP(call(m, index), kind);
  }
}

TEST_P(EngineTest, HostErrorTrapsTheGuestWithItsMessage) {
  auto store = engine_->new_store();
  int after_host = 0;
  auto fail = store->host_func(FuncType{{ValType::I32}, {}}, [](const Slot* args, Slot*) {
    return Result<void>(make_error("host says no to " + std::to_string(args[0])));
  });
  auto mark = store->host_func(FuncType{}, [&](const Slot*, Slot*) -> Result<void> {
    ++after_host;
    return {};
  });
  auto instance = instantiate(*store, R"(
    (module
      (import "host" "fail" (func $fail (param i32)))
      (import "host" "mark" (func $mark))
      (func (export "run") (call $fail (i32.const 9)) (call $mark)))
  )",
                              {fail, mark});
  ASSERT_TRUE(instance);
  auto r = as_func(instance->get_export("run"))->call(nullptr, nullptr);
  ASSERT_TRAP(r, TrapKind::Host);
  EXPECT_EQ(r.error().message, "host says no to 9");
  EXPECT_EQ(after_host, 0) << "guest code ran on after the host function failed";
  EXPECT_TRUE(store->poisoned());
}

TEST_P(EngineTest, NestedEntriesFromHostFunctions) {
  auto store = engine_->new_store();
  std::shared_ptr<Func> twice;
  auto host = store->host_func(FuncType{{ValType::I32}, {ValType::I32}},
                               [&](const Slot* args, Slot* results) -> Result<void> {
                                 Slot in = args[0] + 1, out = 0;
                                 ACTR_TRY_VOID(twice->call(&in, &out));
                                 results[0] = out + 1;
                                 return {};
                               });
  auto instance = instantiate(*store, R"(
    (module
      (import "host" "h" (func $h (param i32) (result i32)))
      (global $g (mut i32) (i32.const 0))
      (func (export "twice") (param i32) (result i32)
        (global.set $g (i32.add (global.get $g) (i32.const 1)))
        (i32.mul (local.get 0) (i32.const 2)))
      (func (export "run") (param i32) (result i32)
        (i32.add (call $h (local.get 0)) (i32.const 1000)))
      (export "count" (global $g)))
  )",
                              {host});
  ASSERT_TRUE(instance);
  twice = as_func(instance->get_export("twice"));
  auto run = as_func(instance->get_export("run"));
  for (Slot i = 0; i < 3; ++i) {
    auto r = invoke(*run, {i});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)[0], (i + 1) * 2 + 1 + 1000);
  }
  auto count = std::get<std::shared_ptr<Global>>(*instance->get_export("count"));
  EXPECT_EQ(count->get(), 3u);
}

TEST_P(EngineTest, TrapInNestedCallUnwindsTheOuterCall) {
  for (bool swallow : {false, true}) {
    SCOPED_TRACE(swallow ? "host swallows the error" : "host returns the error");
    auto store = engine_->new_store();
    std::shared_ptr<Func> boom;
    auto host = store->host_func(FuncType{}, [&](const Slot*, Slot*) -> Result<void> {
      auto r = boom->call(nullptr, nullptr);
      EXPECT_TRAP(r, TrapKind::Unreachable);
      if (!swallow) return r;
      return {};
    });
    int after = 0;
    auto mark = store->host_func(FuncType{}, [&](const Slot*, Slot*) -> Result<void> {
      ++after;
      return {};
    });
    auto instance = instantiate(*store, R"(
      (module
        (import "host" "h" (func $h))
        (import "host" "mark" (func $mark))
        (func (export "boom") unreachable)
        (func (export "run") (call $h) (call $mark)))
    )",
                                {host, mark});
    ASSERT_TRUE(instance);
    boom = as_func(instance->get_export("boom"));
    auto r = as_func(instance->get_export("run"))->call(nullptr, nullptr);
    EXPECT_TRAP(r, TrapKind::Unreachable);
    EXPECT_EQ(after, 0);
    EXPECT_TRUE(store->poisoned());
  }
}

TEST_P(EngineTest, ImportTypeMismatchNamesTheImportAndBothTypes) {
  auto store = engine_->new_store();
  auto host = store->host_func(FuncType{{ValType::I64}, {}},
                               [](const Slot*, Slot*) { return Result<void>(); });
  auto module = compile(R"((module (import "env" "log" (func (param i32)))))");
  ASSERT_TRUE(module);
  std::vector<Extern> imports = {host};
  auto r = store->instantiate(*module, imports);
  ASSERT_FALSE(r.ok());
  const std::string& message = r.error().message;
  EXPECT_NE(message.find("env.log"), std::string::npos) << message;
  EXPECT_NE(message.find("(i32) -> ()"), std::string::npos) << message;
  EXPECT_NE(message.find("(i64) -> ()"), std::string::npos) << message;
  EXPECT_FALSE(store->poisoned()) << "a link error is not a trap";

  // Wrong kind, and wrong count.
  auto mem_module = compile(R"((module (memory (export "m") 1)))");
  auto mem_instance = store->instantiate(*mem_module, {});
  ASSERT_TRUE(mem_instance.ok());
  std::vector<Extern> wrong_kind = {*(*mem_instance)->get_export("m")};
  EXPECT_FALSE(store->instantiate(*module, wrong_kind).ok());
  EXPECT_FALSE(store->instantiate(*module, {}).ok());

  // An extern of another store cannot be imported.
  auto other = engine_->new_store();
  auto foreign = other->host_func(FuncType{{ValType::I32}, {}},
                                  [](const Slot*, Slot*) { return Result<void>(); });
  std::vector<Extern> foreign_imports = {foreign};
  EXPECT_FALSE(store->instantiate(*module, foreign_imports).ok());
}

TEST_P(EngineTest, MemoryTableAndGlobalSharedBetweenInstances) {
  auto store = engine_->new_store();
  auto provider = instantiate(*store, R"(
    (module
      (memory (export "mem") 1 3)
      (table (export "tab") 2 funcref)
      (global (export "counter") (mut i32) (i32.const 40))
      (func $seven (result i32) (i32.const 7))
      (elem (i32.const 1) $seven)
      (data (i32.const 16) "hello"))
  )");
  ASSERT_TRUE(provider);
  auto mem = std::get<std::shared_ptr<Memory>>(*provider->get_export("mem"));
  auto tab = std::get<std::shared_ptr<Table>>(*provider->get_export("tab"));
  auto counter = std::get<std::shared_ptr<Global>>(*provider->get_export("counter"));
  EXPECT_EQ(mem->size(), kPageSize);
  EXPECT_EQ(mem->type().limits, (Limits{1, 3}));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem->data()) + 16, 5), "hello");
  EXPECT_EQ(tab->size(), 2u);
  EXPECT_EQ(tab->type(), (TableType{ValType::FuncRef, Limits{2, std::nullopt}}));
  EXPECT_EQ(counter->type(), (GlobalType{ValType::I32, true}));

  auto user = instantiate(*store, R"(
    (module
      (import "p" "mem" (memory 1))
      (import "p" "tab" (table 2 funcref))
      (import "p" "counter" (global $c (mut i32)))
      (type $r (func (result i32)))
      (func (export "bump") (result i32)
        (global.set $c (i32.add (global.get $c) (call_indirect (type $r) (i32.const 1))))
        (i32.store8 (i32.const 16) (i32.const 72))
        (global.get $c))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))
  )",
                          {mem, tab, counter});
  ASSERT_TRUE(user);
  auto bump = as_func(user->get_export("bump"));
  auto r = invoke(*bump);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 47u);
  EXPECT_EQ(counter->get(), 47u);
  EXPECT_EQ(mem->data()[16], 'H');

  ASSERT_TRUE(counter->set(100).ok());
  r = invoke(*bump);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 107u);

  // Growth by either side is seen by both; the declared maximum holds.
  auto grow = as_func(user->get_export("grow"));
  r = invoke(*grow, {1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 1u);
  EXPECT_EQ(mem->size(), 2 * kPageSize);
  auto old = mem->grow(1);
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(*old, 2u);
  EXPECT_EQ(mem->type().limits.min, 3u);
  EXPECT_FALSE(mem->grow(1).ok());
  r = invoke(*grow, {1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 0xffffffffu);
  mem->data()[3 * kPageSize - 1] = 99;
  r = invoke(*as_func(user->get_export("load")), {3 * kPageSize - 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 99u);
}

TEST_P(EngineTest, ImmutableGlobalsRejectSet) {
  auto store = engine_->new_store();
  auto instance = instantiate(*store, R"(
    (module (global (export "k") i64 (i64.const -5)) (global (export "f") (mut f64) (f64.const 1.5)))
  )");
  ASSERT_TRUE(instance);
  auto k = std::get<std::shared_ptr<Global>>(*instance->get_export("k"));
  EXPECT_EQ(k->get(), static_cast<uint64_t>(-5));
  EXPECT_FALSE(k->set(1).ok());
  EXPECT_EQ(k->get(), static_cast<uint64_t>(-5));
  auto f = std::get<std::shared_ptr<Global>>(*instance->get_export("f"));
  EXPECT_EQ(slot_f64(f->get()), 1.5);
  ASSERT_TRUE(f->set(f64_slot(-0.25)).ok());
  EXPECT_EQ(slot_f64(f->get()), -0.25);
}

// The wiring jco produces: a shim module owns a funcref table and exports functions that
// call_indirect through it; the main module imports those; a fixup module imports the table and
// the real (host) functions and fills the table from an element segment or its start function.
TEST_P(EngineTest, JcoStyleShimTableFilledWithHostFunctions) {
  for (bool by_start : {false, true}) {
    SCOPED_TRACE(by_start ? "filled by start function" : "filled by element segment");
    auto store = engine_->new_store();
    std::vector<Slot> logged;
    auto log = store->host_func(FuncType{{ValType::I32, ValType::I32}, {ValType::I32}},
                                [&](const Slot* args, Slot* results) -> Result<void> {
                                  logged.push_back(args[0]);
                                  logged.push_back(args[1]);
                                  results[0] = args[0] + args[1];
                                  return {};
                                });
    auto shim = instantiate(*store, R"(
      (module
        (type $t (func (param i32 i32) (result i32)))
        (table (export "$imports") 1 1 funcref)
        (func (export "0") (type $t)
          (call_indirect (type $t) (local.get 0) (local.get 1) (i32.const 0))))
    )");
    ASSERT_TRUE(shim);
    auto main = instantiate(*store, R"(
      (module
        (import "$root" "log" (func $log (param i32 i32) (result i32)))
        (func (export "run") (param i32) (result i32)
          (i32.mul (call $log (local.get 0) (i32.const 5)) (i32.const 10))))
    )",
                            {*shim->get_export("0")});
    ASSERT_TRUE(main);

    auto run = as_func(main->get_export("run"));

    const char* fixup_elem = R"(
      (module
        (import "" "$imports" (table 1 1 funcref))
        (import "" "0" (func $f (param i32 i32) (result i32)))
        (elem (i32.const 0) func $f))
    )";
    const char* fixup_start = R"(
      (module
        (import "" "$imports" (table $t 1 1 funcref))
        (import "" "0" (func $f (param i32 i32) (result i32)))
        (func $fill (table.set $t (i32.const 0) (ref.func $f)))
        (elem declare func $f)
        (start $fill))
    )";
    auto fixup = instantiate(*store, by_start ? fixup_start : fixup_elem,
                             {*shim->get_export("$imports"), log});
    ASSERT_TRUE(fixup);
    auto r = invoke(*run, {4});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)[0], 90u);
    EXPECT_EQ(logged, (std::vector<Slot>{4, 5}));
  }
}

TEST_P(EngineTest, StartFunctionRunsAtInstantiation) {
  auto store = engine_->new_store();
  int calls = 0;
  auto host = store->host_func(FuncType{}, [&](const Slot*, Slot*) -> Result<void> {
    ++calls;
    return {};
  });
  auto instance = instantiate(*store, R"(
    (module
      (import "h" "h" (func $h))
      (global $g (export "g") (mut i32) (i32.const 1))
      (func $start (call $h) (global.set $g (i32.const 2)))
      (start $start))
  )",
                              {host});
  ASSERT_TRUE(instance);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(std::get<std::shared_ptr<Global>>(*instance->get_export("g"))->get(), 2u);

  auto trapping = compile(R"((module (func $s unreachable) (start $s)))");
  auto r = store->instantiate(*trapping, {});
  EXPECT_TRAP(r, TrapKind::Unreachable);
  EXPECT_TRUE(store->poisoned());
}

struct TrapCase {
  const char* name;
  const char* body;  // body of (func (export "f") ...)
  TrapKind kind;
};

TEST_P(EngineTest, EveryTrapKind) {
  const TrapCase cases[] = {
      {"unreachable", "unreachable", TrapKind::Unreachable},
      {"load out of bounds", "(drop (i32.load (i32.const 65534)))", TrapKind::MemoryOutOfBounds},
      {"store out of bounds", "(i64.store (i32.const -1) (i64.const 0))",
       TrapKind::MemoryOutOfBounds},
      {"divide by zero", "(drop (i32.div_u (i32.const 1) (i32.const 0)))",
       TrapKind::IntegerDivideByZero},
      {"remainder by zero", "(drop (i64.rem_s (i64.const 1) (i64.const 0)))",
       TrapKind::IntegerDivideByZero},
      {"division overflow", "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))",
       TrapKind::IntegerOverflow},
      {"truncation overflow", "(drop (i32.trunc_f64_s (f64.const 3e9)))",
       TrapKind::IntegerOverflow},
      {"truncation of NaN", "(drop (i64.trunc_f32_u (f32.const nan)))",
       TrapKind::InvalidConversion},
      {"call_indirect out of table", "(call_indirect (type $v) (i32.const 5))",
       TrapKind::TableOutOfBounds},
      {"call_indirect null element", "(call_indirect (type $v) (i32.const 1))",
       TrapKind::UninitializedElement},
      {"call_indirect wrong type", "(call_indirect (type $v) (i32.const 0))",
       TrapKind::IndirectCallTypeMismatch},
      {"infinite recursion", "(call $self)", TrapKind::StackExhausted},
  };
  for (const TrapCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto store = engine_->new_store();
    const std::string wat = std::string(R"(
      (module
        (type $v (func))
        (memory 1)
        (table 2 funcref)
        (func $takes_i32 (param i32))
        (elem (i32.const 0) $takes_i32)
        (func $self (export "f") )") +
                            c.body + "))";
    auto f = export_func(*store, wat, "f");
    ASSERT_TRUE(f);
    auto r = f->call(nullptr, nullptr);
    ASSERT_TRAP(r, c.kind);
    EXPECT_EQ(r.error().message, default_message(c.kind));
  }
}

TEST_P(EngineTest, IndirectInfiniteRecursionTraps) {
  auto store = engine_->new_store();
  auto f = export_func(*store, R"(
    (module
      (type $r (func (param i32) (result i32)))
      (table 1 funcref)
      (elem (i32.const 0) $f)
      (func $f (export "f") (param i32) (result i32)
        (i32.add (call_indirect (type $r) (local.get 0) (i32.const 0)) (i32.const 1))))
  )",
                       "f");
  ASSERT_TRUE(f);
  auto r = invoke(*f, {0});
  EXPECT_TRAP(r, TrapKind::StackExhausted);
}

TEST_P(EngineTest, CallDepthLimit) {
  StoreLimits limits;
  limits.max_call_depth = 200;
  auto store = engine_->new_store(limits);
  auto depth = export_func(*store, R"(
    (module
      (func $d (export "d") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 0))
          (else (i32.add (call $d (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))
  )",
                           "d");
  ASSERT_TRUE(depth);
  auto shallow = invoke(*depth, {100});
  ASSERT_TRUE(shallow.ok()) << shallow.error().message;
  EXPECT_EQ((*shallow)[0], 100u);
  EXPECT_TRAP(invoke(*depth, {100000}), TrapKind::StackExhausted);
}

// Guest -> host -> guest -> ... recursion: a trap, never a native stack overflow, even on a fiber.
TEST_P(EngineTest, DeepRecursionThroughHostFunctionsTraps) {
  for (bool on_fiber : {false, true}) {
    SCOPED_TRACE(on_fiber ? "on a 256 KiB fiber stack" : "on the thread's stack");
    auto store = engine_->new_store();
    std::shared_ptr<Func> f;
    auto h =
        store->host_func(FuncType{{ValType::I32}, {ValType::I32}},
                         [&](const Slot* args, Slot* results) { return f->call(args, results); });
    auto instance = instantiate(*store, R"(
      (module
        (import "h" "h" (func $h (param i32) (result i32)))
        (func (export "f") (param i32) (result i32)
          (if (result i32) (i32.eqz (local.get 0))
            (then (i32.const 0))
            (else (i32.add (call $h (i32.sub (local.get 0) (i32.const 1))) (i32.const 1))))))
    )",
                                {h});
    ASSERT_TRUE(instance);
    f = as_func(instance->get_export("f"));
    auto shallow = invoke(*f, {5});
    ASSERT_TRUE(shallow.ok()) << shallow.error().message;
    EXPECT_EQ((*shallow)[0], 5u);

    Result<Slots> deep = make_error("not run");
    if (on_fiber) {
      namespace ctx = boost::context;
      ctx::fiber fiber{std::allocator_arg, ctx::fixedsize_stack(256 * 1024),
                       [&](ctx::fiber&& main_side) {
                         deep = invoke(*f, {100000});
                         return std::move(main_side);
                       }};
      std::move(fiber).resume();
    } else {
      deep = invoke(*f, {100000});
    }
    EXPECT_TRAP(deep, TrapKind::StackExhausted);
    EXPECT_TRUE(store->poisoned());
  }
}

// A fiber destroyed while its guest call is suspended in a host function unwinds the call;
// the store is then unusable but everything else goes on.
TEST_P(EngineTest, FiberDestroyedWhileSuspendedInHostFunction) {
#if defined(__SANITIZE_ADDRESS__)
  // Debian's Boost.Context has no ASan fiber annotations: ASan reports a false stack overflow
  // when the forced-unwind exception is thrown on the fiber.
  GTEST_SKIP() << "needs a Boost.Context built with ASan support";
#endif
  namespace ctx = boost::context;
  auto store = engine_->new_store();
  ctx::fiber to_main;
  auto wait = store->host_func(FuncType{}, [&](const Slot*, Slot*) {
    to_main = std::move(to_main).resume();
    return Result<void>();
  });
  auto instance = instantiate(*store, R"(
    (module (import "h" "wait" (func $wait)) (func (export "run") (call $wait)))
  )",
                              {wait});
  ASSERT_TRUE(instance);
  auto run = as_func(instance->get_export("run"));
  {
    ctx::fiber guest{[&](ctx::fiber&& main_side) {
      to_main = std::move(main_side);
      (void)run->call(nullptr, nullptr);
      return std::move(to_main);
    }};
    guest = std::move(guest).resume();
    ASSERT_TRUE(guest);
  }  // destroying the suspended fiber unwinds its stack
  EXPECT_TRUE(store->poisoned());
  EXPECT_TRAP(run->call(nullptr, nullptr), TrapKind::Poisoned);

  auto other = engine_->new_store();
  auto f = export_func(*other, "(module (func (export \"f\") (result i32) (i32.const 3)))", "f");
  ASSERT_TRUE(f);
  EXPECT_TRUE(invoke(*f).ok());
}

TEST_P(EngineTest, PoisonedStoreRefusesFurtherCalls) {
  auto store = engine_->new_store();
  auto instance = instantiate(*store, R"(
    (module
      (func (export "ok") (result i32) (i32.const 1))
      (func (export "bad") (drop (i32.div_s (i32.const 1) (i32.const 0)))))
  )");
  ASSERT_TRUE(instance);
  auto ok = as_func(instance->get_export("ok"));
  auto bad = as_func(instance->get_export("bad"));
  ASSERT_TRUE(invoke(*ok).ok());
  EXPECT_FALSE(store->poisoned());

  EXPECT_TRAP(bad->call(nullptr, nullptr), TrapKind::IntegerDivideByZero);
  EXPECT_TRUE(store->poisoned());
  EXPECT_EQ(store->poison_reason(), "integer divide by zero");

  auto again = invoke(*ok);
  ASSERT_TRAP(again, TrapKind::Poisoned);
  EXPECT_NE(again.error().message.find("integer divide by zero"), std::string::npos)
      << again.error().message;
  auto module = compile("(module)");
  EXPECT_TRAP(store->instantiate(*module, {}), TrapKind::Poisoned);

  // Poisoning by the host (a canonical ABI trap) works the same way.
  auto other = engine_->new_store();
  auto f = export_func(*other, "(module (func (export \"f\")))", "f");
  ASSERT_TRUE(f);
  other->poison("invalid utf-8 string");
  EXPECT_TRUE(other->poisoned());
  EXPECT_EQ(other->poison_reason(), "invalid utf-8 string");
  auto refused = f->call(nullptr, nullptr);
  ASSERT_TRAP(refused, TrapKind::Poisoned);
  EXPECT_NE(refused.error().message.find("invalid utf-8 string"), std::string::npos);
}

TEST_P(EngineTest, MemoryLimitRefusesGrowth) {
  StoreLimits limits;
  limits.max_memory_bytes = 4 * kPageSize;
  auto store = engine_->new_store(limits);
  auto instance = instantiate(*store, R"(
    (module
      (memory (export "mem") 1)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
  )");
  ASSERT_TRUE(instance);
  auto grow = as_func(instance->get_export("grow"));
  auto mem = std::get<std::shared_ptr<Memory>>(*instance->get_export("mem"));

  auto r = invoke(*grow, {2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 1u);
  r = invoke(*grow, {2});  // 5 pages > 4
  ASSERT_TRUE(r.ok()) << "a refused memory.grow is not a trap";
  EXPECT_EQ((*r)[0], 0xffffffffu);
  EXPECT_EQ(mem->size(), 3 * kPageSize);

  auto host_grow = mem->grow(2);
  ASSERT_FALSE(host_grow.ok());
  EXPECT_EQ(trap_kind(host_grow.error()), TrapKind::MemoryLimit);
  ASSERT_TRUE(mem->grow(1).ok());
  r = invoke(*grow, {1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 0xffffffffu);
  r = invoke(*grow, {0});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 4u);
  EXPECT_FALSE(store->poisoned());

  // A new instance's memory counts against the same budget.
  auto more = compile("(module (memory 1))");
  auto refused = store->instantiate(*more, {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(trap_kind(refused.error()), TrapKind::MemoryLimit);
}

TEST_P(EngineTest, MemoryLimitCoversEveryMemoryOfTheStore) {
  StoreLimits limits;
  limits.max_memory_bytes = 4 * kPageSize;
  auto store = engine_->new_store(limits);
  const char* wat = R"(
    (module
      (memory (export "mem") 1)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
  )";
  auto a = instantiate(*store, wat);
  auto b = instantiate(*store, wat);
  ASSERT_TRUE(a && b);
  auto grow_a = as_func(a->get_export("grow"));
  auto grow_b = as_func(b->get_export("grow"));
  auto r = invoke(*grow_a, {1});  // 3 pages in use
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 1u);
  r = invoke(*grow_b, {2});  // 5 > 4
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 0xffffffffu);
  r = invoke(*grow_b, {1});  // 4 pages in use
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 1u);
  r = invoke(*grow_a, {1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0], 0xffffffffu);
  auto mem_a = std::get<std::shared_ptr<Memory>>(*a->get_export("mem"));
  EXPECT_FALSE(mem_a->grow(1).ok());
  EXPECT_EQ(mem_a->size(), 2 * kPageSize);
}

TEST_P(EngineTest, OversizedInitialMemoryFailsInstantiation) {
  StoreLimits limits;
  limits.max_memory_bytes = 16 * kPageSize;
  auto store = engine_->new_store(limits);
  auto module = compile("(module (memory 17))");
  auto r = store->instantiate(*module, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(trap_kind(r.error()), TrapKind::MemoryLimit) << r.error().message;

  // A huge memory fails the same way rather than being allocated.
  auto huge = compile("(module (memory 65536))");
  auto r2 = store->instantiate(*huge, {});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(trap_kind(r2.error()), TrapKind::MemoryLimit);
  auto fits = compile("(module (memory 16))");
  EXPECT_TRUE(store->instantiate(*fits, {}).ok());
}

constexpr const char* kSpin = R"(
  (module
    (func (export "spin") (loop $l (br $l)))
    (func (export "answer") (result i32) (i32.const 42)))
)";

TEST_P(EngineTest, DeadlineStopsASpinningGuest) {
  StoreLimits limits;
  limits.deadline = 200ms;
  auto spinning = engine_->new_store(limits);
  auto spin_instance = instantiate(*spinning, kSpin);
  ASSERT_TRUE(spin_instance);
  auto spin = as_func(spin_instance->get_export("spin"));

  auto healthy = engine_->new_store(limits);
  auto answer = export_func(*healthy, kSpin, "answer");
  ASSERT_TRUE(answer);

  Result<void> spun;
  std::chrono::steady_clock::duration took{};
  std::thread runner([&] {
    const auto start = std::chrono::steady_clock::now();
    spun = spin->call(nullptr, nullptr);
    took = std::chrono::steady_clock::now() - start;
  });
  // Other stores (and the host) keep working meanwhile.
  int answered = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = invoke(*answer);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)[0], 42u);
    ++answered;
    std::this_thread::sleep_for(5ms);
  }
  runner.join();
  EXPECT_EQ(answered, 20);
  ASSERT_TRAP(spun, TrapKind::DeadlineExceeded);
  EXPECT_EQ(spun.error().message, "deadline exceeded");
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(spinning->poisoned());
  EXPECT_TRAP(invoke(*as_func(spin_instance->get_export("answer"))), TrapKind::Poisoned);
  EXPECT_FALSE(healthy->poisoned());
  EXPECT_TRUE(invoke(*answer).ok());
}

TEST_P(EngineTest, DeadlineAppliesPerEntry) {
  StoreLimits limits;
  limits.deadline = 200ms;
  auto store = engine_->new_store(limits);
  auto instance = instantiate(*store, R"(
    (module
      (func (export "work") (param i32)
        (loop $l (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br_if $l (local.get 0)))))
  )");
  ASSERT_TRUE(instance);
  auto work = as_func(instance->get_export("work"));
  // Many short calls whose sum is far above the deadline.
  const auto start = std::chrono::steady_clock::now();
  int calls = 0;
  while (std::chrono::steady_clock::now() - start < 400ms) {
    ASSERT_TRUE(invoke(*work, {10000}).ok());
    ++calls;
  }
  EXPECT_GT(calls, 1);
}

TEST_P(EngineTest, DeadlineDoesNotCountTimeInHostFunctions) {
  StoreLimits limits;
  limits.deadline = 200ms;
  auto store = engine_->new_store(limits);
  auto sleepy = store->host_func(FuncType{}, [](const Slot*, Slot*) -> Result<void> {
    std::this_thread::sleep_for(300ms);
    return {};
  });
  auto f = instantiate(*store, R"(
    (module (import "h" "sleep" (func $s)) (func (export "f") (result i32) (call $s) (i32.const 1)))
  )",
                       {sleepy});
  ASSERT_TRUE(f);
  auto r = invoke(*as_func(f->get_export("f")));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(store->poisoned());
}

TEST_P(EngineTest, DeadlineInNestedCallUnwindsTheOuterCall) {
  StoreLimits limits;
  limits.deadline = 200ms;
  auto store = engine_->new_store(limits);
  std::shared_ptr<Func> spin;
  auto host = store->host_func(FuncType{}, [&](const Slot*, Slot*) -> Result<void> {
    auto r = spin->call(nullptr, nullptr);
    EXPECT_TRAP(r, TrapKind::DeadlineExceeded);
    return {};  // even when the host ignores it, the outer call must not go on
  });
  auto instance = instantiate(*store, R"(
    (module
      (import "h" "h" (func $h))
      (func (export "spin") (loop $l (br $l)))
      (func (export "outer") (result i32) (call $h) (i32.const 1)))
  )",
                              {host});
  ASSERT_TRUE(instance);
  spin = as_func(instance->get_export("spin"));
  auto r = invoke(*as_func(instance->get_export("outer")));
  EXPECT_TRAP(r, TrapKind::DeadlineExceeded);
  EXPECT_TRUE(store->poisoned());
}

TEST_P(EngineTest, TrapsOnFourThreadsAtOnce) {
  auto module = compile(R"(
    (module
      (memory 1)
      (func $r (export "recurse") (call $r))
      (func (export "oob") (drop (i32.load (i32.const 70000))))
      (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0))))
  )");
  ASSERT_TRUE(module);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto store = engine_->new_store();
        auto instance = store->instantiate(*module, {});
        if (!instance) {
          ++failures;
          continue;
        }
        auto div = as_func((*instance)->get_export("div"));
        Slot arg = 5, result = 0;
        if (!div->call(&arg, &result).ok() || result != 20) ++failures;
        const char* which = (i + t) % 3 == 0 ? "recurse" : (i + t) % 3 == 1 ? "oob" : "div";
        const TrapKind expected = (i + t) % 3 == 0   ? TrapKind::StackExhausted
                                  : (i + t) % 3 == 1 ? TrapKind::MemoryOutOfBounds
                                                     : TrapKind::IntegerDivideByZero;
        arg = 0;
        auto f = as_func((*instance)->get_export(which));
        Result<void> r =
            f->type().params.empty() ? f->call(nullptr, nullptr) : f->call(&arg, &result);
        if (r.ok() || trap_kind(r.error()) != expected) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_P(EngineTest, TrapAfterFiberSuspendedInHostFunctionIsResumed) {
  namespace ctx = boost::context;
  auto store = engine_->new_store();
  ctx::fiber to_main;
  int suspensions = 0;
  auto wait = store->host_func(FuncType{{}, {ValType::I32}}, [&](const Slot*, Slot* results) {
    ++suspensions;
    to_main = std::move(to_main).resume();  // suspend the guest call; the main side resumes us
    results[0] = 0;
    return Result<void>();
  });
  auto instance = instantiate(*store, R"(
    (module
      (import "h" "wait" (func $wait (result i32)))
      (memory 1)
      (func (export "run") (drop (i32.load (i32.add (call $wait) (i32.const 65536))))))
  )",
                              {wait});
  ASSERT_TRUE(instance);
  auto run = as_func(instance->get_export("run"));

  // Another store runs guest code on this thread while the first call is suspended.
  auto other = engine_->new_store();
  auto other_instance = instantiate(*other, R"(
    (module (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 9) (local.get 0))))
  )");
  ASSERT_TRUE(other_instance);
  auto div = as_func(other_instance->get_export("div"));

  Result<void> outcome;
  bool finished = false;
  ctx::fiber guest{[&](ctx::fiber&& main_side) {
    to_main = std::move(main_side);
    outcome = run->call(nullptr, nullptr);
    finished = true;
    return std::move(to_main);
  }};
  guest = std::move(guest).resume();
  ASSERT_EQ(suspensions, 1);
  ASSERT_FALSE(finished);

  auto quotient = invoke(*div, {3});
  ASSERT_TRUE(quotient.ok());
  EXPECT_EQ((*quotient)[0], 3u);
  EXPECT_TRAP(invoke(*div, {0}), TrapKind::IntegerDivideByZero);

  guest = std::move(guest).resume();
  ASSERT_TRUE(finished);
  EXPECT_TRAP(outcome, TrapKind::MemoryOutOfBounds);
  EXPECT_TRUE(store->poisoned());
}

// ---- exception handling ------------------------------------------------------------------------

constexpr std::string_view kTagModule = R"((module (tag (export "t") (param i32))))";
constexpr std::string_view kThrower = R"(
  (module
    (import "tag" "t" (tag $t (param i32)))
    (func (export "throw") (param i32) (throw $t (local.get 0))))
)";

std::shared_ptr<Tag> as_tag(const std::optional<Extern>& e) {
  if (!e || kind_of(*e) != ExternKind::Tag) return nullptr;
  return std::get<std::shared_ptr<Tag>>(*e);
}

TEST_P(EngineTest, ThrowsAreCaughtAcrossInstancesAndLocalsSurvive) {
  auto store = engine_->new_store();
  auto tag_instance = instantiate(*store, kTagModule);
  ASSERT_TRUE(tag_instance);
  auto tag = as_tag(tag_instance->get_export("t"));
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->type().params, std::vector<ValType>{ValType::I32});
  auto thrower = instantiate(*store, kThrower, {tag});
  ASSERT_TRUE(thrower);
  auto catcher = instantiate(*store, R"(
    (module
      (import "tag" "t" (tag $t (param i32)))
      (import "thrower" "throw" (func $throw (param i32)))
      (func (export "run") (param $x i32) (result i32)
        (local $before i32) (local $inside i64)
        (local.set $before (i32.const 1000))
        (try (result i32)
          (do
            (local.set $inside (i64.const 20000))
            (call $throw (local.get $x))
            (i32.const -1))
          (catch $t)
          (catch_all (i32.const -2)))
        (i32.add (local.get $before))
        (i32.add (i32.wrap_i64 (local.get $inside)))))
  )",
                             {tag, *thrower->get_export("throw")});
  ASSERT_TRUE(catcher);
  auto run = as_func(catcher->get_export("run"));
  for (Slot x : {7u, 42u}) {
    auto r = invoke(*run, {x});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)[0], x + 1000 + 20000);
  }
}

TEST_P(EngineTest, ReexportedTagsAndTagsWithSeveralValues) {
  auto store = engine_->new_store();
  auto owner = instantiate(*store, R"((module (tag (export "big-tag") (param i64 f64 i32))))");
  ASSERT_TRUE(owner);
  auto tag = as_tag(owner->get_export("big-tag"));
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->type().params, (std::vector<ValType>{ValType::I64, ValType::F64, ValType::I32}));
  // A module that only passes the tag on: its export is the imported tag itself.
  auto relay = instantiate(*store, R"(
    (module
      (import "owner" "big-tag" (tag $t (param i64 f64 i32)))
      (export "again" (tag $t)))
  )",
                           {tag});
  ASSERT_TRUE(relay);
  auto again = as_tag(relay->get_export("again"));
  ASSERT_TRUE(again);
  auto user = instantiate(*store, R"(
    (module
      (import "relay" "again" (tag $t (param i64 f64 i32)))
      (func $throw (param i32) (throw $t (i64.const 40000000000) (f64.const 2.5) (local.get 0)))
      (func (export "run") (param i32) (result i64)
        (local $a i64) (local $b f64) (local $c i32)
        (try (result i64 f64 i32)
          (do (call $throw (local.get 0)) (unreachable))
          (catch $t))
        (local.set $c)
        (local.set $b)
        (local.set $a)
        (i64.add (i64.add (local.get $a) (i64.trunc_f64_u (local.get $b)))
                 (i64.extend_i32_u (local.get $c)))))
  )",
                          {again});
  ASSERT_TRUE(user);
  auto r = invoke(*as_func(user->get_export("run")), {7});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 40000000000ull + 2 + 7);
}

TEST_P(EngineTest, RethrowAndDelegateReachTheOuterHandler) {
  auto store = engine_->new_store();
  auto instance = instantiate(*store, R"(
    (module
      (tag $t (param i32))
      (tag $other)
      (func $throw (param i32) (throw $t (local.get 0)))
      (func (export "rethrown") (param i32) (result i32)
        (try (result i32)
          (do
            (try (do (call $throw (local.get 0)))
              (catch $t (drop) (rethrow 0)))
            (i32.const -1))
          (catch $t (i32.add (i32.const 100)))))
      (func (export "delegated") (param i32) (result i32)
        (try (result i32)
          (do
            (try (do (call $throw (local.get 0))) (delegate 0))
            (i32.const -1))
          (catch $t (i32.add (i32.const 200)))))
      (func (export "unmatched") (result i32)
        (try (result i32)
          (do
            (try (do (throw $other)) (catch $t (drop)))
            (i32.const -1))
          (catch_all (i32.const 300)))))
  )");
  ASSERT_TRUE(instance);
  auto rethrown = invoke(*as_func(instance->get_export("rethrown")), {5});
  auto delegated = invoke(*as_func(instance->get_export("delegated")), {6});
  auto unmatched = invoke(*as_func(instance->get_export("unmatched")));
  ASSERT_TRUE(rethrown.ok() && delegated.ok() && unmatched.ok());
  EXPECT_EQ((*rethrown)[0], 105u);
  EXPECT_EQ((*delegated)[0], 206u);
  EXPECT_EQ((*unmatched)[0], 300u);
}

TEST_P(EngineTest, TagsAreGenerativePerInstance) {
  auto store = engine_->new_store();
  auto tag_a = instantiate(*store, kTagModule);
  auto tag_b = instantiate(*store, kTagModule);
  ASSERT_TRUE(tag_a && tag_b);
  auto a = as_tag(tag_a->get_export("t"));
  auto b = as_tag(tag_b->get_export("t"));
  EXPECT_NE(a, b);
  auto thrower_a = instantiate(*store, kThrower, {a});
  auto thrower_b = instantiate(*store, kThrower, {b});
  ASSERT_TRUE(thrower_a && thrower_b);
  auto catcher = instantiate(*store, R"(
    (module
      (import "tag" "t" (tag $t (param i32)))
      (import "a" "throw" (func $a (param i32)))
      (import "b" "throw" (func $b (param i32)))
      (func (export "run-a") (param i32) (result i32)
        (try (result i32) (do (call $a (local.get 0)) (i32.const -1))
          (catch $t) (catch_all (i32.const 77))))
      (func (export "run-b") (param i32) (result i32)
        (try (result i32) (do (call $b (local.get 0)) (i32.const -1))
          (catch $t) (catch_all (i32.const 77)))))
  )",
                             {a, *thrower_a->get_export("throw"), *thrower_b->get_export("throw")});
  ASSERT_TRUE(catcher);
  auto run_a = invoke(*as_func(catcher->get_export("run-a")), {5});
  auto run_b = invoke(*as_func(catcher->get_export("run-b")), {5});
  ASSERT_TRUE(run_a.ok() && run_b.ok());
  EXPECT_EQ((*run_a)[0], 5u) << "the catch names the very tag the throw used";
  EXPECT_EQ((*run_b)[0], 77u) << "another instance's tag reaches catch_all only";
}

TEST_P(EngineTest, AnUncaughtExceptionTrapsTheEntryAndPoisonsTheStore) {
  auto store = engine_->new_store();
  auto tag = as_tag(instantiate(*store, kTagModule)->get_export("t"));
  auto thrower = instantiate(*store, kThrower, {tag});
  ASSERT_TRUE(thrower);
  auto r = invoke(*as_func(thrower->get_export("throw")), {1});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("uncaught exception"), std::string::npos) << r.error().message;
  EXPECT_TRUE(store->poisoned());
}

// A throw inside a nested entry (guest -> host -> guest) must end that entry, never land in a
// handler of the guest code below the host function.
TEST_P(EngineTest, AnExceptionNeverCrossesAHostFunction) {
  auto store = engine_->new_store();
  auto tag = as_tag(instantiate(*store, kTagModule)->get_export("t"));
  auto thrower = instantiate(*store, kThrower, {tag});
  ASSERT_TRUE(thrower);
  auto throw_fn = as_func(thrower->get_export("throw"));
  std::string seen_by_host;
  auto host = store->host_func(FuncType{}, [&](const Slot*, Slot*) -> Result<void> {
    Slot value = 9;
    auto nested = throw_fn->call(&value, nullptr);
    if (nested) return {};
    seen_by_host = nested.error().message;
    return nested;
  });
  auto outer = instantiate(*store, R"(
    (module
      (import "host" "h" (func $h))
      (func (export "run") (result i32)
        (try (result i32) (do (call $h) (i32.const 1)) (catch_all (i32.const 2)))))
  )",
                           {host});
  ASSERT_TRUE(outer);
  auto r = invoke(*as_func(outer->get_export("run")));
  ASSERT_FALSE(r.ok()) << "the guest's catch_all caught an exception from beyond the host";
  EXPECT_NE(seen_by_host.find("uncaught exception"), std::string::npos) << seen_by_host;
}

// Frames a throw unwinds never run their epilogues; the call-depth budget must not leak.
TEST_P(EngineTest, CaughtThrowsFromDeepCallsDoNotUseUpTheCallDepth) {
  StoreLimits limits;
  limits.max_call_depth = 1000;
  auto store = engine_->new_store(limits);
  auto instance = instantiate(*store, R"(
    (module
      (tag $t (param i32))
      (func $deep (param i32)
        (if (i32.eqz (local.get 0)) (then (throw $t (i32.const 3))))
        (call $deep (i32.sub (local.get 0) (i32.const 1))))
      (func (export "run") (param $n i32) (result i32)
        (local $sum i32)
        (loop $again
          (try (do (call $deep (i32.const 100)))
            (catch $t (local.set $sum (i32.add (local.get $sum)))))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br_if $again (local.get $n)))
        (local.get $sum)))
  )");
  ASSERT_TRUE(instance);
  auto r = invoke(*as_func(instance->get_export("run")), {500});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0], 1500u);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest,
                         ::testing::Values(EngineKind::Interp, EngineKind::Aot),
                         [](const ::testing::TestParamInfo<EngineKind>& info) {
                           return kind_name(info.param);
                         });

}  // namespace
}  // namespace actr::wasm
