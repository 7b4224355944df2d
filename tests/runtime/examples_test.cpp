// The SDK examples as actors of a real node: greeter discovers echo and calls it.
#include <gtest/gtest.h>

#include "node_fixture.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

TEST(ExamplesOnANode, GreeterCallsEchoThroughTheRuntime) {
  for (const char* g : {"echo", "greeter", "counter"}) {
    if (!std::filesystem::exists(guest_path(g))) ACTR_SKIP_MISSING(g << ".wasm was not built");
  }
  auto dir = fresh_dir("examples");
  std::string toml;
  for (auto [name, instances] : {std::pair{"echo", 2}, {"greeter", 1}, {"counter", 1}}) {
    toml += "[[actors]]\nname = \"" + std::string(name) + "\"\ncomponent = \"" +
            guest_path(name).string() + "\"\ntype = \"acme/" + name +
            "@0.1.0\"\ninstances = " + std::to_string(instances) + "\n";
  }
  auto node = start_node(toml, dir);
  ASSERT_TRUE(node);
  EXPECT_EQ(text(node->call_sync("acme/greeter", "greet", bytes("world"))), "Hello, world");
  EXPECT_EQ(text(node->call_sync("acme/echo", "reverse", bytes("abc"))), "cba");
  EXPECT_EQ(text(node->call_sync("counter", "add", bytes("40"))), "40");
  EXPECT_EQ(text(node->call_sync("counter", "add", bytes("2"))), "42");
  EXPECT_EQ(text(node->call_sync("counter", "add", bytes("x"))).rfind("invalid-argument", 0), 0u);
  node->stop();
  // Without an echo actor the greeter answers why, unchanged.
  node = start_node("[[actors]]\nname = \"greeter\"\ncomponent = \"" +
                        guest_path("greeter").string() + "\"\ntype = \"acme/greeter@0.1.0\"\n",
                    dir);
  ASSERT_TRUE(node);
  EXPECT_EQ(text(node->call_sync("greeter", "greet", bytes("x"))),
            "dependency-not-found: acme/echo@0.1.0: no running actor of this type in realm 1");
  node->stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace actr::test
