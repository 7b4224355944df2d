// The C compiler as a process: started with a clean signal mask and at a lower priority, killed
// (with its children) by cancel_compiles(); the code cache keeps under its size cap, dropping the
// least recently used objects.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "actr/wasm/engine.hpp"
#include "support/missing.hpp"
#include "support/wat.hpp"
#include "wasm/aot/aot_engine.hpp"

namespace actr::wasm {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Scratch {
  Scratch() {
    static std::atomic<int> n{0};
    path = fs::temp_directory_path() /
           ("actr-cc-proc-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Scratch() { fs::remove_all(path); }
  fs::path path;
};

std::vector<uint8_t> module_with_seed(uint64_t seed) {
  return test::wat_to_wasm("(module (func (export \"seed\") (result i64) (i64.const " +
                           std::to_string(seed) + ")))");
}

uint64_t fresh_seed() {
  return static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

// A "compiler" script that records what it was started with, then runs the real one. The mask is
// read with builtins before the shell forks anything: dash blocks every signal for a moment
// around each fork, so a child reading the shell's mask (grep /proc/$$/status) may see that.
fs::path recording_compiler(const fs::path& dir) {
  fs::path script = dir / "recording-cc";
  std::ofstream(script) << "#!/bin/sh\n"
                        << "while IFS= read -r line; do case \"$line\" in SigBlk:*|SigIgn:*) "
                        << "echo \"$line\";; esac; done < /proc/$$/status > " << (dir / "seen")
                        << "\n"
                        << "awk '{print \"nice \" $19}' /proc/$$/stat >> " << (dir / "seen") << "\n"
                        << "exec cc \"$@\"\n";
  fs::permissions(script, fs::perms::owner_all);
  return script;
}

TEST(AotCompilerProcess, RunsWithACleanSignalMaskAtLowerPriority) {
  if (!aot_compiler_available()) ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
  Scratch dir;
  // The caller blocks SIGINT and SIGTERM, as `actr run` does: the compiler must not inherit that.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  EngineOptions options;
  options.cache_dir = dir.path / "cache";
  options.c_compiler = recording_compiler(dir.path).string();
  auto engine = make_engine(EngineKind::Aot, options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  auto module = (*engine)->compile(module_with_seed(fresh_seed()));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  ASSERT_TRUE(module.ok()) << module.error().message;
  std::ifstream in(dir.path / "seen");
  std::stringstream seen;
  seen << in.rdbuf();
  EXPECT_NE(seen.str().find("SigBlk:\t0000000000000000"), std::string::npos) << seen.str();
  EXPECT_NE(seen.str().find("SigIgn:\t0000000000000000"), std::string::npos) << seen.str();
  EXPECT_NE(seen.str().find("nice 10"), std::string::npos) << seen.str();
}

TEST(AotCompilerProcess, CancelKillsARunningCompileAtOnce) {
  if (!aot_compiler_available()) ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
  Scratch dir;
  // A "compiler" that would take a minute, with a child of its own (as cc runs cc1).
  fs::path slow = dir.path / "slow-cc";
  std::ofstream(slow) << "#!/bin/sh\n[ \"$1\" = --version ] && exec cc --version\n"
                      << "echo $$ > " << (dir.path / "pid") << "\nsleep 60 &\n"
                      << "echo $! > " << (dir.path / "child") << "\nwait\n";
  fs::permissions(slow, fs::perms::owner_all);
  EngineOptions options;
  options.cache_dir = dir.path / "cache";
  options.c_compiler = slow.string();
  auto engine = make_engine(EngineKind::Aot, options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  auto began = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    while (!fs::exists(dir.path / "child")) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(50ms);
    cancel_compiles();
  });
  auto module = (*engine)->compile(module_with_seed(fresh_seed()));
  canceller.join();
  ASSERT_FALSE(module.ok());
  EXPECT_NE(module.error().message.find("compile cancelled"), std::string::npos)
      << module.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - began, 10s);
  // The driver and its child are gone.
  for (const char* file : {"pid", "child"}) {
    pid_t pid = 0;
    std::ifstream(dir.path / file) >> pid;
    ASSERT_GT(pid, 0);
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
      std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
      std::string text;
      std::getline(stat, text);
      gone = !stat || text.find(") Z ") != std::string::npos;  // exited, or a zombie of init
      if (!gone) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(gone) << file << " " << pid << " still runs";
  }
  // Later compiles fail at once until compiles are allowed again.
  auto again = (*engine)->compile(module_with_seed(fresh_seed()));
  EXPECT_FALSE(again.ok());
  allow_compiles();
}

TEST(AotCodeCache, KeepsUnderItsCapDroppingTheLeastRecentlyUsed) {
  if (!aot_compiler_available()) ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
  Scratch dir;
  auto objects = [&] {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir.path / "cache" / "aot")) {
      if (e.path().extension() == ".so") out.push_back(e.path());
    }
    return out;
  };
  EngineOptions options;
  options.cache_dir = dir.path / "cache";
  auto engine = make_engine(EngineKind::Aot, options);
  ASSERT_TRUE(engine.ok());
  uint64_t seed = fresh_seed();
  ASSERT_TRUE((*engine)->compile(module_with_seed(seed)).ok());
  auto first = objects();
  ASSERT_EQ(first.size(), 1u);
  uint64_t one = fs::file_size(first[0]);
  // A cap of two and a half objects: the third compile evicts one, the least recently used.
  options.cache_max_bytes = one * 5 / 2;
  auto capped = make_engine(EngineKind::Aot, options);
  ASSERT_TRUE(capped.ok());
  ASSERT_TRUE((*capped)->compile(module_with_seed(seed + 1)).ok());
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE((*capped)->compile(module_with_seed(seed)).ok());  // loads the first: now used
  std::this_thread::sleep_for(20ms);
  ASSERT_TRUE((*capped)->compile(module_with_seed(seed + 2)).ok());
  auto left = objects();
  EXPECT_EQ(left.size(), 2u);
  EXPECT_TRUE(fs::exists(first[0])) << "the recently used object was evicted";
}

}  // namespace
}  // namespace actr::wasm

namespace actr::wasm {
namespace {

// A module big enough to be split into translation units (here forced to 1 KB units) runs as the
// unsplit one does: calls across units, indirect calls, globals, passive data (memory.init, which
// keeps its function in the unit of the segments), multi-value results.
TEST(AotCodeUnits, ASplitModuleRunsAsTheWholeOneDoes) {
  if (!aot_compiler_available()) ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
  std::string wat = R"((module
    (memory (export "mem") 1)
    (global $g (mut i32) (i32.const 7))
    (table 4 funcref)
    (data $passive "actr!")
    (type $t (func (param i32) (result i32)))
    (func $pair (param i32) (result i32 i64) (local.get 0) (i64.const 5))
    (func $init (export "init") (memory.init $passive (i32.const 16) (i32.const 0) (i32.const 5)))
    (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "indirect") (param i32) (result i32)
      (call_indirect (type $t) (i32.const 40) (local.get 0)))
    (func (export "bump") (result i32)
      (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
    (func (export "multi") (param i32) (result i64) (local $b i64)
      local.get 0
      call $pair
      local.set $b
      i64.extend_i32_u
      local.get $b
      i64.add)
))";
  // Forty small functions, each calling the previous one: they land in different units.
  std::string chain;
  for (int i = 0; i < 40; ++i) {
    chain += "(func $f" + std::to_string(i) + " (param i32) (result i32) (i32.add (local.get 0) " +
             (i == 0 ? std::string("(i32.const 1)")
                     : "(call $f" + std::to_string(i - 1) + " (local.get 0))") +
             "))\n";
  }
  chain += "(elem (i32.const 0) $f0 $f9 $f19 $f39)\n";
  chain += "(func (export \"chain\") (param i32) (result i32) (call $f39 (local.get 0)))\n";
  wat.insert(wat.rfind(')'), chain);
  auto bytes = test::wat_to_wasm(wat);
  Scratch dir;
  auto run = [&](EngineKind kind) {
    EngineOptions options;
    options.cache_dir = dir.path / (kind == EngineKind::Aot ? "aot-cache" : "none");
    auto engine = make_engine(kind, options);
    EXPECT_TRUE(engine.ok());
    auto module = (*engine)->compile(bytes);
    EXPECT_TRUE(module.ok()) << module.error().message;
    auto store = (*engine)->new_store();
    auto instance = store->instantiate(**module, {});
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    std::vector<uint64_t> out;
    auto call = [&](const char* name, std::vector<Slot> args) {
      auto f = std::get<std::shared_ptr<Func>>(*(*instance)->get_export(name));
      Slot results[2] = {};
      auto r = f->call(args.data(), results);
      EXPECT_TRUE(r.ok()) << name << ": " << r.error().message;
      out.push_back(results[0]);
    };
    call("init", {});
    call("load", {18});  // 't' of "actr!" at 16 + 2
    call("chain", {100});
    call("indirect", {2});  // $f19
    call("bump", {});
    call("bump", {});
    call("multi", {3});
    return out;
  };
  auto interp = run(EngineKind::Interp);
  ::setenv("ACTR_AOT_UNIT_KB", "1", 1);
  uint64_t before = aot_compiler_invocations();
  auto aot = run(EngineKind::Aot);
  uint64_t compiler_runs = aot_compiler_invocations() - before;
  ::unsetenv("ACTR_AOT_UNIT_KB");
  EXPECT_EQ(aot, interp);
  EXPECT_EQ(interp, (std::vector<uint64_t>{0, 't', 4001, 801, 8, 9, 8}));
  EXPECT_GT(compiler_runs, 5u) << "the module was not split";
}

}  // namespace
}  // namespace actr::wasm
