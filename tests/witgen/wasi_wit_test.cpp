// The parser and resolver on real WASI 0.2 WIT: an embedded excerpt of wasi:io@0.2.12, and (when
// `npm ci` has installed jco) every WASI 0.2.12 package jco bundles, resolved together.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/missing.hpp"
#include "witgen/component_types.hpp"
#include "witgen/generator.hpp"
#include "witgen/parser.hpp"
#include "witgen/resolver.hpp"

namespace actr::witgen {
namespace {

using Group = std::vector<std::pair<std::string, std::string>>;

// From WebAssembly/wasi-io (wit/ at 0.2.x), shortened; the @since gates are as published.
constexpr const char* kWasiIo = R"(package wasi:io@0.2.3;

@since(version = 0.2.0)
interface error {
    /// A resource which represents some error information.
    @since(version = 0.2.0)
    resource error {
        /// Returns a string that is suitable to assist humans in debugging
        /// this error.
        @since(version = 0.2.0)
        to-debug-string: func() -> string;
    }
}

/// A poll API intended to let users wait for I/O events on multiple handles
/// at once.
@since(version = 0.2.0)
interface poll {
    /// `pollable` represents a single I/O event which may be ready, or not.
    @since(version = 0.2.0)
    resource pollable {
      @since(version = 0.2.0)
      ready: func() -> bool;
      @since(version = 0.2.0)
      block: func();
    }

    @since(version = 0.2.0)
    poll: func(in: list<borrow<pollable>>) -> list<u32>;
}

@since(version = 0.2.0)
interface streams {
    @since(version = 0.2.0)
    use error.{error};
    @since(version = 0.2.0)
    use poll.{pollable};

    /// An error for input-stream and output-stream operations.
    @since(version = 0.2.0)
    variant stream-error {
        last-operation-failed(error),
        closed
    }

    @since(version = 0.2.0)
    resource input-stream {
        @since(version = 0.2.0)
        read: func(
            /// The maximum number of bytes to read
            len: u64
        ) -> result<list<u8>, stream-error>;
        @since(version = 0.2.0)
        subscribe: func() -> pollable;
    }

    @since(version = 0.2.0)
    resource output-stream {
        @since(version = 0.2.0)
        check-write: func() -> result<u64, stream-error>;
        @since(version = 0.2.0)
        write: func(
            contents: list<u8>
        ) -> result<_, stream-error>;
        @since(version = 0.2.0)
        splice: func(
            /// The stream to read from
            src: borrow<input-stream>,
            /// The number of bytes to splice
            len: u64,
        ) -> result<u64, stream-error>;
    }
}

@since(version = 0.2.0)
world imports {
    @since(version = 0.2.0)
    import streams;

    @since(version = 0.2.0)
    import poll;
}
)";

TEST(WasiWit, EmbeddedWasiIoExcerpt) {
  auto set = resolve_sources({Group{{"io.wit", kWasiIo}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  const Interface& streams = *set->main().find_interface("streams");
  const TypeDef& output = *streams.scope.at("output-stream");
  ASSERT_EQ(output.functions.size(), 3u);
  EXPECT_EQ(output.functions[2].params[0].type->tag, Type::Tag::Borrow);
  EXPECT_EQ(output.functions[2].params[0].type->def->name, "input-stream");
  EXPECT_EQ(streams.scope.at("error")->owner->name, "error");
  EXPECT_EQ(output.functions[2].params[0].name, "src");

  ComponentTypes types;
  auto write = types.func(output.functions[1], &output);
  ASSERT_TRUE(write.ok()) << write.error().message;
  EXPECT_EQ(component::to_wit(*write->results[0].type), "result<_, stream-error>");
  EXPECT_EQ(write->params[0].type->kind, component::Kind::Borrow);

  auto world = set->world("imports");
  ASSERT_TRUE(world.ok());
  EXPECT_EQ((*world)->items[0].target->qualified_name(), "wasi:io/streams@0.2.3");
}

TEST(WasiWit, EveryWasiPackageBundledWithJco) {
  namespace fs = std::filesystem;
  fs::path root =
      fs::path(ACTR_SOURCE_ROOT) / "node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12";
  if (!fs::is_directory(root)) ACTR_SKIP_MISSING(root << " is absent (run `npm ci`)");
  // Resolved as one set: wasi-cli first (its worlds include the others').
  std::vector<std::vector<File>> groups;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    std::vector<File> files;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".wit") continue;
      std::ifstream in(e.path());
      std::ostringstream text;
      text << in.rdbuf();
      auto f = parse_file(text.str(), e.path().string());
      ASSERT_TRUE(f.ok()) << f.error().message;
      files.push_back(std::move(*f));
    }
    groups.push_back(std::move(files));
  }
  auto set = resolve(std::move(groups));
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_GE(set->packages().size(), 7u);
  auto command = set->world("wasi:cli/command@0.2.12");
  ASSERT_TRUE(command.ok()) << command.error().message;
  // `include imports` brings in the interfaces of every other package's imports world
  bool has_streams = false, has_run = false;
  for (const auto& item : (*command)->items) {
    if (item.target && item.target->qualified_name() == "wasi:io/streams@0.2.12")
      has_streams = true;
    if (item.is_export && item.target && item.target->name == "run") has_run = true;
  }
  EXPECT_TRUE(has_streams);
  EXPECT_TRUE(has_run);

  // Every function of every interface converts to a component type.
  ComponentTypes types;
  size_t funcs = 0;
  for (const auto& pkg : set->packages()) {
    for (const auto& iface : pkg->interfaces) {
      for (const auto& f : iface->functions) {
        auto ft = types.func(f);
        ASSERT_TRUE(ft.ok()) << iface->qualified_name() << "#" << f.name << ": "
                             << ft.error().message;
        ++funcs;
      }
      for (const auto& def : iface->types) {
        for (const auto& f : def->functions) {
          auto ft = types.func(f, def.get());
          ASSERT_TRUE(ft.ok()) << def->name << "." << f.name << ": " << ft.error().message;
          ++funcs;
        }
      }
    }
  }
  EXPECT_GT(funcs, 100u);
}

}  // namespace
}  // namespace actr::witgen
