// A signaling server and three nodes as separate `actr` processes on loopback, driven through the
// nodes' HTTP gateways: discovery and calls both ways, tell, an ACL, a signaling server killed and
// restarted, and a node killed with SIGKILL whose durable mailbox still delivers what it had
// accepted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "gateway/client.hpp"
#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/missing.hpp"
#include "support/ports.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

using namespace std::chrono_literals;

// One `actr` child process; killed (SIGKILL) when the object goes.
using Process = ActrProcess;

std::string call(uint16_t gateway, const std::string& target, const std::string& route,
                 const std::string& payload) {
  auto r = run_actr("call --node http://127.0.0.1:" + std::to_string(gateway) + " " + target + " " +
                    route + " '" + payload + "'");
  return r.output;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 20s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

TEST(ClusterProcesses, ServerAndNodeFaults) {
  if (!std::filesystem::exists(guest_path("runtime_probe"))) {
    ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
  }
  auto dir = fresh_dir("cluster");
  auto ports = free_ports(5);
  ASSERT_EQ(ports.size(), 5u);
  uint16_t signal_port = ports[0], b_port = ports[1], a_gateway = ports[2], b_gateway = ports[3],
           c_gateway = ports[4];
  std::string server = "ws://127.0.0.1:" + std::to_string(signal_port);
  auto write_node = [&](const std::string& name, const std::string& actor, uint16_t listen,
                        uint16_t gateway, const std::string& extra = "") {
    std::ofstream toml(dir / (name + ".toml"));
    toml << "data_dir = \"" << name << "-data\"\nworkers = 1\ncall_timeout_ms = 10000\n"
         << "[gateway]\nport = " << gateway << "\n[network]\nsignaling = \"" << server
         << "\"\nlisten = \"127.0.0.1:" << listen << "\"\nnode_id = \"" << name << "\"\n"
         << "enroll_token_file = \"enroll-token\"\n"
         << "[[actors]]\nname = \"" << actor << "\"\ncomponent = \""
         << guest_path("runtime_probe").string() << "\"\ntype = \"test/" << actor << "@0.1.0\"\n"
         << extra << "\n";
  };
  std::ofstream(dir / "enroll-token") << "cluster-test-token-0123\n";
  write_node("a", "alpha", 0, a_gateway);
  write_node("b", "beta", b_port, b_gateway);
  write_node("c", "gamma", 0, c_gateway, "acl = [\"allow test/beta\"]");
  auto signal_args = std::vector<std::string>{"signal",
                                              "--listen",
                                              "127.0.0.1:" + std::to_string(signal_port),
                                              "--data-dir",
                                              (dir / "signal").string(),
                                              "--enroll-token-file",
                                              (dir / "enroll-token").string(),
                                              "--heartbeat",
                                              "0.5",
                                              "--log-level",
                                              "warn"};
  auto node_args = [&](const std::string& name) {
    return std::vector<std::string>{"run", (dir / (name + ".toml")).string(), "--log-level",
                                    "warn"};
  };
  auto signal = std::make_unique<Process>(signal_args, dir / "signal.log");
  auto b = std::make_unique<Process>(node_args("b"), dir / "b.log");
  auto a = std::make_unique<Process>(node_args("a"), dir / "a.log");
  auto c = std::make_unique<Process>(node_args("c"), dir / "c.log");

  // Calls across processes (alpha discovers beta at the server, then calls its node directly).
  ASSERT_TRUE(eventually([&] { return call(a_gateway, "alpha", "call", "beta echo hi") == "hi"; }))
      << call(a_gateway, "alpha", "call", "beta echo hi") << "\n"
      << a->log() << b->log() << signal->log();
  EXPECT_EQ(call(b_gateway, "beta", "call", "alpha echo back"), "back");
  // The third node: gamma admits beta only, and calls out itself.
  ASSERT_TRUE(eventually([&] { return call(b_gateway, "beta", "call", "gamma echo g") == "g"; }))
      << c->log();
  EXPECT_EQ(
      call(a_gateway, "alpha", "call", "gamma echo g").rfind("error: dependency-not-found", 0), 0u);
  EXPECT_EQ(call(c_gateway, "gamma", "tell", "alpha count"), "told");
  EXPECT_TRUE(eventually([&] { return call(a_gateway, "alpha", "get", "") == "1"; }));
  std::string beta_ids = call(b_gateway, "beta", "ids", "");
  auto at = beta_ids.find("self=1:");
  ASSERT_NE(at, std::string::npos) << beta_ids;
  std::string beta_serial = beta_ids.substr(at + 7, beta_ids.find(' ', at) - at - 7);
  auto call_beta = [&](const std::string& route, const std::string& data) {
    return call(a_gateway, "alpha", "call-id", "1 " + beta_serial + " " + route + " " + data);
  };
  EXPECT_EQ(call_beta("echo", "by-id"), "by-id");

  // The signaling server dies: nodes already connected keep talking.
  signal->kill(SIGKILL);
  EXPECT_EQ(call_beta("echo", "meanwhile"), "meanwhile");
  // It comes back (same data, same port): the nodes re-register, discovery works again.
  signal = std::make_unique<Process>(signal_args, dir / "signal.log");
  EXPECT_TRUE(eventually([&] {
    return call(a_gateway, "alpha", "call", "beta echo again") == "again";
  })) << a->log();

  // Beta is kept busy while alpha tells it three times: the tells are accepted (committed to
  // beta's durable mailbox) and wait there.
  auto busy =
      std::async(std::launch::async, [&] { return call(b_gateway, "beta", "busy", "3000"); });
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call(a_gateway, "alpha", "tell", "beta count"), "told");
  // kill -9 the busy node: alpha's calls fail at once with unavailable, not at the timeout.
  b->kill(SIGKILL);
  busy.wait();
  auto started = std::chrono::steady_clock::now();
  std::string down = call_beta("echo", "x");
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(down.rfind("error: unavailable", 0), 0u) << down;
  EXPECT_LT(took, 3s) << down;

  // The node returns with its data directory: same id, and the three tells run.
  b = std::make_unique<Process>(node_args("b"), dir / "b.log");
  EXPECT_TRUE(eventually([&] { return call_beta("echo", "back") == "back"; })) << b->log();
  EXPECT_TRUE(eventually([&] { return call(b_gateway, "beta", "get", "") == "3"; }))
      << call(b_gateway, "beta", "get", "");

  a.reset();
  b.reset();
  c.reset();
  signal.reset();
  std::filesystem::remove_all(dir);
}

// Two `actr run` processes whose nodes take WebRTC (data channels on 127.0.0.1): after the first
// call the path opens, both sides' actors hear on_webrtc_connected with relayed=no, and the
// calls that follow travel on it (the nodes' metrics count them).
TEST(ClusterProcesses, TwoNodesTalkOverWebRtc) {
  if (!std::filesystem::exists(guest_path("runtime_probe"))) {
    ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
  }
  auto dir = fresh_dir("cluster-webrtc");
  auto ports = free_ports(3);
  ASSERT_EQ(ports.size(), 3u);
  uint16_t signal_port = ports[0], a_gateway = ports[1], b_gateway = ports[2];
  std::string server = "ws://127.0.0.1:" + std::to_string(signal_port);
  auto write_node = [&](const std::string& name, const std::string& actor, uint16_t gateway) {
    std::ofstream toml(dir / (name + ".toml"));
    toml << "data_dir = \"" << name << "-data\"\nworkers = 1\ncall_timeout_ms = 10000\n"
         << "[gateway]\nport = " << gateway << "\n[network]\nsignaling = \"" << server
         << "\"\nnode_id = \"" << name << "\"\nenroll_token_file = \"enroll-token\"\n"
         << "transports = [\"websocket\", \"webrtc\"]\nice_addresses = [\"127.0.0.1\"]\n"
         << "[[actors]]\nname = \"" << actor << "\"\ncomponent = \""
         << guest_path("runtime_probe").string() << "\"\ntype = \"test/" << actor << "@0.1.0\"\n";
  };
  std::ofstream(dir / "enroll-token") << "cluster-test-token-0123\n";
  write_node("a", "alpha", a_gateway);
  write_node("b", "beta", b_gateway);
  Process signal({"signal", "--listen", "127.0.0.1:" + std::to_string(signal_port), "--data-dir",
                  (dir / "signal").string(), "--enroll-token-file", (dir / "enroll-token").string(),
                  "--log-level", "warn"},
                 dir / "signal.log");
  auto run = [&](const std::string& name) {
    return std::vector<std::string>{"run", (dir / (name + ".toml")).string(), "--log-level",
                                    "warn"};
  };
  Process b(run("b"), dir / "b.log");
  Process a(run("a"), dir / "a.log");
  ASSERT_TRUE(eventually([&] { return call(a_gateway, "alpha", "call", "beta echo hi") == "hi"; }))
      << a.log() << b.log() << signal.log();
  std::string hooks;
  ASSERT_TRUE(eventually([&] {
    hooks = call(a_gateway, "alpha", "hooks", "");
    return hooks.find("on_webrtc_connected") != std::string::npos &&
           hooks.find("relayed=no") != std::string::npos;
  })) << hooks
      << a.log() << b.log();
  ASSERT_TRUE(eventually([&] {
    return call(b_gateway, "beta", "hooks", "").find("on_webrtc_connected") != std::string::npos;
  })) << b.log();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(a_gateway, "alpha", "call", "beta echo w" + std::to_string(i)),
              "w" + std::to_string(i));
  }
  EXPECT_EQ(call(b_gateway, "beta", "call", "alpha echo back"), "back");
  EXPECT_EQ(call(a_gateway, "alpha", "call-raw", "beta echo raw"), "raw");
  EXPECT_EQ(call(a_gateway, "alpha", "tell", "beta count"), "told");
  EXPECT_TRUE(eventually([&] { return call(b_gateway, "beta", "get", "") == "1"; }));
  // Both stream lanes; the reliable one in order.
  EXPECT_EQ(call(b_gateway, "beta", "stream-register", "s1"), "ok");
  EXPECT_EQ(call(b_gateway, "beta", "stream-register", "s2"), "ok");
  for (int i = 0; i < 5; ++i) {
    std::string n = std::to_string(i);
    EXPECT_EQ(call(a_gateway, "alpha", "stream-send", "beta s1 " + n + " reliable c" + n), "ok");
    EXPECT_EQ(call(a_gateway, "alpha", "stream-send", "beta s2 " + n + " latency l" + n), "ok");
  }
  std::string chunks;
  ASSERT_TRUE(eventually([&] {
    chunks = call(b_gateway, "beta", "streams", "");
    return chunks.find("s1:4:c4") != std::string::npos;
  })) << chunks;
  for (int i = 1; i < 5; ++i) {
    EXPECT_LT(chunks.find("s1:" + std::to_string(i - 1) + ":c"),
              chunks.find("s1:" + std::to_string(i) + ":c"))
        << chunks;
  }
  EXPECT_NE(chunks.find("s2:"), std::string::npos) << chunks;  // loopback: latency-first arrives
  gateway::Client client;
  auto metrics = client.get("http://127.0.0.1:" + std::to_string(a_gateway), "/metrics");
  ASSERT_TRUE(metrics);
  std::string body = metrics->body_text();
  EXPECT_NE(body.find("actr_network_connections{path=\"webrtc\"} 1"), std::string::npos) << body;
  const std::string sample = "\nactr_network_webrtc_requests_total ";
  auto at = body.find(sample);
  ASSERT_NE(at, std::string::npos) << body;
  // 5 calls, call-raw, tell, 10 chunks (and the registrations' own calls do not count).
  EXPECT_GE(std::stoi(body.substr(at + sample.size())), 17) << body;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace actr::test
