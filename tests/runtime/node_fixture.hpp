// A node of probe actors in a fresh data directory, for the runtime tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "runtime/node.hpp"

namespace actr::test {

std::filesystem::path guest_path(const std::string& name);
std::filesystem::path fresh_dir(const std::string& name);

// "[[actors]]" TOML for the probe workload under type `test/<name>@0.1.0`.
std::string probe_actor(const std::string& name, const std::string& extra = "");

// Starts a node from `toml` (the probe's path substituted for "$PROBE") in data dir `dir`.
std::unique_ptr<runtime::Node> start_node(const std::string& toml, const std::filesystem::path& dir,
                                          runtime::NodeOptions options = {});

std::string text(const workload::CallResult& r);  // reply bytes or "<case>: <message>"
workload::Bytes bytes(const std::string& s);

// A node of runtime_probe actors started from TOML, stopped and removed after the test; skips
// when the probe guest was not built.
class ProbeNodeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  runtime::Node& start(const std::string& toml);
  std::string call(const std::string& target, const std::string& route,
                   const std::string& payload = "");

  std::filesystem::path dir_;
  std::unique_ptr<runtime::Node> node_;
};

}  // namespace actr::test
