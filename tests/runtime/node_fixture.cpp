#include "node_fixture.hpp"

#include <unistd.h>

#include "runtime/config.hpp"
#include "support/missing.hpp"

namespace actr::test {

std::filesystem::path guest_path(const std::string& name) {
  return std::filesystem::path(ACTR_BINARY_DIR) / "guests" / (name + ".wasm");
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("actr-runtime-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string probe_actor(const std::string& name, const std::string& extra) {
  return "[[actors]]\nname = \"" + name + "\"\ncomponent = \"$PROBE\"\ntype = \"test/" + name +
         "@0.1.0\"\n" + extra + "\n";
}

std::unique_ptr<runtime::Node> start_node(const std::string& toml, const std::filesystem::path& dir,
                                          runtime::NodeOptions options) {
  std::string text = toml;
  std::string probe = guest_path("runtime_probe").string();
  for (size_t at; (at = text.find("$PROBE")) != std::string::npos;) text.replace(at, 6, probe);
  auto config = runtime::parse_config(text, dir);
  EXPECT_TRUE(config) << (config ? "" : config.error().message);
  if (!config) return nullptr;
  auto node = runtime::Node::create(std::move(*config), std::move(options));
  EXPECT_TRUE(node) << (node ? "" : node.error().message);
  if (!node) return nullptr;
  auto started = (*node)->start();
  EXPECT_TRUE(started) << (started ? "" : started.error().message);
  return std::move(*node);
}

std::string text(const workload::CallResult& r) {
  if (r.is_ok()) return std::string(r.value().begin(), r.value().end());
  return workload::describe(r.error());
}

workload::Bytes bytes(const std::string& s) { return workload::Bytes(s.begin(), s.end()); }

void ProbeNodeTest::SetUp() {
  if (!std::filesystem::exists(guest_path("runtime_probe"))) {
    ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
  }
}

void ProbeNodeTest::TearDown() {
  if (node_) node_->stop();
  node_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

runtime::Node& ProbeNodeTest::start(const std::string& toml) {
  dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  node_ = start_node(toml, dir_);
  if (!node_) throw std::runtime_error("node did not start");
  return *node_;
}

std::string ProbeNodeTest::call(const std::string& target, const std::string& route,
                                const std::string& payload) {
  return text(node_->call_sync(target, route, bytes(payload)));
}

}  // namespace actr::test
