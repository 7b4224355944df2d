// actr-componentize: the components it wraps for every non-WASI guest of the build validate and
// have the world of jco's component made from the same core module; bad core modules are refused
// with a message naming what is wrong; the component encoder round-trips jco's output.
#include "componentize/componentize.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "component/binary/core_writer.hpp"
#include "component/binary/decoder.hpp"
#include "component/binary/encoder.hpp"
#include "component/validate/validator.hpp"
#include "component/wit/wit_printer.hpp"
#include "support/missing.hpp"
#include "witgen/resolver.hpp"

namespace actr::componentize {
namespace {

namespace fs = std::filesystem;
namespace binary = component::binary;

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Guest {
  std::string name;
  fs::path component, core, reference;  // reference: empty without jco
};

std::vector<Guest> guests() {
  std::vector<Guest> out;
  std::ifstream in(ACTR_COMPONENTIZE_MANIFEST);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Guest g;
    std::string component, core, reference;
    std::getline(fields, g.name, '\t');
    std::getline(fields, component, '\t');
    std::getline(fields, core, '\t');
    std::getline(fields, reference, '\t');
    g.component = component;
    g.core = core;
    if (reference != "-") g.reference = reference;
    out.push_back(std::move(g));
  }
  return out;
}

// The world of a component with every interface it names spelled out, so that equal text means
// equal names and equal types of every import and export.
std::string full_wit(const component::ast::Component& c) {
  component::wit::WitOptions options;
  options.dependencies = true;
  auto wit = component::wit::component_wit(c, options);
  EXPECT_TRUE(wit) << wit.error().message;
  return wit ? *wit : "";
}

std::vector<std::string> top_level_names(const component::ast::Component& c) {
  std::vector<std::string> names;
  for (const auto& d : c.defs) {
    if (d.kind == component::ast::Definition::Kind::Import)
      names.push_back("import " + d.import.name);
    if (d.kind == component::ast::Definition::Kind::Export)
      names.push_back("export " + d.export_.name);
  }
  return names;
}

TEST(ComponentizeGuests, EveryNativeGuestValidatesAndHasJcosWorld) {
  auto all = guests();
  if (all.empty()) ACTR_SKIP_MISSING("no natively wrapped guest was built (guest toolchain?)");
  bool compared = false;
  for (const auto& g : all) {
    SCOPED_TRACE(g.name);
    ASSERT_TRUE(fs::exists(g.component)) << g.component;
    auto ours = binary::decode(read_bytes(g.component));
    ASSERT_TRUE(ours) << ours.error().message;
    auto valid = component::validate::validate(**ours);
    ASSERT_TRUE(valid) << valid.error().message;
    if (g.reference.empty()) continue;
    ASSERT_TRUE(fs::exists(g.reference)) << g.reference;
    auto theirs = binary::decode(read_bytes(g.reference));
    ASSERT_TRUE(theirs) << theirs.error().message;
    EXPECT_EQ(top_level_names(**ours), top_level_names(**theirs));
    EXPECT_EQ(full_wit(**ours), full_wit(**theirs));
    compared = true;
  }
  if (!compared) {
    GTEST_SKIP() << "node or jco is missing: the components validate, but were not compared with "
                    "jco's (run `npm ci` and reconfigure)";
  }
}

// The build's components are what the library makes of the same core module: the wrapping is a
// function of its inputs (no time stamps, no paths), so rebuilds are reproducible.
TEST(ComponentizeGuests, TheLibraryWrapsTheSameBytesAsTheBuild) {
  auto all = guests();
  if (all.empty()) ACTR_SKIP_MISSING("no natively wrapped guest was built (guest toolchain?)");
  for (const auto& g : all) {
    if (g.name != "echo" && g.name != "adder") continue;
    SCOPED_TRACE(g.name);
    auto wit = g.name == "echo" ? fs::path(ACTR_SOURCE_ROOT) / "wit/actr-workload.wit"
                                : fs::path(ACTR_SOURCE_ROOT) / "examples/adder/adder.wit";
    auto packages = witgen::load_wit(wit.string());
    ASSERT_TRUE(packages) << packages.error().message;
    auto world = packages->world(g.name == "echo" ? "actr-workload-guest" : "adder");
    ASSERT_TRUE(world) << world.error().message;
    auto bytes = componentize(**world, read_bytes(g.core));
    ASSERT_TRUE(bytes) << bytes.error().message;
    EXPECT_EQ(*bytes, read_bytes(g.component));
  }
}

// ---- bad input ----

constexpr const char* kAdderWit = R"(package docs:adder@0.1.0;
interface add {
  add: func(a: u32, b: u32) -> u32;
  greet: func(name: string) -> string;
}
interface log {
  write: func(line: string);
}
world adder {
  import log;
  export add;
}
)";

using wasm::ValType;

// A core module exporting `exports` (functions that trap) and importing `imports`.
std::vector<uint8_t> core_module(
    const std::vector<std::pair<std::string, wasm::FuncType>>& exports,
    const std::vector<std::pair<std::string, wasm::FuncType>>& imports = {}) {
  binary::CoreModuleWriter m;
  for (const auto& [name, type] : imports)
    m.import_func("docs:adder/log@0.1.0", name, m.type(type));
  for (const auto& [name, type] : exports) {
    m.export_item(name, wasm::ExternKind::Func, m.func(m.type(type), {0x00}));  // unreachable
  }
  return m.finish();
}

Result<std::vector<uint8_t>> wrap(const std::vector<uint8_t>& core, const char* wit = kAdderWit) {
  auto packages = witgen::resolve_sources({{{"adder.wit", wit}}});
  EXPECT_TRUE(packages) << packages.error().message;
  auto world = packages->world("adder");
  EXPECT_TRUE(world);
  return componentize(**world, core);
}

const wasm::FuncType kAdd{{ValType::I32, ValType::I32}, {ValType::I32}};
const wasm::FuncType kGreet{{ValType::I32, ValType::I32}, {ValType::I32}};

TEST(Componentize, ACoreModuleWithoutAnExportOfTheWorldIsRefused) {
  auto r = wrap(core_module({{"docs:adder/add@0.1.0#add", kAdd}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not export function `docs:adder/add@0.1.0#greet`"),
            std::string::npos)
      << r.error().message;
}

TEST(Componentize, AnExportWithTheWrongSignatureIsRefused) {
  auto r = wrap(core_module({{"docs:adder/add@0.1.0#add", {{ValType::I32}, {ValType::I32}}},
                             {"docs:adder/add@0.1.0#greet", kGreet}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("`docs:adder/add@0.1.0#add` has core type (i32) -> (i32), but "
                                   "the world needs (i32, i32) -> (i32)"),
            std::string::npos)
      << r.error().message;
}

TEST(Componentize, AnImportOutsideTheWorldIsRefused) {
  binary::CoreModuleWriter m;
  m.import_func("wasi_snapshot_preview1", "fd_write",
                m.type({std::vector<ValType>(4, ValType::I32), {ValType::I32}}));
  auto r = wrap(m.finish());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("`wasi_snapshot_preview1`.`fd_write`, which is not an import "
                                   "of world `adder` (the guest uses WASI"),
            std::string::npos)
      << r.error().message;
}

TEST(Componentize, AnImportWithTheWrongSignatureIsRefused) {
  auto r = wrap(core_module({}, {{"write", {{ValType::I32}, {}}}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("the core import `docs:adder/log@0.1.0`.`write` has core type "
                                   "(i32) -> (), but the world needs (i32, i32) -> ()"),
            std::string::npos)
      << r.error().message;
}

TEST(Componentize, StringsWithoutMemoryOrReallocAreRefused) {
  auto r = wrap(
      core_module({{"docs:adder/add@0.1.0#add", kAdd}, {"docs:adder/add@0.1.0#greet", kGreet}}));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not export the memory `memory`"), std::string::npos)
      << r.error().message;
}

TEST(Componentize, ResourcesAreRefusedWithAPointerToJco) {
  const char* wit = R"(package docs:adder@0.1.0;
interface add {
  resource counter { get: func() -> u32; }
  make: func() -> counter;
}
world adder { export add; }
)";
  auto r = wrap(core_module({}), wit);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not supported by actr-componentize"), std::string::npos)
      << r.error().message;
}

// The command fails with a non-zero status and says why on stderr, writing no component.
TEST(Componentize, TheCommandExitsNonZeroOnBadInput) {
  auto dir = fs::temp_directory_path() / ("actr-componentize-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "adder.wit") << kAdderWit;
    auto core = core_module({{"docs:adder/add@0.1.0#add", kAdd}});
    std::ofstream(dir / "bad.core.wasm", std::ios::binary)
        .write(reinterpret_cast<const char*>(core.data()),
               static_cast<std::streamsize>(core.size()));
  }
  std::string cmd = std::string(ACTR_COMPONENTIZE_EXE) + " " + (dir / "bad.core.wasm").string() +
                    " --wit " + (dir / "adder.wit").string() + " --world adder -o " +
                    (dir / "out.wasm").string() + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  std::array<char, 512> buf{};
  while (size_t n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
  int status = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(output.find("actr-componentize: "), std::string::npos) << output;
  EXPECT_NE(output.find("does not export function `docs:adder/add@0.1.0#greet`"), std::string::npos)
      << output;
  EXPECT_FALSE(fs::exists(dir / "out.wasm"));
  fs::remove_all(dir);
}

// ---- the encoder ----

// decode(encode(c)) has c's world, for components wit-component made (resources included).
TEST(ComponentEncoder, RoundTripsJcosComponents) {
  int done = 0;
  for (const char* name : {"witgen_resources", "wasi_probe", "js-echo"}) {
    fs::path path = fs::path(ACTR_BINARY_DIR) / "guests" / (std::string(name) + ".wasm");
    if (!fs::exists(path)) continue;
    SCOPED_TRACE(name);
    auto original = binary::decode(read_bytes(path));
    ASSERT_TRUE(original) << original.error().message;
    auto bytes = binary::encode(**original);
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto again = binary::decode(*bytes);
    ASSERT_TRUE(again) << again.error().message;
    auto valid = component::validate::validate(**again);
    ASSERT_TRUE(valid) << valid.error().message;
    EXPECT_EQ(full_wit(**again), full_wit(**original));
    ++done;
  }
  if (done == 0) ACTR_SKIP_MISSING("no jco-made guest component was built");
}

}  // namespace
}  // namespace actr::componentize
