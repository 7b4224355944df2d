#include "witgen/parser.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "witgen/component_types.hpp"
#include "witgen/resolver.hpp"

namespace actr::witgen {
namespace {

std::string read_seed() {
  std::ifstream in(std::string(ACTR_SOURCE_ROOT) + "/wit/actr-workload.wit");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string parse_error(std::string_view text, std::string name = "t.wit") {
  auto f = parse_file(text, std::move(name));
  if (f.ok()) return "(parsed)";
  return f.error().message;
}

TEST(WitParser, SeedContract) {
  auto f = parse_file(read_seed(), "actr-workload.wit");
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_TRUE(f->package.has_value());
  EXPECT_EQ(f->package->to_string(), "actr:workload@0.1.0");
  ASSERT_EQ(f->interfaces.size(), 3u);
  EXPECT_EQ(f->interfaces[0]->name, "types");
  EXPECT_EQ(f->interfaces[0]->types.size(), 16u);
  EXPECT_EQ(f->interfaces[1]->functions.size(), 11u);
  EXPECT_EQ(f->interfaces[2]->functions.size(), 18u);
  ASSERT_EQ(f->worlds.size(), 1u);
  ASSERT_EQ(f->worlds[0].items.size(), 2u);
  EXPECT_FALSE(f->worlds[0].items[0].is_export);
  EXPECT_TRUE(f->worlds[0].items[1].is_export);
  // `%type` is the field name `type`
  const TypeDef& actr_id = *f->interfaces[0]->types[2];
  EXPECT_EQ(actr_id.name, "actr-id");
  EXPECT_EQ(actr_id.fields[2].name, "type");
}

TEST(WitParser, EveryTypeForm) {
  auto f = parse_file(R"(
    package a:b@1.2.3-rc.1;
    interface i {
      type t1 = list<tuple<u8, s8, u16, s16, u32, s32, u64, s64, f32, f64, char, bool, string>>;
      type t2 = option<result>;
      type t3 = result<u32>;
      type t4 = result<_, string>;
      type t5 = result<u32, string>;
      type t6 = float32;
      enum color { red, green, }
      flags perms { read, write, exec }
      variant v { a, b(u32), c(list<string>) }
      record r { %type: u32, %list: t1 }
      resource file {
        constructor(name: string);
        read: func(n: u32) -> list<u8>;
        open: static func(name: string) -> result<file, string>;
        dup: func() -> own<file>;
      }
      take: func(f: borrow<file>, g: own<file>);
      named: func() -> (a: u32, b: string);
    }
  )",
                      "t.wit");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->package->version, "1.2.3-rc.1");
  const Interface& i = *f->interfaces[0];
  ASSERT_EQ(i.types.size(), 11u);
  EXPECT_EQ(i.types[0]->alias->tag, Type::Tag::List);
  EXPECT_EQ(i.types[0]->alias->elem->items.size(), 13u);
  const Type& t2 = *i.types[1]->alias;
  EXPECT_EQ(t2.tag, Type::Tag::Option);
  EXPECT_EQ(t2.elem->tag, Type::Tag::Result);
  EXPECT_FALSE(t2.elem->ok);
  EXPECT_FALSE(t2.elem->err);
  EXPECT_TRUE(i.types[2]->alias->ok);
  EXPECT_FALSE(i.types[2]->alias->err);
  EXPECT_FALSE(i.types[3]->alias->ok);
  EXPECT_TRUE(i.types[3]->alias->err);
  EXPECT_TRUE(i.types[4]->alias->ok && i.types[4]->alias->err);
  EXPECT_EQ(i.types[5]->alias->primitive, component::Kind::F32);
  EXPECT_EQ(i.types[6]->names, (std::vector<std::string>{"red", "green"}));
  EXPECT_EQ(i.types[7]->tag, TypeDef::Tag::Flags);
  EXPECT_EQ(i.types[8]->cases.size(), 3u);
  EXPECT_FALSE(i.types[8]->cases[0].type);
  EXPECT_EQ(i.types[9]->fields[1].name, "list");
  const TypeDef& file = *i.types[10];
  ASSERT_EQ(file.functions.size(), 4u);
  EXPECT_EQ(file.functions[0].kind, Function::Kind::Constructor);
  EXPECT_EQ(file.functions[1].kind, Function::Kind::Method);
  EXPECT_EQ(file.functions[2].kind, Function::Kind::Static);
  EXPECT_EQ(i.functions[0].params[0].type->tag, Type::Tag::Borrow);
  EXPECT_EQ(i.functions[0].params[1].type->tag, Type::Tag::Own);
  EXPECT_EQ(i.functions[1].named_results.size(), 2u);
}

TEST(WitParser, MapTypes) {
  auto f = parse_file(R"(
    package a:b;
    interface i {
      type m = map<string, list<map<u32, bool>>>;
      record map { x: u32 }
      type uses-record = map;
    }
  )",
                      "t.wit");
  ASSERT_TRUE(f.ok()) << f.error().message;
  const Interface& i = *f->interfaces[0];
  const Type& m = *i.types[0]->alias;
  ASSERT_EQ(m.tag, Type::Tag::Map);
  EXPECT_EQ(m.key->primitive, component::Kind::String);
  ASSERT_EQ(m.elem->tag, Type::Tag::List);
  EXPECT_EQ(m.elem->elem->tag, Type::Tag::Map);
  // `map` without `<` is a name
  EXPECT_EQ(i.types[2]->alias->tag, Type::Tag::Ref);
  EXPECT_EQ(i.types[2]->alias->name, "map");
  EXPECT_EQ(parse_error("package a:b; interface i { type m = map<u32>; }"),
            "t.wit:1:44: expected `,`, found `>`");
}

TEST(WitParser, DocCommentsAreKeptAndCommentsSkipped) {
  auto f = parse_file(R"(
    // not a doc
    /// The package.
    package a:b;
    /* skipped /* nested */ still skipped */
    /// Line one.
    /// Line two.
    interface i {
      /** Block doc. */
      record r {
        /// The x.
        x: u32,
      }
      // plain
      f: func();
    }
  )",
                      "t.wit");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->package_docs, "The package.");
  EXPECT_EQ(f->interfaces[0]->docs, "Line one.\nLine two.");
  EXPECT_EQ(f->interfaces[0]->types[0]->docs, "Block doc.");
  EXPECT_EQ(f->interfaces[0]->types[0]->fields[0].docs, "The x.");
  EXPECT_EQ(f->interfaces[0]->functions[0].docs, "");
}

TEST(WitParser, GatesAreAccepted) {
  auto f = parse_file(R"(
    package wasi:x@0.2.3;
    @since(version = 0.2.0)
    interface i {
      @since(version = 0.2.0)
      /// Doc after a gate.
      f: func();
      @unstable(feature = fancy)
      g: func();
      @deprecated(version = 0.2.2)
      record r { @since(version = 0.2.1) a: u8 }
    }
    @since(version = 0.2.0)
    world w { @since(version = 0.2.0) import i; }
  )",
                      "t.wit");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->interfaces[0]->functions.size(), 2u);
  EXPECT_EQ(f->interfaces[0]->functions[0].docs, "Doc after a gate.");
}

TEST(WitParser, WorldItems) {
  auto f = parse_file(R"(
    package a:b;
    world w {
      use i.{t as u};
      import i;
      import wasi:io/streams@0.2.0;
      import log: func(msg: string);
      export run: func() -> result;
      export inline: interface { f: func() -> u32; }
      include other;
      include wasi:cli/imports@0.2.0;
      record local { x: u }
    }
  )",
                      "t.wit");
  ASSERT_TRUE(f.ok()) << f.error().message;
  const World& w = f->worlds[0];
  ASSERT_EQ(w.items.size(), 5u);
  EXPECT_EQ(w.items[0].tag, WorldItem::Tag::InterfaceRef);
  EXPECT_EQ(w.items[1].name, "wasi:io/streams@0.2.0");
  EXPECT_EQ(w.items[2].tag, WorldItem::Tag::Function);
  EXPECT_TRUE(w.items[3].is_export);
  EXPECT_EQ(w.items[4].tag, WorldItem::Tag::InlineInterface);
  EXPECT_EQ(w.includes.size(), 2u);
  EXPECT_EQ(w.uses[0].names[0].as, "u");
  EXPECT_EQ(w.types.size(), 1u);
}

TEST(WitParser, ErrorsNamePlaceExpectationAndFinding) {
  EXPECT_EQ(parse_error("package a:b;\ninterface i {\n  record r {\n    : u32\n  }\n}\n",
                        "actr-workload.wit"),
            "actr-workload.wit:4:5: expected `}` or a field name, found `:`");
  EXPECT_EQ(parse_error("package a:b;\ninterface i { f: func(x u32); }"),
            "t.wit:2:25: expected `:`, found `u32`");
  EXPECT_EQ(parse_error("package a:b;\ninterface i { f: func() -> ; }"),
            "t.wit:2:28: expected a type, found `;`");
  EXPECT_EQ(parse_error("package a:b;\ninterface i {"),
            "t.wit:2:14: expected `}`, `use`, "
            "a type definition or a function name, "
            "found end of file");
  EXPECT_EQ(parse_error("package a:b@;"),
            "t.wit:1:13: expected a version such as `0.1.0`, "
            "found `;`");
  EXPECT_EQ(parse_error("package a:b;\n/* open"), "t.wit:2:1: unterminated block comment");
  EXPECT_EQ(parse_error("package a:b;\ninterface i { f: func() -> result<_>; }"),
            "t.wit:2:36: expected `,` after `result<_`, found `>`");
  EXPECT_EQ(parse_error("package a:b;\nthing"),
            "t.wit:2:1: expected `interface`, `world` or `use`, found `thing`");
  EXPECT_EQ(parse_error("package a:b;\ninterface i { $ }"), "t.wit:2:15: unexpected `$`");
  EXPECT_EQ(parse_error("package a:b;\ninterface i { @bogus(x) f: func(); }"),
            "t.wit:2:21: unknown feature gate `@bogus`");
}

}  // namespace
}  // namespace actr::witgen

namespace actr::witgen {
namespace {

TEST(WitParser, HostileInputGivesErrorsNotCrashes) {
  std::string deep = "package a:b;\ninterface i { type t = ";
  for (int i = 0; i < 100000; ++i) deep += "list<";
  EXPECT_NE(parse_error(deep).find("types nest too deeply"), std::string::npos);

  // Every prefix, and random single-byte corruptions, of the seed either parse or fail cleanly.
  std::string seed = read_seed();
  for (size_t n = 0; n < seed.size(); n += 97) (void)parse_file(seed.substr(0, n), "p.wit");
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1103515245u + 12345u; };
  const char kBytes[] = "{}()<>,:;.=@_%/*-\n x9\xff";
  for (int i = 0; i < 300; ++i) {
    std::string text = seed;
    text[next() % text.size()] = kBytes[next() % (sizeof kBytes - 1)];
    auto f = parse_file(text, "m.wit");
    if (f.ok()) {
      std::vector<std::vector<File>> groups(1);
      groups[0].push_back(std::move(*f));
      (void)resolve(std::move(groups));
    }
  }
}

TEST(WitParser, SelfReferentialTypesAreRejected) {
  auto set = resolve_sources({{{"t.wit",
                                "package a:b;\ninterface i {\n  record r { x: option<r> }\n"
                                "  type a = b;\n  type b = a;\n}\n"}}});
  ASSERT_TRUE(set.ok()) << set.error().message;
  ComponentTypes types;
  const Interface& i = *set->main().find_interface("i");
  auto r = types.type(*i.scope.at("r"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "t.wit:3:10: type `r` refers to itself");
  auto a = types.type(*i.scope.at("a"));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("refers to itself"), std::string::npos);
}

}  // namespace
}  // namespace actr::witgen
