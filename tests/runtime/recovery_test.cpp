// kill -9 while messages are queued: every accepted message is delivered exactly once after the
// restart. The node that gets killed runs in a child process (this test binary, re-executed).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "node_fixture.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

constexpr int kTells = 40;
const char* kChildEnv = "ACTR_RECOVERY_CHILD_DIR";

std::string config() { return probe_actor("alpha") + probe_actor("beta"); }

// In the child: accept a slow message, then kTells counts behind it, then die without stopping.
TEST(RecoveryChild, AcceptThenDie) {
  const char* dir = std::getenv(kChildEnv);
  if (!dir) GTEST_SKIP() << "runs only as the child of NodeRecovery.KillNineLosesNothing";
  auto node = start_node(config(), dir);
  ASSERT_TRUE(node);
  ASSERT_TRUE(node->tell_sync("beta", "busy", bytes("1500")).is_ok());
  for (int i = 0; i < kTells; ++i) ASSERT_TRUE(node->tell_sync("beta", "count", {}).is_ok());
  std::ofstream(std::filesystem::path(dir) / "accepted") << kTells;
  ::raise(SIGKILL);
}

TEST(NodeRecovery, KillNineLosesNothingAndDeliversOnce) {
  if (!std::filesystem::exists(guest_path("runtime_probe"))) ACTR_SKIP_MISSING("no probe workload");
  auto dir = fresh_dir("recovery");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setenv(kChildEnv, dir.c_str(), 1);
    ::execl("/proc/self/exe", "child", "--gtest_filter=RecoveryChild.AcceptThenDie", nullptr);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child should have killed itself after accepting; status " << status;
  ASSERT_TRUE(std::filesystem::exists(dir / "accepted"));

  auto node = start_node(config(), dir);
  ASSERT_TRUE(node);
  std::string got;
  for (int i = 0; i < 100; ++i) {  // the recovered busy message runs first (1.5 s)
    got = text(node->call_sync("beta", "get", {}));
    if (got == std::to_string(kTells)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(got, std::to_string(kTells));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(text(node->call_sync("beta", "get", {})), std::to_string(kTells));  // not twice
  node->stop();
  // A clean stop leaves nothing queued: the next start delivers nothing again.
  node = start_node(config(), dir);
  ASSERT_TRUE(node);
  EXPECT_EQ(text(node->call_sync("beta", "get", {})), "0");
  EXPECT_EQ(node->find(2)->queue_length(), 0u);
  node->stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace actr::test
