// The embedding facade (include/actr/node/node.hpp): a program loads a node from TOML, calls and
// tells its actors, answers their calls to `shell`, and reads their status and metrics, with the
// public headers only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>

#include "actr/node/node.hpp"

namespace actr::node {
namespace {

namespace fs = std::filesystem;

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }
Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

class NodeFacadeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("actr-facade-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (node_) node_->stop();
    fs::remove_all(dir_);
  }
  std::string toml(const std::string& extra = "") const {
    std::string probe = (fs::path(ACTR_BINARY_DIR) / "guests" / "runtime_probe.wasm").string();
    return "data_dir = \"data\"\nengine = \"interp\"\n" + extra +
           "[[actors]]\nname = \"alpha\"\ncomponent = \"" + probe +
           "\"\ntype = \"test/alpha@0.1.0\"\nmailbox = \"memory\"\n"
           "[[actors]]\nname = \"beta\"\ncomponent = \"" +
           probe + "\"\ntype = \"test/beta@0.1.0\"\nmailbox = \"memory\"\n";
  }
  void start(Options options = {}) {
    auto node = Node::from_toml(toml(), dir_, std::move(options));
    ASSERT_TRUE(node) << node.error().message;
    node_ = std::move(*node);
    auto started = node_->start();
    ASSERT_TRUE(started) << started.error().message;
    for (const ActorStatus& a : node_->actors()) {
      ASSERT_EQ(a.state, "running") << a.name << ": " << a.failure;
    }
  }
  fs::path dir_;
  std::unique_ptr<Node> node_;
};

TEST_F(NodeFacadeTest, CallsTellsAndReportsItsActors) {
  start();
  Reply echo = node_->call("test/alpha", "echo", bytes("hi"));
  ASSERT_TRUE(echo.ok()) << echo.error_kind << ": " << echo.error;
  EXPECT_EQ(text(echo.payload), "hi");

  Reply unknown = node_->call("test/alpha", "no-such-route", {});
  EXPECT_EQ(unknown.error_kind, "unknown-route");
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(node_->call("9:9", "echo", {}).error_kind, "not-found");

  EXPECT_TRUE(node_->tell("test/beta", "count", {}).ok());
  EXPECT_TRUE(node_->tell("test/beta", "count", {}).ok());
  EXPECT_EQ(text(node_->call("test/beta", "get", {}).payload), "2");  // queued behind the tells

  std::promise<Reply> later;
  node_->call_async("test/alpha", "echo", bytes("async"),
                    [&](Reply r) { later.set_value(std::move(r)); });
  EXPECT_EQ(text(later.get_future().get().payload), "async");

  auto actors = node_->actors();
  ASSERT_EQ(actors.size(), 2u);
  EXPECT_EQ(actors[0].name, "alpha");
  EXPECT_EQ(actors[0].id, "1:1");
  EXPECT_EQ(actors[0].type, "test/alpha@0.1.0");
  EXPECT_EQ(actors[0].state, "running");
  EXPECT_EQ(actors[0].tier, "interp");
  EXPECT_TRUE(actors[0].failure.empty());
  EXPECT_TRUE(node_->healthy());
  EXPECT_TRUE(node_->problems().empty());
  EXPECT_NE(node_->metrics_text().find("actr_"), std::string::npos);

  node_->stop();
  EXPECT_FALSE(node_->healthy());
  EXPECT_EQ(node_->actors()[0].state, "stopped");
}

TEST_F(NodeFacadeTest, TheProgramAnswersTheActorsShellCalls) {
  std::atomic<int> calls{0};
  std::string seen_caller;
  Options options;
  options.shell = [&](ShellCall call, std::function<void(Reply)> answer) {
    ++calls;
    seen_caller = call.caller;
    if (call.route == "upper") {
      std::string s = text(call.payload);
      for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      answer(Reply{bytes(s), "", ""});
    } else if (call.route == "busy") {
      answer(Reply{{}, "unavailable", "come back later"});
    } else {
      answer(Reply{{}, "no-such-kind", "made up"});
    }
  };
  start(std::move(options));
  // The probe's "shell" route calls shell with "<route> <payload>" and answers with its reply,
  // or fails with its error.
  EXPECT_EQ(text(node_->call("test/alpha", "shell", bytes("upper abc")).payload), "ABC");
  EXPECT_EQ(seen_caller, "1:1");
  Reply busy = node_->call("test/alpha", "shell", bytes("busy x"));
  EXPECT_EQ(busy.error_kind, "unavailable");
  EXPECT_EQ(busy.error, "come back later");
  Reply other = node_->call("test/alpha", "shell", bytes("other x"));
  EXPECT_EQ(other.error_kind, "internal");
  EXPECT_EQ(other.error, "no-such-kind: made up");
  EXPECT_EQ(calls.load(), 3);
}

TEST_F(NodeFacadeTest, BadConfigurationIsAClearErrorAndNoNode) {
  auto missing = Node::load(dir_ / "absent.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("absent.toml"), std::string::npos)
      << missing.error().message;
  auto bad = Node::from_toml("[[actors]]\nname = 3\n", dir_);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("name"), std::string::npos) << bad.error().message;
}

TEST_F(NodeFacadeTest, LoadsActrTomlFromAFile) {
  std::ofstream(dir_ / "actr.toml") << toml();
  auto node = Node::load(dir_ / "actr.toml");
  ASSERT_TRUE(node) << node.error().message;
  node_ = std::move(*node);
  ASSERT_TRUE(node_->start());
  EXPECT_EQ(text(node_->call("1:2", "echo", bytes("from file")).payload), "from file");
}

}  // namespace
}  // namespace actr::node
