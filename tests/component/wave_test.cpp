// WAVE: parsing text into Values against types, printing Values, and call expressions.
#include "component/wave/wave.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace actr::component::wave {
namespace {

TypeRef P(Kind k) { return primitive(k); }

Value ok_parse(std::string_view text, const TypeRef& t) {
  auto r = parse(text, *t);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Value();
}

std::string parse_error(std::string_view text, const TypeRef& t) {
  auto r = parse(text, *t);
  return r.ok() ? "<ok: " + print(*r, *t) + ">" : r.error().message;
}

// Parses, checks the value, prints, and checks the printed form (and that it parses back).
void expect_wave(std::string_view text, const TypeRef& t, const Value& expected,
                 std::string_view printed) {
  Value v = ok_parse(text, t);
  EXPECT_EQ(v, expected) << text;
  std::string out = print(expected, *t);
  EXPECT_EQ(out, printed);
  EXPECT_EQ(ok_parse(out, t), expected) << "reparsing " << out;
}

TEST(WaveTest, Scalars) {
  expect_wave("true", P(Kind::Bool), Value::boolean(true), "true");
  expect_wave(" false ", P(Kind::Bool), Value::boolean(false), "false");
  expect_wave("-128", P(Kind::S8), Value::s8(-128), "-128");
  expect_wave("255", P(Kind::U8), Value::u8(255), "255");
  expect_wave("-32768", P(Kind::S16), Value::s16(-32768), "-32768");
  expect_wave("4294967295", P(Kind::U32), Value::u32(4294967295u), "4294967295");
  expect_wave("-9223372036854775808", P(Kind::S64), Value::s64(INT64_MIN), "-9223372036854775808");
  expect_wave("18446744073709551615", P(Kind::U64), Value::u64(UINT64_MAX), "18446744073709551615");
  expect_wave("-0", P(Kind::U32), Value::u32(0), "0");
  expect_wave("3.14", P(Kind::F64), Value::f64v(3.14), "3.14");
  expect_wave("6.022e+23", P(Kind::F64), Value::f64v(6.022e23), "6.022e+23");
  expect_wave("1", P(Kind::F32), Value::f32v(1.0f), "1");
  expect_wave("0.1", P(Kind::F32), Value::f32v(0.1f), "0.1");
  expect_wave("-inf", P(Kind::F32), Value::f32v(-std::numeric_limits<float>::infinity()), "-inf");
  expect_wave("inf", P(Kind::F64), Value::f64v(std::numeric_limits<double>::infinity()), "inf");
  Value nan = ok_parse("nan", P(Kind::F64));
  EXPECT_TRUE(std::isnan(nan.f64));
  EXPECT_EQ(print(Value::f32v(std::nanf("")), *P(Kind::F32)), "nan");
  expect_wave("-0.0", P(Kind::F64), Value::f64v(-0.0), "-0");
}

TEST(WaveTest, NumberErrors) {
  EXPECT_EQ(parse_error("256", P(Kind::U8)), "column 1: number 256 out of range for `u8`");
  EXPECT_EQ(parse_error("-1", P(Kind::U32)), "column 1: number -1 out of range for `u32`");
  EXPECT_EQ(parse_error("128", P(Kind::S8)), "column 1: number 128 out of range for `s8`");
  EXPECT_EQ(parse_error("18446744073709551616", P(Kind::U64)),
            "column 1: number 18446744073709551616 out of range for `u64`");
  EXPECT_EQ(parse_error("1.5", P(Kind::U32)),
            "column 1: expected an integer for `u32`, found number `1.5`");
  EXPECT_EQ(parse_error("1e3", P(Kind::S32)),
            "column 1: expected an integer for `s32`, found number `1e3`");
  EXPECT_EQ(parse_error("01", P(Kind::U32)), "column 1: invalid number: leading zero");
  EXPECT_EQ(parse_error("1e39", P(Kind::F32)), "column 1: number 1e39 out of range for `f32`");
  EXPECT_EQ(parse_error("\"1\"", P(Kind::U32)), "column 1: expected `u32`, found string \"1\"");
  EXPECT_EQ(parse_error("1 2", P(Kind::U32)), "column 3: expected end of input, found number `2`");
  EXPECT_EQ(parse_error("", P(Kind::U32)), "column 1: expected `u32`, found end of input");
  EXPECT_EQ(parse_error("True", P(Kind::Bool)),
            "column 1: expected `true` or `false`, found label `True`");
}

TEST(WaveTest, Chars) {
  expect_wave("'x'", P(Kind::Char), Value::character('x'), "'x'");
  expect_wave("'☃'", P(Kind::Char), Value::character(U'☃'), "'☃'");
  expect_wave("'\\''", P(Kind::Char), Value::character('\''), "'\\''");
  expect_wave("'\"'", P(Kind::Char), Value::character('"'), "'\"'");
  expect_wave("'\\u{0}'", P(Kind::Char), Value::character(0), "'\\u{0}'");
  expect_wave("'\\u{1F6A9}'", P(Kind::Char), Value::character(U'🚩'), "'🚩'");
  expect_wave("'\\n'", P(Kind::Char), Value::character('\n'), "'\\n'");
  EXPECT_EQ(parse_error("''", P(Kind::Char)), "column 1: empty char");
  EXPECT_EQ(parse_error("'ab'", P(Kind::Char)), "column 1: a char holds exactly one code point");
  EXPECT_EQ(parse_error("'\\u{D800}'", P(Kind::Char)),
            "column 2: `\\u{...}` escape is not a Unicode scalar value");
  EXPECT_EQ(parse_error("'\\q'", P(Kind::Char)), "column 2: unknown escape `\\q`");
  EXPECT_EQ(parse_error("'x", P(Kind::Char)), "column 1: unterminated char");
}

TEST(WaveTest, Strings) {
  expect_wave("\"abc\\t123\"", P(Kind::String), Value::string("abc\t123"), "\"abc\\t123\"");
  expect_wave("\"👋 Hello, world! 👋\"", P(Kind::String), Value::string("👋 Hello, world! 👋"),
              "\"👋 Hello, world! 👋\"");
  expect_wave("\"q\\\"b\\\\s\\n'\"", P(Kind::String), Value::string("q\"b\\s\n'"),
              "\"q\\\"b\\\\s\\n'\"");
  expect_wave("\"\\u{1}\\r\"", P(Kind::String), Value::string("\x01\r"), "\"\\u{1}\\r\"");
  expect_wave("\"\"", P(Kind::String), Value::string(""), "\"\"");
  EXPECT_EQ(parse_error("\"ab", P(Kind::String)), "column 1: unterminated string");
  EXPECT_EQ(parse_error("\"a\nb\"", P(Kind::String)),
            "column 3: newline in string (use \\n or a \"\"\" string)");
  EXPECT_EQ(parse_error("'a'", P(Kind::String)),
            "column 1: expected a string like \"x\", found char");
}

TEST(WaveTest, MultilineStrings) {
  Value v = ok_parse("\"\"\"\n  first\n    second \"quoted\"\n  \"\"\"", P(Kind::String));
  EXPECT_EQ(v, Value::string("first\n  second \"quoted\""));
  EXPECT_EQ(ok_parse("\"\"\"\n\"\"\"", P(Kind::String)), Value::string(""));
  EXPECT_EQ(ok_parse("\"\"\"\na\\tb\n\"\"\"", P(Kind::String)), Value::string("a\tb"));
  EXPECT_EQ(parse_error("\"\"\"x\"\"\"", P(Kind::String)),
            "column 1: a \"\"\" string must start with a line break");
}

TEST(WaveTest, ListsAndTuples) {
  auto L = list_of(P(Kind::U32));
  expect_wave("[1, 2, 3]", L, Value::list({Value::u32(1), Value::u32(2), Value::u32(3)}),
              "[1, 2, 3]");
  expect_wave("[]", L, Value::list({}), "[]");
  EXPECT_EQ(ok_parse("[ 1 , 2 , ]", L), Value::list({Value::u32(1), Value::u32(2)}));
  expect_wave("[[1], []]", list_of(L), Value::list({Value::list({Value::u32(1)}), Value::list({})}),
              "[[1], []]");
  EXPECT_EQ(parse_error("[1, 2, x]", L), "column 8: expected `u32`, found label `x`");
  EXPECT_EQ(parse_error("[1 2]", L), "column 4: expected `,` or `]`, found number `2`");
  EXPECT_EQ(parse_error("[1,", L), "column 4: expected `u32`, found end of input");

  auto T = tuple_of({P(Kind::String), P(Kind::U8)});
  expect_wave("(\"abc\", 123)", T, Value::tuple({Value::string("abc"), Value::u8(123)}),
              "(\"abc\", 123)");
  EXPECT_EQ(ok_parse("(\"a\", 1,)", T), Value::tuple({Value::string("a"), Value::u8(1)}));
  EXPECT_EQ(parse_error("(\"a\")", T), "column 5: expected `,`, found `)`");
  EXPECT_EQ(parse_error("(\"a\", 1, 2)", T),
            "column 10: expected `)` (the tuple has 2 items), found number `2`");
}

TEST(WaveTest, BytesParseCompactAndPrintInEitherForm) {
  auto B = list_of(P(Kind::U8));
  Value parsed = ok_parse("[0, 127, 255]", B);
  EXPECT_TRUE(parsed.is_bytes()) << "list<u8> parses to the compact form";
  const uint8_t raw[] = {0, 127, 255};
  EXPECT_EQ(parsed, Value::bytes(raw, 3));
  EXPECT_EQ(print(parsed, *B), "[0, 127, 255]");
  EXPECT_EQ(print(parsed.expanded(), *B), "[0, 127, 255]");
  EXPECT_EQ(print(Value::bytes(raw, 0), *B), "[]");
  EXPECT_TRUE(ok_parse("[]", B).is_bytes());
  EXPECT_EQ(parse_error("[1, 256]", B), "column 5: number 256 out of range for `u8`");
  // A compact list where another list type is expected is a mismatch, unless it is empty.
  EXPECT_EQ(print(Value::bytes(raw, 3), *list_of(P(Kind::String))),
            "<list value where `list<string>` is expected>");
  EXPECT_EQ(print(Value::bytes(raw, 0), *list_of(P(Kind::String))), "[]");
}

TEST(WaveTest, Records) {
  auto R = record_of(
      {{"field-a", P(Kind::U32)}, {"field-b", P(Kind::String)}, {"opt", option_of(P(Kind::U8))}});
  Value full = Value::record({Value::u32(1), Value::string("two"), Value::some(Value::u8(3))});
  expect_wave("{field-a: 1, field-b: \"two\", opt: some(3)}", R, full,
              "{field-a: 1, field-b: \"two\", opt: some(3)}");
  // Any order; option fields may be left out; a trailing comma is fine.
  EXPECT_EQ(ok_parse("{ opt: 3, field-b: \"two\", field-a: 1, }", R), full);
  Value no_opt = Value::record({Value::u32(1), Value::string("two"), Value::none()});
  EXPECT_EQ(ok_parse("{field-a: 1, field-b: \"two\"}", R), no_opt);
  EXPECT_EQ(print(no_opt, *R), "{field-a: 1, field-b: \"two\", opt: none}");

  auto all_optional = record_of({{"a", option_of(P(Kind::U8))}, {"b", option_of(P(Kind::U8))}});
  EXPECT_EQ(ok_parse("{:}", all_optional), Value::record({Value::none(), Value::none()}));
  EXPECT_EQ(ok_parse("{ : }", all_optional), Value::record({Value::none(), Value::none()}));
  EXPECT_EQ(ok_parse("{b: some(2)}", all_optional),
            Value::record({Value::none(), Value::some(Value::u8(2))}));

  auto keywords = record_of({{"true", P(Kind::Bool)}, {"none", option_of(P(Kind::U8))}});
  EXPECT_EQ(ok_parse("{true: true, none: none}", keywords),
            Value::record({Value::boolean(true), Value::none()}));

  EXPECT_EQ(parse_error("{field-a: 1}", R), "column 1: missing field `field-b`");
  EXPECT_EQ(parse_error("{field-a: 1, field-a: 2}", R), "column 14: duplicate field `field-a`");
  EXPECT_EQ(parse_error("{field-c: 1}", R), "column 2: unknown field `field-c`");
  EXPECT_EQ(parse_error("{field-a 1}", R), "column 10: expected `:`, found number `1`");
  EXPECT_EQ(parse_error("{:}", R), "column 1: missing field `field-a`");
}

TEST(WaveTest, VariantsAndEnums) {
  auto V = variant_of(
      {{"days", P(Kind::U32)}, {"forever", nullptr}, {"none", nullptr}, {"ok", P(Kind::String)}});
  expect_wave("days(30)", V, Value::variant(0, Value::u32(30)), "days(30)");
  expect_wave("forever", V, Value::variant(1), "forever");
  expect_wave("%none", V, Value::variant(2), "%none");
  expect_wave("%ok(\"x\")", V, Value::variant(3, Value::string("x")), "%ok(\"x\")");
  EXPECT_EQ(ok_parse("days ( 30 )", V), Value::variant(0, Value::u32(30)));
  EXPECT_EQ(parse_error("weeks(1)", V),
            "column 1: unknown case `weeks` of `variant { days(u32), forever, none, ok(string) }`");
  EXPECT_EQ(parse_error("days", V), "column 5: expected `(`, found end of input");
  EXPECT_EQ(parse_error("forever(1)", V), "column 8: case `forever` has no payload");

  auto E = enum_of({"north", "south", "true"});
  expect_wave("south", E, Value::enumeration(1), "south");
  expect_wave("%true", E, Value::enumeration(2), "%true");
  EXPECT_EQ(parse_error("west", E),
            "column 1: unknown case `west` of `enum { north, south, true }`");
}

TEST(WaveTest, OptionsAndResults) {
  auto O = option_of(P(Kind::String));
  expect_wave("some(\"explicit some\")", O, Value::some(Value::string("explicit some")),
              "some(\"explicit some\")");
  expect_wave("none", O, Value::none(), "none");
  EXPECT_EQ(ok_parse("\"flat some\"", O), Value::some(Value::string("flat some")));
  auto OO = option_of(option_of(P(Kind::U8)));
  expect_wave("some(none)", OO, Value::some(Value::none()), "some(none)");
  expect_wave("some(some(1))", OO, Value::some(Value::some(Value::u8(1))), "some(some(1))");

  auto R = result_of(P(Kind::String), P(Kind::U32));
  expect_wave("ok(\"explicit ok\")", R, Value::ok(Value::string("explicit ok")),
              "ok(\"explicit ok\")");
  expect_wave("err(404)", R, Value::err(Value::u32(404)), "err(404)");
  EXPECT_EQ(ok_parse("\"flat ok\"", R), Value::ok(Value::string("flat ok")));
  auto Empty = result_of(nullptr, nullptr);
  expect_wave("ok", Empty, Value::ok(), "ok");
  expect_wave("err", Empty, Value::err(), "err");
  EXPECT_EQ(parse_error("ok(1)", Empty), "column 3: `ok` of this result type has no payload");
  EXPECT_EQ(parse_error("1", Empty), "column 1: expected `ok` or `err`, found number `1`");
  auto ErrOnly = result_of(nullptr, P(Kind::String));
  expect_wave("err(\"oops\")", ErrOnly, Value::err(Value::string("oops")), "err(\"oops\")");
}

TEST(WaveTest, Flags) {
  auto F = flags_of({"read", "write", "exec"});
  expect_wave("{read, write}", F, Value::flags(0b011), "{read, write}");
  expect_wave("{}", F, Value::flags(0), "{}");
  EXPECT_EQ(ok_parse("{ exec , read , }", F), Value::flags(0b101));
  EXPECT_EQ(print(Value::flags(0b101), *F), "{read, exec}");
  EXPECT_EQ(parse_error("{read, read}", F), "column 8: duplicate flag `read`");
  EXPECT_EQ(parse_error("{delete}", F), "column 2: unknown flag `delete`");
}

TEST(WaveTest, CommentsAndWhitespace) {
  auto R = record_of({{"required", P(Kind::U32)}, {"optional", option_of(P(Kind::U32))}});
  const char* text = R"(  {                 // comment
    required: 1,    // comment
    optional: some( // comment
      1             // comment
    ),              // comment
  }                 // comment
)";
  EXPECT_EQ(ok_parse(text, R), Value::record({Value::u32(1), Value::some(Value::u32(1))}));
  EXPECT_EQ(parse_error("{ // {\n  required: x }", R),
            "line 2, column 13: expected `u32`, found label `x`");
}

TEST(WaveTest, ResourcesHaveNoTextForm) {
  auto res = std::make_shared<const ResourceType>(ResourceType{"stream", true});
  EXPECT_EQ(parse_error("x", own_of(res)),
            "column 1: resource handles (`stream`) cannot be written in WAVE");
  EXPECT_EQ(print(Value::own({res, 3}), *own_of(res)), "<own stream #3>");
  EXPECT_EQ(print(Value::string("x"), *P(Kind::U32)), "<string value where `u32` is expected>");
}

TEST(WaveTest, NestingIsBounded) {
  TypeRef t = P(Kind::U8);
  for (int i = 0; i < 200; ++i) t = list_of(t);
  std::string deep(200, '[');
  EXPECT_NE(parse_error(deep, t).find("nested too deeply"), std::string::npos);
}

TEST(WaveCallTest, SplitsNameAndArguments) {
  auto call = parse_call("docs:adder/add@0.1.0#add(1, 2)");
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call->name, "docs:adder/add@0.1.0#add");
  ASSERT_EQ(call->args.size(), 2u);
  EXPECT_EQ(call->arg_text(0), "1");
  EXPECT_EQ(call->arg_text(1), "2");

  auto tricky = parse_call(R"x(  f("a, b)", [1, (2)], {x: 'y', z: ")"} , ok("(") ) )x");
  ASSERT_TRUE(tricky.ok()) << tricky.error().message;
  EXPECT_EQ(tricky->name, "f");
  ASSERT_EQ(tricky->args.size(), 4u);
  EXPECT_EQ(tricky->arg_text(0), "\"a, b)\"");
  EXPECT_EQ(tricky->arg_text(1), "[1, (2)]");
  EXPECT_EQ(tricky->arg_text(2), "{x: 'y', z: \")\"}");
  EXPECT_EQ(tricky->arg_text(3), "ok(\"(\")");

  auto none = parse_call("run()");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->args.empty());
  auto bare = parse_call("wasi:cli/run@0.2.0#run");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->name, "wasi:cli/run@0.2.0#run");
  EXPECT_TRUE(bare->args.empty());
  auto trailing = parse_call("f(1,)");
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->args.size(), 1u);
}

TEST(WaveCallTest, CallErrors) {
  auto err = [](std::string_view text) {
    auto r = parse_call(text);
    return r.ok() ? std::string("<ok>") : r.error().message;
  };
  EXPECT_EQ(err("f(1"), "column 2: unclosed `(`");
  EXPECT_EQ(err("f(1) x"), "column 6: unexpected label `x` after the call");
  EXPECT_EQ(err("f(,1)"), "column 3: expected an argument before `,`");
  EXPECT_EQ(err("f([1)"), "column 5: unbalanced `)`");
  EXPECT_EQ(err("f(\"x)"), "column 3: unterminated string");
  EXPECT_EQ(err("(1)"), "column 1: expected a function name");
  EXPECT_EQ(err("f x"), "column 3: expected `(` after the function name, found label `x`");
}

TEST(WaveCallTest, TypedArguments) {
  std::vector<Param> params = {{"a", P(Kind::U32)}, {"b", list_of(P(Kind::String))}};
  auto call = parse_call("pkg:x/y#f(7, [\"p\", \"q\"])");
  ASSERT_TRUE(call.ok());
  auto args = parse_args(*call, params);
  ASSERT_TRUE(args.ok()) << args.error().message;
  EXPECT_EQ(*args, (std::vector<Value>{Value::u32(7),
                                       Value::list({Value::string("p"), Value::string("q")})}));

  auto bad = parse_call("add(1, \"x\")");
  ASSERT_TRUE(bad.ok());
  std::vector<Param> two = {{"a", P(Kind::U32)}, {"b", P(Kind::U32)}};
  auto r = parse_args(*bad, two);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "argument 2 (`b`): column 8: expected `u32`, found string \"x\"");

  auto count = parse_args(*bad, std::vector<Param>{{"a", P(Kind::U32)}});
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.error().message, "`add` takes 1 argument, got 2");
}

}  // namespace
}  // namespace actr::component::wave
