// Fixed-size lists, list<T, N> (the Component Model's 🔧 fixed-length lists) end to end: the
// resolved type and its equality, decoding and validating the 0x67 definition (N > 0, and the
// spec's bound on every defined type's size with 64-bit pointers), WIT and WAVE text, and a
// component whose exports and host import pass them through the linker, flat and in memory.
// Their canonical ABI layout and lifting/lowering are tested in canonical_test.cpp.
#include <gtest/gtest.h>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "component/binary/decoder.hpp"
#include "component/component_text.hpp"
#include "component/validate/validator.hpp"
#include "component/wave/wave.hpp"
#include "component/wit/wit_printer.hpp"
#include "support/missing.hpp"

namespace actr::component {
namespace {

TypeRef P(Kind k) { return primitive(k); }

Value u32s(std::initializer_list<uint32_t> xs) {
  std::vector<Value> items;
  for (uint32_t x : xs) items.push_back(Value::u32(x));
  return Value::fixed_list(std::move(items));
}

TEST(FixedListTypeTest, EqualityNeedsTheSameElementAndLength) {
  auto a = fixed_list_of(P(Kind::U8), 3);
  EXPECT_EQ(to_wit(*a), "list<u8, 3>");
  EXPECT_TRUE(same_type(*a, *fixed_list_of(P(Kind::U8), 3)));
  std::string why;
  EXPECT_FALSE(same_type(*a, *fixed_list_of(P(Kind::U8), 4), &why, "the component", "the host"));
  EXPECT_EQ(why, "length 3 in the component, 4 in the host");
  EXPECT_FALSE(same_type(*a, *fixed_list_of(P(Kind::S8), 3), &why));
  EXPECT_NE(why.find("list element"), std::string::npos) << why;
  EXPECT_FALSE(same_type(*a, *list_of(P(Kind::U8))));
}

Result<void> decode_and_validate(const std::vector<uint8_t>& bytes) {
  ACTR_TRY(auto c, binary::decode(bytes));
  return validate::validate(*c);
}

TEST(FixedListBinaryTest, ValidationBoundsLengthAndSize) {
  // Length 0, hand-encoded (text tools refuse to write it): 0x67 u8 0.
  std::vector<uint8_t> zero = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01,
                               0x00, 0x07, 0x04, 0x01, 0x67, 0x7d, 0x00};
  auto r = decode_and_validate(zero);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("has length 0"), std::string::npos) << r.error().message;
  // Truncated after the element type: a clean decode error.
  std::vector<uint8_t> cut(zero.begin(), zero.end() - 1);
  cut[9] = 0x03;
  EXPECT_FALSE(binary::decode(cut).ok());

  struct Case {
    const char* text;
    bool valid;
  };
  // elem_size(t, i64) < 2^28 for every defined type (CanonicalABI.md "Element Size").
  const Case cases[] = {
      {"(component (type (list u8 268435455)))", true},
      {"(component (type (list u64 33554431)))", true},
      {"(component (type (list string 16777215)))", true},
      {"(component (type (list (list u8 134217727) 2)))", true},
      {"(component (type (list u8 268435456)))", false},
      {"(component (type (list u64 536870912)))", false},    // 2^32 bytes: must not wrap
      {"(component (type (list string 16777216)))", false},  // fits with 32-bit pointers only
      {"(component (type (tuple (list u8 268435455) (list u8 1))))", false},
      {"(component (type (list (list u8 268435455) 2)))", false},
  };
  std::vector<std::string> texts;
  for (const auto& c : cases) texts.push_back(c.text);
  auto bins = test::components_from_text(texts);
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE(cases[i].text);
    if (bins[i].tool_missing) ACTR_SKIP_MISSING(bins[i].error);
    ASSERT_TRUE(bins[i].bytes) << bins[i].error;
    auto v = decode_and_validate(*bins[i].bytes);
    if (cases[i].valid) {
      EXPECT_TRUE(v.ok()) << v.error().message;
    } else {
      ASSERT_FALSE(v.ok());
      EXPECT_NE(v.error().message.find("exceeds maximum byte size"), std::string::npos)
          << v.error().message;
    }
  }
}

TEST(FixedListBinaryTest, ImportsMatchOnlyTheSameLength) {
  auto text = [](const char* given) {
    return std::string(R"((component
      (import "y" (component $c
        (type $t (list u32 4))
        (import "x" (type (eq $t)))))
      (type $x )") +
           given + R"()
      (instance (instantiate $c (with "x" (type $x))))))";
  };
  auto bins =
      test::components_from_text({text("(list u32 4)"), text("(list u32 5)"), text("(list u32)")});
  for (const auto& b : bins) {
    if (b.tool_missing) ACTR_SKIP_MISSING(b.error);
    ASSERT_TRUE(b.bytes) << b.error;
  }
  EXPECT_TRUE(decode_and_validate(*bins[0].bytes).ok());
  EXPECT_FALSE(decode_and_validate(*bins[1].bytes).ok());
  EXPECT_FALSE(decode_and_validate(*bins[2].bytes).ok());
}

TEST(FixedListTextTest, WaveTakesExactlyNElementsAndWitSaysTheLength) {
  auto t = fixed_list_of(P(Kind::U32), 3);
  auto v = wave::parse("[1, 2, 3]", *t);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, u32s({1, 2, 3}));
  EXPECT_EQ(wave::print(*v, *t), "[1, 2, 3]");
  auto err = [&](std::string_view text) {
    auto r = wave::parse(text, *t);
    return r.ok() ? std::string("<ok>") : r.error().message;
  };
  EXPECT_NE(err("[1, 2]").find("2 elements for `list<u32, 3>` (it takes exactly 3)"),
            std::string::npos)
      << err("[1, 2]");
  EXPECT_NE(err("[1, 2, 3, 4]").find("more than 3 elements"), std::string::npos)
      << err("[1, 2, 3, 4]");
  EXPECT_EQ(wave::print(u32s({1}), *t).front(), '<');  // a value that does not fit

  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component
    (import "f" (func (param "x" (list u8 16)) (result (list (list f32 2) 3))))
  ))");
  auto c = binary::decode(bytes);
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto wit = wit::component_wit(**c);
  ASSERT_TRUE(wit.ok()) << wit.error().message;
  EXPECT_NE(wit->find("import f: func(x: list<u8, 16>) -> list<list<f32, 2>, 3>;"),
            std::string::npos)
      << *wit;
}

// ---- through the linker ----

// `rev` takes four u32 flat and returns them reversed through a return area; `sum` passes its
// (flat) argument on to the host's `sum`, which takes list<u8, 3>.
constexpr const char* kFixedListComponent = R"((component
  (import "host" (instance $h
    (export "sum" (func (param "l" (list u8 3)) (result u32)))))
  (core module $Mem
    (memory (export "mem") 1))
  (core instance $mem (instantiate $Mem))
  (core func $sum (canon lower (func $h "sum")))
  (core module $Code
    (import "h" "sum" (func $sum (param i32 i32 i32) (result i32)))
    (import "m" "mem" (memory 1))
    (func (export "rev") (param i32 i32 i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 3))
      (i32.store (i32.const 20) (local.get 2))
      (i32.store (i32.const 24) (local.get 1))
      (i32.store (i32.const 28) (local.get 0))
      (i32.const 16))
    (func (export "sum") (param i32 i32 i32) (result i32)
      (call $sum (local.get 0) (local.get 1) (local.get 2))))
  (core instance $code (instantiate $Code
    (with "h" (instance (export "sum" (func $sum))))
    (with "m" (instance $mem))))
  (func (export "rev") (param "l" (list u32 4)) (result (list u32 4))
    (canon lift (core func $code "rev") (memory (core memory $mem "mem"))))
  (func (export "sum") (param "l" (list u8 3)) (result u32)
    (canon lift (core func $code "sum")))
))";

class FixedListLinkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = wasm::make_engine(wasm::EngineKind::Interp);
    if (!engine) ACTR_SKIP_MISSING(engine.error().message);
    engine_ = std::move(*engine);
    auto bin = test::component_from_text(kFixedListComponent);
    if (bin.tool_missing) ACTR_SKIP_MISSING(bin.error);
    ASSERT_TRUE(bin.bytes) << bin.error;
    auto c = Component::load(*engine_, *bin.bytes);
    ASSERT_TRUE(c.ok()) << c.error().message;
    component_ = *c;
  }
  FuncType sum_type(TypeRef param) { return FuncType{{{"l", param}}, {{"", P(Kind::U32)}}}; }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const Component> component_;
};

TEST_F(FixedListLinkerTest, ListsCrossFlatAndInMemory) {
  Linker linker(*engine_);
  std::vector<Value> seen;
  linker.func("host", "sum", sum_type(fixed_list_of(P(Kind::U8), 3)),
              [&](std::span<const Value> args, std::vector<Value>& results) -> Result<void> {
                seen.assign(args.begin(), args.end());
                uint32_t total = 0;
                for (const Value& e : args[0].items) total += static_cast<uint32_t>(e.u);
                results.push_back(Value::u32(total));
                return {};
              });
  auto inst = linker.instantiate(*component_);
  ASSERT_TRUE(inst.ok()) << inst.error().message;

  Value l = u32s({1, 2, 3, 0xFFFFFFFF});
  auto rev = (*inst)->call("rev", std::span(&l, 1));
  ASSERT_TRUE(rev.ok()) << rev.error().message;
  EXPECT_EQ(*rev, std::vector<Value>{u32s({0xFFFFFFFF, 3, 2, 1})});

  Value b = Value::fixed_list({Value::u8(200), Value::u8(50), Value::u8(7)});
  auto sum = (*inst)->call("sum", std::span(&b, 1));
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_EQ(*sum, std::vector<Value>{Value::u32(257)});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], b);

  // A host value of another length is refused before the guest runs.
  Value short_list = u32s({1, 2, 3});
  auto r = (*inst)->call("rev", std::span(&short_list, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("`list<u32, 4>` value has 3 elements"), std::string::npos)
      << r.error().message;
}

TEST_F(FixedListLinkerTest, AHostImportOfAnotherLengthDoesNotLink) {
  Linker linker(*engine_);
  linker.func("host", "sum", sum_type(fixed_list_of(P(Kind::U8), 4)),
              [](std::span<const Value>, std::vector<Value>&) -> Result<void> { return {}; });
  auto inst = linker.instantiate(*component_);
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().message.find("length 3"), std::string::npos) << inst.error().message;
}

}  // namespace
}  // namespace actr::component
