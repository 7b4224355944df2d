// The WIT printer: the world of real components as `jco wit` prints it, worlds written in WIT
// and encoded by wit-component come back out, and the self-contained output is valid WIT that
// encodes to the same world again.
#include "component/wit/wit_printer.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "component/binary/decoder.hpp"
#include "component/component_text.hpp"
#include "support/missing.hpp"

namespace actr::component {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures = fs::path(ACTR_SHARED_DIR) / "fixtures" / "components";

std::string trim_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The fixture's WIT without its leading `//` comment lines.
std::string expected_wit(const fs::path& file) {
  std::ifstream f(file);
  std::string line, out;
  while (std::getline(f, line)) {
    if (out.empty() && line.rfind("//", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

std::shared_ptr<const ast::Component> decode_file(const fs::path& p) {
  auto bytes = test::read_file_bytes(p.string());
  if (!bytes) return nullptr;
  auto c = binary::decode(*bytes);
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? *c : nullptr;
}

std::shared_ptr<const ast::Component> decode_bytes(const std::vector<uint8_t>& bytes) {
  auto c = binary::decode(bytes);
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? *c : nullptr;
}

TEST(WitPrinter, FixturesMatchTheirWit) {
  if (!fs::exists(kFixtures)) ACTR_SKIP_MISSING("fixtures not found at " << kFixtures);
  wit::WitOptions inline_bodies;
  inline_bodies.inline_foreign_interfaces = true;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(kFixtures)) {
    if (entry.path().extension() != ".wasm") continue;
    std::string stem = entry.path().filename().string();
    SCOPED_TRACE(stem);
    fs::path wit_file = kFixtures / "wit" / (stem.substr(0, stem.size() - 5) + ".wit.txt");
    auto c = decode_file(entry.path());
    ASSERT_TRUE(c);
    // Byte for byte what jco prints (after the renaming the fixture files describe).
    EXPECT_EQ(trim_end(wit::print_wit(*c, inline_bodies)), trim_end(expected_wit(wit_file)));
    ++n;
  }
  EXPECT_EQ(n, 9);
}

TEST(WitPrinter, SmokeAsJcoPrintsIt) {
  auto c = decode_file(kFixtures / "smoke.component.wasm");
  if (!c) ACTR_SKIP_MISSING("smoke fixture not found");
  EXPECT_EQ(wit::print_wit(*c), R"(package root:component;

world root {
  import test:smoke/imports;
  import wasi:io/error@0.2.0;
  import wasi:io/streams@0.2.0;
  import wasi:cli/stdin@0.2.0;
  import wasi:cli/stdout@0.2.0;
  import wasi:cli/stderr@0.2.0;
  import wasi:cli/terminal-input@0.2.0;
  import wasi:cli/terminal-output@0.2.0;
  import wasi:cli/terminal-stdin@0.2.0;
  import wasi:cli/terminal-stdout@0.2.0;
  import wasi:cli/terminal-stderr@0.2.0;
  import wasi:clocks/wall-clock@0.2.0;
  import wasi:filesystem/types@0.2.0;
  import wasi:filesystem/preopens@0.2.0;

  export thunk: func();
}
)");
}

// A world exercising uses (renamed too), resources with every kind of member, keywords, world-level
// types, inline interfaces, and interfaces of two packages.
const char* kWorld = R"(package my:pkg@1.0.0;

interface streams {
  resource output-stream {
    constructor(id: u32);
    write: func(bytes: list<u8>) -> result<_, stream-error>;
    open: static func(name: string) -> output-stream;
  }
  variant stream-error { closed, failed(string) }
  record point { x: s32, y: s32 }
  flags perms { read, write }
  enum color { red, green }
}

interface %type {
  use streams.{output-stream, stream-error, point};
  type coords = list<point>;
  record %record { %type: u8, %list: coords }
  get: func(s: borrow<output-stream>) -> result<%record, stream-error>;
  pair: func(p: perms-alias) -> tuple<u8, option<string>>;
  type perms-alias = u32;
}

world w {
  use streams.{stream-error};
  type my-alias = list<stream-error>;
  record world-rec { a: my-alias }
  import streams;
  import %type;
  import host: interface {
    use streams.{point as pos, color};
    log: func(msg: string, at: pos, c: color);
  }
  import clock: func() -> u64;
  export handler: interface {
    use %type.{%record};
    use streams.{output-stream};
    resource session {
      constructor(out: output-stream);
      get: func() -> %record;
    }
    handle: func(r: %record, s: session) -> option<%record>;
  }
  export f: func(a: world-rec) -> result<_, stream-error>;
}
)";

// What `jco wit` prints for the component of kWorld.
const char* kWorldAsJcoPrintsIt = R"(package root:component;

world root {
  import my:pkg/streams@1.0.0;
  import my:pkg/%type@1.0.0;
  import host: interface {
    use my:pkg/streams@1.0.0.{point as pos, color};

    log: func(msg: string, at: pos, c: color);
  }
  use my:pkg/streams@1.0.0.{stream-error};

  type my-alias = list<stream-error>;

  record world-rec {
    a: my-alias,
  }
  import clock: func() -> u64;

  export f: func(a: world-rec) -> result<_, stream-error>;
  export handler: interface {
    use my:pkg/%type@1.0.0.{%record};
    use my:pkg/streams@1.0.0.{output-stream};

    resource session {
      constructor(out: output-stream);
      get: func() -> %record;
    }

    handle: func(r: %record, s: session) -> option<%record>;
  }
}
)";

TEST(WitPrinter, WorldEncodedByWitComponent) {
  auto bin = test::component_from_wit(kWorld);
  if (bin.tool_missing) ACTR_SKIP_MISSING(bin.error);
  ASSERT_TRUE(bin.bytes) << bin.error;
  auto c = decode_bytes(*bin.bytes);
  ASSERT_TRUE(c);
  EXPECT_EQ(wit::print_wit(*c), kWorldAsJcoPrintsIt);
}

TEST(WitPrinter, DependenciesMakeValidWitThatEncodesTheSameWorld) {
  for (const char* world : {kWorld, "actr-workload"}) {
    std::string source = world;
    if (source == "actr-workload") {
      std::ifstream f(fs::path(ACTR_SOURCE_ROOT) / "wit" / "actr-workload.wit");
      source.assign(std::istreambuf_iterator<char>(f), {});
      ASSERT_FALSE(source.empty());
    }
    SCOPED_TRACE(source.substr(0, 40));
    auto first = test::component_from_wit(source);
    if (first.tool_missing) ACTR_SKIP_MISSING(first.error);
    ASSERT_TRUE(first.bytes) << first.error;
    auto c1 = decode_bytes(*first.bytes);
    ASSERT_TRUE(c1);
    wit::WitOptions deps;
    deps.dependencies = true;
    std::string printed = wit::print_wit(*c1, deps);
    EXPECT_NE(printed.find("\npackage "), std::string::npos);

    auto second = test::component_from_wit(printed);
    ASSERT_TRUE(second.bytes) << "printed WIT does not parse: " << second.error << "\n" << printed;
    auto c2 = decode_bytes(*second.bytes);
    ASSERT_TRUE(c2);
    EXPECT_EQ(wit::print_wit(*c2), wit::print_wit(*c1));
    EXPECT_EQ(wit::print_wit(*c2, deps), printed);
  }
}

TEST(WitPrinter, ActrWorkloadInterfaces) {
  std::ifstream f(fs::path(ACTR_SOURCE_ROOT) / "wit" / "actr-workload.wit");
  std::string source((std::istreambuf_iterator<char>(f)), {});
  ASSERT_FALSE(source.empty());
  auto bin = test::component_from_wit(source);
  if (bin.tool_missing) ACTR_SKIP_MISSING(bin.error);
  ASSERT_TRUE(bin.bytes) << bin.error;
  auto c = decode_bytes(*bin.bytes);
  ASSERT_TRUE(c);
  EXPECT_EQ(wit::print_wit(*c), R"(package root:component;

world root {
  import actr:workload/types@0.1.0;
  import actr:workload/host@0.1.0;

  export actr:workload/workload@0.1.0;
}
)");
  wit::WitOptions deps;
  deps.dependencies = true;
  std::string full = wit::print_wit(*c, deps);
  // The structure of the contract: one package, its three interfaces, the uses between them.
  EXPECT_NE(full.find("package actr:workload@0.1.0 {\n  interface types {\n"), std::string::npos)
      << full;
  EXPECT_NE(full.find("  interface host {\n    use types.{"), std::string::npos) << full;
  EXPECT_NE(full.find("  interface workload {\n    use types.{rpc-envelope, "), std::string::npos)
      << full;
  EXPECT_NE(full.find("    record actr-id {\n      realm: realm,\n      serial-number: u64,\n      "
                      "%type: actr-type,\n"),
            std::string::npos);
  EXPECT_NE(
      full.find("    dispatch: func(envelope: rpc-envelope) -> result<list<u8>, actr-error>;\n"),
      std::string::npos);
  EXPECT_NE(full.find("    on-data-stream: func(chunk: data-stream, sender: actr-id) -> result<_, "
                      "actr-error>;\n"),
            std::string::npos);
  EXPECT_NE(full.find("    get-caller-id: func() -> option<actr-id>;\n"), std::string::npos);
  size_t hooks = 0;
  for (size_t p = full.find("    on-"); p != std::string::npos; p = full.find("    on-", p + 1))
    ++hooks;
  EXPECT_EQ(hooks, 17u);  // the sixteen observation hooks and on-data-stream
}

TEST(WitPrinter, InvalidComponentsSayWhy) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component (import "f" (func (type 3)))))");
  auto c = decode_bytes(bytes);
  ASSERT_TRUE(c);
  std::string out = wit::print_wit(*c);
  EXPECT_EQ(out.rfind("// invalid component: import `f`", 0), 0u) << out;
  EXPECT_FALSE(wit::component_wit(*c).ok());
}

}  // namespace
}  // namespace actr::component
