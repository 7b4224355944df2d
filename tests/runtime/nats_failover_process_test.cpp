// Several signaling servers sharing a realm through NATS JetStream, all as separate processes on
// loopback: a nats-server of the test's own, three `actr signal --nats` servers with one signing
// key, and two `actr run` nodes given the three servers in different orders (so that they sit on
// different servers), whose actors call each other node to node without pause. The server one
// node is connected to is killed with SIGKILL: that node moves to the next server and registers
// its actors again under the same ids, discovery works for both nodes again at once, the other
// servers lose no registration, and not one of the calls made meanwhile fails.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <thread>

#include "node_fixture.hpp"
#include "signaling/client.hpp"
#include "signaling/nats_server_process.hpp"
#include "support/child_process.hpp"
#include "support/missing.hpp"
#include "support/ports.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using Process = ActrProcess;

std::string call(uint16_t gateway, const std::string& target, const std::string& route,
                 const std::string& payload) {
  return run_actr("call --node http://127.0.0.1:" + std::to_string(gateway) + " " + target + " " +
                  route + " '" + payload + "'")
      .output;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

bool port_answers(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool answered = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return answered;
}

// "ok=N failed=M[ first-error=...]" from the probe's call-for route.
struct CallCount {
  long ok = -1, failed = -1;
};
CallCount parse_count(const std::string& text) {
  CallCount c;
  if (std::sscanf(text.c_str(), "ok=%ld failed=%ld", &c.ok, &c.failed) != 2) return {};
  return c;
}

long number(const std::string& text) {
  try {
    return std::stol(text);
  } catch (...) {
    return -1;
  }
}

TEST(NatsFailoverProcesses, AKilledServersNodeMovesOnWithItsIdsAndCallsGoOn) {
#ifndef ACTR_HAVE_NATS
  ACTR_SKIP_MISSING("this build has no libnats (apt-get install libnats-dev, then reconfigure)");
#endif
  if (signaling::testing::NatsServerProcess::binary().empty()) {
    ACTR_SKIP_MISSING("nats-server is not installed (apt-get install nats-server)");
  }
  if (!std::filesystem::exists(guest_path("runtime_probe"))) {
    ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
  }
  auto dir = fresh_dir("nats-failover");
  signaling::testing::NatsServerProcess nats(dir / "nats");
  ASSERT_TRUE(nats.ready()) << "nats-server did not start; see " << nats.log_file();
  auto key = dir / "realm.key";
  auto keygen = run_actr("signal keygen " + key.string());
  ASSERT_EQ(keygen.status, 0) << keygen.output;
  const std::string token = "failover-test-token-0123";
  std::ofstream(dir / "enroll-token") << token << "\n";

  auto ports = free_ports(5);
  ASSERT_EQ(ports.size(), 5u);
  const uint16_t a_gateway = ports[3], b_gateway = ports[4];
  auto url = [&](int server) { return "ws://127.0.0.1:" + std::to_string(ports[server]); };
  // Heartbeats every 0.5 s: a server silent for 1.5 s is gone for the others.
  auto signal_args = [&](int server) {
    return std::vector<std::string>{"signal",
                                    "--listen",
                                    "127.0.0.1:" + std::to_string(ports[server]),
                                    "--data-dir",
                                    (dir / ("s" + std::to_string(server))).string(),
                                    "--enroll-token-file",
                                    (dir / "enroll-token").string(),
                                    "--heartbeat",
                                    "0.5",
                                    "--nats",
                                    nats.url(),
                                    "--signing-key-file",
                                    key.string(),
                                    "--log-level",
                                    "warn"};
  };
  std::vector<std::unique_ptr<Process>> servers;
  for (int s = 0; s < 3; ++s) {
    servers.push_back(
        std::make_unique<Process>(signal_args(s), dir / ("s" + std::to_string(s) + ".log")));
  }
  for (int s = 0; s < 3; ++s) {
    ASSERT_TRUE(eventually([&] { return port_answers(ports[s]); }, 20s))
        << "signaling server " << s << " never listened: " << servers[s]->log();
  }

  // Node a: servers 0, 1, 2; node b: 1, 2, 0. Each has a caller and a target.
  auto write_node = [&](const std::string& name, uint16_t gateway) {
    std::ofstream toml(dir / (name + ".toml"));
    toml << "data_dir = \"" << name << "-data\"\nworkers = 1\ncall_timeout_ms = 20000\n"
         << "[gateway]\nport = " << gateway << "\n[network]\nsignaling = \"" << url(0)
         << "\"\nnode_id = \"" << name << "\"\nenroll_token_file = \"enroll-token\"\n";
    for (const std::string actor : {"caller", "echo"}) {
      toml << "[[actors]]\nname = \"" << name << actor << "\"\ncomponent = \""
           << guest_path("runtime_probe").string() << "\"\ntype = \"test/" << name << actor
           << "@0.1.0\"\n";
    }
  };
  write_node("a", a_gateway);
  write_node("b", b_gateway);
  auto node_args = [&](const std::string& name, const std::string& servers_in_order) {
    return std::vector<std::string>{"run",         (dir / (name + ".toml")).string(),
                                    "--signaling", servers_in_order,
                                    "--log-level", "info"};
  };
  Process a(node_args("a", url(0) + "," + url(1) + "," + url(2)), dir / "a.log");
  Process b(node_args("b", url(1) + "," + url(2) + "," + url(0)), dir / "b.log");

  ASSERT_TRUE(
      eventually([&] { return call(a_gateway, "acaller", "call", "becho echo hi") == "hi"; }, 30s))
      << call(a_gateway, "acaller", "call", "becho echo hi") << "\n"
      << a.log() << b.log();
  ASSERT_TRUE(
      eventually([&] { return call(b_gateway, "bcaller", "call", "aecho echo hi") == "hi"; }, 10s))
      << b.log();
  // Each node is on the first server of its list.
  EXPECT_NE(a.log().find("signaling: connected to " + url(0)), std::string::npos) << a.log();
  EXPECT_NE(b.log().find("signaling: connected to " + url(1)), std::string::npos) << b.log();

  // Discovery at the two servers that stay (0 and 2), by a client of the test's own.
  auto watcher_at = [&](int server) -> std::unique_ptr<signaling::Client> {
    signaling::ClientOptions o;
    o.enroll_token = token;
    o.heartbeat = 100ms;
    auto client = signaling::Client::connect(url(server), o);
    if (!client) return nullptr;
    signaling::RegisterParams p;
    p.type = {"test", "watcher", "0.1.0"};
    p.realm = 1;
    if (!(*client)->register_actor(p)) return nullptr;
    return std::move(*client);
  };
  auto at0 = watcher_at(0), at2 = watcher_at(2);
  ASSERT_TRUE(at0 && at2);
  const std::vector<std::string> actors{"acaller", "aecho", "bcaller", "becho"};
  // actor -> serial, as `client` discovers them (0: not discovered, or not exactly once).
  auto discovered = [&](signaling::Client& client) {
    std::map<std::string, uint64_t> out;
    for (const auto& name : actors) {
      auto found = client.discover({"test", name, "0.1.0"});
      out[name] = found && found->size() == 1 ? found->front().id.serial_number : 0;
    }
    return out;
  };
  // The ids the actors hold themselves ("self=1:SERIAL ...").
  std::map<std::string, uint64_t> ids;
  for (const auto& name : actors) {
    std::string text = call(name[0] == 'a' ? a_gateway : b_gateway, name, "ids", "");
    auto at = text.find("self=1:");
    ASSERT_NE(at, std::string::npos) << text;
    ids[name] = std::stoull(text.substr(at + 7));
  }
  ASSERT_TRUE(eventually([&] { return discovered(*at0) == ids && discovered(*at2) == ids; }, 10s))
      << "the servers do not all show every actor";

  // Calls between the nodes, both ways, for 8 s: the kill falls in the middle.
  auto a_calls = std::async(std::launch::async, [&] {
    return call(a_gateway, "acaller", "call-for", "8000 becho count");
  });
  auto b_calls = std::async(std::launch::async, [&] {
    return call(b_gateway, "bcaller", "call-for", "8000 aecho count");
  });
  ASSERT_TRUE(eventually(
      [&] {
        return number(call(b_gateway, "becho", "get", "")) > 0 &&
               number(call(a_gateway, "aecho", "get", "")) > 0;
      },
      10s))
      << "the calls do not flow";

  long a_before = number(call(a_gateway, "aecho", "get", ""));
  long b_before = number(call(b_gateway, "becho", "get", ""));
  auto killed_at = Clock::now();
  servers[1]->kill(SIGKILL);

  // Node b moves to server 2 (the next in its list) and registers its actors there again.
  ASSERT_TRUE(eventually(
      [&] { return b.log().find("signaling: connected to " + url(2)) != std::string::npos; }, 15s))
      << b.log();
  auto failed_over = Clock::now() - killed_at;
  // Discovery works again for both nodes (each asks its own server: b's is now server 2) within
  // the heartbeat window (1.5 s; a few seconds more for `actr call` processes on a busy
  // machine; about 70 ms measured). The echoes ask, as the callers are busy with their loops;
  // neither has discovered before, so neither node answers from its cache.
  ASSERT_TRUE(eventually(
      [&] {
        return call(b_gateway, "becho", "call", "aecho echo again") == "again" &&
               call(a_gateway, "aecho", "call", "becho echo again") == "again";
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(5000ms - (Clock::now() - killed_at))))
      << b.log();
  auto discovery_back = Clock::now() - killed_at;
  // The others declare server 1 gone (its presence expired) ...
  ASSERT_TRUE(eventually(
      [&] {
        return servers[0]->log().find("is gone") != std::string::npos &&
               servers[2]->log().find("is gone") != std::string::npos;
      },
      15s))
      << servers[0]->log() << servers[2]->log();
  // ... and still show every actor under the id it had: node b's live at server 2 now.
  EXPECT_TRUE(eventually([&] { return discovered(*at0) == ids && discovered(*at2) == ids; }, 10s))
      << "a registration was lost or an id changed";
  for (const auto& name : actors) {
    std::string text = call(name[0] == 'a' ? a_gateway : b_gateway, name, "ids", "");
    EXPECT_NE(text.find("self=1:" + std::to_string(ids[name]) + " "), std::string::npos) << text;
  }

  // Every call made during all this succeeded, and calls went on after the kill.
  std::string a_result = a_calls.get(), b_result = b_calls.get();
  auto calls_ended = Clock::now() - killed_at;
  CallCount a_count = parse_count(a_result), b_count = parse_count(b_result);
  EXPECT_GT(a_count.ok, 0) << a_result;
  EXPECT_EQ(a_count.failed, 0) << a_result;
  EXPECT_GT(b_count.ok, 0) << b_result;
  EXPECT_EQ(b_count.failed, 0) << b_result;
  EXPECT_GT(calls_ended, discovery_back) << "the calls ended before the failover was over";
  EXPECT_GT(number(call(a_gateway, "aecho", "get", "")), a_before);
  EXPECT_GT(number(call(b_gateway, "becho", "get", "")), b_before);
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::printf(
      "failover: node b on server 2 after %lld ms, discovery for both nodes after %lld ms; "
      "calls a->b %ld, b->a %ld, none failed\n",
      static_cast<long long>(ms(failed_over)), static_cast<long long>(ms(discovery_back)),
      a_count.ok, b_count.ok);

  at0->close();
  at2->close();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace actr::test
