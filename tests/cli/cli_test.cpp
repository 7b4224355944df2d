// End-to-end tests of the `actr` command on the demo component (build/guests/adder.wasm).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support/missing.hpp"
#include "support/run_actr.hpp"

namespace {

using CommandResult = actr::test::CommandRun;

CommandResult run(const std::string& args) { return actr::test::run_actr(args); }

class CliTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    adder_ = std::string(ACTR_BINARY_DIR) + "/guests/adder.wasm";
    if (!std::filesystem::exists(adder_))
      ACTR_SKIP_MISSING("demo guest not built (clang-19/jco missing)");
  }
  std::string invoke(const std::string& call) {
    return std::string("component invoke --engine ") + GetParam() + " " + adder_ + " '" + call +
           "'";
  }
  std::string adder_;
};

TEST_P(CliTest, InvokePrintsResultInWave) {
  CommandResult r = run(invoke("docs:adder/add@0.1.0#add(1, 2)"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "3\n");
}

TEST_P(CliTest, InvokeRoundTripsNonAsciiStrings) {
  CommandResult r = run(invoke("docs:adder/add@0.1.0#greet(\"wörld 🚀\")"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "\"Hello, wörld 🚀!\"\n");
}

TEST_P(CliTest, InvokeRoundTripsBytes) {
  CommandResult r = run(invoke("docs:adder/add@0.1.0#echo([0, 1, 255])"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "[0, 1, 255]\n");
  r = run(invoke("docs:adder/add@0.1.0#echo([])"));
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output, "[]\n");
}

TEST_P(CliTest, UnknownExportIsAOneLineError) {
  CommandResult r = run(invoke("nope(1)"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("error: no exported function `nope`"), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

TEST_P(CliTest, WrongArgumentsAreRejected) {
  CommandResult r = run(invoke("docs:adder/add@0.1.0#add(1)"));
  EXPECT_EQ(r.status, 1) << r.output;
  r = run(invoke("docs:adder/add@0.1.0#add(1, \"x\")"));
  EXPECT_EQ(r.status, 1) << r.output;
  r = run(invoke("docs:adder/add@0.1.0#add(1, 4294967296)"));
  EXPECT_EQ(r.status, 1) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Engines, CliTest, ::testing::Values("aot", "interp"));

TEST(Cli, WitPrintsTheWorld) {
  std::string adder = std::string(ACTR_BINARY_DIR) + "/guests/adder.wasm";
  if (!std::filesystem::exists(adder)) ACTR_SKIP_MISSING("demo guest not built");
  CommandResult r = run("component wit " + adder);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("export docs:adder/add@0.1.0;"), std::string::npos) << r.output;
}

TEST(Cli, MalformedComponentIsRejectedWithOffset) {
  std::string path = std::string(ACTR_BINARY_DIR) + "/cli-test-garbage.wasm";
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  fputs("\0asm\x0d\x00\x01\x00garbage", f);
  fclose(f);
  CommandResult r = run("component invoke " + path + " 'f()'");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("error:"), std::string::npos) << r.output;
  r = run("component invoke /nonexistent.wasm 'f()'");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("cannot open"), std::string::npos) << r.output;
}

}  // namespace

namespace {

// A node whose only actor can never start exits 1 at once with the reason, instead of waiting
// for Ctrl-C with nothing running.
TEST(CliRun, ANodeWhoseActorsCannotStartExitsOneWithTheReason) {
  std::string dir = std::string(ACTR_BINARY_DIR) + "/cli-run-test";
  std::filesystem::create_directories(dir);
  std::string garbage = dir + "/garbage.wasm";
  FILE* f = fopen(garbage.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  fputs("not a component", f);
  fclose(f);
  CommandResult r = run("run " + garbage + " --data-dir " + dir + "/data --log-level off 2>&1");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("garbage#0 (1:1)  local/garbage@0.1.0  failed: cannot load " + garbage),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("error: the node's only actor cannot start"), std::string::npos)
      << r.output;

  // A component that is not a workload of the seed world.
  std::string adder = std::string(ACTR_BINARY_DIR) + "/guests/adder.wasm";
  if (!std::filesystem::exists(adder)) ACTR_SKIP_MISSING("demo guest not built");
  r = run("run " + adder + " --data-dir " + dir + "/data --log-level off 2>&1");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("failed: not an actr workload"), std::string::npos) << r.output;
  std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

// `component wit` of a component that decodes but does not validate: exit 1, reason on stderr.
TEST(Cli, WitOfAnInvalidComponentFails) {
  std::string path = std::string(ACTR_BINARY_DIR) + "/cli-test-invalid.wasm";
  // An alias of export `f` of core instance 0, which does not exist.
  const unsigned char bytes[] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x06,
                                 0x07, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x66};
  FILE* f = fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  fwrite(bytes, 1, sizeof bytes, f);
  fclose(f);
  CommandResult r = run("component wit " + path + " 2>&1");
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("error: " + path + ": invalid component: "), std::string::npos)
      << r.output;
}

}  // namespace

namespace {

// Ctrl-C while `actr run` compiles: the compiler dies at once (it no longer inherits the blocked
// SIGINT), and the node exits at once -- instead of compiling on for minutes. With --engine aot
// the compile happens before the node is ready and the exit says so; with the tiered default the
// node serves on the interpreter meanwhile and stops normally.
struct RunWithSlowCompiler {
  std::filesystem::path dir;
  pid_t pid = -1;
  pid_t compiler = 0;
  std::string log;

  explicit RunWithSlowCompiler(const std::string& echo, const std::string& engine) {
    dir = std::string(ACTR_BINARY_DIR) + "/cli-sigint-test-" + engine;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::filesystem::path slow = dir / "slow-cc";
    {
      std::ofstream script(slow);
      script << "#!/bin/sh\n[ \"$1\" = --version ] && exec cc --version\n"
             // Written aside and renamed: the test must never read a half-written pid.
             << "echo $$ > " << (dir / "compiling.tmp").string() << " && mv "
             << (dir / "compiling.tmp").string() << " " << (dir / "compiling").string()
             << "\nexec sleep 60\n";
    }
    std::filesystem::permissions(slow, std::filesystem::perms::owner_all);
    log = (dir / "run.log").string();
    pid = ::fork();
    if (pid == 0) {
      ::setenv("CC", slow.c_str(), 1);
      ::setenv("ACTR_CACHE_DIR", (dir / "cache").c_str(), 1);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::string actr = std::string(ACTR_BINARY_DIR) + "/actr";
      std::string data = (dir / "data").string();
      ::execl(actr.c_str(), "actr", "run", echo.c_str(), "--engine", engine.c_str(), "--data-dir",
              data.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 3000 && !std::filesystem::exists(dir / "compiling"); ++i) ::usleep(10000);
    std::ifstream(dir / "compiling") >> compiler;
  }
  ~RunWithSlowCompiler() { std::filesystem::remove_all(dir); }

  // SIGINT, then the exit status (or -1) within `limit`.
  int interrupt(std::chrono::seconds limit) {
    ::kill(pid, SIGINT);
    auto until = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      ::usleep(10000);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
  }
  std::string output() const {
    std::ifstream in(log);
    return std::string((std::istreambuf_iterator<char>(in)), {});
  }
};

TEST(CliRun, SigintStopsAForegroundCompileAtOnce) {
  std::string echo = std::string(ACTR_BINARY_DIR) + "/guests/echo.wasm";
  if (!std::filesystem::exists(echo)) ACTR_SKIP_MISSING("guests/echo.wasm was not built");
  RunWithSlowCompiler run(echo, "aot");
  ASSERT_GT(run.compiler, 0) << "the compiler never started: " << run.output();
  EXPECT_EQ(run.interrupt(std::chrono::seconds(3)), 1) << run.output();
  EXPECT_NE(run.output().find("error: stopped by SIGINT while the node was starting"),
            std::string::npos)
      << run.output();
  EXPECT_NE(::kill(run.compiler, 0), 0) << "the compiler still runs";
}

TEST(CliRun, ATieredNodeServesWhileItCompilesAndStopsAtOnce) {
  std::string echo = std::string(ACTR_BINARY_DIR) + "/guests/echo.wasm";
  if (!std::filesystem::exists(echo)) ACTR_SKIP_MISSING("guests/echo.wasm was not built");
  RunWithSlowCompiler run(echo, "tiered");
  ASSERT_GT(run.compiler, 0) << "the background compile never started: " << run.output();
  for (int i = 0; i < 500 && run.output().find("ready (1 actors running)") == std::string::npos;
       ++i) {
    ::usleep(10000);
  }
  EXPECT_NE(run.output().find("ready (1 actors running)"), std::string::npos) << run.output();
  EXPECT_EQ(run.interrupt(std::chrono::seconds(3)), 0) << run.output();
  EXPECT_NE(::kill(run.compiler, 0), 0) << "the compiler still runs";
}

}  // namespace
