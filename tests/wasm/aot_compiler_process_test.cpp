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

#include "support/missing.hpp"
#include "support/wat.hpp"
#include "wasm/aot/aot_engine.hpp"
#include "wasm/engine.hpp"

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

// A "compiler" script that records what it was started with, then runs the real one.
fs::path recording_compiler(const fs::path& dir) {
  fs::path script = dir / "recording-cc";
  std::ofstream(script) << "#!/bin/sh\n"
                        << "grep -E '^(SigBlk|SigIgn):' /proc/$$/status > " << (dir / "seen")
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
