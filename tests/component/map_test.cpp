// The map<K, V> value type end to end: its resolved type and values, decoding and validating
// the 0x63 type definition (keys restricted to the spec's <keytype>), WAVE and WIT text, and a
// component whose exports and host import pass maps through the linker. The canonical ABI's
// layout and lifting/lowering of maps are tested with the other types in canonical_test.cpp.
#include <gtest/gtest.h>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "component/binary/decoder.hpp"
#include "component/component_text.hpp"
#include "component/validate/type_space.hpp"
#include "component/validate/validator.hpp"
#include "component/wave/wave.hpp"
#include "component/wit/wit_printer.hpp"
#include "support/missing.hpp"

namespace actr::component {
namespace {

TypeRef P(Kind k) { return primitive(k); }

Value entry(Value k, Value v) { return Value::map_entry(std::move(k), std::move(v)); }

// ---- types and values ----

TEST(MapTypeTest, ShapeKeysAndWit) {
  auto m = map_of(P(Kind::String), list_of(P(Kind::U8)));
  EXPECT_EQ(m->kind, Kind::Map);
  EXPECT_EQ(m->key->kind, Kind::String);
  EXPECT_EQ(m->elem->kind, Kind::List);
  EXPECT_EQ(to_string(Kind::Map), std::string("map"));
  EXPECT_EQ(to_wit(*m), "map<string, list<u8>>");
  EXPECT_EQ(to_wit(*map_of(P(Kind::U32), map_of(P(Kind::Char), P(Kind::Bool)))),
            "map<u32, map<char, bool>>");

  for (Kind k : {Kind::Bool, Kind::S8, Kind::U8, Kind::S16, Kind::U16, Kind::S32, Kind::U32,
                 Kind::S64, Kind::U64, Kind::Char, Kind::String}) {
    EXPECT_TRUE(is_map_key(k)) << to_string(k);
  }
  for (Kind k : {Kind::F32, Kind::F64, Kind::List, Kind::Record, Kind::Tuple, Kind::Option,
                 Kind::Own, Kind::Map}) {
    EXPECT_FALSE(is_map_key(k)) << to_string(k);
  }
}

TEST(MapTypeTest, SameTypeComparesKeyAndValue) {
  auto a = map_of(P(Kind::String), P(Kind::U32));
  EXPECT_TRUE(same_type(*a, *map_of(P(Kind::String), P(Kind::U32))));
  std::string why;
  EXPECT_FALSE(same_type(*a, *map_of(P(Kind::U32), P(Kind::U32)), &why));
  EXPECT_EQ(why, "in map key: `string` in a, `u32` in b");
  EXPECT_FALSE(
      same_type(*a, *map_of(P(Kind::String), P(Kind::U64)), &why, "the component", "the host"));
  EXPECT_EQ(why, "in map value: `u32` in the component, `u64` in the host");
  // Not the list it despecializes to: specialized types have their own constructors.
  EXPECT_FALSE(same_type(*a, *list_of(tuple_of({P(Kind::String), P(Kind::U32)})), &why));
  EXPECT_EQ(why, "`map<string, u32>` in a, `list<tuple<string, u32>>` in b");
}

TEST(MapValueTest, EntriesAreOrderedTuplesAndDuplicatesStay) {
  Value m = Value::map(
      {entry(Value::string("k"), Value::u32(1)), entry(Value::string("k"), Value::u32(2))});
  EXPECT_EQ(m.kind, Kind::Map);
  ASSERT_EQ(m.items.size(), 2u);
  EXPECT_EQ(m.items[1], Value::tuple({Value::string("k"), Value::u32(2)}));
  EXPECT_EQ(m, Value::map({entry(Value::string("k"), Value::u32(1)),
                           entry(Value::string("k"), Value::u32(2))}));
  EXPECT_NE(m, Value::map({entry(Value::string("k"), Value::u32(2)),
                           entry(Value::string("k"), Value::u32(1))}));
  EXPECT_NE(m, Value::map({entry(Value::string("k"), Value::u32(1))}));
  EXPECT_NE(Value::map({}), Value::list({}));
  EXPECT_EQ(Value::map({entry(Value::u8(1), Value::bytes(std::string("ab")))}),
            Value::map({entry(Value::u8(1), Value::list({Value::u8('a'), Value::u8('b')}))}))
      << "compact and element-wise list<u8> values inside entries compare equal";
}

// ---- binary: decoding and validation ----

Result<void> decode_and_validate(const std::vector<uint8_t>& bytes) {
  ACTR_TRY(auto c, binary::decode(bytes));
  return validate::validate(*c);
}

TEST(MapBinaryTest, DecodesKeyAndValueTypes) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component
    (type $v (list u8))
    (type (map string u32))
    (type (map u64 $v))
  ))");
  auto c = binary::decode(bytes);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ((*c)->defs.size(), 3u);
  const auto& m = std::get<ast::DefValType>(*(*c)->defs[1].type);
  EXPECT_EQ(m.kind, Kind::Map);
  ASSERT_EQ(m.items.size(), 2u);
  EXPECT_EQ(m.items[0].primitive, Kind::String);
  EXPECT_EQ(m.items[1].primitive, Kind::U32);
  const auto& n = std::get<ast::DefValType>(*(*c)->defs[2].type);
  EXPECT_EQ(n.kind, Kind::Map);
  EXPECT_EQ(n.items[0].primitive, Kind::U64);
  EXPECT_FALSE(n.items[1].is_primitive);
  EXPECT_EQ(n.items[1].index, 0u);
  EXPECT_TRUE(validate::validate(**c).ok());
}

TEST(MapBinaryTest, TruncatedMapTypeFailsCleanly) {
  // (type (map string)) cut short: the value type is missing.
  std::vector<uint8_t> b = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01,
                            0x00, 0x07, 0x03, 0x01, 0x63, 0x73};
  EXPECT_FALSE(binary::decode(b).ok());
}

TEST(MapBinaryTest, KeysAreRestrictedToTheSpecsKeyTypes) {
  struct Case {
    const char* text;
    const char* message;  // empty: valid
  };
  const Case cases[] = {
      {R"((component (type (map bool (option f64))) (type (map s8 u8)) (type (map char string))))",
       ""},
      {R"((component (type $s string) (type (map $s u32))))", ""},
      {R"((component (type (map f32 u32))))",
       "map key type `f32` is not bool, an integer, char or string"},
      {R"((component (type $l (list u8)) (type (map $l u32))))",
       "map key type `list<u8>` is not bool, an integer, char or string"},
      {R"((component (type $m (map u8 u8)) (type (map $m u32))))",
       "map key type `map<u8, u8>` is not"},
  };
  std::vector<std::string> texts;
  for (const auto& c : cases) texts.push_back(c.text);
  auto bins = test::components_from_text(texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE(cases[i].text);
    if (bins[i].tool_missing) ACTR_SKIP_MISSING(bins[i].error);
    ASSERT_TRUE(bins[i].bytes) << bins[i].error;
    auto r = decode_and_validate(*bins[i].bytes);
    if (!*cases[i].message) {
      EXPECT_TRUE(r.ok()) << r.error().message;
      continue;
    }
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find(cases[i].message), std::string::npos) << r.error().message;
  }
}

TEST(MapBinaryTest, TypeCheckedAcrossInstantiation) {
  // The same map type satisfies an import; a different one, or its despecialized list, does not.
  auto text = [](const char* given) {
    return std::string(R"((component
      (import "y" (component $c
        (type $t (map string u32))
        (import "x" (type (eq $t)))))
      (type $x )") +
           given + R"()
      (instance (instantiate $c (with "x" (type $x))))))";
  };
  auto bins = test::components_from_text(
      {text("(map string u32)"), text("(map u32 string)"), text("(list (tuple string u32))")});
  for (const auto& b : bins) {
    if (b.tool_missing) ACTR_SKIP_MISSING(b.error);
    ASSERT_TRUE(b.bytes) << b.error;
  }
  EXPECT_TRUE(decode_and_validate(*bins[0].bytes).ok());
  EXPECT_FALSE(decode_and_validate(*bins[1].bytes).ok());
  EXPECT_FALSE(decode_and_validate(*bins[2].bytes).ok());
}

// ---- text: WAVE and WIT ----

TEST(MapWaveTest, WrittenAsTheListOfEntryTuples) {
  auto m = map_of(P(Kind::String), P(Kind::U32));
  auto v = wave::parse(R"([("a", 1), ("b", 2), ("a", 3),])", *m);
  ASSERT_TRUE(v.ok()) << v.error().message;
  Value expected = Value::map({entry(Value::string("a"), Value::u32(1)),
                               entry(Value::string("b"), Value::u32(2)),
                               entry(Value::string("a"), Value::u32(3))});
  EXPECT_EQ(*v, expected);
  EXPECT_EQ(wave::print(expected, *m), R"([("a", 1), ("b", 2), ("a", 3)])");
  auto empty = wave::parse(" [ ] ", *m);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, Value::map({}));
  EXPECT_EQ(wave::print(Value::map({}), *m), "[]");

  auto nested = map_of(P(Kind::Char), option_of(map_of(P(Kind::Bool), P(Kind::S8))));
  Value n =
      Value::map({entry(Value::character('x'),
                        Value::some(Value::map({entry(Value::boolean(true), Value::s8(-1))}))),
                  entry(Value::character('y'), Value::none())});
  std::string printed = wave::print(n, *nested);
  EXPECT_EQ(printed, "[('x', some([(true, -1)])), ('y', none)]");
  auto back = wave::parse(printed, *nested);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, n);

  auto err = [&](std::string_view text) {
    auto r = wave::parse(text, *m);
    return r.ok() ? std::string("<ok>") : r.error().message;
  };
  EXPECT_NE(err(R"({"a": 1})").find("expected `[`"), std::string::npos) << err(R"({"a": 1})");
  EXPECT_NE(err(R"([("a")])").find("`,`"), std::string::npos) << err(R"([("a")])");
  EXPECT_NE(err(R"([(1, 1)])").find("expected"), std::string::npos) << err(R"([(1, 1)])");
  EXPECT_NE(err(R"([("a", 1) ("b", 2)])").find("`,` or `]`"), std::string::npos);

  // Values that do not fit print as a description, never crash.
  EXPECT_EQ(wave::print(Value::map({Value::u8(1)}), *m).front(), '<');
}

TEST(MapWitTest, PrintedAsMapOfKeyAndValue) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component
    (type $m (map string (list u32)))
    (import "f" (func (param "x" $m) (result (map u8 bool))))
  ))");
  auto c = binary::decode(bytes);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto wit = wit::component_wit(**c);
  ASSERT_TRUE(wit.ok()) << wit.error().message;
  EXPECT_NE(wit->find("import f: func(x: map<string, list<u32>>) -> map<u8, bool>;"),
            std::string::npos)
      << *wit;
}

// ---- through the linker: exports taking and returning maps, a host import taking one ----

constexpr const char* kMapComponent = R"((component
  (import "host" (instance $h
    (export "sum" (func (param "m" (map string u32)) (result u32)))))
  (core module $Mem
    (memory (export "mem") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $r i32)
      (local.set $r (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))
      (global.set $next (i32.add (local.get $r) (local.get 3)))
      (local.get $r)))
  (core instance $mem (instantiate $Mem))
  (core func $sum (canon lower (func $h "sum")
    (memory (core memory $mem "mem")) (realloc (core func $mem "realloc"))))
  (core module $Code
    (import "h" "sum" (func $sum (param i32 i32) (result i32)))
    (import "m" "mem" (memory 1))
    ;; Returns its argument: the (ptr, len) pair written to a return area at 0.
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 0) (local.get 0))
      (i32.store (i32.const 4) (local.get 1))
      (i32.const 0))
    (func (export "sum") (param i32 i32) (result i32)
      (call $sum (local.get 0) (local.get 1))))
  (core instance $code (instantiate $Code
    (with "h" (instance (export "sum" (func $sum))))
    (with "m" (instance $mem))))
  (func (export "echo") (param "m" (map string u32)) (result (map string u32))
    (canon lift (core func $code "echo")
      (memory (core memory $mem "mem")) (realloc (core func $mem "realloc"))))
  (func (export "sum") (param "m" (map string u32)) (result u32)
    (canon lift (core func $code "sum")
      (memory (core memory $mem "mem")) (realloc (core func $mem "realloc"))))
))";

class MapLinkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = wasm::make_engine(wasm::EngineKind::Interp);
    if (!engine) ACTR_SKIP_MISSING(engine.error().message);
    engine_ = std::move(*engine);
    auto bin = test::component_from_text(kMapComponent);
    if (bin.tool_missing) ACTR_SKIP_MISSING(bin.error);
    ASSERT_TRUE(bin.bytes) << bin.error;
    auto c = Component::load(*engine_, *bin.bytes);
    ASSERT_TRUE(c.ok()) << c.error().message;
    component_ = *c;
  }

  FuncType sum_type(TypeRef param) { return FuncType{{{"m", param}}, {{"", P(Kind::U32)}}}; }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const Component> component_;
};

TEST_F(MapLinkerTest, MapsCrossBetweenHostAndGuest) {
  Linker linker(*engine_);
  std::vector<Value> seen;
  linker.func("host", "sum", sum_type(map_of(P(Kind::String), P(Kind::U32))),
              [&](std::span<const Value> args, std::vector<Value>& results) -> Result<void> {
                seen.assign(args.begin(), args.end());
                uint32_t total = 0;
                for (const Value& e : args[0].items) total += static_cast<uint32_t>(e.items[1].u);
                results.push_back(Value::u32(total));
                return {};
              });
  auto inst = linker.instantiate(*component_);
  ASSERT_TRUE(inst.ok()) << inst.error().message;

  Value m = Value::map({entry(Value::string("z"), Value::u32(26)),
                        entry(Value::string("k"), Value::u32(1)),
                        entry(Value::string("k"), Value::u32(2))});
  auto echoed = (*inst)->call("echo", std::span(&m, 1));
  ASSERT_TRUE(echoed.ok()) << echoed.error().message;
  ASSERT_EQ(echoed->size(), 1u);
  EXPECT_EQ((*echoed)[0], m);

  auto sum = (*inst)->call("sum", std::span(&m, 1));
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_EQ(*sum, std::vector<Value>{Value::u32(29)});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], m) << "the host import sees the guest's entries in order";

  Value empty = Value::map({});
  sum = (*inst)->call("sum", std::span(&empty, 1));
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_EQ(*sum, std::vector<Value>{Value::u32(0)});

  // A host value of the wrong shape is an error before any guest code runs.
  Value bad = Value::map({entry(Value::u32(1), Value::u32(2))});
  auto r = (*inst)->call("echo", std::span(&bad, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("in map entry 0 key: expected `string`, found a u32 value"),
            std::string::npos)
      << r.error().message;
}

TEST_F(MapLinkerTest, HostImportOfTheDespecializedListDoesNotLink) {
  Linker linker(*engine_);
  linker.func("host", "sum", sum_type(list_of(tuple_of({P(Kind::String), P(Kind::U32)}))),
              [](std::span<const Value>, std::vector<Value>&) -> Result<void> { return {}; });
  auto inst = linker.instantiate(*component_);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("map<string, u32>"), std::string::npos)
      << inst.error().message;
}

}  // namespace
}  // namespace actr::component
