#include "witgen/resolver.hpp"

#include <gtest/gtest.h>

namespace actr::witgen {
namespace {

using Group = std::vector<std::pair<std::string, std::string>>;

std::string resolve_error(std::string text) {
  auto r = resolve_sources({Group{{"t.wit", std::move(text)}}});
  return r.ok() ? "(resolved)" : r.error().message;
}

TEST(WitResolver, SeedContract) {
  auto set = load_wit(std::string(ACTR_SOURCE_ROOT) + "/wit/actr-workload.wit");
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto world = set->world("actr-workload-guest");
  ASSERT_TRUE(world.ok()) << world.error().message;
  const World& w = **world;
  ASSERT_EQ(w.items.size(), 2u);
  ASSERT_NE(w.items[0].target, nullptr);
  EXPECT_EQ(w.items[0].target->qualified_name(), "actr:workload/host@0.1.0");
  EXPECT_EQ(w.items[1].target->qualified_name(), "actr:workload/workload@0.1.0");
  const Interface& host = *w.items[0].target;
  const Type& target = *host.functions[0].params[0].type;
  ASSERT_NE(target.def, nullptr);
  EXPECT_EQ(target.def->name, "dest");
  EXPECT_EQ(target.def->owner->name, "types");
  EXPECT_FALSE(set->world("nope").ok());
}

TEST(WitResolver, UseWithRenameAndTransitiveUse) {
  auto set = resolve_sources({Group{{"t.wit", R"(
    package a:b@0.1.0;
    interface base { record point { x: s32, y: s32 } }
    interface mid { use base.{point}; type pt = point; }
    interface top {
      use mid.{point as p, pt};
      f: func(a: p, b: pt) -> list<p>;
    }
    world w { import top; export f: func(x: u32); }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  const Interface& top = *set->main().find_interface("top");
  EXPECT_EQ(top.functions[0].params[0].type->def->name, "point");
  EXPECT_EQ(top.functions[0].params[1].type->def->name, "pt");
  EXPECT_EQ(top.functions[0].params[1].type->def->alias->def->name, "point");
}

TEST(WitResolver, AcrossPackages) {
  auto set = resolve_sources({
      Group{{"main.wit", R"(
        package my:app;
        interface api {
          use wasi:io/streams@0.2.0.{output-stream};
          write: func(s: borrow<output-stream>, bytes: list<u8>);
        }
        world app { import wasi:io/streams@0.2.0; import api; }
      )"}},
      Group{{"streams.wit", R"(
        package wasi:io@0.2.0;
        interface error { resource error; }
        interface streams {
          use error.{error};
          resource output-stream {
            write: func(contents: list<u8>) -> result<_, stream-error>;
          }
          variant stream-error { last-operation-failed(error), closed }
        }
      )"}},
  });
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto w = set->world("app");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->items[0].target->qualified_name(), "wasi:io/streams@0.2.0");
  const Interface& api = *set->main().find_interface("api");
  EXPECT_EQ(api.functions[0].params[0].type->def->tag, TypeDef::Tag::Resource);
}

TEST(WitResolver, WorldInclude) {
  auto set = resolve_sources({Group{{"t.wit", R"(
    package a:b;
    interface x { f: func(); }
    interface y { g: func(); }
    world base { import x; }
    world full { include base; export y; }
  )"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  const World& full = **set->world("full");
  ASSERT_EQ(full.items.size(), 2u);
  EXPECT_EQ(full.items[1].target->name, "x");
}

TEST(WitResolver, Errors) {
  EXPECT_EQ(resolve_error("package a:b;\ninterface i { f: func(x: nope); }"),
            "t.wit:2:26: unknown type `nope`");
  EXPECT_EQ(resolve_error("package a:b;\ninterface i { use j.{t}; }"),
            "t.wit:2:19: no interface `j` in package `a:b`");
  EXPECT_EQ(resolve_error("package a:b;\ninterface j {}\ninterface i { use j.{t}; }"),
            "t.wit:3:22: interface `j` has no type `t`");
  EXPECT_EQ(resolve_error("package a:b;\ninterface i { use wasi:io/streams.{t}; }"),
            "t.wit:2:19: unknown package `wasi:io` (put its .wit files in a deps/ directory)");
  EXPECT_EQ(resolve_error("package a:b;\ninterface i { record r { x: u8 } enum r { a } }"),
            "t.wit:2:39: type `r` is defined twice");
  EXPECT_EQ(resolve_error("package a:b;\ninterface i { record r { x: u8 } f: func(x: own<r>); }"),
            "t.wit:2:49: `r` is not a resource");
  EXPECT_EQ(resolve_error("package a:b;\nworld w { import missing; }"),
            "t.wit:2:18: no interface `missing` in package `a:b`");
  EXPECT_EQ(resolve_error("interface i {}"),
            "t.wit: no `package` declaration (e.g. `package ns:name;`)");
  EXPECT_EQ(resolve_error("package a:b;\ninterface i { use j.{x}; }\ninterface j { use i.{y}; }"),
            "t.wit:3:19: interfaces use each other in a cycle (through `a:b/i`)");
}

}  // namespace
}  // namespace actr::witgen

namespace actr::witgen {
namespace {

TEST(WitResolver, TopLevelUseNamesAnotherPackagesInterface) {
  auto set = resolve_sources({
      Group{{"main.wit", R"(
        package my:app;
        use wasi:clocks/wall-clock@0.2.0;
        use wasi:clocks/monotonic-clock@0.2.0 as mono;
        interface api { use wall-clock.{datetime}; now: func() -> datetime; }
        world app { import wall-clock; import mono; export api; }
      )"}},
      Group{{"clocks.wit", R"(
        package wasi:clocks@0.2.0;
        interface wall-clock { record datetime { seconds: u64, nanoseconds: u32 } }
        interface monotonic-clock { now: func() -> u64; }
      )"}},
  });
  ASSERT_TRUE(set.ok()) << set.error().message;
  const World& app = **set->world("app");
  EXPECT_EQ(app.items[0].target->qualified_name(), "wasi:clocks/wall-clock@0.2.0");
  EXPECT_EQ(app.items[1].target->qualified_name(), "wasi:clocks/monotonic-clock@0.2.0");
  EXPECT_EQ(set->main().find_interface("api")->functions[0].result->def->name, "datetime");
}

}  // namespace
}  // namespace actr::witgen
