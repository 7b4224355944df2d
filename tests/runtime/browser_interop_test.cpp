// Headless Chromium and a node talk over WebRTC: a signaling server and a node run inside a
// network namespace this test creates (a dummy interface with a private address: Chromium does
// not gather on loopback, and nothing may touch the machine's own interfaces), and scripts under
// tests/webrtc/browser drive Chromium there through puppeteer-core.
// - call_actor.mjs: the page opens an RTCPeerConnection with full SDP through the signaling
//   relay, presents its credential on the data channel and calls the node's actor; the node's
//   actor hears on-webrtc-connected.
// - answer_node.mjs: a browser actor registered under a `.invalid` node address (no listener);
//   the node's actor calls it, so the node offers full SDP through the relay, the page answers
//   and trickles its candidates, and answers the call on the data channel.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
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

// The namespace, a signaling server and a node whose actor `beta` (the probe, test/beta) may
// use WebRTC, all on one interface of the namespace; the test is skipped when Chromium, Node.js,
// the probe or the right to make namespaces is missing.
class BrowserInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(guest_path("runtime_probe"))) {
      ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
    }
    if (!fs::exists("/usr/bin/chromium")) {
      ACTR_SKIP_MISSING("Chromium is not installed (Debian package chromium)");
    }
    fs::path puppeteer = fs::path(ACTR_SOURCE_ROOT) / "node_modules/puppeteer-core";
    if (std::string(ACTR_NODE_EXECUTABLE).empty() || !fs::exists(puppeteer)) {
      ACTR_SKIP_MISSING("Node.js or the pinned npm tools (puppeteer-core) are missing: npm ci");
    }
    ns_ = std::make_unique<Netns>("browser");
    host_ = "10.77." + std::to_string(::getpid() % 250 + 1) + ".1";
    std::string gateway = host_.substr(0, host_.size() - 1) + "2";
    // A default route as well: without one, Chromium offers no host candidate (it keeps to the
    // default route's interface unless the page has media permissions).
    if (!ns_->ok() || !ns_->add_interface("actr0", host_ + "/24") ||
        !ns_->sh("ip route add default via " + gateway + " dev actr0")) {
      // A machine limit (no CAP_NET_ADMIN), not actr's: Chromium may only reach the node on an
      // interface the test owns, which takes a network namespace.
      GTEST_SKIP() << "cannot create a network namespace here (needs root / CAP_NET_ADMIN)";
    }
    dir_ = fresh_dir("browser-interop");
    std::ofstream(dir_ / "enroll-token") << "browser-interop-token-0123\n";
    {
      std::ofstream toml(dir_ / "node.toml");
      toml << "data_dir = \"node-data\"\nworkers = 1\ncall_timeout_ms = 20000\n"
           << "[gateway]\naddress = \"" << host_ << "\"\nport = 7470\n"
           << "[network]\nsignaling = \"ws://" << host_ << ":7450\"\nlisten = \"" << host_
           << ":7460\"\nnode_id = \"node\"\nenroll_token_file = \"enroll-token\"\n"
           << "transports = [\"websocket\", \"webrtc\"]\nice_addresses = [\"" << host_ << "\"]\n"
           << "webrtc_timeout_ms = 10000\n"
           << "[[actors]]\nname = \"beta\"\ncomponent = \"" << guest_path("runtime_probe").string()
           << "\"\ntype = \"test/beta@0.1.0\"\n";
    }
    signal_ = std::make_unique<ChildProcess>(
        ns_->inside({actr_, "signal", "--listen", host_ + ":7450", "--data-dir",
                     (dir_ / "signal").string(), "--enroll-token-file",
                     (dir_ / "enroll-token").string(), "--log-level", "warn"}),
        dir_ / "signal.log");
    node_ = std::make_unique<ChildProcess>(
        ns_->inside({actr_, "run", (dir_ / "node.toml").string(), "--log-level", "info"}),
        dir_ / "node.log");
    // Ready when the node answers through its gateway (never a fixed sleep).
    bool ready = false;
    for (auto until = std::chrono::steady_clock::now() + 60s;
         !ready && std::chrono::steady_clock::now() < until;) {
      ready = call_beta("echo ready") == "ready";
      if (!ready) std::this_thread::sleep_for(200ms);
    }
    ASSERT_TRUE(ready) << node_->log() << signal_->log();
  }

  void TearDown() override {
    if (node_) node_->kill(SIGTERM);
    if (signal_) signal_->kill(SIGTERM);
    if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
  }

  // `actr call` of the node's actor beta: "ROUTE 'PAYLOAD'".
  std::string call_beta(const std::string& route_and_payload) const {
    return shell_output("ip netns exec " + ns_->name() + " " + actr_ + " call --node http://" +
                        host_ + ":7470 beta " + route_and_payload);
  }

  // Node.js (with the pinned puppeteer-core) running a script of tests/webrtc/browser.
  std::vector<std::string> browser_script(const std::string& name,
                                          std::vector<std::string> args) const {
    std::vector<std::string> argv{
        ACTR_NODE_EXECUTABLE, (fs::path(ACTR_SOURCE_ROOT) / "tests/webrtc/browser" / name).string(),
        "--signal",           "ws://" + host_ + ":7450",
        "--token-file",       (dir_ / "enroll-token").string(),
        "--proto-dir",        std::string(ACTR_SOURCE_ROOT) + "/proto"};
    argv.insert(argv.end(), args.begin(), args.end());
    return ns_->inside(argv);
  }

  std::string actr_ = std::string(ACTR_BINARY_DIR) + "/actr";
  std::unique_ptr<Netns> ns_;
  std::string host_;
  fs::path dir_;
  std::unique_ptr<ChildProcess> signal_, node_;
};

// The value of "key":"..." in a JSON line (the scripts print flat strings).
std::string json_string(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\":\"");
  if (at == std::string::npos) return "";
  at += key.size() + 4;
  return json.substr(at, json.find('"', at) - at);
}

TEST_F(BrowserInterop, ChromiumCallsAnActorOverWebRtc) {
  std::string command;
  for (const auto& a : browser_script("call_actor.mjs", {"--target", "test/beta", "--route", "echo",
                                                         "--payload", "'hello from chromium'"})) {
    command += a + " ";
  }
  std::string out = shell_output(command);
  std::cout << "call_actor.mjs: " << out << std::endl;
  // The page's own WebSocket enrolled with the token as a subprotocol.
  EXPECT_NE(out.find("\"page_signaling\":\"actr-enroll.\""), std::string::npos) << out;
  EXPECT_NE(out.find("\"reply\":\"hello from chromium\""), std::string::npos)
      << out << "\n--- node ---\n"
      << node_->log();
  // The node's actor heard the WebRTC path open, with the browser actor's id, direct.
  std::string browser_id = json_string(out, "browser");
  ASSERT_FALSE(browser_id.empty()) << out;
  std::string hooks = call_beta("hooks");
  EXPECT_NE(hooks.find("on_webrtc_connected " + browser_id + " relayed=no"), std::string::npos)
      << hooks;
  std::cout << "node hooks: " << hooks << std::endl;
}

// A native actor calls an actor of a browser node: the node finds it by discovery at its
// `.invalid` address, dials no WebSocket there, offers full SDP through the relay; Chromium
// answers, trickles its candidates, takes the node's channels and answers the calls.
TEST_F(BrowserInterop, ANodeCallsAnActorOfABrowserOverWebRtc) {
  ChildProcess page(browser_script("answer_node.mjs", {"--type", "test/pager", "--calls", "2"}),
                    dir_ / "answer_node.log");
  auto line_with = [&](const std::string& key) {
    std::string log = page.log();
    auto at = log.find("{\"" + key + "\"");
    return at == std::string::npos ? std::string() : log.substr(at, log.find('\n', at) - at);
  };
  std::string ready;
  for (auto until = std::chrono::steady_clock::now() + 60s;
       ready.empty() && std::chrono::steady_clock::now() < until &&
       page.log().find("answer_node:") == std::string::npos;) {
    ready = line_with("ready");
    if (ready.empty()) std::this_thread::sleep_for(100ms);
  }
  ASSERT_FALSE(ready.empty()) << page.log();
  std::string browser_id = json_string(ready, "ready");
  EXPECT_NE(json_string(ready, "address").find(".invalid:9"), std::string::npos) << ready;

  // beta discovers test/pager (the browser actor) and calls it; the page's answer comes back.
  auto started = std::chrono::steady_clock::now();
  std::string first = call_beta("call 'pager greet hello page'");
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(first, "page got greet: hello page") << "\n--- page ---\n"
                                                 << page.log() << "\n--- node ---\n"
                                                 << node_->log();
  // The path stays: the second call takes it (no second offer).
  EXPECT_EQ(call_beta("call 'pager greet again'"), "page got greet: again") << page.log();
  std::string report;
  for (auto until = std::chrono::steady_clock::now() + 20s;
       report.empty() && std::chrono::steady_clock::now() < until;) {
    report = line_with("answered");
    if (report.empty()) std::this_thread::sleep_for(100ms);
  }
  std::cout << "answer_node.mjs: " << report << std::endl
            << "first call: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms" << std::endl;
  ASSERT_FALSE(report.empty()) << page.log();
  // The node's offer: full SDP, DTLS server, every candidate in it; the page answered active.
  for (const char* fact :
       {"\"offer_full_sdp\":true", "\"offer_setup\":\"actpass\"", "\"offer_mid\":\"0\"",
        "\"offer_fingerprint\":true", "\"offer_end_of_candidates\":true", "\"offers\":1",
        "\"answer_setup\":\"active\"", "\"node_credentials\":true",
        "\"channels\":[\"actr/rpc-reliable\",\"actr/rpc-signal\",\"actr/stream-latency-first\","
        "\"actr/stream-reliable\"]",
        "\"latency_first\":{\"label\":\"actr/stream-latency-first\",\"ordered\":false,"
        "\"maxRetransmits\":2}",
        "\"route\":\"greet\",\"payload\":\"hello page\",\"kind\":\"KIND_CALL\""}) {
    EXPECT_NE(report.find(fact), std::string::npos) << fact << "\n" << report;
  }
  EXPECT_EQ(report.find("\"offer_candidates\":0"), std::string::npos) << report;
  // The page trickled its candidates after its answer (at least one and the end).
  EXPECT_EQ(report.find("\"trickled\":0"), std::string::npos) << report;
  EXPECT_EQ(report.find("\"trickled\":1,"), std::string::npos) << report;
  EXPECT_NE(report.find("\"target\":\"" + browser_id + "\""), std::string::npos) << report;

  std::string hooks = call_beta("hooks");
  std::cout << "node hooks: " << hooks << std::endl;
  EXPECT_NE(hooks.find("on_webrtc_connecting " + browser_id), std::string::npos) << hooks;
  EXPECT_NE(hooks.find("on_webrtc_connected " + browser_id + " relayed=no"), std::string::npos)
      << hooks;
  // No WebSocket was ever dialed (the browser's address never resolves).
  EXPECT_EQ(hooks.find("on_websocket_connecting"), std::string::npos) << hooks;
  EXPECT_EQ(node_->log().find("resolve"), std::string::npos) << node_->log();
  page.kill(SIGTERM);
  EXPECT_EQ(page.wait(), 0) << page.log();
}

}  // namespace
}  // namespace actr::test
