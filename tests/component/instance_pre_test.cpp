// InstancePre: a component prepared once for a linker's definitions. Instances made from it (the
// first by replaying the definitions, later ones from the recorded tape) are independent: their
// own globals, memory, handle tables and poisoning; host imports are checked when the pre is
// made; the pre keeps the definitions it was made with.
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/trap.hpp"
#include "component_text.hpp"
#include "support/missing.hpp"

namespace actr::component {
namespace {

constexpr const char* kHost = "test:pre/host";

// bump: adds 1 to a global and to the i32 at memory[16], returns global + 1000 * memory[16].
// grab: takes a fresh host `thing` into the instance's handle table, returns the handle.
// release: drops a handle. boom: traps.
constexpr const char* kCounter = R"((component
  (import "test:pre/host" (instance $host
    (export "thing" (type $t (sub resource)))
    (export "make" (func (result (own $t))))
  ))
  (alias export $host "thing" (type $thing))
  (alias export $host "make" (func $make))
  (core func $make_lowered (canon lower (func $make)))
  (core func $drop (canon resource.drop $thing))
  (core module $m
    (import "host" "make" (func $make (result i32)))
    (import "host" "drop" (func $drop (param i32)))
    (global $g (mut i32) (i32.const 0))
    (memory (export "mem") 1)
    (func (export "bump") (result i32)
      (i32.store (i32.const 16) (i32.add (i32.load (i32.const 16)) (i32.const 1)))
      (global.set $g (i32.add (global.get $g) (i32.const 1)))
      (i32.add (global.get $g) (i32.mul (i32.load (i32.const 16)) (i32.const 1000))))
    (func (export "grab") (result i32) (call $make))
    (func (export "release") (param i32) (call $drop (local.get 0)))
    (func (export "boom") unreachable)
  )
  (core instance $hi (export "make" (func $make_lowered)) (export "drop" (func $drop)))
  (core instance $i (instantiate $m (with "host" (instance $hi))))
  (func (export "bump") (result u32) (canon lift (core func $i "bump")))
  (func (export "grab") (result u32) (canon lift (core func $i "grab")))
  (func (export "release") (param "h" u32) (canon lift (core func $i "release")))
  (func (export "boom") (canon lift (core func $i "boom")))
))";

// Defines a resource of its own: instances cannot share its type, so every one is replayed.
constexpr const char* kOwnResource = R"((component
  (type $r (resource (rep i32)))
  (core func $new (canon resource.new $r))
  (core module $m
    (import "r" "new" (func $new (param i32) (result i32)))
    (func (export "make") (result i32) (call $new (i32.const 42)))
  )
  (core instance $ri (export "new" (func $new)))
  (core instance $i (instantiate $m (with "r" (instance $ri))))
  (func (export "make") (result u32) (canon lift (core func $i "make")))
))";

// Host functions with strings lowered with memory and realloc: `shout` (the canonical ABI's
// path) upper-cases a string into the guest's memory, `count` (with the bindings' raw fast path)
// answers a string's length. Each instance's memory and realloc are its own.
constexpr const char* kStrings = R"((component
  (import "test:pre/text" (instance $host
    (export "shout" (func (param "s" string) (result string)))
    (export "count" (func (param "s" string) (result u32)))
  ))
  (alias export $host "shout" (func $shout))
  (alias export $host "count" (func $count))
  (core module $libc_m
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $next))
      (global.set $next (i32.add (global.get $next) (local.get 3)))
      (local.get $p)))
  (core instance $libc (instantiate $libc_m))
  (alias core export $libc "mem" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))
  (core func $shout_lowered (canon lower (func $shout) (memory $mem) (realloc $realloc)))
  (core func $count_lowered (canon lower (func $count) (memory $mem) (realloc $realloc)))
  (core module $m
    (import "libc" "mem" (memory 1))
    (import "host" "shout" (func $shout (param i32 i32 i32)))
    (import "host" "count" (func $count (param i32 i32) (result i32)))
    (global $len (mut i32) (i32.const 5))
    (data (i32.const 16) "hello world")
    (func (export "grow") (global.set $len (i32.add (global.get $len) (i32.const 1))))
    (func (export "shout") (result i32)
      (call $shout (i32.const 16) (global.get $len) (i32.const 64))
      (i32.const 64))
    (func (export "count") (result i32) (call $count (i32.const 16) (global.get $len)))
    (func (export "boom") unreachable))
  (core instance $hi (export "shout" (func $shout_lowered)) (export "count" (func $count_lowered)))
  (core instance $i (instantiate $m (with "libc" (instance $libc)) (with "host" (instance $hi))))
  (func (export "grow") (canon lift (core func $i "grow")))
  (func (export "shout") (result string) (canon lift (core func $i "shout") (memory $mem)))
  (func (export "count") (result u32) (canon lift (core func $i "count")))
  (func (export "boom") (canon lift (core func $i "boom")))
))";

std::string engine_name(const ::testing::TestParamInfo<wasm::EngineKind>& info) {
  return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
}

class InstancePreTest : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    auto engine = wasm::make_engine(GetParam());
    if (!engine) ACTR_SKIP_MISSING(engine.error().message);
    engine_ = std::move(*engine);
  }

  std::shared_ptr<const Component> load(const char* text) {
    auto bin = test::component_from_text(text);
    if (bin.tool_missing) return nullptr;
    EXPECT_TRUE(bin.bytes) << bin.error;
    if (!bin.bytes) return nullptr;
    auto c = Component::load(*engine_, *bin.bytes);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c ? *c : nullptr;
  }

  // The host side of kCounter: `make` hands out reps 100, 101, ...; the destructor records them.
  void define_host(Linker& linker) {
    thing_ = linker.resource(kHost, "thing", [this](uint32_t rep) { dropped_.push_back(rep); });
    FuncType make{{}, {{"", own_of(thing_)}}};
    linker.func(kHost, "make", make,
                [this](std::span<const Value>, std::vector<Value>& out) -> Result<void> {
                  out.push_back(Value::own({thing_, next_rep_++}));
                  return {};
                });
  }

  static Result<uint32_t> call_u32(Instance& inst, const char* name) {
    ACTR_TRY(auto r, inst.call(name, {}));
    if (r.size() != 1) return make_error("expected one result");
    return static_cast<uint32_t>(r[0].u);
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const ResourceType> thing_;
  uint32_t next_rep_ = 100;
  std::vector<uint32_t> dropped_;
};

TEST_P(InstancePreTest, InstancesOfOnePreKeepTheirOwnStateMemoryAndHandles) {
  auto c = load(kCounter);
  if (!c) ACTR_SKIP_MISSING("node or jco unavailable");
  Linker linker(*engine_);
  define_host(linker);
  auto pre = linker.instantiate_pre(*c);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  EXPECT_FALSE((*pre)->replays_tape());

  auto a = (*pre)->instantiate();
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE((*pre)->replays_tape());  // the first instance recorded it
  auto b = (*pre)->instantiate();
  ASSERT_TRUE(b.ok()) << b.error().message;
  auto c2 = (*pre)->instantiate();
  ASSERT_TRUE(c2.ok()) << c2.error().message;

  // Globals and memory: each instance counts from its own initial state.
  for (uint32_t i = 1; i <= 3; ++i) {
    auto r = call_u32(**a, "bump");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, i * 1001);
  }
  auto rb = call_u32(**b, "bump");
  ASSERT_TRUE(rb.ok()) << rb.error().message;
  EXPECT_EQ(*rb, 1001u);

  // Handle tables: the same first handle in each, for different host objects.
  auto ha = call_u32(**a, "grab");
  auto hb = call_u32(**b, "grab");
  ASSERT_TRUE(ha.ok()) << ha.error().message;
  ASSERT_TRUE(hb.ok()) << hb.error().message;
  EXPECT_EQ(*ha, *hb);
  std::vector<Value> arg{Value::u32(*ha)};
  ASSERT_TRUE((*a)->call("release", arg).ok());
  EXPECT_EQ(dropped_, (std::vector<uint32_t>{100}));
  // Dropping it again traps a, and only a.
  auto again = (*a)->call("release", arg);
  EXPECT_FALSE(again.ok());
  EXPECT_TRUE((*a)->poisoned());
  EXPECT_FALSE((*b)->poisoned());
  ASSERT_TRUE((*b)->call("release", arg).ok());
  EXPECT_EQ(dropped_, (std::vector<uint32_t>{100, 101}));

  // A trap in b leaves c2 (made from the same tape) untouched.
  EXPECT_FALSE((*b)->call("boom", {}).ok());
  EXPECT_TRUE((*b)->poisoned());
  EXPECT_FALSE((*c2)->poisoned());
  auto rc = call_u32(**c2, "bump");
  ASSERT_TRUE(rc.ok()) << rc.error().message;
  EXPECT_EQ(*rc, 1001u);
}

TEST_P(InstancePreTest, AnInstanceFromTheTapeTakesOverTheStateOfTheRecordingOne) {
  auto c = load(kCounter);
  if (!c) ACTR_SKIP_MISSING("node or jco unavailable");
  Linker linker(*engine_);
  define_host(linker);
  auto pre = linker.instantiate_pre(*c);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  auto recorded = (*pre)->instantiate();
  ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  ASSERT_TRUE((*pre)->replays_tape());
  ASSERT_TRUE(call_u32(**recorded, "bump").ok());
  ASSERT_TRUE(call_u32(**recorded, "bump").ok());
  auto handle = call_u32(**recorded, "grab");
  ASSERT_TRUE(handle.ok()) << handle.error().message;

  // Both are laid out alike (the same component states and core instances), so the state moves.
  auto taped = (*pre)->instantiate();
  ASSERT_TRUE(taped.ok()) << taped.error().message;
  auto moved = (*taped)->take_state_from(**recorded);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  auto r = call_u32(**taped, "bump");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 3003u);
  std::vector<Value> arg{Value::u32(*handle)};
  ASSERT_TRUE((*taped)->call("release", arg).ok());
  EXPECT_EQ(dropped_, (std::vector<uint32_t>{100}));
}

// A host sets up per-instance state (WASI) only for components importing its interfaces.
TEST_P(InstancePreTest, ImportsWithPrefixSeesOnlyTheComponentsOwnImports) {
  auto counter = load(kCounter);
  auto own = load(kOwnResource);
  if (!counter || !own) ACTR_SKIP_MISSING("node or jco unavailable");
  EXPECT_TRUE(counter->imports_with_prefix("test:pre/"));
  EXPECT_TRUE(counter->imports_with_prefix("test:pre/host"));
  EXPECT_FALSE(counter->imports_with_prefix("wasi:"));
  EXPECT_FALSE(counter->imports_with_prefix("host"));  // a core module's import is not one
  EXPECT_FALSE(own->imports_with_prefix(""));          // imports nothing at all
}

TEST_P(InstancePreTest, AMissingHostFunctionFailsWhenThePreIsMade) {
  auto c = load(kCounter);
  if (!c) ACTR_SKIP_MISSING("node or jco unavailable");
  Linker linker(*engine_);
  linker.resource(kHost, "thing");  // the resource, but no `make`
  auto pre = linker.instantiate_pre(*c);
  ASSERT_FALSE(pre.ok());
  EXPECT_NE(pre.error().message.find("import `test:pre/host#make` is not defined by the host"),
            std::string::npos)
      << pre.error().message;
  // Linker::instantiate reports the same.
  auto inst = linker.instantiate(*c);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(inst.error().message, pre.error().message);
}

TEST_P(InstancePreTest, APreKeepsTheDefinitionsItWasMadeWith) {
  auto c = load(kCounter);
  if (!c) ACTR_SKIP_MISSING("node or jco unavailable");
  Linker linker(*engine_);
  define_host(linker);
  auto pre = linker.instantiate_pre(*c);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  // Redefined afterwards: only instances made by the linker see the new `make`.
  FuncType make{{}, {{"", own_of(thing_)}}};
  linker.func(kHost, "make", make, [](std::span<const Value>, std::vector<Value>&) -> Result<void> {
    return make_error("the new make");
  });
  for (int i = 0; i < 2; ++i) {  // the recording instance, then one from the tape
    auto from_pre = (*pre)->instantiate();
    ASSERT_TRUE(from_pre.ok()) << from_pre.error().message;
    EXPECT_TRUE(call_u32(**from_pre, "grab").ok());
    auto from_linker = linker.instantiate(*c);
    ASSERT_TRUE(from_linker.ok()) << from_linker.error().message;
    auto r = call_u32(**from_linker, "grab");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("the new make"), std::string::npos) << r.error().message;
  }
}

TEST_P(InstancePreTest, DeniedImportsWithResourcesTrapInInstancesFromTheTape) {
  auto c = load(kCounter);
  if (!c) ACTR_SKIP_MISSING("node or jco unavailable");
  Linker linker(*engine_);
  linker.deny_imports("test:pre/", "is denied here");
  auto pre = linker.instantiate_pre(*c);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  for (int i = 0; i < 2; ++i) {  // the recording instance, then one from the tape
    auto inst = (*pre)->instantiate();
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    EXPECT_TRUE((*pre)->replays_tape());
    auto r = call_u32(**inst, "bump");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, 1001u);
    auto grab = call_u32(**inst, "grab");
    ASSERT_FALSE(grab.ok());
    EXPECT_NE(grab.error().message.find("`test:pre/host#make` is denied here"), std::string::npos)
        << grab.error().message;
  }
}

TEST_P(InstancePreTest, ComponentsDefiningResourcesAreReplayedInFull) {
  auto c = load(kOwnResource);
  if (!c) ACTR_SKIP_MISSING("node or jco unavailable");
  Linker linker(*engine_);
  auto pre = linker.instantiate_pre(*c);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  for (int i = 0; i < 2; ++i) {
    auto inst = (*pre)->instantiate();
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    auto h = call_u32(**inst, "make");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_FALSE((*pre)->replays_tape());
  }
}

// An instance from the tape lifts its exports when they are first called (an idle instance's
// exports mostly never are) and keeps what its lowered host functions need in one block: both
// behave as the recording instance's, each instance with its own memory, realloc and state.
TEST_P(InstancePreTest, InstancesFromTheTapeLiftOnFirstCallAndLowerIntoTheirOwnMemory) {
  auto c = load(kStrings);
  if (!c) ACTR_SKIP_MISSING("node or jco unavailable");
  Linker linker(*engine_);
  int raw_calls = 0;
  auto upper = [](std::string s) {
    for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return s;
  };
  linker.func("test:pre/text", "shout",
              {{{"s", primitive(Kind::String)}}, {{"", primitive(Kind::String)}}},
              [&](std::span<const Value> args, std::vector<Value>& out) -> Result<void> {
                out.push_back(Value::string(upper(args[0].str)));
                return {};
              });
  linker.func(
      "test:pre/text", "count", {{{"s", primitive(Kind::String)}}, {{"", primitive(Kind::U32)}}},
      [](std::span<const Value> args, std::vector<Value>& out) -> Result<void> {
        out.push_back(Value::u32(static_cast<uint32_t>(args[0].str.size())));
        return {};
      },
      [&](canonical::GuestMemory&, const wasm::Slot* args, wasm::Slot* results) -> Result<void> {
        ++raw_calls;
        results[0] = args[1];  // the string's length
        return {};
      });
  auto pre = linker.instantiate_pre(*c);
  ASSERT_TRUE(pre.ok()) << pre.error().message;
  auto recorded = (*pre)->instantiate();
  ASSERT_TRUE(recorded.ok()) << recorded.error().message;
  ASSERT_TRUE((*pre)->replays_tape());
  auto a = (*pre)->instantiate();
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = (*pre)->instantiate();
  ASSERT_TRUE(b.ok()) << b.error().message;

  // Before any call: the same names, types and fast paths as the recording instance.
  ASSERT_EQ((*a)->func_names(), (*recorded)->func_names());
  for (const std::string& name : (*recorded)->func_names()) {
    ExportedFunc* want = (*recorded)->func(name);
    ExportedFunc* got = (*a)->func(name);
    ASSERT_TRUE(want && got) << name;
    EXPECT_TRUE(same_func_type(got->type(), want->type())) << name;
    EXPECT_EQ(got->supports_raw(), want->supports_raw()) << name;
    EXPECT_EQ(got, (*a)->func(name)) << name;
  }

  auto shout = [](Instance& inst) -> Result<std::string> {
    ACTR_TRY(auto r, inst.call("shout", {}));
    if (r.size() != 1 || r[0].kind != Kind::String) return make_error("expected a string");
    return r[0].str;
  };
  ASSERT_TRUE((*a)->call("grow", {}).ok());
  auto ra = shout(**a);
  ASSERT_TRUE(ra.ok()) << ra.error().message;
  EXPECT_EQ(*ra, "HELLO ");
  auto rb = shout(**b);
  ASSERT_TRUE(rb.ok()) << rb.error().message;
  EXPECT_EQ(*rb, "HELLO");
  ra = shout(**a);  // lifted once, called again
  ASSERT_TRUE(ra.ok()) << ra.error().message;
  EXPECT_EQ(*ra, "HELLO ");
  auto rr = shout(**recorded);
  ASSERT_TRUE(rr.ok()) << rr.error().message;
  EXPECT_EQ(*rr, "HELLO");

  auto ca = call_u32(**a, "count");
  ASSERT_TRUE(ca.ok()) << ca.error().message;
  EXPECT_EQ(*ca, 6u);
  auto cb = call_u32(**b, "count");
  ASSERT_TRUE(cb.ok()) << cb.error().message;
  EXPECT_EQ(*cb, 5u);
  EXPECT_EQ(raw_calls, 2);

  // A trap poisons b only; an export of b never called before reports it when first called.
  EXPECT_FALSE((*b)->call("boom", {}).ok());
  EXPECT_TRUE((*b)->poisoned());
  auto after = (*b)->call("grow", {});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(wasm::trap_kind(after.error()), wasm::TrapKind::Poisoned);
  EXPECT_FALSE((*a)->poisoned());
  auto again = call_u32(**a, "count");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, 6u);
}

INSTANTIATE_TEST_SUITE_P(Engines, InstancePreTest,
                         ::testing::Values(wasm::EngineKind::Interp, wasm::EngineKind::Aot),
                         engine_name);

}  // namespace
}  // namespace actr::component
