// The node behind its HTTP gateway, in process and through `actr run` + `actr call`.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "common/unicode.hpp"
#include "gateway/client.hpp"
#include "gateway/node_gateway.hpp"
#include "node_fixture.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "support/missing.hpp"
#include "support/ports.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

bool have_probe() { return std::filesystem::exists(guest_path("runtime_probe")); }

TEST(NodeGateway, CallsMetricsAndHealthOverHttp) {
  if (!have_probe()) ACTR_SKIP_MISSING("no probe workload");
  auto dir = fresh_dir("gateway");
  auto node = start_node("[gateway]\nport = 0\n" + probe_actor("alpha") + probe_actor("beta"), dir);
  ASSERT_TRUE(node);
  auto http = gateway::NodeGateway::start(*node);
  ASSERT_TRUE(http) << http.error().message;
  ASSERT_NE((*http)->port(), 0);
  std::string url = (*http)->url();
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
  (*http)->stop();
  node->stop();
  std::filesystem::remove_all(dir);
}

// Targets, route keys and payloads of every byte value and random bytes through the gateway: what
// is not UTF-8 is refused (400 invalid-argument) before any actor sees it; no actor restarts.
TEST(NodeGateway, RequestBytesThatAreNotUtf8AreRefusedAndRestartNothing) {
  if (!have_probe()) ACTR_SKIP_MISSING("no probe workload");
  auto dir = fresh_dir("gateway-bytes");
  auto node = start_node(
      "[gateway]\nport = 0\n" + probe_actor("alpha") + probe_actor("beta", "mailbox = \"memory\""),
      dir);
  ASSERT_TRUE(node);
  auto http = gateway::NodeGateway::start(*node);
  ASSERT_TRUE(http) << http.error().message;
  std::string url = (*http)->url();
  gateway::Client client;
  struct Case {
    std::string target, route;
    workload::Bytes payload;
  };
  std::vector<Case> cases;
  for (int byte = 0; byte < 256; ++byte) {
    std::string one(1, static_cast<char>(byte));
    cases.push_back({"alpha", one, bytes(one)});
    cases.push_back({one, "echo", bytes(one)});
    cases.push_back({"beta", "echo" + one, {}});
  }
  std::mt19937 rng(20261206);
  auto random_text = [&] {
    std::string r(1 + rng() % 10, '\0');
    for (auto& c : r) c = static_cast<char>(rng());
    return r;
  };
  for (int i = 0; i < 200; ++i) {
    cases.push_back({"alpha", random_text(), bytes(random_text())});
    cases.push_back({random_text(), random_text(), {}});
  }
  size_t refused = 0;
  for (const auto& c : cases) {
    auto r = client.post(url, c.target, c.route, c.payload);
    ASSERT_TRUE(r) << r.error().message;
    bool valid = unicode::validate_utf8(c.target) && unicode::validate_utf8(c.route);
    if (!valid) {
      ASSERT_TRUE(r->is_err());
      EXPECT_EQ(r->error().tag(), workload::ActrError::Tag::InvalidArgument) << text(*r);
      ++refused;
    } else if (r->is_err()) {
      EXPECT_NE(r->error().tag(), workload::ActrError::Tag::Internal) << text(*r);
    }
  }
  EXPECT_GT(refused, 300u);
  for (auto& actor : node->actors()) {
    EXPECT_EQ(actor->restarts(), 0u) << actor->label();
    EXPECT_EQ(actor->stats().traps.load(), 0u) << actor->label();
    EXPECT_EQ(actor->state(), runtime::Actor::State::Running) << actor->label();
  }
  EXPECT_TRUE(node->store()->dead_letters()->empty());
  auto health = client.get(url, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(text(*client.post(url, "alpha", "echo", bytes("still here"))), "still here");
  (*http)->stop();
  node->stop();
  std::filesystem::remove_all(dir);
}

// /healthz names a failed actor and why, and says when it is tried again.
TEST(NodeGateway, HealthzNamesFailedActorsAndTheirReasons) {
  if (!have_probe()) ACTR_SKIP_MISSING("no probe workload");
  auto dir = fresh_dir("gateway-health");
  auto node = start_node("[gateway]\nport = 0\n" + probe_actor("alpha") +
                             probe_actor("bad-start", "restart = { cooldown_ms = 60000 }"),
                         dir);
  ASSERT_TRUE(node);
  auto http = gateway::NodeGateway::start(*node);
  ASSERT_TRUE(http) << http.error().message;
  std::string url = (*http)->url();
  gateway::Client client;
  auto health = client.get(url, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(health->body_text().rfind("actor bad-start#0 (1:2) failed: on_start failed: internal: "
                                      "refusing to start; the supervisor starts it again in ",
                                      0),
            0u)
      << health->body_text();
  (*http)->stop();
  node->stop();
  std::filesystem::remove_all(dir);
}

TEST(ActrRun, ServesTheGatewayAndStopsCleanlyOnSigterm) {
  if (!have_probe()) ACTR_SKIP_MISSING("no probe workload");
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
