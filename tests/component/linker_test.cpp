// Linker behaviour that is independent of any one world: strict import type checks with a
// readable first difference, semver-compatible interface matching, unknown imports that trap,
// and dropping guest-defined resources from the host.
#include "actr/component/linker.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "actr/component/component.hpp"
#include "component/linker/import_name.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"

namespace actr::component {
namespace {

std::filesystem::path workload_guest() {
  return std::filesystem::path(ACTR_BINARY_DIR) / "guests" / "workload_all.wasm";
}

class LinkerTest : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(workload_guest()))
      ACTR_SKIP_MISSING("guest workload_all not built");
    auto engine = wasm::make_engine(GetParam());
    if (!engine) ACTR_SKIP_MISSING(engine.error().message);
    engine_ = std::move(*engine);
    auto c = Component::load_file(*engine_, workload_guest());
    ASSERT_TRUE(c.ok()) << c.error().message;
    component_ = *c;
  }

  // Defines every host function of the actr world under `interface`, recording log lines.
  void define_host(Linker& linker, std::string_view interface) {
    for (const auto& f : test::workload_host_funcs()) {
      linker.func(
          interface, f.name, f.type,
          [this, name = f.name](std::span<const Value> args, std::vector<Value>&) -> Result<void> {
            if (name == "log-message") {
              logs_.push_back(args[1].str);
              return {};
            }
            return make_error(name + " not expected");
          });
    }
  }

  Value envelope(std::string route) {
    test::RpcEnvelope e;
    e.request_id = "r1";
    e.route_key = std::move(route);
    e.payload = test::bytes_of("hi");
    return test::to_value(e);
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const Component> component_;
  std::vector<std::string> logs_;
};

TEST_P(LinkerTest, MismatchNamesTheImportTheTypeAndTheFirstDifference) {
  Linker linker(*engine_);
  define_host(linker, test::kWorkloadHostInterface);
  // The host's actr-error swaps the names of cases 1 and 2.
  const auto& t = test::workload_types();
  std::vector<Case> cases = t.actr_error->cases;
  std::swap(cases[1].name, cases[2].name);
  auto wrong_error = variant_of(cases);
  FuncType tell;
  for (const auto& f : test::workload_host_funcs()) {
    if (f.name == "tell") tell = f.type;
  }
  tell.results[0].type = result_of(nullptr, wrong_error);
  linker.func(test::kWorkloadHostInterface, "tell", tell,
              [](std::span<const Value>, std::vector<Value>&) -> Result<void> { return {}; });
  auto inst = linker.instantiate(*component_);
  ASSERT_FALSE(inst.ok());
  const std::string& m = inst.error().message;
  EXPECT_NE(m.find("actr:workload/host@0.1.0#tell"), std::string::npos) << m;
  EXPECT_NE(m.find("actr-error"), std::string::npos) << m;
  EXPECT_NE(m.find("case 1 is `timed-out` in the component, `not-found` in the host"),
            std::string::npos)
      << m;
}

TEST_P(LinkerTest, NewerPatchAndMinorOfZeroMajorMatchOnlyTheSameMinor) {
  {
    Linker linker(*engine_);
    define_host(linker, "actr:workload/host@0.1.7");  // satisfies @0.1.0
    auto inst = linker.instantiate(*component_);
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    std::vector<Value> args{envelope("echo")};
    auto r = (*inst)->call("actr:workload/workload@0.1.0#dispatch", args);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(logs_.empty());
  }
  {
    Linker linker(*engine_);
    define_host(linker, "actr:workload/host@0.2.0");  // does not satisfy @0.1.0
    auto inst = linker.instantiate(*component_);
    ASSERT_FALSE(inst.ok());
    EXPECT_NE(inst.error().message.find("is not defined by the host"), std::string::npos)
        << inst.error().message;
  }
}

TEST_P(LinkerTest, UnknownImportsTrapOnlyWhenCalled) {
  Linker linker(*engine_);
  linker.trap_unknown_imports(true);
  auto inst = linker.instantiate(*component_);
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  // `echo` logs through log-message, which is not defined: the call traps with its name.
  std::vector<Value> args{envelope("echo")};
  auto r = (*inst)->call("actr:workload/workload@0.1.0#dispatch", args);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("unknown import `actr:workload/host@0.1.0#log-message` called"),
            std::string::npos)
      << r.error().message;
  EXPECT_TRUE((*inst)->poisoned());
}

TEST_P(LinkerTest, MissingExportIsAnError) {
  Linker linker(*engine_);
  define_host(linker, test::kWorkloadHostInterface);
  auto inst = linker.instantiate(*component_);
  ASSERT_TRUE(inst.ok()) << inst.error().message;
  EXPECT_EQ((*inst)->func("nope"), nullptr);
  auto r = (*inst)->call("nope", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no exported function named `nope`"), std::string::npos);
  auto names = (*inst)->func_names();
  EXPECT_EQ(names.size(), 18u);
}

INSTANTIATE_TEST_SUITE_P(Engines, LinkerTest,
                         ::testing::Values(wasm::EngineKind::Interp, wasm::EngineKind::Aot),
                         [](const auto& info) {
                           return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
                         });

TEST(ImportName, ParsesAndMatchesVersions) {
  auto n = parse_interface_name("wasi:io/streams@0.2.6");
  EXPECT_EQ(n.base, "wasi:io/streams");
  ASSERT_TRUE(n.version);
  EXPECT_EQ(n.version->minor, 2u);
  EXPECT_EQ(n.version->patch, 6u);
  EXPECT_FALSE(parse_interface_name("plain").version);
  EXPECT_FALSE(parse_interface_name("a:b/c@1.x").version);
  EXPECT_TRUE(compatible({0, 2, 0, ""}, {0, 2, 12, ""}));
  EXPECT_FALSE(compatible({0, 2, 0, ""}, {0, 3, 0, ""}));
  EXPECT_TRUE(compatible({1, 0, 0, ""}, {1, 4, 2, ""}));
  EXPECT_FALSE(compatible({1, 0, 0, ""}, {2, 0, 0, ""}));
  EXPECT_FALSE(compatible({0, 0, 1, ""}, {0, 0, 2, ""}));
  EXPECT_FALSE(compatible({0, 2, 0, "-rc1"}, {0, 2, 0, ""}));
  EXPECT_TRUE(older({0, 2, 0, ""}, {0, 2, 12, ""}));
}

}  // namespace
}  // namespace actr::component
