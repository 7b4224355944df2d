// Tiered execution: a node answers at once on the interpreter, compiles its components in the
// background, and moves each actor to the compiled code between two calls, keeping what the
// actor holds (memory, globals, WASI resource handles). A node whose code is cached starts on it.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "actr/wasm/engine.hpp"
#include "node_fixture.hpp"
#include "support/missing.hpp"
#include "wasm/aot/aot_engine.hpp"

namespace actr::test {
namespace {

using namespace std::chrono_literals;

class TieredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!wasm::aot_compiler_available()) ACTR_SKIP_MISSING("no C compiler: nothing to tier up to");
    for (const char* g : {"wasi_probe", "runtime_probe"}) {
      if (!std::filesystem::exists(guest_path(g))) ACTR_SKIP_MISSING(g << ".wasm was not built");
    }
    dir_ = fresh_dir(std::string("tiered-") +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    options_.engine_cache_dir = dir_ / "cache";  // cold: every component compiles
  }
  void TearDown() override {
    if (node_) node_->stop();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string toml() const {
    return "engine = \"tiered\"\nworkers = 1\n" + probe_actor("alpha") +
           "[[actors]]\nname = \"wasi\"\ncomponent = \"" + guest_path("wasi_probe").string() +
           "\"\n";
  }
  std::string call(const std::string& target, const std::string& route,
                   const std::string& payload = "") {
    return text(node_->call_sync(target, route, bytes(payload)));
  }
  bool wait_for_tier(const char* tier, std::chrono::seconds timeout = 300s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      bool all = true;
      for (auto& a : node_->actors()) all &= std::string(a->tier()) == tier;
      if (all) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  std::filesystem::path dir_;
  runtime::NodeOptions options_;
  std::unique_ptr<runtime::Node> node_;
};

TEST_F(TieredTest, ActorsAnswerOnTheInterpreterThenMoveToCompiledCodeKeepingTheirState) {
  auto began = std::chrono::steady_clock::now();
  node_ = start_node(toml(), dir_, options_);
  ASSERT_TRUE(node_);
  // Answers before any compile could have finished.
  EXPECT_EQ(call("alpha", "count"), "1");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  for (auto& a : node_->actors()) EXPECT_STREQ(a->tier(), "interp") << a->label();
  EXPECT_EQ(call("alpha", "count"), "2");
  EXPECT_EQ(call("alpha", "count"), "3");
  // A WASI stream handle opened on the interpreter (the libc adapter keeps it).
  EXPECT_EQ(call("wasi", "print", "before the switch"), "ok");
  ASSERT_TRUE(wait_for_tier("aot")) << "the background compile never finished";
  // Linear memory, globals (the shadow stack pointer) and the stream handle came along.
  EXPECT_EQ(call("alpha", "count"), "4");
  EXPECT_EQ(call("wasi", "print", "after the switch"), "ok");
  EXPECT_EQ(call("wasi", "random").size(), 32u);
  EXPECT_EQ(call("alpha", "echo", "fast now"), "fast now");
  for (auto& a : node_->actors()) EXPECT_EQ(a->tier_ups(), 1u) << a->label();
  EXPECT_EQ(node_->find(1)->restarts(), 0u);

  // A node started again on the warm cache runs compiled code from the first call.
  node_->stop();
  node_.reset();
  std::filesystem::remove_all(dir_ / "actr-data");
  node_ = start_node(toml(), dir_, options_);
  ASSERT_TRUE(node_);
  for (auto& a : node_->actors()) EXPECT_STREQ(a->tier(), "aot") << a->label();
  EXPECT_EQ(call("alpha", "count"), "1");
}

TEST_F(TieredTest, ATrappedActorRestartsOnTheNewestTier) {
  node_ =
      start_node(toml() + "restart = { backoff_ms = 1 }\nmailbox = \"memory\"\n", dir_, options_);
  ASSERT_TRUE(node_);
  ASSERT_TRUE(wait_for_tier("aot"));
  EXPECT_EQ(call("wasi", "exit", "1").rfind("internal:", 0), 0u);
  std::string back;
  for (int i = 0; i < 200 && back != "ok"; ++i) {
    back = call("wasi", "print", "restarted");
    if (back != "ok") std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(back, "ok");
  EXPECT_STREQ(node_->actors()[1]->tier(), "aot");
}

// Stopping a node while its components compile does not wait for the compiler.
TEST_F(TieredTest, StoppingTheNodeCancelsTheBackgroundCompile) {
  std::filesystem::create_directories(dir_);
  auto slow = dir_ / "slow-cc";
  {
    std::ofstream script(slow);
    script << "#!/bin/sh\n[ \"$1\" = --version ] && exec cc --version\n"
           << "echo $$ > " << (dir_ / "compiling").string() << "\nexec sleep 60\n";
  }
  std::filesystem::permissions(slow, std::filesystem::perms::owner_all);
  ::setenv("CC", slow.c_str(), 1);
  node_ = start_node(toml(), dir_, options_);
  ::unsetenv("CC");
  ASSERT_TRUE(node_);
  for (int i = 0; i < 1000 && !std::filesystem::exists(dir_ / "compiling"); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(std::filesystem::exists(dir_ / "compiling"));
  EXPECT_EQ(call("alpha", "echo", "still answering"), "still answering");
  auto began = std::chrono::steady_clock::now();
  node_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
  for (auto& a : node_->actors()) EXPECT_STREQ(a->tier(), "interp");
}

}  // namespace
}  // namespace actr::test
