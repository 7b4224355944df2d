#include "actr/wasm/trap.hpp"
#include "wasi/exit_status.hpp"
#include "wasi_harness.hpp"

namespace actr::wasi::test {
namespace {

using component::Kind;
using component::Value;

constexpr const char* kEnv = "wasi:cli/environment";

TEST(WasiCli, EnvironmentAndArgumentsAreEmptyByDefault) {
  WasiHarness h;
  EXPECT_EQ(h.ok(kEnv, "get-environment"), Value::list({}));
  EXPECT_EQ(h.ok(kEnv, "get-arguments"), Value::list({}));
  EXPECT_EQ(h.ok(kEnv, "initial-cwd"), Value::none());
}

TEST(WasiCli, EnvironmentAndArgumentsAreAsConfigured) {
  WasiConfig config;
  config.env = {{"HOME", "/home/actor"}, {"EMPTY", ""}};
  config.args = {"echo", "hello world", ""};
  config.initial_cwd = "/";
  WasiHarness h(config);
  EXPECT_EQ(h.ok(kEnv, "get-environment"),
            Value::list({Value::tuple({Value::string("HOME"), Value::string("/home/actor")}),
                         Value::tuple({Value::string("EMPTY"), Value::string("")})}));
  EXPECT_EQ(h.ok(kEnv, "get-arguments"),
            Value::list({Value::string("echo"), Value::string("hello world"), Value::string("")}));
  EXPECT_EQ(h.ok(kEnv, "initial-cwd"), Value::some(Value::string("/")));
}

TEST(WasiCli, ExitOkTrapsWithStatusZero) {
  WasiHarness h;
  EXPECT_FALSE(h.state().exit_status());
  auto r = h.call("wasi:cli/exit", "exit", {Value::ok()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "exit with status 0");
  EXPECT_TRUE(r.error().is(ErrorCategory::GuestExit, 0));
  EXPECT_EQ(h.state().exit_status(), 0);
  EXPECT_EQ(exit_status_of(r.error()), 0);
}

TEST(WasiCli, ExitErrTrapsWithStatusOne) {
  WasiHarness h;
  auto r = h.call("wasi:cli/exit", "exit", {Value::err()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "exit with status 1");
  EXPECT_TRUE(r.error().is(ErrorCategory::GuestExit, 1));
  EXPECT_EQ(h.state().exit_status(), 1);
}

TEST(WasiCli, ExitWithCodeKeepsTheCode) {
  WasiHarness h;
  auto r = h.call("wasi:cli/exit", "exit-with-code", {Value::u8(42)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "exit with status 42");
  EXPECT_EQ(h.state().exit_status(), 42);
}

TEST(WasiCli, ExitStatusSurvivesAWrappedMessage) {
  Error wrapped = make_error("guest trapped in `run`: exit with status 3");
  EXPECT_EQ(exit_status_of(wrapped), 3);
  EXPECT_EQ(exit_status_of(wasm::make_trap(wasm::TrapKind::Unreachable)), std::nullopt);
  EXPECT_EQ(exit_status_of(make_error("exit with status ")), std::nullopt);
  // A trap of the host kind keeps the exit's category when it crosses into the guest.
  Error exit = make_error("exit with status 7", ErrorCategory::GuestExit, 7);
  wasm::as_guest_trap(exit);
  EXPECT_EQ(exit_status_of(exit), 7);
  EXPECT_TRUE(wasm::ends_guest_call(exit));
}

TEST(WasiCli, NoTerminals) {
  WasiHarness h;
  EXPECT_EQ(h.ok("wasi:cli/terminal-stdin", "get-terminal-stdin"), Value::none());
  EXPECT_EQ(h.ok("wasi:cli/terminal-stdout", "get-terminal-stdout"), Value::none());
  EXPECT_EQ(h.ok("wasi:cli/terminal-stderr", "get-terminal-stderr"), Value::none());
  EXPECT_TRUE(h.resource("wasi:cli/terminal-input", "terminal-input"));
  EXPECT_TRUE(h.resource("wasi:cli/terminal-output", "terminal-output"));
}

TEST(WasiCli, StatesAreIndependent) {
  WasiConfig a;
  a.args = {"a"};
  WasiHarness ha(a), hb;
  ASSERT_FALSE(ha.call("wasi:cli/exit", "exit-with-code", {Value::u8(7)}).ok());
  EXPECT_EQ(ha.state().exit_status(), 7);
  EXPECT_FALSE(hb.state().exit_status());
  EXPECT_EQ(hb.ok(kEnv, "get-arguments"), Value::list({}));
}

TEST(WasiCli, AddToLinkerRejectsANullState) {
  NoEngine engine;
  component::Linker linker(engine);
  auto r = add_to_linker(linker, std::shared_ptr<WasiState>());
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(linker.definitions().empty());
}

}  // namespace
}  // namespace actr::wasi::test
