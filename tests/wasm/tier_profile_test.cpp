// Profile-guided compiles: the interpreter records which functions ran (sampling its call stack
// between chunks of instructions), and the aot engine puts the functions a profile did not see
// into translation units of their own, compiled at -O0 when the module is huge.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "actr/wasm/engine.hpp"
#include "support/missing.hpp"
#include "support/wat.hpp"
#include "wasm/aot/aot_engine.hpp"
#include "wasm/aot/c_translation.hpp"
#include "wasm/aot/c_units.hpp"
#include "wasm/aot/glue_writer.hpp"

namespace actr::wasm {
namespace {

namespace fs = std::filesystem;

struct Scratch {
  Scratch() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() /
           ("actr-profile-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Scratch() { fs::remove_all(path); }
  fs::path path;
};

// $spin loops long enough to outlast many chunks of the interpreter; $idle never runs.
constexpr const char* kSpinModule = R"((module
  (func $idle (export "idle") (result i32) (i32.const 7))
  (func $spin (param $n i32) (result i32) (local $acc i32)
    (loop $again
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $acc))
  (func (export "run") (param i32) (result i32) (call $spin (local.get 0)))
))";

TEST(InterpProfile, SamplesTheFunctionsOnTheStackOfALongCall) {
  auto engine = make_engine(EngineKind::Interp, {});
  ASSERT_TRUE(engine.ok());
  auto module = (*engine)->compile(test::wat_to_wasm(kSpinModule));
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_TRUE((*module)->sampled_functions().empty()) << "nothing ran yet";
  auto store = (*engine)->new_store();
  auto instance = store->instantiate(**module, {});
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  auto run = std::get<std::shared_ptr<Func>>(*(*instance)->get_export("run"));
  Slot args[1] = {200000};  // ~1.2 million instructions
  Slot results[1] = {};
  ASSERT_TRUE(run->call(args, results).ok());
  // $spin (1) was running and the export (2) was its caller at every sample; $idle (0) never ran.
  EXPECT_EQ((*module)->sampled_functions(), (std::vector<uint32_t>{1, 2}));
}

TEST(InterpProfile, ShortCallsLeaveNoSamples) {
  auto engine = make_engine(EngineKind::Interp, {});
  ASSERT_TRUE(engine.ok());
  auto module = (*engine)->compile(test::wat_to_wasm(kSpinModule));
  ASSERT_TRUE(module.ok());
  auto store = (*engine)->new_store();
  auto instance = store->instantiate(**module, {});
  ASSERT_TRUE(instance.ok());
  auto run = std::get<std::shared_ptr<Func>>(*(*instance)->get_export("run"));
  Slot args[1] = {10};
  Slot results[1] = {};
  ASSERT_TRUE(run->call(args, results).ok());
  EXPECT_EQ(results[0], 55u);
  EXPECT_TRUE((*module)->sampled_functions().empty());
}

// Forty small functions $f0..$f39 (defined functions 1..40), each calling the previous one.
std::string chain_module() {
  std::string wat = "(module\n  (func $first (export \"first\") (result i32) (i32.const 1))\n";
  for (int i = 0; i < 40; ++i) {
    wat += "  (func $f" + std::to_string(i) + " (param i32) (result i32) (i32.add (local.get 0) " +
           (i == 0 ? std::string("(i32.const 1)")
                   : "(call $f" + std::to_string(i - 1) + " (local.get 0))") +
           "))\n";
  }
  wat += "  (func (export \"chain\") (param i32) (result i32) (call $f39 (local.get 0))))\n";
  return wat;
}

// The functions a unit defines. The translation reads no debug names, so wasm2c names each
// function after its index: w2c_f12 is function 12.
std::set<std::string> defined_in(const std::string& unit) {
  std::set<std::string> names;
  static const std::regex definition(R"(\bw2c_(\w+)\([^;{]*\) \{)");
  for (std::sregex_iterator it(unit.begin(), unit.end(), definition), end; it != end; ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

TEST(AotCodeUnits, ColdUnitsHoldTheFunctionsThatNeitherRanNorAreCalledByOnesThatRan) {
  auto c = aot::translate_to_c(test::wat_to_wasm(chain_module()), aot::kGeneratedModuleName,
                               aot::kGeneratedHeaderName);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->defined_functions, 42u);
  // Every third function of the chain ran; each of them calls the one before it, which is then
  // optimized too.
  std::vector<bool> hot(c->defined_functions, false);
  std::set<std::string> hot_names;
  for (int i = 0; i < 40; i += 3) {
    hot[1 + i] = true;
    hot_names.insert("f" + std::to_string(1 + i));
    if (i > 0) hot_names.insert("f" + std::to_string(i));
  }
  auto units = aot::split_into_units(c->source, 1024, hot);
  ASSERT_TRUE(units.ok()) << units.error().message;
  std::set<std::string> seen_hot, seen_cold;
  size_t cold_units = 0;
  for (size_t u = 1; u < units->size(); ++u) {
    const aot::CUnit& unit = (*units)[u];
    cold_units += unit.cold ? 1 : 0;
    for (const std::string& name : defined_in(unit.source)) {
      EXPECT_EQ(hot_names.count(name) == 0, unit.cold) << name << " in unit " << u;
      (unit.cold ? seen_cold : seen_hot).insert(name);
    }
  }
  EXPECT_EQ(seen_hot, hot_names);
  EXPECT_EQ(seen_hot.size() + seen_cold.size(), 42u) << "a function was lost or duplicated";
  EXPECT_GT(cold_units, 0u);
  EXPECT_FALSE((*units)[0].cold) << "unit 0 holds the module's own code";

  // A profile of another module (another function count) is ignored: no unit is cold.
  auto unprofiled = aot::split_into_units(c->source, 1024, std::vector<bool>(41, true));
  ASSERT_TRUE(unprofiled.ok());
  for (const aot::CUnit& unit : *unprofiled) EXPECT_FALSE(unit.cold);
}

// A compiler that records the optimization flag of each translation unit, then runs cc.
fs::path flag_recording_compiler(const fs::path& dir) {
  fs::path script = dir / "flags-cc";
  std::ofstream(script) << "#!/bin/sh\n"
                        << "for a in \"$@\"; do case \"$a\" in -O*) echo \"$a\" >> "
                        << (dir / "flags") << ";; esac; done\n"
                        << "exec cc \"$@\"\n";
  fs::permissions(script, fs::perms::owner_all);
  return script;
}

std::multiset<std::string> lines_of(const fs::path& file) {
  std::multiset<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

TEST(AotCodeUnits, AHugeModuleCompilesTheFunctionsAProfileDidNotSeeAtO0) {
  if (!aot_compiler_available()) ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
  Scratch dir;
  auto bytes = test::wat_to_wasm(chain_module());
  EngineOptions options;
  options.cache_dir = dir.path / "cache";
  options.c_compiler = flag_recording_compiler(dir.path).string();
  auto engine = make_engine(EngineKind::Aot, options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  CompileHints hints;
  int asked = 0;
  hints.hot_functions = [&] {
    ++asked;
    return std::vector<uint32_t>{41, 40, 39};  // the export and the last two of the chain
  };
  ::setenv("ACTR_AOT_UNIT_KB", "1", 1);  // 1 KB units: more than the huge-module threshold
  fs::remove(dir.path / "flags");
  auto module = (*engine)->compile(bytes, hints);
  ::unsetenv("ACTR_AOT_UNIT_KB");
  ASSERT_TRUE(module.ok()) << module.error().message;
  EXPECT_EQ(asked, 1);
  auto flags = lines_of(dir.path / "flags");
  EXPECT_GT(flags.count("-O0"), 2u) << "cold units were optimized";
  EXPECT_GE(flags.count("-O1"), 2u) << "unit 0 and the hot unit are optimized";
  EXPECT_EQ(flags.count("-O2"), 0u) << "a huge module's units compile at -O1 at most";

  // The mixed code computes what the interpreter does.
  auto store = (*engine)->new_store();
  auto instance = store->instantiate(**module, {});
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  auto chain = std::get<std::shared_ptr<Func>>(*(*instance)->get_export("chain"));
  Slot args[1] = {100};
  Slot results[1] = {};
  ASSERT_TRUE(chain->call(args, results).ok());
  EXPECT_EQ(results[0], 4001u);  // $f39(x) = 40x + 1
}

}  // namespace
}  // namespace actr::wasm
