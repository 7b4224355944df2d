// Unit tests of the conformance harness itself: S-expressions, script commands, typed values,
// the expected-failures list. They need no shared material and no engine.
#include <gtest/gtest.h>

#include <cmath>

#include "conformance/async_features.hpp"
#include "conformance/expectations.hpp"
#include "conformance/runner.hpp"
#include "conformance/sexpr.hpp"
#include "conformance/wast_script.hpp"
#include "conformance/wast_value.hpp"

namespace actr::conformance {
namespace {

using component::Kind;
using component::Value;

TEST(WastSExpr, ReadsAtomsStringsListsAndSkipsComments) {
  auto r = parse_sexprs(
      ";; line comment\n(a \"b\\n\\41\\u{1F6A9}\" (; block (; nested ;) ;) ($c 0x10))\n(d)");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  const SExpr& a = (*r)[0];
  EXPECT_EQ(a.line, 2);
  EXPECT_EQ(a.head(), "a");
  ASSERT_EQ(a.items.size(), 3u);
  EXPECT_TRUE(a.items[1].is_string());
  EXPECT_EQ(a.items[1].text, "b\nA\xF0\x9F\x9A\xA9");
  EXPECT_EQ(a.items[2].head(), "$c");
  EXPECT_EQ((*r)[1].line, 3);
}

TEST(WastSExpr, ReportsUnbalancedInputWithItsLine) {
  auto r = parse_sexprs("(a\n(b)");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos);
  EXPECT_FALSE(parse_sexprs(")").ok());
  EXPECT_FALSE(parse_sexprs("(a \"unterminated)").ok());
  EXPECT_FALSE(parse_sexprs("(; open").ok());
}

TEST(WastScript, ParsesComponentsInstancesAndAssertions) {
  auto s = parse_script(R"((component definition $T (core module $M))
(component instance $i $T)
(component $named (core module))
(assert_return (invoke $i "f" (u32.const 1)) (str.const "x"))
(assert_trap (invoke "g") "unreachable")
(assert_invalid (component (core module)) "bad")
(register "x")
)");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->commands.size(), 7u);
  const auto& def = s->commands[0];
  EXPECT_EQ(def.kind, Command::Kind::Component);
  EXPECT_TRUE(def.component->definition);
  EXPECT_EQ(def.component->id, "T");
  EXPECT_EQ(def.component->source, "(component $T\n(core module $M))");
  EXPECT_EQ(s->commands[1].kind, Command::Kind::Instance);
  EXPECT_EQ(s->commands[1].instance_id, "i");
  EXPECT_EQ(s->commands[1].definition_id, "T");
  EXPECT_FALSE(s->commands[2].component->definition);
  EXPECT_EQ(s->commands[2].component->id, "named");
  const auto& ret = s->commands[3];
  EXPECT_EQ(ret.kind, Command::Kind::AssertReturn);
  EXPECT_EQ(ret.invoke->instance, "i");
  EXPECT_EQ(ret.invoke->name, "f");
  EXPECT_EQ(ret.invoke->args.size(), 1u);
  EXPECT_EQ(ret.expected.size(), 1u);
  EXPECT_EQ(ret.line, 4);
  EXPECT_EQ(s->commands[4].message, "unreachable");
  EXPECT_EQ(s->commands[5].kind, Command::Kind::AssertInvalid);
  EXPECT_EQ(s->commands[6].kind, Command::Kind::Unsupported);
}

TEST(WastScript, RejectsMalformedCommands) {
  EXPECT_FALSE(parse_script("(assert_return)").ok());
  EXPECT_FALSE(parse_script("(assert_trap (invoke \"f\"))").ok());
  EXPECT_FALSE(parse_script("(component instance $i)").ok());
}

// An unnamed `component definition` (the validation suites use them) is only validated.
TEST(WastScript, UnnamedComponentDefinitionsAreAccepted) {
  auto s = parse_script("(component definition (core module))");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->commands.size(), 1u);
  EXPECT_TRUE(s->commands[0].component->definition);
  EXPECT_FALSE(s->commands[0].component->id);
}

TEST(WastScript, FindsAsyncFeatures) {
  auto s = parse_script(R"((component
  (type $ST (stream u32))
  (canon task.return (core func $r))
  (core module $M (func (export "task.return"))))
(component (core module $M (func (export "f"))) (canon lift (core func $m "f")))
)");
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto features = async_features(*s->commands[0].component->node);
  EXPECT_EQ(features, (std::vector<std::string>{"canon task.return", "stream"}));
  EXPECT_TRUE(async_features(*s->commands[1].component->node).empty());
}

// Parses one value expression against a type.
Result<Value> value_of(const std::string& text, const component::ValueType& type) {
  auto forms = parse_sexprs(text);
  if (!forms) return forms.take_error();
  return to_value(forms->at(0), type);
}

std::optional<std::string> compare(const std::string& text, const component::ValueType& type,
                                   const Value& actual) {
  auto forms = parse_sexprs(text);
  EXPECT_TRUE(forms.ok());
  return mismatch(forms->at(0), type, actual);
}

TEST(WastValues, Scalars) {
  using component::primitive;
  EXPECT_EQ(*value_of("(u8.const 255)", *primitive(Kind::U8)), Value::u8(255));
  EXPECT_EQ(*value_of("(s8.const -128)", *primitive(Kind::S8)), Value::s8(-128));
  EXPECT_EQ(*value_of("(u16.const 0xffff)", *primitive(Kind::U16)), Value::u16(0xffff));
  EXPECT_EQ(*value_of("(s64.const -9223372036854775808)", *primitive(Kind::S64)),
            Value::s64(INT64_MIN));
  EXPECT_EQ(*value_of("(u64.const 18_446_744_073_709_551_615)", *primitive(Kind::U64)),
            Value::u64(UINT64_MAX));
  EXPECT_EQ(*value_of("(bool.const true)", *primitive(Kind::Bool)), Value::boolean(true));
  EXPECT_EQ(*value_of("(char.const \"\xF0\x9F\x8D\xB0\")", *primitive(Kind::Char)),
            Value::character(0x1F370));
  EXPECT_EQ(*value_of("(str.const \"x\")", *primitive(Kind::String)), Value::string("x"));
  EXPECT_EQ(value_of("(f32.const 0x1p-1)", *primitive(Kind::F32))->f32, 0.5f);
  EXPECT_EQ(value_of("(f64.const -inf)", *primitive(Kind::F64))->f64, -INFINITY);
  EXPECT_TRUE(std::isnan(value_of("(f32.const nan:0x200000)", *primitive(Kind::F32))->f32));

  EXPECT_FALSE(value_of("(u8.const 256)", *primitive(Kind::U8)).ok());
  EXPECT_FALSE(value_of("(s8.const 128)", *primitive(Kind::S8)).ok());
  EXPECT_FALSE(value_of("(u32.const -1)", *primitive(Kind::U32)).ok());
  EXPECT_FALSE(value_of("(u32.const 1)", *primitive(Kind::U8)).ok());
  EXPECT_FALSE(value_of("(char.const \"ab\")", *primitive(Kind::Char)).ok());
  EXPECT_FALSE(value_of("(str.const \"\\ff\")", *primitive(Kind::String)).ok());
}

TEST(WastValues, CompoundsAreTypedByName) {
  using namespace component;
  auto rec =
      record_of({{"name", primitive(Kind::String)}, {"scores", list_of(primitive(Kind::U32))}});
  auto v = value_of(
      R"((record.const (field "scores" list.const (u32.const 10) (u32.const 20)) (field "name" str.const "p:")))",
      *rec);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v,
            Value::record({Value::string("p:"), Value::list({Value::u32(10), Value::u32(20)})}));

  auto var =
      variant_of({{"n", primitive(Kind::U32)}, {"s", primitive(Kind::String)}, {"z", nullptr}});
  EXPECT_EQ(*value_of(R"((variant.const "s" (str.const "two")))", *var),
            Value::variant(1, Value::string("two")));
  EXPECT_EQ(*value_of(R"((variant.const "z"))", *var), Value::variant(2));
  EXPECT_FALSE(value_of(R"((variant.const "q"))", *var).ok());
  EXPECT_FALSE(value_of(R"((variant.const "z" (u32.const 1)))", *var).ok());

  auto fl = flags_of({"a", "b", "c"});
  EXPECT_EQ(*value_of(R"((flags.const "a" "c"))", *fl), Value::flags(0b101));
  EXPECT_EQ(*value_of(R"((flags.const))", *fl), Value::flags(0));
  auto en = enum_of({"red", "green"});
  EXPECT_EQ(*value_of(R"((enum.const "green"))", *en), Value::enumeration(1));

  auto opt = option_of(tuple_of({primitive(Kind::String), primitive(Kind::U32)}));
  EXPECT_EQ(*value_of(R"((option.some (tuple.const (str.const "n=") (u32.const 7))))", *opt),
            Value::some(Value::tuple({Value::string("n="), Value::u32(7)})));
  EXPECT_EQ(*value_of("(option.none)", *opt), Value::none());

  auto res = result_of(primitive(Kind::String), primitive(Kind::U32));
  EXPECT_EQ(*value_of(R"((result.err (u32.const 404)))", *res), Value::err(Value::u32(404)));
  auto unit = result_of(nullptr, nullptr);
  EXPECT_EQ(*value_of("(result.ok)", *unit), Value::ok());
}

TEST(WastValues, MismatchExplainsTheDifference) {
  using namespace component;
  EXPECT_FALSE(compare("(u32.const 42)", *primitive(Kind::U32), Value::u32(42)));
  auto m = compare("(u32.const 42)", *primitive(Kind::U32), Value::u32(41));
  ASSERT_TRUE(m);
  EXPECT_NE(m->find("got 41, expected 42"), std::string::npos) << *m;

  float nan = std::nanf("");
  EXPECT_FALSE(compare("(f32.const nan:canonical)", *primitive(Kind::F32), Value::f32v(nan)));
  EXPECT_TRUE(compare("(f32.const nan:canonical)", *primitive(Kind::F32), Value::f32v(1.0f)));
  EXPECT_TRUE(compare("(f64.const 0)", *primitive(Kind::F64), Value::f64v(-0.0)));

  auto list = list_of(primitive(Kind::String));
  auto lm = compare(R"((list.const (str.const "a") (str.const "b")))", *list,
                    Value::list({Value::string("a"), Value::string("c")}));
  ASSERT_TRUE(lm);
  EXPECT_NE(lm->find("[1]"), std::string::npos) << *lm;
  EXPECT_TRUE(compare(R"((list.const))", *list, Value::list({Value::string("a")})));
}

TEST(WastValues, MapsAreWrittenAsTheirListOfTuples) {
  using namespace component;
  auto m = map_of(primitive(Kind::String), list_of(primitive(Kind::U8)));
  const char* text =
      R"((list.const (tuple.const (str.const "k") (list.const (u8.const 1)))
                     (tuple.const (str.const "k") (list.const))))";
  auto v = value_of(text, *m);
  ASSERT_TRUE(v.ok()) << v.error().message;
  Value expected = Value::map({Value::map_entry(Value::string("k"), Value::list({Value::u8(1)})),
                               Value::map_entry(Value::string("k"), Value::list({}))});
  EXPECT_EQ(*v, expected);
  EXPECT_EQ(*value_of(R"((map.const (tuple.const (str.const "a") (list.const))))", *m),
            Value::map({Value::map_entry(Value::string("a"), Value::list({}))}));
  EXPECT_EQ(*value_of("(list.const)", *m), Value::map({}));
  EXPECT_FALSE(value_of(R"((list.const (str.const "a")))", *m).ok());
  EXPECT_FALSE(value_of(R"((list.const (tuple.const (str.const "a"))))", *m).ok());

  EXPECT_FALSE(compare(text, *m, expected));
  auto diff = compare(text, *m,
                      Value::map({Value::map_entry(Value::string("k"), Value::list({Value::u8(1)})),
                                  Value::map_entry(Value::string("j"), Value::list({}))}));
  ASSERT_TRUE(diff);
  EXPECT_NE(diff->find("[1].key"), std::string::npos) << *diff;
  auto fewer = compare(text, *m, Value::map({}));
  ASSERT_TRUE(fewer);
  EXPECT_NE(fewer->find("got 0 entries, expected 2"), std::string::npos) << *fewer;
  EXPECT_EQ(describe(expected, *m), R"([("k", [1]), ("k", [])])");
}

TEST(ConformanceExpectations, ParsesEntriesAndMatchesEngines) {
  auto e = Expectations::parse(
      "# comment\n"
      "values/a.wast:10 # map types\n"
      "values/a.wast:12 aot # only aot\n"
      "skip values/b.wast # whole file\n"
      "skip values/c.wast:5 interp\n");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->entries().size(), 4u);
  ASSERT_NE(e->expected_failure("values/a.wast", 10, "interp"), nullptr);
  EXPECT_EQ(e->expected_failure("values/a.wast", 10, "interp")->reason, "map types");
  EXPECT_EQ(e->expected_failure("values/a.wast", 12, "interp"), nullptr);
  EXPECT_NE(e->expected_failure("values/a.wast", 12, "aot"), nullptr);
  EXPECT_NE(e->skip("values/b.wast", 0, "aot"), nullptr);
  EXPECT_NE(e->skip("values/b.wast", 77, "aot"), nullptr);
  EXPECT_NE(e->skip("values/c.wast", 5, "interp"), nullptr);
  EXPECT_EQ(e->skip("values/c.wast", 5, "aot"), nullptr);

  EXPECT_FALSE(Expectations::parse("values/a.wast # no line\n").ok());
  EXPECT_FALSE(Expectations::parse("values/a.wast:x\n").ok());
  EXPECT_FALSE(Expectations::parse("values/a.wast:3 jit\n").ok());
}

}  // namespace
}  // namespace actr::conformance
