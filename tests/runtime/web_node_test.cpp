// A browser tab as a node (web/, issue 14): headless Chromium runs the SDK's echo and the runtime
// probe as actors of a web node (jco-transpiled for JSPI by web/tools/transpile.mjs), registered
// at a signaling server beside a native node, all inside a network namespace this test creates
// (Chromium gathers no loopback candidates, and nothing may touch the machine's interfaces).
// tests/web/web_node.mjs drives the page and checks, one JSON line each: local calls in the page,
// a page actor calling a native echo over WebRTC, a native greeter calling the page's echo, the
// hooks on both sides, a trap answered `internal` and the actor restarted, a closed tab seen by
// the native node.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/missing.hpp"
#include "support/netns.hpp"

namespace actr::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(WebNode, ABrowserTabRunsActorsThatCallAndAreCalledByNativeActors) {
  for (const char* g : {"runtime_probe", "echo", "greeter"}) {
    if (!fs::exists(guest_path(g))) ACTR_SKIP_MISSING(std::string(g) + ".wasm was not built");
  }
  if (!fs::exists("/usr/bin/chromium")) {
    ACTR_SKIP_MISSING("Chromium is not installed (Debian package chromium)");
  }
  fs::path root = ACTR_SOURCE_ROOT;
  if (std::string(ACTR_NODE_EXECUTABLE).empty() ||
      !fs::exists(root / "node_modules/puppeteer-core")) {
    ACTR_SKIP_MISSING("Node.js or the pinned npm tools (puppeteer-core, jco) are missing: npm ci");
  }
  Netns ns("webnode");
  std::string host = "10.76." + std::to_string(::getpid() % 250 + 1) + ".1";
  std::string gateway = host.substr(0, host.size() - 1) + "2";
  // A default route as well: without one, Chromium offers no host candidate.
  if (!ns.ok() || !ns.add_interface("actr0", host + "/24") ||
      !ns.sh("ip route add default via " + gateway + " dev actr0")) {
    GTEST_SKIP() << "cannot create a network namespace here (needs root / CAP_NET_ADMIN)";
  }
  auto dir = fresh_dir("web-node");
  // The page's components, as `actr build --web` makes them.
  std::string node = ACTR_NODE_EXECUTABLE;
  for (const char* g : {"runtime_probe", "echo"}) {
    std::string out = shell_output(node + " " + (root / "web/tools/transpile.mjs").string() + " " +
                                   guest_path(g).string() + " " + (dir / "web").string());
    ASSERT_TRUE(fs::exists(dir / "web" / (std::string(g) + ".js"))) << out;
  }
  std::ofstream(dir / "enroll-token") << "web-node-test-token-0123\n";
  {
    std::ofstream toml(dir / "node.toml");
    toml << "data_dir = \"node-data\"\nworkers = 1\ncall_timeout_ms = 10000\n"
         << "[gateway]\naddress = \"" << host << "\"\nport = 7470\n"
         << "[network]\nsignaling = \"ws://" << host << ":7450\"\nlisten = \"" << host
         << ":7460\"\nnode_id = \"node\"\nenroll_token_file = \"enroll-token\"\n"
         << "transports = [\"websocket\", \"webrtc\"]\nice_addresses = [\"" << host << "\"]\n"
         << "idle_timeout_ms = 3000\nwebrtc_timeout_ms = 3000\n";
    auto actor = [&](const char* name, const char* guest, const char* type) {
      toml << "[[actors]]\nname = \"" << name << "\"\ncomponent = \"" << guest_path(guest).string()
           << "\"\ntype = \"" << type << "\"\n";
    };
    actor("beta", "runtime_probe", "test/beta@0.1.0");
    actor("greeter", "greeter", "acme/greeter@0.1.0");
    actor("native-echo", "echo", "acme/native-echo@0.1.0");
  }
  std::string actr = std::string(ACTR_BINARY_DIR) + "/actr";
  ChildProcess signal(
      ns.inside({actr, "signal", "--listen", host + ":7450", "--data-dir",
                 (dir / "signal").string(), "--enroll-token-file", (dir / "enroll-token").string(),
                 "--credential-ttl", "6", "--log-level", "warn"}),
      dir / "signal.log");
  ChildProcess native(ns.inside({actr, "run", (dir / "node.toml").string(), "--log-level", "info"}),
                      dir / "node.log");
  // How the page's driver starts the server again after killing it (JSON argv; same data).
  std::string signal_restart = "[\"" + actr + "\",\"signal\",\"--listen\",\"" + host +
                               ":7450\",\"--data-dir\",\"" + (dir / "signal").string() +
                               "\",\"--enroll-token-file\",\"" + (dir / "enroll-token").string() +
                               "\",\"--credential-ttl\",\"6\",\"--log-level\",\"warn\"]";
  std::string node_call =
      "ip netns exec " + ns.name() + " " + actr + " call --node http://" + host + ":7470 beta ";
  bool ready = false;
  for (auto until = std::chrono::steady_clock::now() + 60s;
       !ready && std::chrono::steady_clock::now() < until;) {
    ready = shell_output(node_call + "echo ready") == "ready";
    if (!ready) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(ready) << native.log() << signal.log();

  std::string out = shell_output(
      "ip netns exec " + ns.name() + " " + node + " " + (root / "tests/web/web_node.mjs").string() +
      " --signal ws://" + host + ":7450 --token-file " + (dir / "enroll-token").string() +
      " --components " + (dir / "web").string() + " --actr " + actr + " --node-gateway http://" +
      host + ":7470 --signal-pid " + std::to_string(signal.pid()) + " --signal-restart '" +
      signal_restart + "'");
  std::cout << out << std::endl;
  std::istringstream lines(out);
  int checks = 0;
  bool failed = false;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("{\"check\"")) continue;
    ++checks;
    if (line.find("\"ok\":true") == std::string::npos) failed = true;
    EXPECT_NE(line.find("\"ok\":true"), std::string::npos) << line;
  }
  if (failed) std::cout << "--- native node ---\n" << native.log() << std::endl;
  EXPECT_GE(checks, 38) << out << "\n--- native node ---\n" << native.log();
  native.kill(SIGTERM);
  signal.kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace actr::test
