// WASI against real third-party guests (../shared/fixtures/components, WASI 0.2.0 through the
// preview1 adapter): every one must link against these definitions, whose types the linker
// checks strictly, and `smoke` must print through wasi:cli/stdout.
#include <filesystem>

#include "actr/component/component.hpp"
#include "support/missing.hpp"
#include "support/shared.hpp"
#include "wasi_harness.hpp"

namespace actr::wasi::test {
namespace {

using component::Value;

std::optional<std::filesystem::path> fixtures_dir() {
  auto shared = actr::test::shared_dir();
  if (!shared) return std::nullopt;
  auto dir = *shared / "fixtures" / "components";
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

class WasiFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fixtures_dir();
    if (!dir_) ACTR_SKIP_MISSING("no ../shared/fixtures/components on this machine");
    auto engine = wasm::make_engine(wasm::EngineKind::Interp);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
  }

  std::optional<std::filesystem::path> dir_;
  std::unique_ptr<wasm::Engine> engine_;
};

TEST_F(WasiFixtures, EveryFixtureLinksItsWasiImports) {
  size_t linked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(*dir_)) {
    if (entry.path().extension() != ".wasm") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto component = component::Component::load_file(*engine_, entry.path());
    ASSERT_TRUE(component.ok()) << component.error().message;
    component::Linker linker(*engine_);
    ASSERT_TRUE(add_to_linker(linker, WasiConfig{}).ok());
    linker.trap_unknown_imports(true);  // the test's own (non-WASI) imports
    auto instance = linker.instantiate(**component);
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    ++linked;
  }
  EXPECT_EQ(linked, 9u);
}

TEST_F(WasiFixtures, SmokePrintsHowdyThroughStdout) {
  auto component = component::Component::load_file(*engine_, *dir_ / "smoke.component.wasm");
  ASSERT_TRUE(component.ok()) << component.error().message;
  component::Linker linker(*engine_);
  std::string out;
  WasiConfig config;
  config.stdout_sink = [&](std::string_view bytes) {
    out.append(bytes);
    return true;
  };
  auto state = add_to_linker(linker, config);
  ASSERT_TRUE(state.ok());
  int thunks = 0;
  linker.func("test:smoke/imports", "thunk", {},
              [&](std::span<const Value>, std::vector<Value>&) -> Result<void> {
                ++thunks;
                return {};
              });
  auto instance = linker.instantiate(**component);
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  auto r = (*instance)->call("thunk", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(thunks, 1);
  EXPECT_EQ(out, "howdy\n");
  EXPECT_FALSE((*state)->exit_status());
}

}  // namespace
}  // namespace actr::wasi::test
