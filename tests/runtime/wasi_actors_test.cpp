// WASI for actors: a workload that uses libc (wasi_probe, C++) and a JavaScript workload built by
// componentize-js with its default features (js-echo) run as actors under the node's
// deny-by-default WASI policy ([actors.wasi], docs/RUNTIME.md "WASI").
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "gateway/client.hpp"
#include "gateway/node_gateway.hpp"
#include "node_fixture.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

using namespace std::chrono_literals;

// Captures what the node logs while a test runs.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(20000)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  std::vector<std::string> lines() { return sink_->last_formatted(); }
  size_t count(const std::string& needle) {
    size_t n = 0;
    for (const auto& l : lines()) n += l.find(needle) != std::string::npos;
    return n;
  }
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout = 3s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (count(needle) > 0) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

class WasiActorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(guest_path("wasi_probe"))) {
      ACTR_SKIP_MISSING("wasi_probe.wasm was not built (no wasm32 toolchain)");
    }
    dir_ = fresh_dir(std::string("wasi-") +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    if (node_) node_->stop();
    node_.reset();
    std::filesystem::remove_all(dir_);
  }
  void start(const std::string& extra_actor_toml, const std::string& node_toml = "") {
    std::string toml = node_toml + "[[actors]]\nname = \"probe\"\ncomponent = \"" +
                       guest_path("wasi_probe").string() + "\"\n" + extra_actor_toml + "\n";
    node_ = start_node(toml, dir_);
    ASSERT_TRUE(node_);
  }
  std::string call(const std::string& route, const std::string& payload = "") {
    return text(node_->call_sync("probe", route, bytes(payload)));
  }

  std::filesystem::path dir_;
  std::unique_ptr<runtime::Node> node_;
  LogCapture log_;
};

TEST_F(WasiActorTest, TheEnvironmentHoldsOnlyWhatTheConfigurationGrants) {
  ::setenv("ACTR_NODE_SECRET", "must-not-leak", 1);
  start("[actors.wasi]\nenv = { GREETING = \"hello\", LANG = \"C\" }\nargs = [\"probe\", \"-v\"]");
  EXPECT_EQ(call("env", "GREETING"), "hello");
  EXPECT_EQ(call("env", "ACTR_NODE_SECRET"), "not-found: no ACTR_NODE_SECRET");
  EXPECT_EQ(call("env", "PATH"), "not-found: no PATH");
  EXPECT_EQ(call("environ"), "GREETING=hello\nLANG=C\n");
  ::unsetenv("ACTR_NODE_SECRET");
}

// A WASI state costs every instance memory: only instances of components that import WASI get one,
// each its own (what one writes to its streams, env and descriptors is not another's).
TEST_F(WasiActorTest, OnlyInstancesOfComponentsThatImportWasiHaveAWasiStateEachTheirOwn) {
  start("instances = 2\nmailbox = \"memory\"", probe_actor("plain", "mailbox = \"memory\""));
  std::set<const wasi::WasiState*> states;
  for (const auto& actor : node_->actors()) {
    if (actor->config().name == "plain") {
      EXPECT_EQ(actor->wasi_state(), nullptr) << actor->label();
    } else {
      ASSERT_NE(actor->wasi_state(), nullptr) << actor->label();
      states.insert(actor->wasi_state());
    }
  }
  EXPECT_EQ(states.size(), 2u);
  EXPECT_EQ(call("environ"), "");
  EXPECT_EQ(text(node_->call_sync("plain", "echo", bytes("still works"))), "still works");
}

TEST_F(WasiActorTest, WithoutAPolicyAnActorSeesNothingOfTheNode) {
  start("");
  EXPECT_EQ(call("environ"), "");
  EXPECT_EQ(call("stdin"), "eof");
  // No preopened directory: no file of the machine can be opened.
  EXPECT_NE(call("open", "/etc/passwd"), "opened");
  EXPECT_NE(call("open", "actr.toml"), "opened");
}

TEST_F(WasiActorTest, StdoutAndStderrReachTheNodeLogALineAtATimeTaggedWithTheActor) {
  start("");
  EXPECT_EQ(call("print", "to stdout"), "ok");
  EXPECT_EQ(call("eprint", "to stderr"), "ok");
  EXPECT_TRUE(log_.wait_for("[probe#0 (1:1) stdout] to stdout"));
  EXPECT_TRUE(log_.wait_for("[probe#0 (1:1) stderr] to stderr"));
}

TEST_F(WasiActorTest, OutputIsRateLimited) {
  start("[actors.wasi]\nlog_lines_per_second = 5");
  EXPECT_EQ(call("spam", "500"), "ok");  // a burst of 50 passes, the rest is dropped
  EXPECT_LE(log_.count("] spam line "), 60u);
  EXPECT_GE(log_.count("] spam line "), 40u);
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(call("print", "after the flood"), "ok");
  EXPECT_TRUE(log_.wait_for("lines dropped: more than 5 a second"));
  EXPECT_TRUE(log_.wait_for("] after the flood"));
}

TEST_F(WasiActorTest, ClocksAndRandomWork) {
  start("");
  long long now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  long long guest = std::stoll(call("time"));
  EXPECT_LE(std::llabs(guest - now), 5);
  std::string a = call("random"), b = call("random");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST_F(WasiActorTest, ExitEndsTheCallAndIsReportedLikeATrap) {
  start("mailbox = \"memory\"\nrestart = { backoff_ms = 1 }");
  std::string r = call("exit", "3");
  EXPECT_EQ(r.rfind("internal: actor probe#0 (1:1) trapped in dispatch of route `exit`", 0), 0u)
      << r;
  EXPECT_NE(r.find("exit"), std::string::npos) << r;
  std::string back;
  for (int i = 0; i < 100 && back != "hello"; ++i) {
    back = call("print", "hello") == "ok" ? "hello" : "";
    if (back.empty()) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(back, "hello");
  EXPECT_EQ(node_->find(1)->restarts(), 1u);
  std::string metrics = node_->metrics_registry().render();
  EXPECT_NE(metrics.find("actr_actor_traps_total{actor=\"probe#0\",kind=\"exit\"} 1"),
            std::string::npos)
      << metrics;
}

// A granted directory: readable under its guest path, nothing outside it, read-only unless the
// grant says `write`.
TEST_F(WasiActorTest, AGrantedDirectoryIsReadableAndNothingElse) {
  std::filesystem::create_directories(dir_ / "data" / "sub");
  std::ofstream(dir_ / "data" / "hello.txt") << "hello from the host";
  std::ofstream(dir_ / "secret.txt") << "outside the grant";
  std::filesystem::create_symlink(dir_ / "secret.txt", dir_ / "data" / "escape");
  start("[actors.wasi]\ndirs = [{ host = \"data\", guest = \"/data\" }]");
  EXPECT_EQ(call("read", "/data/hello.txt"), "hello from the host");
  EXPECT_EQ(call("ls", "/data"), "escape\nhello.txt\nsub\n");
  EXPECT_EQ(call("read", "/data/../secret.txt").rfind("error: ", 0), 0u);
  EXPECT_EQ(call("read", "/data/escape").rfind("error: ", 0), 0u);  // a symlink out
  EXPECT_EQ(call("read", "/data/sub/../../secret.txt").rfind("error: ", 0), 0u);
  EXPECT_EQ(call("read", (dir_ / "secret.txt").string()).rfind("error: ", 0), 0u);
  EXPECT_EQ(call("read", "/etc/passwd").rfind("error: ", 0), 0u);
  // Read-only: no change of any kind.
  EXPECT_EQ(call("write", "/data/new.txt\nx").rfind("error: ", 0), 0u);
  EXPECT_EQ(call("write", "/data/hello.txt\nx").rfind("error: ", 0), 0u);
  EXPECT_EQ(call("mkdir", "/data/made").rfind("error: ", 0), 0u);
  EXPECT_EQ(call("rm", "/data/hello.txt").rfind("error: ", 0), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data" / "new.txt"));
  EXPECT_EQ(call("read", "/data/hello.txt"), "hello from the host");
}

TEST_F(WasiActorTest, AWritableGrantLetsTheActorChangeItsTreeOnly) {
  std::filesystem::create_directories(dir_ / "state");
  start("[actors.wasi]\ndirs = [{ host = \"state\", guest = \"/state\", write = true }]");
  EXPECT_EQ(call("write", "/state/note.txt\nkept by the actor"), "ok");
  EXPECT_EQ(call("read", "/state/note.txt"), "kept by the actor");
  std::ifstream in(dir_ / "state" / "note.txt");
  std::string on_disk((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(on_disk, "kept by the actor");
  EXPECT_EQ(call("mkdir", "/state/sub"), "ok");
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "state" / "sub"));
  EXPECT_EQ(call("rm", "/state/note.txt"), "ok");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state" / "note.txt"));
  EXPECT_EQ(call("write", "/state/../outside.txt\nno").rfind("error: ", 0), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "outside.txt"));
}

TEST(WasiPolicyConfig, CapabilitiesThisHostDoesNotProvideAreRefusedByName) {
  auto parse = [](const std::string& wasi) {
    auto c = runtime::parse_config(
        "[[actors]]\nname = \"a\"\ncomponent = \"a.wasm\"\n[actors.wasi]\n" + wasi, "/tmp");
    return c ? std::string("ok") : c.error().message;
  };
  EXPECT_EQ(parse("env = { A = \"1\" }\nhttp = false\nsockets = false"), "ok");
  EXPECT_NE(parse("http = true")
                .find("`actors[0].wasi.http`: outgoing HTTP (wasi:http) cannot "
                      "be granted: this host does not provide it yet"),
            std::string::npos)
      << parse("http = true");
  EXPECT_NE(parse("sockets = true").find("sockets (wasi:sockets) cannot be granted"),
            std::string::npos);
  EXPECT_NE(parse("dirs = [\"data\"]").find("`actors[0].wasi.dirs` entries are tables"),
            std::string::npos)
      << parse("dirs = [\"data\"]");
  EXPECT_NE(parse("dirs = [{ host = \"/nonexistent-dir\", guest = \"/d\" }]")
                .find("/nonexistent-dir is not a directory"),
            std::string::npos);
  EXPECT_NE(parse("dirs = [{ host = \"/tmp\", guest = \"d\" }]").find("an absolute path"),
            std::string::npos);
  EXPECT_EQ(parse("dirs = [{ host = \"/tmp\", guest = \"/tmp\", write = true }]"), "ok");
  EXPECT_NE(parse("env = { A = 1 }").find("`actors[0].wasi.env.A` must be a string"),
            std::string::npos);
  EXPECT_NE(parse("preopens = 1").find("unknown key `actors[0].wasi.preopens`"), std::string::npos);
}

// The acceptance test of issue 11: a JavaScript workload built by componentize-js with its
// default features (it imports wasi:io, clocks, cli, filesystem, random and http) runs as an
// actor; its routes answer; console.log reaches the node log; HTTP, which the node does not
// grant, fails naming the import and the setting.
class JsWorkloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(guest_path("js-echo"))) {
      ACTR_SKIP_MISSING("js-echo.wasm was not built (needs node and componentize-js: npm ci)");
    }
    dir_ = fresh_dir("js-workload");
  }
  void TearDown() override {
    if (node_) node_->stop();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<runtime::Node> node_;
  LogCapture log_;
};

TEST_F(JsWorkloadTest, RunsAsAnActorWithWasi) {
  node_ = start_node(
      "engine = \"interp\"\n[gateway]\nport = 0\n[[actors]]\nname = \"js\"\n"
      "component = \"" +
          guest_path("js-echo").string() +
          "\"\nmailbox = \"memory\"\nrestart = { backoff_ms = 1 }\n" + probe_actor("echo"),
      dir_);
  ASSERT_TRUE(node_);
  // Through the HTTP gateway, as a client would.
  auto http = gateway::NodeGateway::start(*node_);
  ASSERT_TRUE(http) << http.error().message;
  std::string url = (*http)->url();
  gateway::Client client;
  auto call = [&](const std::string& route, const std::string& payload = "") -> std::string {
    auto r = client.post(url, "js", route, bytes(payload));
    if (!r) return "transport error: " + r.error().message;
    return text(*r);
  };
  EXPECT_EQ(call("echo", "hello, js"), "hello, js");
  EXPECT_EQ(call("reverse", "stressed"), "desserts");
  EXPECT_EQ(call("count"), "1");
  EXPECT_EQ(call("count"), "2");  // the instance keeps its state between calls
  EXPECT_EQ(call("random").size(), 32u);
  long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_LE(std::llabs(std::stoll(call("now")) - now_ms), 5000);
  EXPECT_EQ(call("who").rfind("self=1:1 caller=none req=", 0), 0u) << call("who");
  EXPECT_EQ(call("greet", "world"), "Hello, world");  // discover + call another actor
  EXPECT_EQ(call("nope"), "unknown-route: nope");
  EXPECT_EQ(call("log", "from the page"), "");
  EXPECT_TRUE(log_.wait_for("[js#0 (1:1) stdout] js-echo says: from the page"));
  EXPECT_TRUE(log_.wait_for("js-echo logged: from the page"));
  std::string fetch = call("fetch", "http://127.0.0.1:1/");
  EXPECT_EQ(fetch.rfind("internal: actor js#0 (1:1) trapped in dispatch of route `fetch`", 0), 0u)
      << fetch;
  EXPECT_NE(fetch.find("`wasi:http/"), std::string::npos) << fetch;
  EXPECT_NE(fetch.find("outgoing HTTP is not granted ([actors.wasi] http"), std::string::npos)
      << fetch;
  // A fresh instance serves again.
  std::string back;
  for (int i = 0; i < 300 && back != "again"; ++i) {
    back = call("echo", "again");
    if (back != "again") std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(back, "again");
}

}  // namespace
}  // namespace actr::test
