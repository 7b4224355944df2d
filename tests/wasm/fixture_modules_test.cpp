// Every core module inside the third-party fixture components (wit-component output, including
// the WASI preview1 adapter with its name section) compiles on each engine.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "support/missing.hpp"
#include "support/shared.hpp"

namespace actr::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

// Reads an unsigned LEB128; false at the end of the input or on an overlong encoding.
bool read_leb(const Bytes& in, size_t& pos, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64 && pos < in.size(); shift += 7) {
    const uint8_t byte = in[pos++];
    out |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// Appends the core modules of a component binary (section id 1), descending into nested
// components (section id 4). Only the section framing is read.
bool collect_core_modules(const Bytes& component, size_t begin, size_t end,
                          std::vector<Bytes>& out) {
  size_t pos = begin + 8;  // magic, version, layer
  while (pos < end) {
    const uint8_t id = component[pos++];
    uint64_t size = 0;
    if (!read_leb(component, pos, size) || size > end - pos) return false;
    if (id == 1) out.emplace_back(component.begin() + pos, component.begin() + pos + size);
    if (id == 4 && !collect_core_modules(component, pos, pos + size, out)) return false;
    pos += size;
  }
  return pos == end;
}

class FixtureModulesTest : public ::testing::TestWithParam<EngineKind> {};

TEST_P(FixtureModulesTest, CoreModulesOfFixtureComponentsCompile) {
  auto shared = test::shared_dir();
  if (!shared) ACTR_SKIP_MISSING("no shared inputs at " << ACTR_SHARED_DIR);
  const auto dir = *shared / "fixtures" / "components";
  if (!std::filesystem::is_directory(dir)) ACTR_SKIP_MISSING("no fixture components in " << dir);
  EngineOptions options;
  options.cache_dir = std::filesystem::path(ACTR_BINARY_DIR) / "test-aot-cache";
  auto engine = make_engine(GetParam(), options);
  if (!engine) ACTR_SKIP_MISSING("engine unavailable: " << engine.error().message);

  size_t compiled = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".wasm") continue;
    SCOPED_TRACE(entry.path().filename().string());
    std::ifstream file(entry.path(), std::ios::binary);
    const Bytes component{std::istreambuf_iterator<char>(file), {}};
    std::vector<Bytes> modules;
    ASSERT_TRUE(collect_core_modules(component, 0, component.size(), modules));
    EXPECT_FALSE(modules.empty());
    for (size_t i = 0; i < modules.size(); ++i) {
      auto module = (*engine)->compile(modules[i]);
      EXPECT_TRUE(module.ok()) << "core module " << i << ": " << module.error().message;
      if (module) ++compiled;
    }
  }
  EXPECT_GT(compiled, 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, FixtureModulesTest,
                         ::testing::Values(EngineKind::Interp, EngineKind::Aot),
                         [](const ::testing::TestParamInfo<EngineKind>& info) {
                           return std::string(info.param == EngineKind::Aot ? "aot" : "interp");
                         });

}  // namespace
}  // namespace actr::wasm
