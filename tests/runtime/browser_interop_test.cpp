// Headless Chromium calls an actor over WebRTC: a signaling server and a node run inside a
// network namespace this test creates (a dummy interface with a private address: Chromium does
// not gather on loopback, and nothing may touch the machine's own interfaces), and
// tests/webrtc/browser/call_actor.mjs drives Chromium there through puppeteer-core. The page
// opens an RTCPeerConnection with full SDP through the signaling relay, presents its credential
// on the data channel and calls the node's actor; the node's actor hears on-webrtc-connected.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include "node_fixture.hpp"
#include "support/child_process.hpp"
#include "support/missing.hpp"
#include "support/netns.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(BrowserInterop, ChromiumCallsAnActorOverWebRtc) {
  if (!fs::exists(guest_path("runtime_probe"))) {
    ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
  }
  if (!fs::exists("/usr/bin/chromium")) {
    ACTR_SKIP_MISSING("Chromium is not installed (Debian package chromium)");
  }
  fs::path script = fs::path(ACTR_SOURCE_ROOT) / "tests/webrtc/browser/call_actor.mjs";
  fs::path puppeteer = fs::path(ACTR_SOURCE_ROOT) / "node_modules/puppeteer-core";
  if (std::string(ACTR_NODE_EXECUTABLE).empty() || !fs::exists(puppeteer)) {
    ACTR_SKIP_MISSING("Node.js or the pinned npm tools (puppeteer-core) are missing: npm ci");
  }
  Netns ns("browser");
  std::string host = "10.77." + std::to_string(::getpid() % 250 + 1) + ".1";
  std::string gateway = host.substr(0, host.size() - 1) + "2";
  // A default route as well: without one, Chromium offers no host candidate (it keeps to the
  // default route's interface unless the page has media permissions).
  if (!ns.ok() || !ns.add_interface("actr0", host + "/24") ||
      !ns.sh("ip route add default via " + gateway + " dev actr0")) {
    // A machine limit (no CAP_NET_ADMIN), not actr's: Chromium may only reach the node on an
    // interface the test owns, which takes a network namespace.
    GTEST_SKIP() << "cannot create a network namespace here (needs root / CAP_NET_ADMIN)";
  }
  auto dir = fresh_dir("browser-interop");
  std::ofstream(dir / "enroll-token") << "browser-interop-token-0123\n";
  {
    std::ofstream toml(dir / "node.toml");
    toml << "data_dir = \"node-data\"\nworkers = 1\ncall_timeout_ms = 10000\n"
         << "[gateway]\naddress = \"" << host << "\"\nport = 7470\n"
         << "[network]\nsignaling = \"ws://" << host << ":7450\"\nlisten = \"" << host
         << ":7460\"\nnode_id = \"node\"\nenroll_token_file = \"enroll-token\"\n"
         << "transports = [\"websocket\", \"webrtc\"]\nice_addresses = [\"" << host << "\"]\n"
         << "[[actors]]\nname = \"beta\"\ncomponent = \"" << guest_path("runtime_probe").string()
         << "\"\ntype = \"test/beta@0.1.0\"\n";
  }
  std::string actr = std::string(ACTR_BINARY_DIR) + "/actr";
  ChildProcess signal(ns.inside({actr, "signal", "--listen", host + ":7450", "--data-dir",
                                 (dir / "signal").string(), "--enroll-token-file",
                                 (dir / "enroll-token").string(), "--log-level", "warn"}),
                      dir / "signal.log");
  ChildProcess node(ns.inside({actr, "run", (dir / "node.toml").string(), "--log-level", "info"}),
                    dir / "node.log");
  std::string node_call =
      "ip netns exec " + ns.name() + " " + actr + " call --node http://" + host + ":7470 beta ";
  // Ready when the node answers through its gateway (never a fixed sleep).
  bool ready = false;
  for (auto until = std::chrono::steady_clock::now() + 60s;
       !ready && std::chrono::steady_clock::now() < until;) {
    ready = shell_output(node_call + "echo ready") == "ready";
    if (!ready) std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(ready) << node.log() << signal.log();

  std::string out =
      shell_output("ip netns exec " + ns.name() + " " + ACTR_NODE_EXECUTABLE + " " +
                   script.string() + " --signal ws://" + host + ":7450 --token-file " +
                   (dir / "enroll-token").string() + " --proto-dir " + ACTR_SOURCE_ROOT +
                   "/proto --target test/beta --route echo --payload 'hello from chromium'");
  std::cout << "call_actor.mjs: " << out << std::endl;
  // The page's own WebSocket enrolled with the token as a subprotocol.
  EXPECT_NE(out.find("\"page_signaling\":\"actr-enroll.\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"reply\":\"hello from chromium\""), std::string::npos)
      << out << "\n--- node ---\n"
      << node.log();
  // The node's actor heard the WebRTC path open, with the browser actor's id, direct.
  auto at = out.find("\"browser\":\"");
  ASSERT_NE(at, std::string::npos) << out;
  std::string browser_id = out.substr(at + 11, out.find('"', at + 11) - at - 11);
  std::string hooks = shell_output(node_call + "hooks");
  EXPECT_NE(hooks.find("on_webrtc_connected " + browser_id + " relayed=no"), std::string::npos)
      << hooks;
  std::cout << "node hooks: " << hooks << std::endl;
  node.kill(SIGTERM);
  signal.kill(SIGTERM);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace actr::test
