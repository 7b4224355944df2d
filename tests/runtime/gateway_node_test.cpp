// The node behind its HTTP gateway, in process and through `actr run` + `actr call`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "gateway/client.hpp"
#include "node_fixture.hpp"
#include "support/ports.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

bool have_probe() { return std::filesystem::exists(guest_path("runtime_probe")); }

TEST(NodeGateway, CallsMetricsAndHealthOverHttp) {
  if (!have_probe()) GTEST_SKIP() << "no probe workload";
  auto dir = fresh_dir("gateway");
  auto node = start_node("[gateway]\nport = 0\n" + probe_actor("alpha") + probe_actor("beta"), dir);
  ASSERT_TRUE(node);
  ASSERT_NE(node->gateway_port(), 0);
  std::string url = "http://127.0.0.1:" + std::to_string(node->gateway_port());
  gateway::Client client;
  auto r = client.post(url, "alpha", "call", bytes("beta echo via http"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(text(*r), "via http");
  r = client.post(url, "test/beta", "err", bytes("x"));
  ASSERT_TRUE(r);
  EXPECT_EQ(text(*r), "invalid-argument: bad input: x");
  r = client.post(url, "nobody", "echo", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(text(*r), "not-found: no running actor of type `nobody`");
  auto metrics = client.get(url, "/metrics");
  ASSERT_TRUE(metrics);
  std::string body = metrics->body_text();
  EXPECT_NE(body.find("actr_dispatches_total{actor=\"alpha#0\",route=\"call\"} 1"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("actr_dispatch_errors_total{actor=\"beta#0\",error=\"invalid-argument\","
                      "route=\"err\"} 1"),
            std::string::npos);
  EXPECT_NE(body.find("actr_mailbox_depth{actor=\"beta#0\"} 0"), std::string::npos);
  auto health = client.get(url, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  node->stop();
  std::filesystem::remove_all(dir);
}

TEST(ActrRun, ServesTheGatewayAndStopsCleanlyOnSigterm) {
  if (!have_probe()) GTEST_SKIP() << "no probe workload";
  auto dir = fresh_dir("actr-run");
  auto ports = free_ports(1);
  ASSERT_EQ(ports.size(), 1u);
  std::string port = std::to_string(ports[0]);
  {
    std::ofstream toml(dir / "actr.toml");
    std::string probe = guest_path("runtime_probe").string();
    toml << "[[actors]]\nname = \"alpha\"\ncomponent = \"" << probe
         << "\"\ntype = \"test/alpha\"\n";
  }
  std::string actr = std::string(ACTR_BINARY_DIR) + "/actr";
  std::string log = (dir / "run.log").string();
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stdout);
    std::freopen(log.c_str(), "a", stderr);
    std::string cfg = (dir / "actr.toml").string();
    ::execl(actr.c_str(), "actr", "run", cfg.c_str(), "--gateway", port.c_str(), nullptr);
    ::_exit(127);
  }
  CommandRun call{1, ""};
  for (int i = 0; i < 100 && call.status != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    call = run_actr("call --node http://127.0.0.1:" + port + " test/alpha echo 'hi there'");
  }
  EXPECT_EQ(call.status, 0) << call.output;
  EXPECT_EQ(call.output, "hi there");
  auto err = run_actr("call --node http://127.0.0.1:" + port + " alpha nope");
  EXPECT_EQ(err.status, 2);
  EXPECT_NE(err.output.find("error: unknown-route: nope"), std::string::npos) << err.output;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::stringstream out;
  out << std::ifstream(log).rdbuf();
  EXPECT_NE(out.str().find("alpha#0 (1:1)  test/alpha  running"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("stopped"), std::string::npos) << out.str();
  std::filesystem::remove_all(dir);
}

TEST(ActrRun, BadConfigIsOneClearLine) {
  auto dir = fresh_dir("bad-config");
  std::ofstream(dir / "actr.toml") << "realm = \"one\"\n";
  auto r = run_actr("run " + (dir / "actr.toml").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("actr.toml:1:9: `realm` must be a non-negative integer in range"),
            std::string::npos)
      << r.output;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace actr::test
