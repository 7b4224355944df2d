// Third-party components (../shared/fixtures/components, built by jco from the wit-bindgen v0.39.0
// runtime tests with C guests) run through the component linker on both engines.
//
// The `test:*` host imports behave exactly as wit-bindgen's `tests/runtime/<name>.rs` implements
// them; the C guests `assert()` on every host answer, so a wrong answer (or a wrong lowering of a
// right one) traps `test-imports`. The export checks are those of the same .rs files. Where the
// .rs host itself asserts on what the guest passed, our host function returns an error, which
// traps the guest with the reason.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"
#include "actr/wasm/engine.hpp"
#include "support/missing.hpp"
#include "support/shared.hpp"
#include "wasi/add_to_linker.hpp"

namespace actr::component {

// Readable gtest output for values (structure only; the type gives no names here).
void PrintTo(const Value& v, std::ostream* os) {
  *os << to_string(v.kind);
  switch (v.kind) {
    case Kind::Bool:
      *os << "(" << (v.b ? "true" : "false") << ")";
      return;
    case Kind::S8:
    case Kind::S16:
    case Kind::S32:
    case Kind::S64:
      *os << "(" << v.s << ")";
      return;
    case Kind::U8:
    case Kind::U16:
    case Kind::U32:
    case Kind::U64:
    case Kind::Flags:
      *os << "(" << v.u << ")";
      return;
    case Kind::Char:
      *os << "(U+" << std::hex << v.u << std::dec << ")";
      return;
    case Kind::F32:
      *os << "(" << v.f32 << ")";
      return;
    case Kind::F64:
      *os << "(" << v.f64 << ")";
      return;
    case Kind::String:
      *os << "(\"" << v.str << "\")";
      return;
    case Kind::Own:
    case Kind::Borrow:
      *os << "(rep " << v.handle.rep << ")";
      return;
    case Kind::Variant:
    case Kind::Enum:
      *os << "#" << v.index;
      break;
    case Kind::Result:
      *os << (v.is_ok ? ".ok" : ".err");
      break;
    case Kind::List:
      if (v.is_bytes()) {
        *os << "<u8>[";
        for (size_t i = 0; i < v.as_bytes().size(); ++i) *os << (i ? ", " : "") << +v.as_bytes()[i];
        *os << "]";
        return;
      }
      break;
    default:
      break;
  }
  *os << "[";
  for (size_t i = 0; i < v.items.size(); ++i) {
    if (i) *os << ", ";
    PrintTo(v.items[i], os);
  }
  *os << "]";
}

}  // namespace actr::component

namespace actr::wasm {
void PrintTo(EngineKind kind, std::ostream* os) {
  *os << (kind == EngineKind::Aot ? "aot" : "interp");
}
}  // namespace actr::wasm

namespace actr {
namespace {

using component::FuncType;
using component::Kind;
using component::Param;
using component::TypeRef;
using component::Value;

TypeRef T(Kind k) { return component::primitive(k); }

// A host function body with at most one result (what WIT functions have).
using Body = std::function<Result<Value>(std::span<const Value> args)>;

void define(component::Linker& linker, std::string_view iface, std::string_view name,
            std::vector<Param> params, TypeRef result, Body body) {
  FuncType type{std::move(params), {}};
  bool has_result = result != nullptr;
  if (has_result) type.results.push_back({"", std::move(result)});
  linker.func(iface, name, std::move(type),
              [body = std::move(body), has_result](std::span<const Value> args,
                                                   std::vector<Value>& results) -> Result<void> {
                ACTR_TRY(Value out, body(args));
                results.clear();
                if (has_result) results.push_back(std::move(out));
                return {};
              });
}

// What wit-bindgen's Rust hosts `assert!`: a failed check traps the guest with this message.
Error host_check_failed(std::string_view fn, const std::string& what) {
  return make_error("host check failed in " + std::string(fn) + ": " + what);
}

Value str(const char* s) { return Value::string(s); }
Value strings(std::initializer_list<const char*> items) {
  std::vector<Value> v;
  for (const char* s : items) v.push_back(Value::string(s));
  return Value::list(std::move(v));
}

// A loaded, linked and instantiated fixture. Members are destroyed bottom-up: the instance first.
struct Loaded {
  std::shared_ptr<const component::Component> component;
  std::unique_ptr<component::Linker> linker;
  std::shared_ptr<wasi::WasiState> wasi;
  std::unique_ptr<component::Instance> instance;
};

class Fixtures : public testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    auto shared = test::shared_dir();
    if (!shared) ACTR_SKIP_MISSING("../shared is absent: no third-party fixture components");
    dir_ = *shared / "fixtures" / "components";
    if (!std::filesystem::is_directory(dir_)) ACTR_SKIP_MISSING("no fixtures in " << dir_);
    auto engine = wasm::make_engine(GetParam());
    if (!engine) ACTR_SKIP_MISSING("engine unavailable: " << engine.error().message);
    engine_ = std::move(*engine);
  }

  // Loads `<name>.component.wasm`, links WASI and the host functions `define_imports` adds, and
  // instantiates it.
  void load(const std::string& name, const std::function<void(component::Linker&)>& define_imports,
            Loaded* out, wasi::WasiConfig config = {}) {
    auto path = dir_ / (name + ".component.wasm");
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    auto c = component::Component::load_file(*engine_, path);
    ASSERT_TRUE(c.ok()) << "loading " << name << ": " << c.error().message;
    out->component = std::move(*c);
    out->linker = std::make_unique<component::Linker>(*engine_);
    config.instance_name = name;
    auto state = wasi::add_to_linker(*out->linker, std::move(config));
    ASSERT_TRUE(state.ok()) << "linking WASI: " << state.error().message;
    out->wasi = std::move(*state);
    define_imports(*out->linker);
    auto inst = out->linker->instantiate(*out->component);
    ASSERT_TRUE(inst.ok()) << "instantiating " << name << ": " << inst.error().message;
    out->instance = std::move(*inst);
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::filesystem::path dir_;
};

// Calls export `name`; a failed call fails the test fatally (a trap poisons the instance, so
// nothing after it could pass anyway).
void call_export(Loaded& l, std::string_view name, std::vector<Value> args,
                 std::vector<Value>* results) {
  auto r = l.instance->call(name, args);
  ASSERT_TRUE(r.ok()) << "calling " << name << ": " << r.error().message;
  *results = std::move(*r);
}

// Calls export `name` with the remaining arguments and expects one result equal to `expected`.
#define EXPECT_RETURNS(loaded, name, expected, ...)                               \
  do {                                                                            \
    std::vector<Value> results_;                                                  \
    ASSERT_NO_FATAL_FAILURE(call_export(loaded, name, {__VA_ARGS__}, &results_)); \
    ASSERT_EQ(results_.size(), 1u) << name;                                       \
    EXPECT_EQ(results_[0], expected) << name;                                     \
  } while (0)

// Calls export `name`, expecting no result.
#define EXPECT_CALL_OK(loaded, name, ...)                                         \
  do {                                                                            \
    std::vector<Value> results_;                                                  \
    ASSERT_NO_FATAL_FAILURE(call_export(loaded, name, {__VA_ARGS__}, &results_)); \
    EXPECT_TRUE(results_.empty()) << name;                                        \
  } while (0)

// Calls export `name` and binds its single result to `var`.
#define CALL_RESULT(var, loaded, name, ...)                                       \
  Value var;                                                                      \
  do {                                                                            \
    std::vector<Value> results_;                                                  \
    ASSERT_NO_FATAL_FAILURE(call_export(loaded, name, {__VA_ARGS__}, &results_)); \
    ASSERT_EQ(results_.size(), 1u) << name;                                       \
    var = std::move(results_[0]);                                                 \
  } while (0)

// ---- numbers -------------------------------------------------------------------------------

constexpr const char* kNumbers = "test:numbers/test";

TEST_P(Fixtures, Numbers) {
  uint32_t scalar = 0;
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "numbers",
      [&](component::Linker& linker) {
        static const std::pair<const char*, Kind> kRoundtrips[] = {
            {"roundtrip-u8", Kind::U8},     {"roundtrip-s8", Kind::S8},
            {"roundtrip-u16", Kind::U16},   {"roundtrip-s16", Kind::S16},
            {"roundtrip-u32", Kind::U32},   {"roundtrip-s32", Kind::S32},
            {"roundtrip-u64", Kind::U64},   {"roundtrip-s64", Kind::S64},
            {"roundtrip-f32", Kind::F32},   {"roundtrip-f64", Kind::F64},
            {"roundtrip-char", Kind::Char},
        };
        for (const auto& [name, kind] : kRoundtrips) {
          define(linker, kNumbers, name, {{"a", T(kind)}}, T(kind),
                 [](std::span<const Value> a) -> Result<Value> { return a[0]; });
        }
        define(linker, kNumbers, "set-scalar", {{"a", T(Kind::U32)}}, nullptr,
               [&](std::span<const Value> a) -> Result<Value> {
                 scalar = static_cast<uint32_t>(a[0].u);
                 return Value();
               });
        define(linker, kNumbers, "get-scalar", {}, T(Kind::U32),
               [&](std::span<const Value>) -> Result<Value> { return Value::u32(scalar); });
      },
      &l));

  EXPECT_CALL_OK(l, "test-imports");
  const std::string f = std::string(kNumbers) + "#";
  EXPECT_RETURNS(l, f + "roundtrip-u8", Value::u8(1), Value::u8(1));
  EXPECT_RETURNS(l, f + "roundtrip-u8", Value::u8(0), Value::u8(0));
  EXPECT_RETURNS(l, f + "roundtrip-u8", Value::u8(255), Value::u8(255));
  EXPECT_RETURNS(l, f + "roundtrip-s8", Value::s8(1), Value::s8(1));
  EXPECT_RETURNS(l, f + "roundtrip-s8", Value::s8(INT8_MIN), Value::s8(INT8_MIN));
  EXPECT_RETURNS(l, f + "roundtrip-s8", Value::s8(INT8_MAX), Value::s8(INT8_MAX));
  EXPECT_RETURNS(l, f + "roundtrip-u16", Value::u16(1), Value::u16(1));
  EXPECT_RETURNS(l, f + "roundtrip-u16", Value::u16(0), Value::u16(0));
  EXPECT_RETURNS(l, f + "roundtrip-u16", Value::u16(UINT16_MAX), Value::u16(UINT16_MAX));
  EXPECT_RETURNS(l, f + "roundtrip-s16", Value::s16(1), Value::s16(1));
  EXPECT_RETURNS(l, f + "roundtrip-s16", Value::s16(INT16_MIN), Value::s16(INT16_MIN));
  EXPECT_RETURNS(l, f + "roundtrip-s16", Value::s16(INT16_MAX), Value::s16(INT16_MAX));
  EXPECT_RETURNS(l, f + "roundtrip-u32", Value::u32(1), Value::u32(1));
  EXPECT_RETURNS(l, f + "roundtrip-u32", Value::u32(0), Value::u32(0));
  EXPECT_RETURNS(l, f + "roundtrip-u32", Value::u32(UINT32_MAX), Value::u32(UINT32_MAX));
  EXPECT_RETURNS(l, f + "roundtrip-s32", Value::s32(1), Value::s32(1));
  EXPECT_RETURNS(l, f + "roundtrip-s32", Value::s32(INT32_MIN), Value::s32(INT32_MIN));
  EXPECT_RETURNS(l, f + "roundtrip-s32", Value::s32(INT32_MAX), Value::s32(INT32_MAX));
  EXPECT_RETURNS(l, f + "roundtrip-u64", Value::u64(1), Value::u64(1));
  EXPECT_RETURNS(l, f + "roundtrip-u64", Value::u64(0), Value::u64(0));
  EXPECT_RETURNS(l, f + "roundtrip-u64", Value::u64(UINT64_MAX), Value::u64(UINT64_MAX));
  EXPECT_RETURNS(l, f + "roundtrip-s64", Value::s64(1), Value::s64(1));
  EXPECT_RETURNS(l, f + "roundtrip-s64", Value::s64(INT64_MIN), Value::s64(INT64_MIN));
  EXPECT_RETURNS(l, f + "roundtrip-s64", Value::s64(INT64_MAX), Value::s64(INT64_MAX));

  constexpr float kInfF = std::numeric_limits<float>::infinity();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_RETURNS(l, f + "roundtrip-f32", Value::f32v(1.0f), Value::f32v(1.0f));
  EXPECT_RETURNS(l, f + "roundtrip-f32", Value::f32v(kInfF), Value::f32v(kInfF));
  EXPECT_RETURNS(l, f + "roundtrip-f32", Value::f32v(-kInfF), Value::f32v(-kInfF));
  CALL_RESULT(nan32, l, f + "roundtrip-f32", Value::f32v(std::numeric_limits<float>::quiet_NaN()));
  EXPECT_EQ(nan32.kind, Kind::F32);
  EXPECT_TRUE(std::isnan(nan32.f32));
  EXPECT_RETURNS(l, f + "roundtrip-f64", Value::f64v(1.0), Value::f64v(1.0));
  EXPECT_RETURNS(l, f + "roundtrip-f64", Value::f64v(kInf), Value::f64v(kInf));
  EXPECT_RETURNS(l, f + "roundtrip-f64", Value::f64v(-kInf), Value::f64v(-kInf));
  CALL_RESULT(nan64, l, f + "roundtrip-f64", Value::f64v(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_EQ(nan64.kind, Kind::F64);
  EXPECT_TRUE(std::isnan(nan64.f64));

  EXPECT_RETURNS(l, f + "roundtrip-char", Value::character(U'a'), Value::character(U'a'));
  EXPECT_RETURNS(l, f + "roundtrip-char", Value::character(U' '), Value::character(U' '));
  EXPECT_RETURNS(l, f + "roundtrip-char", Value::character(U'\U0001F6A9'),
                 Value::character(U'\U0001F6A9'));  // 🚩, outside the BMP

  EXPECT_CALL_OK(l, f + "set-scalar", Value::u32(2));
  EXPECT_RETURNS(l, f + "get-scalar", Value::u32(2));
  EXPECT_CALL_OK(l, f + "set-scalar", Value::u32(4));
  EXPECT_RETURNS(l, f + "get-scalar", Value::u32(4));
  // The guest keeps its own scalar: the host's was only touched through the imports.
  EXPECT_FALSE(l.instance->poisoned());
}

// ---- strings (a UTF-16 guest) ------------------------------------------------------------------

TEST_P(Fixtures, Strings) {
  const char* kUnicode =
      "\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80\xF0\x9F\x9A\x80 \xF0\xA0\x88\x84\xF0\x93\x80\x80";  // 🚀🚀🚀
                                                                                            // 𠈄𓀀
  std::vector<std::string> basics;
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "strings",
      [&](component::Linker& linker) {
        define(linker, "test:strings/imports", "take-basic", {{"s", T(Kind::String)}}, nullptr,
               [&](std::span<const Value> a) -> Result<Value> {
                 basics.push_back(a[0].str);
                 if (a[0].str != "latin utf16")
                   return host_check_failed("take-basic", "got \"" + a[0].str + "\"");
                 return Value();
               });
        define(linker, "test:strings/imports", "return-unicode", {}, T(Kind::String),
               [&](std::span<const Value>) -> Result<Value> { return str(kUnicode); });
      },
      &l));

  EXPECT_CALL_OK(l, "test-imports");
  EXPECT_EQ(basics, std::vector<std::string>{"latin utf16"});
  EXPECT_RETURNS(l, "return-empty", str(""));
  EXPECT_RETURNS(l, "roundtrip", str("str"), str("str"));
  EXPECT_RETURNS(l, "roundtrip", str(kUnicode), str(kUnicode));
}

// ---- lists -------------------------------------------------------------------------------------

constexpr const char* kLists = "test:lists/test";

template <typename T, typename Make>
Value list_of_values(std::initializer_list<T> items, Make make) {
  std::vector<Value> v;
  for (T x : items) v.push_back(make(x));
  return Value::list(std::move(v));
}

TEST_P(Fixtures, Lists) {
  using component::list_of;
  using component::tuple_of;
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "lists",
      [&](component::Linker& linker) {
        auto u8s = list_of(T(Kind::U8));
        auto check = [](const char* fn, bool ok, const std::string& what) -> Result<Value> {
          if (!ok) return host_check_failed(fn, what);
          return Value();
        };
        define(linker, kLists, "empty-list-param", {{"a", u8s}}, nullptr,
               [=](std::span<const Value> a) {
                 return check("empty-list-param", a[0].list_size() == 0, "list not empty");
               });
        define(linker, kLists, "empty-string-param", {{"a", T(Kind::String)}}, nullptr,
               [=](std::span<const Value> a) {
                 return check("empty-string-param", a[0].str.empty(), "string not empty");
               });
        define(linker, kLists, "empty-list-result", {}, u8s,
               [](std::span<const Value>) -> Result<Value> { return Value::list({}); });
        define(linker, kLists, "empty-string-result", {}, T(Kind::String),
               [](std::span<const Value>) -> Result<Value> { return str(""); });
        define(linker, kLists, "list-param", {{"a", u8s}}, nullptr, [=](std::span<const Value> a) {
          const uint8_t want[] = {1, 2, 3, 4};
          return check("list-param", a[0] == Value::bytes(want, 4), "not [1, 2, 3, 4]");
        });
        define(linker, kLists, "list-param2", {{"a", T(Kind::String)}}, nullptr,
               [=](std::span<const Value> a) {
                 return check("list-param2", a[0].str == "foo", "not \"foo\"");
               });
        define(linker, kLists, "list-param3", {{"a", list_of(T(Kind::String))}}, nullptr,
               [=](std::span<const Value> a) {
                 return check("list-param3", a[0] == strings({"foo", "bar", "baz"}),
                              "not [foo, bar, baz]");
               });
        define(linker, kLists, "list-param4", {{"a", list_of(list_of(T(Kind::String)))}}, nullptr,
               [=](std::span<const Value> a) {
                 Value want = Value::list({strings({"foo", "bar"}), strings({"baz"})});
                 return check("list-param4", a[0] == want, "not [[foo, bar], [baz]]");
               });
        auto t3 = tuple_of({T(Kind::U8), T(Kind::U32), T(Kind::U8)});
        define(linker, kLists, "list-param5", {{"a", list_of(t3)}}, nullptr,
               [=](std::span<const Value> a) {
                 Value want =
                     Value::list({Value::tuple({Value::u8(1), Value::u32(2), Value::u8(3)}),
                                  Value::tuple({Value::u8(4), Value::u32(5), Value::u8(6)})});
                 return check("list-param5", a[0] == want, "not [(1, 2, 3), (4, 5, 6)]");
               });
        define(linker, kLists, "list-result", {}, u8s, [](std::span<const Value>) -> Result<Value> {
          const uint8_t bytes[] = {1, 2, 3, 4, 5};
          return Value::bytes(bytes, 5);
        });
        define(linker, kLists, "list-result2", {}, T(Kind::String),
               [](std::span<const Value>) -> Result<Value> { return str("hello!"); });
        define(linker, kLists, "list-result3", {}, list_of(T(Kind::String)),
               [](std::span<const Value>) -> Result<Value> {
                 return strings({"hello,", "world!"});
               });

        // list-minmax*: the host checks the extremes arrive intact and sends them back.
        auto minmax = [&](const char* name, Kind uk, Kind sk, Value want_u, Value want_s) {
          define(linker, kLists, name, {{"a", list_of(T(uk))}, {"b", list_of(T(sk))}},
                 tuple_of({list_of(T(uk)), list_of(T(sk))}),
                 [name, want_u, want_s](std::span<const Value> a) -> Result<Value> {
                   if (a[0] != want_u || a[1] != want_s)
                     return host_check_failed(name, "extremes changed");
                   return Value::tuple({a[0], a[1]});
                 });
        };
        minmax("list-minmax8", Kind::U8, Kind::S8,
               list_of_values<uint8_t>({0, UINT8_MAX}, Value::u8),
               list_of_values<int8_t>({INT8_MIN, INT8_MAX}, Value::s8));
        minmax("list-minmax16", Kind::U16, Kind::S16,
               list_of_values<uint16_t>({0, UINT16_MAX}, Value::u16),
               list_of_values<int16_t>({INT16_MIN, INT16_MAX}, Value::s16));
        minmax("list-minmax32", Kind::U32, Kind::S32,
               list_of_values<uint32_t>({0, UINT32_MAX}, Value::u32),
               list_of_values<int32_t>({INT32_MIN, INT32_MAX}, Value::s32));
        minmax("list-minmax64", Kind::U64, Kind::S64,
               list_of_values<uint64_t>({0, UINT64_MAX}, Value::u64),
               list_of_values<int64_t>({INT64_MIN, INT64_MAX}, Value::s64));
        constexpr float kFMax = std::numeric_limits<float>::max();
        constexpr float kFInf = std::numeric_limits<float>::infinity();
        constexpr double kDMax = std::numeric_limits<double>::max();
        constexpr double kDInf = std::numeric_limits<double>::infinity();
        minmax("list-minmax-float", Kind::F32, Kind::F64,
               list_of_values<float>({-kFMax, kFMax, -kFInf, kFInf}, Value::f32v),
               list_of_values<double>({-kDMax, kDMax, -kDInf, kDInf}, Value::f64v));

        define(linker, kLists, "list-roundtrip", {{"a", u8s}}, u8s,
               [](std::span<const Value> a) -> Result<Value> { return a[0]; });
        define(linker, kLists, "string-roundtrip", {{"a", T(Kind::String)}}, T(Kind::String),
               [](std::span<const Value> a) -> Result<Value> { return a[0]; });
      },
      &l));

  CALL_RESULT(bytes_before, l, "allocated-bytes");
  EXPECT_CALL_OK(l, "test-imports");
  const std::string f = std::string(kLists) + "#";
  EXPECT_CALL_OK(l, f + "empty-list-param", Value::list({}));
  EXPECT_CALL_OK(l, f + "empty-string-param", str(""));
  EXPECT_RETURNS(l, f + "empty-list-result", Value::list({}));
  EXPECT_RETURNS(l, f + "empty-string-result", str(""));
  const uint8_t four[] = {1, 2, 3, 4};
  EXPECT_CALL_OK(l, f + "list-param", Value::bytes(four, 4));
  EXPECT_CALL_OK(l, f + "list-param2", str("foo"));
  EXPECT_CALL_OK(l, f + "list-param3", strings({"foo", "bar", "baz"}));
  EXPECT_CALL_OK(l, f + "list-param4", Value::list({strings({"foo", "bar"}), strings({"baz"})}));
  EXPECT_CALL_OK(l, f + "list-param5",
                 Value::list({Value::tuple({Value::u8(1), Value::u32(2), Value::u8(3)}),
                              Value::tuple({Value::u8(4), Value::u32(5), Value::u8(6)})}));
  const uint8_t five[] = {1, 2, 3, 4, 5};
  EXPECT_RETURNS(l, f + "list-result", Value::bytes(five, 5));
  EXPECT_RETURNS(l, f + "list-result2", str("hello!"));
  EXPECT_RETURNS(l, f + "list-result3", strings({"hello,", "world!"}));
  EXPECT_RETURNS(l, f + "list-roundtrip", Value::bytes(five, 5), Value::bytes(five, 5));
  EXPECT_RETURNS(l, f + "string-roundtrip", str("x"), str("x"));
  EXPECT_RETURNS(l, f + "string-roundtrip", str(""), str(""));
  EXPECT_RETURNS(l, f + "string-roundtrip", str("hello \xE2\x9A\x91 world"),
                 str("hello \xE2\x9A\x91 world"));  // hello ⚑ world
  // Post-return freed everything the host passed in and the guest handed out.
  EXPECT_RETURNS(l, "allocated-bytes", bytes_before);
}

// ---- records -----------------------------------------------------------------------------------

constexpr const char* kRecords = "test:records/test";

std::vector<std::string> bit_names(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("b" + std::to_string(i));
  return names;
}

TEST_P(Fixtures, Records) {
  using component::flags_of;
  using component::record_of;
  using component::tuple_of;
  auto f1 = flags_of({"a", "b"});
  auto f2 = flags_of({"c", "d", "e"});
  auto flag8 = flags_of(bit_names(8));
  auto flag16 = flags_of(bit_names(16));
  auto flag32 = flags_of(bit_names(32));
  auto r1 = record_of({{"a", T(Kind::U8)}, {"b", f1}});
  auto identity = [](std::span<const Value> a) -> Result<Value> { return a[0]; };
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "records",
      [&](component::Linker& linker) {
        define(linker, kRecords, "multiple-results", {}, tuple_of({T(Kind::U8), T(Kind::U16)}),
               [](std::span<const Value>) -> Result<Value> {
                 return Value::tuple({Value::u8(4), Value::u16(5)});
               });
        define(linker, kRecords, "swap-tuple", {{"a", tuple_of({T(Kind::U8), T(Kind::U32)})}},
               tuple_of({T(Kind::U32), T(Kind::U8)}),
               [](std::span<const Value> a) -> Result<Value> {
                 return Value::tuple({a[0].items[1], a[0].items[0]});
               });
        define(linker, kRecords, "roundtrip-flags1", {{"a", f1}}, f1, identity);
        define(linker, kRecords, "roundtrip-flags2", {{"a", f2}}, f2, identity);
        define(linker, kRecords, "roundtrip-flags3", {{"a", flag8}, {"b", flag16}, {"c", flag32}},
               tuple_of({flag8, flag16, flag32}), [](std::span<const Value> a) -> Result<Value> {
                 return Value::tuple({a[0], a[1], a[2]});
               });
        define(linker, kRecords, "roundtrip-record1", {{"a", r1}}, r1, identity);
        define(linker, kRecords, "tuple1", {{"a", tuple_of({T(Kind::U8)})}},
               tuple_of({T(Kind::U8)}), identity);
      },
      &l));

  EXPECT_CALL_OK(l, "test-imports");
  const std::string f = std::string(kRecords) + "#";
  EXPECT_RETURNS(l, f + "multiple-results", Value::tuple({Value::u8(100), Value::u16(200)}));
  EXPECT_RETURNS(l, f + "swap-tuple", Value::tuple({Value::u32(2), Value::u8(1)}),
                 Value::tuple({Value::u8(1), Value::u32(2)}));
  for (uint64_t mask : {0b01u, 0b00u, 0b10u, 0b11u}) {
    EXPECT_RETURNS(l, f + "roundtrip-flags1", Value::flags(mask), Value::flags(mask));
  }
  // f2 {c, d, e}: c, none, d, c|e.
  for (uint64_t mask : {0b001u, 0b000u, 0b010u, 0b101u}) {
    EXPECT_RETURNS(l, f + "roundtrip-flags2", Value::flags(mask), Value::flags(mask));
  }
  EXPECT_RETURNS(l, f + "roundtrip-flags3",
                 Value::tuple({Value::flags(0x81), Value::flags(0x8001), Value::flags(0x80000001)}),
                 Value::flags(0x81), Value::flags(0x8001), Value::flags(0x80000001));
  EXPECT_RETURNS(l, f + "roundtrip-record1", Value::record({Value::u8(8), Value::flags(0)}),
                 Value::record({Value::u8(8), Value::flags(0)}));
  EXPECT_RETURNS(l, f + "roundtrip-record1", Value::record({Value::u8(0), Value::flags(0b11)}),
                 Value::record({Value::u8(0), Value::flags(0b11)}));
  EXPECT_RETURNS(l, f + "tuple1", Value::tuple({Value::u8(1)}), Value::tuple({Value::u8(1)}));
}

// ---- variants ----------------------------------------------------------------------------------

constexpr const char* kVariants = "test:variants/test";

// Rust's `f as u8`: truncates toward zero, saturates, NaN becomes 0.
uint8_t saturating_u8(double x) {
  if (std::isnan(x) || x <= 0) return 0;
  if (x >= 255) return 255;
  return static_cast<uint8_t>(x);
}

TEST_P(Fixtures, Variants) {
  using component::enum_of;
  using component::option_of;
  using component::result_of;
  using component::tuple_of;
  using component::variant_of;
  auto e1 = enum_of({"a", "b"});
  auto v2 = [](Kind a, Kind b) { return variant_of({{"a", T(a)}, {"b", T(b)}}); };
  auto casts =
      tuple_of({v2(Kind::S32, Kind::S64), v2(Kind::S32, Kind::F32), v2(Kind::S32, Kind::F64),
                v2(Kind::S64, Kind::F32), v2(Kind::S64, Kind::F64), v2(Kind::F32, Kind::F64)});
  auto z = [](Kind a) { return variant_of({{"a", T(a)}, {"b", nullptr}}); };
  auto zeros = tuple_of({z(Kind::S32), z(Kind::S64), z(Kind::F32), z(Kind::F64)});
  auto unit_result = result_of(nullptr, nullptr);
  auto my_errno = enum_of({"success", "a", "b"});
  auto identity = [](std::span<const Value> a) -> Result<Value> { return a[0]; };
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "variants",
      [&](component::Linker& linker) {
        define(linker, kVariants, "roundtrip-option", {{"a", option_of(T(Kind::F32))}},
               option_of(T(Kind::U8)), [](std::span<const Value> a) -> Result<Value> {
                 if (!a[0].has_payload()) return Value::none();
                 return Value::some(Value::u8(saturating_u8(a[0].payload().f32)));
               });
        define(linker, kVariants, "roundtrip-result",
               {{"a", result_of(T(Kind::U32), T(Kind::F32))}}, result_of(T(Kind::F64), T(Kind::U8)),
               [](std::span<const Value> a) -> Result<Value> {
                 if (a[0].is_ok)
                   return Value::ok(Value::f64v(static_cast<double>(a[0].payload().u)));
                 return Value::err(Value::u8(saturating_u8(a[0].payload().f32)));
               });
        define(linker, kVariants, "roundtrip-enum", {{"a", e1}}, e1, identity);
        define(linker, kVariants, "invert-bool", {{"a", T(Kind::Bool)}}, T(Kind::Bool),
               [](std::span<const Value> a) -> Result<Value> { return Value::boolean(!a[0].b); });
        define(linker, kVariants, "variant-casts", {{"a", casts}}, casts, identity);
        define(linker, kVariants, "variant-zeros", {{"a", zeros}}, zeros, identity);
        define(linker, kVariants, "variant-typedefs",
               {{"a", option_of(T(Kind::U32))},
                {"b", T(Kind::Bool)},
                {"c", result_of(T(Kind::U32), nullptr)}},
               nullptr, [](std::span<const Value>) -> Result<Value> { return Value(); });
        define(linker, kVariants, "variant-enums",
               {{"a", T(Kind::Bool)}, {"b", unit_result}, {"c", my_errno}},
               tuple_of({T(Kind::Bool), unit_result, my_errno}),
               [](std::span<const Value> a) -> Result<Value> {
                 if (a[0] != Value::boolean(true))
                   return host_check_failed("variant-enums", "a is not true");
                 if (a[1] != Value::ok()) return host_check_failed("variant-enums", "b is not ok");
                 if (a[2] != Value::enumeration(0))
                   return host_check_failed("variant-enums", "c is not success");
                 return Value::tuple({Value::boolean(false), Value::err(), Value::enumeration(1)});
               });
      },
      &l));

  EXPECT_CALL_OK(l, "test-imports");
  const std::string f = std::string(kVariants) + "#";
  EXPECT_RETURNS(l, f + "roundtrip-option", Value::some(Value::u8(1)),
                 Value::some(Value::f32v(1.0f)));
  EXPECT_RETURNS(l, f + "roundtrip-option", Value::none(), Value::none());
  EXPECT_RETURNS(l, f + "roundtrip-option", Value::some(Value::u8(2)),
                 Value::some(Value::f32v(2.0f)));
  EXPECT_RETURNS(l, f + "roundtrip-result", Value::ok(Value::f64v(2.0)), Value::ok(Value::u32(2)));
  EXPECT_RETURNS(l, f + "roundtrip-result", Value::ok(Value::f64v(4.0)), Value::ok(Value::u32(4)));
  EXPECT_RETURNS(l, f + "roundtrip-result", Value::err(Value::u8(5)),
                 Value::err(Value::f32v(5.3f)));
  EXPECT_RETURNS(l, f + "roundtrip-enum", Value::enumeration(0), Value::enumeration(0));
  EXPECT_RETURNS(l, f + "roundtrip-enum", Value::enumeration(1), Value::enumeration(1));
  EXPECT_RETURNS(l, f + "invert-bool", Value::boolean(false), Value::boolean(true));
  EXPECT_RETURNS(l, f + "invert-bool", Value::boolean(true), Value::boolean(false));

  // Case a everywhere, then case b everywhere: payloads of different flat types share slots.
  Value casts_a =
      Value::tuple({Value::variant(0, Value::s32(1)), Value::variant(0, Value::s32(2)),
                    Value::variant(0, Value::s32(3)), Value::variant(0, Value::s64(4)),
                    Value::variant(0, Value::s64(5)), Value::variant(0, Value::f32v(6.0f))});
  EXPECT_RETURNS(l, f + "variant-casts", casts_a, casts_a);
  Value casts_b =
      Value::tuple({Value::variant(1, Value::s64(1)), Value::variant(1, Value::f32v(2.0f)),
                    Value::variant(1, Value::f64v(3.0)), Value::variant(1, Value::f32v(4.0f)),
                    Value::variant(1, Value::f64v(5.0)), Value::variant(1, Value::f64v(6.0))});
  EXPECT_RETURNS(l, f + "variant-casts", casts_b, casts_b);
  Value zeros_a =
      Value::tuple({Value::variant(0, Value::s32(1)), Value::variant(0, Value::s64(2)),
                    Value::variant(0, Value::f32v(3.0f)), Value::variant(0, Value::f64v(4.0))});
  EXPECT_RETURNS(l, f + "variant-zeros", zeros_a, zeros_a);
  EXPECT_CALL_OK(l, f + "variant-typedefs", Value::none(), Value::boolean(false), Value::err());
}

// ---- flavorful ---------------------------------------------------------------------------------

constexpr const char* kFlavorful = "test:flavorful/test";

TEST_P(Fixtures, Flavorful) {
  using component::enum_of;
  using component::list_of;
  using component::option_of;
  using component::record_of;
  using component::result_of;
  using component::tuple_of;
  auto rec = record_of({{"a", T(Kind::String)}});
  auto opt_str = option_of(T(Kind::String));
  auto my_errno = enum_of({"success", "a", "b"});
  auto unit_result = result_of(nullptr, nullptr);
  bool errored = false;
  auto record_a = [](const char* s) { return Value::record({str(s)}); };
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "flavorful",
      [&](component::Linker& linker) {
        // A host function that checks its argument, then answers.
        auto expect_then = [&](const char* name, std::vector<Param> params, TypeRef result,
                               std::vector<Value> want, Value answer) {
          define(linker, kFlavorful, name, std::move(params), std::move(result),
                 [name, want, answer](std::span<const Value> a) -> Result<Value> {
                   for (size_t i = 0; i < want.size(); ++i) {
                     if (a[i] != want[i])
                       return host_check_failed(name, "argument " + std::to_string(i));
                   }
                   return answer;
                 });
        };
        expect_then("f-list-in-record1", {{"a", rec}}, nullptr, {record_a("list_in_record1")},
                    Value());
        expect_then("f-list-in-record2", {}, rec, {}, record_a("list_in_record2"));
        expect_then("f-list-in-record3", {{"a", rec}}, rec, {record_a("list_in_record3 input")},
                    record_a("list_in_record3 output"));
        expect_then("f-list-in-record4", {{"a", rec}}, rec, {record_a("input4")},
                    record_a("result4"));
        expect_then("f-list-in-variant1",
                    {{"a", opt_str}, {"b", result_of(nullptr, T(Kind::String))}}, nullptr,
                    {Value::some(str("foo")), Value::err(str("bar"))}, Value());
        expect_then("f-list-in-variant2", {}, opt_str, {}, Value::some(str("list_in_variant2")));
        expect_then("f-list-in-variant3", {{"a", opt_str}}, opt_str, {Value::some(str("input3"))},
                    Value::some(str("output3")));
        define(linker, kFlavorful, "errno-result", {}, result_of(nullptr, my_errno),
               [&](std::span<const Value>) -> Result<Value> {
                 if (errored) return Value::ok();
                 errored = true;
                 return Value::err(Value::enumeration(2));  // my-errno.b
               });
        const uint8_t typedef3[] = {'t', 'y', 'p', 'e', 'd', 'e', 'f', '3'};
        expect_then("list-typedefs", {{"a", T(Kind::String)}, {"c", list_of(T(Kind::String))}},
                    tuple_of({list_of(T(Kind::U8)), list_of(T(Kind::String))}),
                    {str("typedef1"), strings({"typedef2"})},
                    Value::tuple({Value::bytes(typedef3, sizeof typedef3), strings({"typedef4"})}));
        auto bools = list_of(T(Kind::Bool));
        auto results = list_of(unit_result);
        auto errnos = list_of(my_errno);
        expect_then("list-of-variants", {{"a", bools}, {"b", results}, {"c", errnos}},
                    tuple_of({bools, results, errnos}),
                    {Value::list({Value::boolean(true), Value::boolean(false)}),
                     Value::list({Value::ok(), Value::err()}),
                     Value::list({Value::enumeration(0), Value::enumeration(1)})},
                    Value::tuple({Value::list({Value::boolean(false), Value::boolean(true)}),
                                  Value::list({Value::err(), Value::ok()}),
                                  Value::list({Value::enumeration(1), Value::enumeration(2)})}));
      },
      &l));

  EXPECT_CALL_OK(l, "test-imports");
  EXPECT_TRUE(errored);
  const std::string f = std::string(kFlavorful) + "#";
  EXPECT_CALL_OK(l, f + "f-list-in-record1", record_a("list_in_record1"));
  EXPECT_RETURNS(l, f + "f-list-in-record2", record_a("list_in_record2"));
  EXPECT_RETURNS(l, f + "f-list-in-record3", record_a("list_in_record3 output"),
                 record_a("list_in_record3 input"));
  EXPECT_RETURNS(l, f + "f-list-in-record4", record_a("result4"), record_a("input4"));
  EXPECT_CALL_OK(l, f + "f-list-in-variant1", Value::some(str("foo")), Value::err(str("bar")));
  EXPECT_RETURNS(l, f + "f-list-in-variant2", Value::some(str("list_in_variant2")));
  EXPECT_RETURNS(l, f + "f-list-in-variant3", Value::some(str("output3")),
                 Value::some(str("input3")));
  CALL_RESULT(errno_result, l, f + "errno-result");
  EXPECT_EQ(errno_result.kind, Kind::Result);
  EXPECT_FALSE(errno_result.is_ok);
  const uint8_t typedef3[] = {'t', 'y', 'p', 'e', 'd', 'e', 'f', '3'};
  EXPECT_RETURNS(l, f + "list-typedefs",
                 Value::tuple({Value::bytes(typedef3, sizeof typedef3), strings({"typedef4"})}),
                 str("typedef1"), strings({"typedef2"}));
}

// ---- many-arguments ----------------------------------------------------------------------------

TEST_P(Fixtures, ManyArguments) {
  std::vector<uint64_t> received;
  Loaded l;
  std::vector<Param> params;
  for (int i = 1; i <= 16; ++i) params.push_back({"a" + std::to_string(i), T(Kind::U64)});
  ASSERT_NO_FATAL_FAILURE(load(
      "many-arguments",
      [&](component::Linker& linker) {
        define(linker, "imports", "many-arguments", params, nullptr,
               [&](std::span<const Value> a) -> Result<Value> {
                 for (const Value& v : a) received.push_back(v.u);
                 for (size_t i = 0; i < a.size(); ++i) {
                   if (a[i].u != i + 1)
                     return host_check_failed("many-arguments", "a" + std::to_string(i + 1));
                 }
                 return Value();
               });
      },
      &l));

  std::vector<Value> args;
  for (uint64_t i = 1; i <= 16; ++i) args.push_back(Value::u64(i));
  std::vector<Value> results;
  ASSERT_NO_FATAL_FAILURE(call_export(l, "many-arguments", args, &results));
  EXPECT_TRUE(results.empty());
  std::vector<uint64_t> want;
  for (uint64_t i = 1; i <= 16; ++i) want.push_back(i);
  EXPECT_EQ(received, want);  // the host import got 1..16, through memory
}

// ---- resources ---------------------------------------------------------------------------------

TEST_P(Fixtures, Resources) {
  // The host's `y`: id -> a, as wit-bindgen's MyImports keeps it.
  std::map<uint32_t, int32_t> ys;
  uint32_t next_id = 0;
  std::vector<uint32_t> dropped;
  std::shared_ptr<const component::ResourceType> y;
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "resources",
      [&](component::Linker& linker) {
        y = linker.resource("imports", "y", [&](uint32_t rep) {
          dropped.push_back(rep);
          ys.erase(rep);
        });
        auto own_y = component::own_of(y);
        auto borrow_y = component::borrow_of(y);
        auto make = [&](int32_t a) {
          uint32_t id = next_id++;
          ys[id] = a;
          return Value::own({y, id});
        };
        auto lookup = [&](const char* fn, const Value& h) -> Result<int32_t*> {
          if (h.handle.type != y) return host_check_failed(fn, "handle of another resource type");
          auto it = ys.find(h.handle.rep);
          if (it == ys.end())
            return host_check_failed(fn, "unknown y " + std::to_string(h.handle.rep));
          return &it->second;
        };
        define(linker, "imports", "[constructor]y", {{"a", T(Kind::S32)}}, own_y,
               [=](std::span<const Value> a) -> Result<Value> {
                 return make(static_cast<int32_t>(a[0].s));
               });
        define(linker, "imports", "[method]y.get-a", {{"self", borrow_y}}, T(Kind::S32),
               [=](std::span<const Value> a) -> Result<Value> {
                 ACTR_TRY(int32_t * v, lookup("[method]y.get-a", a[0]));
                 return Value::s32(*v);
               });
        define(linker, "imports", "[method]y.set-a", {{"self", borrow_y}, {"a", T(Kind::S32)}},
               nullptr, [=](std::span<const Value> a) -> Result<Value> {
                 ACTR_TRY(int32_t * v, lookup("[method]y.set-a", a[0]));
                 *v = static_cast<int32_t>(a[1].s);
                 return Value();
               });
        define(linker, "imports", "[static]y.add", {{"y", own_y}, {"a", T(Kind::S32)}}, own_y,
               [=](std::span<const Value> a) -> Result<Value> {
                 ACTR_TRY(int32_t * v, lookup("[static]y.add", a[0]));
                 return make(*v + static_cast<int32_t>(a[1].s));
               });
      },
      &l));

  CALL_RESULT(imports_ok, l, "exports#test-imports");
  EXPECT_EQ(imports_ok, Value::ok());
  // The guest made six y's and dropped three handles (each after handing its first handle to
  // `add`, whose result reused the freed handle index).
  EXPECT_EQ(next_id, 6u);
  EXPECT_EQ(dropped.size(), 3u);
  EXPECT_EQ(ys.size(), 3u);  // the destructor ran once per dropped handle, for live y's only

  const std::string x = "exports#[constructor]x";
  CALL_RESULT(x1, l, x, Value::s32(5));
  ASSERT_EQ(x1.kind, Kind::Own);
  auto borrow = [](const Value& own) { return Value::borrow(own.handle); };
  EXPECT_RETURNS(l, "exports#[method]x.get-a", Value::s32(5), borrow(x1));
  EXPECT_CALL_OK(l, "exports#[method]x.set-a", borrow(x1), Value::s32(10));
  EXPECT_RETURNS(l, "exports#[method]x.get-a", Value::s32(10), borrow(x1));

  CALL_RESULT(z1, l, "exports#[constructor]z", Value::s32(10));
  EXPECT_RETURNS(l, "exports#[method]z.get-a", Value::s32(10), borrow(z1));
  CALL_RESULT(z2, l, "exports#[constructor]z", Value::s32(20));
  EXPECT_RETURNS(l, "exports#[method]z.get-a", Value::s32(20), borrow(z2));

  CALL_RESULT(x_add, l, "exports#[static]x.add", x1, Value::s32(5));
  EXPECT_RETURNS(l, "exports#[method]x.get-a", Value::s32(15), borrow(x_add));
  CALL_RESULT(z_add, l, "exports#add", borrow(z1), borrow(z2));
  EXPECT_RETURNS(l, "exports#[method]z.get-a", Value::s32(30), borrow(z_add));

  CALL_RESULT(dropped_start, l, "exports#[static]z.num-dropped");
  // Giving an owned x back drops it inside the guest (x's destructor, not z's).
  EXPECT_CALL_OK(l, "exports#consume", x_add);
  EXPECT_RETURNS(l, "exports#[static]z.num-dropped", dropped_start);
  // The host dropping two z's runs z's destructor in the guest twice (wit-bindgen's check).
  ASSERT_TRUE(l.instance->drop(z1).ok());
  ASSERT_TRUE(l.instance->drop(z2).ok());
  EXPECT_RETURNS(l, "exports#[static]z.num-dropped", Value::u32(dropped_start.u + 2));
  // A borrow cannot be dropped by its holder.
  EXPECT_FALSE(l.instance->drop(borrow(z_add)).ok());

  // kebab-case names survive the trip through [constructor]/[method]/[static] names.
  CALL_RESULT(k, l, "exports#[constructor]kebab-case", Value::u32(7));
  EXPECT_RETURNS(l, "exports#[method]kebab-case.get-a", Value::u32(7), borrow(k));
  EXPECT_RETURNS(l, "exports#[static]kebab-case.take-owned", Value::u32(7), k);
  EXPECT_FALSE(l.instance->poisoned());
}

// ---- smoke -------------------------------------------------------------------------------------

TEST_P(Fixtures, Smoke) {
  int hits = 0;
  std::string out;
  wasi::WasiConfig config;
  config.stdout_sink = [&](std::string_view bytes) {
    out.append(bytes);
    return true;
  };
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "smoke",
      [&](component::Linker& linker) {
        define(linker, "test:smoke/imports", "thunk", {}, nullptr,
               [&](std::span<const Value>) -> Result<Value> {
                 ++hits;
                 return Value();
               });
      },
      &l, std::move(config)));

  EXPECT_CALL_OK(l, "thunk");
  EXPECT_EQ(hits, 1);
  EXPECT_EQ(out, "howdy\n");
}

// ---- a guest trap ------------------------------------------------------------------------------

// lists' export `list-minmax8` is `assert(0)` in the C guest: the call must fail as a trap and
// poison the instance; every later call fails at once, naming the first trap.
TEST_P(Fixtures, GuestAssertTrapsAndPoisons) {
  Loaded l;
  ASSERT_NO_FATAL_FAILURE(load(
      "lists",
      [&](component::Linker& linker) {
        linker.trap_unknown_imports(true);  // only exports are called here
      },
      &l));
  auto r = l.instance->call("test:lists/test#list-minmax8",
                            std::vector<Value>{Value::list({}), Value::list({})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().code, 0) << r.error().message;
  EXPECT_TRUE(l.instance->poisoned());
  auto again = l.instance->call("allocated-bytes", {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(static_cast<wasm::TrapKind>(again.error().code), wasm::TrapKind::Poisoned)
      << again.error().message;
}

std::string engine_name(const testing::TestParamInfo<wasm::EngineKind>& info) {
  return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
}

INSTANTIATE_TEST_SUITE_P(Engines, Fixtures,
                         testing::Values(wasm::EngineKind::Interp, wasm::EngineKind::Aot),
                         engine_name);

}  // namespace
}  // namespace actr
