// A component wrapped by actr-componentize (no jco) runs as an actor of a node and answers calls:
// the echo example's core module is wrapped here, into a fresh directory, and served.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "node_fixture.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

TEST(NativelyWrappedComponent, AnActorOfANodeAnswersACall) {
#ifndef ACTR_COMPONENTIZE_EXE
  ACTR_SKIP_MISSING("actr-componentize or the echo guest is not part of this build");
#else
  std::filesystem::path core = ACTR_ECHO_CORE_MODULE;
  if (!std::filesystem::exists(core)) ACTR_SKIP_MISSING(core << " was not built");
  auto dir = fresh_dir("componentize");
  auto component = dir / "echo.wasm";
  std::string cmd = std::string(ACTR_COMPONENTIZE_EXE) + " " + core.string() + " --wit " +
                    ACTR_SOURCE_ROOT + "/wit/actr-workload.wit --world actr-workload-guest -o " +
                    component.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto node = start_node("[[actors]]\nname = \"echo\"\ncomponent = \"" + component.string() +
                             "\"\ntype = \"acme/echo@0.1.0\"\n",
                         dir);
  ASSERT_TRUE(node);
  EXPECT_EQ(text(node->call_sync("acme/echo", "reverse", bytes("abc"))), "cba");
  node->stop();
  std::filesystem::remove_all(dir);
#endif
}

}  // namespace
}  // namespace actr::test
