// Component value types (constructors, structural equality with first-difference messages, WIT
// spelling) and dynamic values (constructors, equality).
#include "actr/component/value.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "actr/component/types.hpp"

namespace actr::component {
namespace {

TEST(ValueTypeTest, ConstructorsBuildTheShapes) {
  auto u32 = primitive(Kind::U32);
  EXPECT_EQ(u32->kind, Kind::U32);
  EXPECT_EQ(primitive(Kind::U32).get(), u32.get()) << "primitives are shared";
  EXPECT_EQ(list_of(u32)->elem, u32);
  EXPECT_EQ(option_of(u32)->kind, Kind::Option);
  auto r = result_of(u32, nullptr);
  EXPECT_EQ(r->ok, u32);
  EXPECT_EQ(r->err, nullptr);
  EXPECT_EQ(tuple_of({u32, u32})->items.size(), 2u);
  auto rec = record_of({{"a", u32}, {"b", primitive(Kind::String)}});
  ASSERT_EQ(rec->fields.size(), 2u);
  EXPECT_EQ(rec->fields[1].name, "b");
  auto var = variant_of({{"x", nullptr}, {"y", u32}});
  EXPECT_EQ(var->cases[0].type, nullptr);
  EXPECT_EQ(enum_of({"a", "b"})->names.size(), 2u);
  EXPECT_EQ(flags_of({"r", "w"})->kind, Kind::Flags);
  auto res = std::make_shared<const ResourceType>(ResourceType{"file", false});
  EXPECT_EQ(own_of(res)->resource, res);
  EXPECT_EQ(borrow_of(res)->kind, Kind::Borrow);
}

TEST(ValueTypeTest, SameTypeIsStructural) {
  auto a =
      record_of({{"x", list_of(primitive(Kind::U8))}, {"y", option_of(primitive(Kind::String))}});
  auto b =
      record_of({{"x", list_of(primitive(Kind::U8))}, {"y", option_of(primitive(Kind::String))}});
  std::string why;
  EXPECT_TRUE(same_type(*a, *b, &why)) << why;
  // Names given in WIT are for printing only.
  EXPECT_TRUE(same_type(*named(a, "foo"), *b));
}

TEST(ValueTypeTest, SameTypeNamesTheFirstDifference) {
  auto host = variant_of({{"ok", nullptr}, {"timed-out", nullptr}});
  auto guest = variant_of({{"ok", nullptr}, {"connection-not-ready", nullptr}});
  std::string why;
  EXPECT_FALSE(same_type(*guest, *host, &why, "the component", "the host"));
  EXPECT_EQ(why, "case 1 is `connection-not-ready` in the component, `timed-out` in the host");

  EXPECT_FALSE(same_type(*guest, *host, &why));
  EXPECT_EQ(why, "case 1 is `connection-not-ready` in a, `timed-out` in b");

  auto ra = record_of({{"id", primitive(Kind::U32)}, {"payload", list_of(primitive(Kind::U8))}});
  auto rb = record_of({{"id", primitive(Kind::U32)}, {"payload", list_of(primitive(Kind::S8))}});
  EXPECT_FALSE(same_type(*ra, *rb, &why, "the component", "the host"));
  EXPECT_EQ(why, "in field `payload`, list element: `u8` in the component, `s8` in the host");

  EXPECT_FALSE(same_type(*record_of({{"a", primitive(Kind::U32)}}), *ra, &why));
  EXPECT_EQ(why, "field 0 is `a` in a, `id` in b");
  EXPECT_FALSE(same_type(*record_of({{"id", primitive(Kind::U32)}}), *ra, &why));
  EXPECT_EQ(why, "field 1 `payload` is only in b (record has 1 fields in a, 2 in b)");

  EXPECT_FALSE(same_type(*result_of(primitive(Kind::U32), nullptr),
                         *result_of(primitive(Kind::U32), primitive(Kind::String)), &why));
  EXPECT_EQ(why, "result err type is absent in a, present in b");

  EXPECT_FALSE(same_type(*enum_of({"a", "b"}), *enum_of({"a", "c"}), &why));
  EXPECT_EQ(why, "case 1 is `b` in a, `c` in b");

  EXPECT_FALSE(same_type(*flags_of({"a"}), *flags_of({"a", "b"}), &why));
  EXPECT_EQ(why, "flag 1 `b` is only in b (flags has 1 flags in a, 2 in b)");
  // The case: a variant with one more case in the component names that case.
  auto eleven = variant_of({{"a", nullptr}, {"b", nullptr}, {"c", nullptr}});
  auto ten = variant_of({{"a", nullptr}, {"b", nullptr}});
  EXPECT_FALSE(same_type(*eleven, *ten, &why, "the component", "the host"));
  EXPECT_EQ(why,
            "case 2 `c` is only in the component (variant has 3 cases in the component, 2 in "
            "the host)");

  EXPECT_FALSE(
      same_type(*variant_of({{"x", nullptr}}), *variant_of({{"x", primitive(Kind::U8)}}), &why));
  EXPECT_EQ(why, "case `x` has no payload in a, a payload in b");

  EXPECT_FALSE(same_type(*tuple_of({primitive(Kind::U8)}),
                         *tuple_of({primitive(Kind::U8), primitive(Kind::U8)}), &why));
  EXPECT_EQ(why, "tuple has 1 items in a, 2 in b");
}

TEST(ValueTypeTest, ResourcesCompareByIdentity) {
  auto r1 = std::make_shared<const ResourceType>(ResourceType{"file", false});
  auto r2 = std::make_shared<const ResourceType>(ResourceType{"file", false});
  auto r3 = std::make_shared<const ResourceType>(ResourceType{"socket", true});
  std::string why;
  EXPECT_TRUE(same_type(*own_of(r1), *own_of(r1)));
  EXPECT_FALSE(same_type(*own_of(r1), *own_of(r2), &why));
  EXPECT_EQ(why, "resource `file` in a is a different resource type from `file` in b");
  EXPECT_FALSE(same_type(*own_of(r1), *own_of(r3), &why));
  EXPECT_EQ(why, "resource `file` in a, `socket` in b");
  EXPECT_FALSE(same_type(*own_of(r1), *borrow_of(r1), &why));
  EXPECT_EQ(why, "`file` in a, `borrow<file>` in b");
}

TEST(ValueTypeTest, SameFuncType) {
  FuncType a{{{"x", primitive(Kind::U32)}}, {{"", primitive(Kind::String)}}};
  FuncType b{{{"x", primitive(Kind::U32)}}, {{"", primitive(Kind::String)}}};
  EXPECT_TRUE(same_func_type(a, b));
  FuncType c{{{"y", primitive(Kind::U32)}}, {{"", primitive(Kind::String)}}};
  std::string why;
  EXPECT_FALSE(same_func_type(a, c, &why, "the component", "the host"));
  EXPECT_EQ(why, "param 0 is `x` in the component, `y` in the host");
  FuncType d{{{"x", primitive(Kind::S32)}}, {{"", primitive(Kind::String)}}};
  EXPECT_FALSE(same_func_type(a, d, &why, "the component", "the host"));
  EXPECT_EQ(why, "param `x`: `u32` in the component, `s32` in the host");
  FuncType e{{{"x", primitive(Kind::U32)}}, {}};
  EXPECT_FALSE(same_func_type(a, e, &why));
  EXPECT_EQ(why, "function has 1 results in a, 0 in b");
}

TEST(ValueTypeTest, ToWit) {
  EXPECT_EQ(to_wit(*primitive(Kind::U8)), "u8");
  EXPECT_EQ(to_wit(*list_of(primitive(Kind::U8))), "list<u8>");
  EXPECT_EQ(to_wit(*option_of(primitive(Kind::String))), "option<string>");
  EXPECT_EQ(to_wit(*result_of(primitive(Kind::String), named(enum_of({"a"}), "actr-error"))),
            "result<string, actr-error>");
  EXPECT_EQ(to_wit(*result_of(nullptr, primitive(Kind::U32))), "result<_, u32>");
  EXPECT_EQ(to_wit(*result_of(primitive(Kind::U32), nullptr)), "result<u32>");
  EXPECT_EQ(to_wit(*result_of(nullptr, nullptr)), "result");
  EXPECT_EQ(to_wit(*tuple_of({primitive(Kind::S64), primitive(Kind::Char)})), "tuple<s64, char>");
  EXPECT_EQ(to_wit(*record_of({{"a", primitive(Kind::U32)}})), "record { a: u32 }");
  EXPECT_EQ(to_wit(*variant_of({{"a", nullptr}, {"b", primitive(Kind::F64)}})),
            "variant { a, b(f64) }");
  EXPECT_EQ(to_wit(*flags_of({"r", "w"})), "flags { r, w }");
  EXPECT_EQ(to_wit(*named(record_of({{"a", primitive(Kind::U32)}}), "point")), "point");
  auto res = std::make_shared<const ResourceType>(ResourceType{"file", false});
  EXPECT_EQ(to_wit(*own_of(res)), "file");
  EXPECT_EQ(to_wit(*borrow_of(res)), "borrow<file>");
  EXPECT_EQ(to_string(Kind::Borrow), std::string("borrow"));
}

TEST(ValueTest, ConstructorsSetKindAndPayload) {
  EXPECT_EQ(Value::boolean(true).kind, Kind::Bool);
  EXPECT_EQ(Value::s8(-5).s, -5);
  EXPECT_EQ(Value::u64(~0ull).u, ~0ull);
  EXPECT_EQ(Value::character(U'🚩').as_char(), U'🚩');
  EXPECT_EQ(Value::string("hi").str, "hi");
  uint8_t raw[] = {1, 2, 3};
  Value bytes = Value::bytes(raw, 3);
  EXPECT_EQ(bytes.kind, Kind::List);
  ASSERT_EQ(bytes.list_size(), 3u);
  EXPECT_EQ(bytes.list_item(2), Value::u8(3));
  EXPECT_EQ(Value::variant(2, Value::u32(7)).index, 2u);
  EXPECT_TRUE(Value::variant(2, Value::u32(7)).has_payload());
  EXPECT_FALSE(Value::none().has_payload());
  EXPECT_EQ(Value::some(Value::u8(1)).payload(), Value::u8(1));
  EXPECT_TRUE(Value::ok().is_ok);
  EXPECT_FALSE(Value::err(Value::string("x")).is_ok);
  EXPECT_EQ(Value::flags(0b101).u, 0b101u);
  EXPECT_EQ(Value::enumeration(3).index, 3u);
}

TEST(ValueTest, EqualityIsStructuralAndBitwiseForFloats) {
  EXPECT_EQ(Value::u32(1), Value::u32(1));
  EXPECT_NE(Value::u32(1), Value::s32(1));
  EXPECT_NE(Value::u32(1), Value::u32(2));
  float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Value::f32v(nan), Value::f32v(nan));
  EXPECT_NE(Value::f64v(0.0), Value::f64v(-0.0));
  EXPECT_EQ(Value::list({Value::string("a"), Value::string("b")}),
            Value::list({Value::string("a"), Value::string("b")}));
  EXPECT_NE(Value::list({Value::string("a")}), Value::list({Value::string("b")}));
  EXPECT_NE(Value::ok(Value::u8(1)), Value::err(Value::u8(1)));
  EXPECT_NE(Value::variant(0), Value::variant(1));
  EXPECT_NE(Value::none(), Value::some(Value::u8(0)));
  auto r = std::make_shared<const ResourceType>(ResourceType{"r", true});
  EXPECT_EQ(Value::own({r, 3}), Value::own({r, 3}));
  EXPECT_NE(Value::own({r, 3}), Value::borrow({r, 3}));
  EXPECT_NE(Value::own({r, 3}), Value::own({r, 4}));
}

TEST(ValueTest, BytesAreCompactAndReadableInBothForms) {
  const uint8_t raw[] = {0, 7, 255};
  Value compact = Value::bytes(raw, 3);
  Value elementwise = Value::list({Value::u8(0), Value::u8(7), Value::u8(255)});
  EXPECT_TRUE(compact.is_bytes());
  EXPECT_TRUE(compact.items.empty());
  EXPECT_FALSE(elementwise.is_bytes());
  ASSERT_EQ(compact.as_bytes().size(), 3u);
  EXPECT_EQ(compact.as_bytes()[2], 255);
  EXPECT_TRUE(elementwise.as_bytes().empty()) << "only the compact form has contiguous bytes";
  EXPECT_TRUE(Value::string("abc").as_bytes().empty()) << "a string is no list";

  for (const Value* v : {&compact, &elementwise}) {
    EXPECT_EQ(v->list_size(), 3u);
    EXPECT_EQ(v->list_item(0), Value::u8(0));
    EXPECT_EQ(v->list_item(2), Value::u8(255));
    std::string s;
    ASSERT_TRUE(v->copy_bytes(s));
    EXPECT_EQ(s, std::string("\x00\x07\xff", 3));
    std::vector<uint8_t> b;
    ASSERT_TRUE(v->copy_bytes(b));
    EXPECT_EQ(b, (std::vector<uint8_t>{0, 7, 255}));
  }
  EXPECT_EQ(Value::u32(3).list_size(), 0u);

  std::string s;
  EXPECT_FALSE(Value::list({Value::u8(1), Value::u32(2)}).copy_bytes(s));
  EXPECT_FALSE(Value::string("x").copy_bytes(s));

  // Other constructors make the same compact value.
  EXPECT_TRUE(Value::bytes(std::string("\x00\x07\xff", 3)).is_bytes());
  EXPECT_EQ(Value::bytes(std::string("\x00\x07\xff", 3)), compact);
  std::vector<uint8_t> vec{0, 7, 255};
  EXPECT_EQ(Value::bytes(std::span<const uint8_t>(vec)), compact);
}

TEST(ValueTest, CompactAndElementwiseBytesCompareEqual) {
  const uint8_t raw[] = {1, 2, 3};
  Value compact = Value::bytes(raw, 3);
  Value same = Value::list({Value::u8(1), Value::u8(2), Value::u8(3)});
  EXPECT_EQ(compact, same);
  EXPECT_EQ(same, compact);
  EXPECT_EQ(compact, Value::bytes(raw, 3));
  EXPECT_NE(compact, Value::list({Value::u8(1), Value::u8(2)}));
  EXPECT_NE(compact, Value::list({Value::u8(1), Value::u8(2), Value::u8(4)}));
  EXPECT_NE(compact, Value::list({Value::u8(1), Value::u8(2), Value::u16(3)}));
  EXPECT_NE(Value::list({Value::u8(1), Value::u8(2), Value::u16(3)}), compact);
  EXPECT_NE(compact, Value::bytes(raw, 2));
  EXPECT_EQ(Value::bytes(raw, 0), Value::list({})) << "empty lists are equal in any form";
  // Nested inside other values too.
  EXPECT_EQ(Value::some(compact), Value::some(same));
  EXPECT_EQ(Value::record({Value::string("x"), compact}),
            Value::record({Value::string("x"), same}));
}

TEST(ValueTest, ExpandedAndInPlaceConstruction) {
  const uint8_t raw[] = {9, 8};
  Value nested = Value::record({Value::bytes(raw, 2), Value::some(Value::bytes(raw, 1))});
  Value e = nested.expanded();
  EXPECT_EQ(e, nested);
  ASSERT_EQ(e.items[0].items.size(), 2u);
  EXPECT_FALSE(e.items[0].is_bytes());
  EXPECT_EQ(e.items[0].items[1], Value::u8(8));
  EXPECT_FALSE(e.items[1].payload().is_bytes());
  EXPECT_EQ(e.items[1].payload().items.size(), 1u);

  Value v = Value::string("leftover");
  v.assign_bytes(raw, 2);
  EXPECT_TRUE(v.is_bytes());
  EXPECT_EQ(v, Value::bytes(raw, 2));
  v.reset(Kind::U32);
  EXPECT_EQ(v, Value::u32(0));
  EXPECT_FALSE(v.is_bytes());
  v.reset(Kind::List);
  EXPECT_FALSE(v.is_bytes()) << "reset forgets the compact form";
  EXPECT_EQ(v.list_size(), 0u);
}

}  // namespace
}  // namespace actr::component
