// The canonical ABI: layout and flattening, and lifting/lowering through whole calls in both
// directions against a fake guest (a byte-vector memory and a bump realloc written in C++), so
// every byte the ABI reads or writes can be checked; then the same round trips against real core
// wasm (WAT with a bump realloc) on the interpreter engine.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <limits>

#include "actr/component/canonical/layout.hpp"
#include "actr/wasm/engine.hpp"
#include "actr/wasm/trap.hpp"
#include "component/canonical/call.hpp"
#include "component/canonical/check.hpp"
#include "component/canonical/codec.hpp"
#include "component/canonical/handle_table.hpp"
#include "support/missing.hpp"
#include "support/wat.hpp"

namespace actr::component::canonical {
namespace {

using wasm::Slot;
using wasm::ValType;

TypeRef P(Kind k) { return primitive(k); }

// ---------------------------------------------------------------------------------------------
// Layout and flattening

struct LayoutCase {
  const char* name;
  TypeRef type;
  uint32_t size;
  uint32_t align;
  std::vector<ValType> flat;
};

std::vector<std::string> names(uint32_t n) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < n; ++i) out.push_back("c" + std::to_string(i));
  return out;
}

TEST(CanonicalLayoutTest, SizesAlignmentsAndFlattening) {
  using V = ValType;
  auto res = std::make_shared<const ResourceType>(ResourceType{"r", false});
  std::vector<LayoutCase> cases = {
      {"bool", P(Kind::Bool), 1, 1, {V::I32}},
      {"s8", P(Kind::S8), 1, 1, {V::I32}},
      {"u16", P(Kind::U16), 2, 2, {V::I32}},
      {"s32", P(Kind::S32), 4, 4, {V::I32}},
      {"u64", P(Kind::U64), 8, 8, {V::I64}},
      {"f32", P(Kind::F32), 4, 4, {V::F32}},
      {"f64", P(Kind::F64), 8, 8, {V::F64}},
      {"char", P(Kind::Char), 4, 4, {V::I32}},
      {"string", P(Kind::String), 8, 4, {V::I32, V::I32}},
      {"list<u64>", list_of(P(Kind::U64)), 8, 4, {V::I32, V::I32}},
      {"record u8,u32,u8",
       record_of({{"a", P(Kind::U8)}, {"b", P(Kind::U32)}, {"c", P(Kind::U8)}}),
       12,
       4,
       {V::I32, V::I32, V::I32}},
      {"record u8,u64",
       record_of({{"a", P(Kind::U8)}, {"b", P(Kind::U64)}}),
       16,
       8,
       {V::I32, V::I64}},
      {"tuple u8,u16", tuple_of({P(Kind::U8), P(Kind::U16)}), 4, 2, {V::I32, V::I32}},
      {"tuple string,f64",
       tuple_of({P(Kind::String), P(Kind::F64)}),
       16,
       8,
       {V::I32, V::I32, V::F64}},
      {"option<u8>", option_of(P(Kind::U8)), 2, 1, {V::I32, V::I32}},
      {"option<u64>", option_of(P(Kind::U64)), 16, 8, {V::I32, V::I64}},
      {"option<string>", option_of(P(Kind::String)), 12, 4, {V::I32, V::I32, V::I32}},
      {"result<u32,string>",
       result_of(P(Kind::U32), P(Kind::String)),
       12,
       4,
       {V::I32, V::I32, V::I32}},
      {"result", result_of(nullptr, nullptr), 1, 1, {V::I32}},
      {"result<_,f32>", result_of(nullptr, P(Kind::F32)), 8, 4, {V::I32, V::F32}},
      {"variant f32|u64",
       variant_of({{"a", P(Kind::F32)}, {"b", P(Kind::U64)}}),
       16,
       8,
       {V::I32, V::I64}},
      {"variant f32|u32",
       variant_of({{"a", P(Kind::F32)}, {"b", P(Kind::U32)}}),
       8,
       4,
       {V::I32, V::I32}},
      {"variant f32|f32",
       variant_of({{"a", P(Kind::F32)}, {"b", P(Kind::F32)}}),
       8,
       4,
       {V::I32, V::F32}},
      {"variant f64|f32",
       variant_of({{"a", P(Kind::F64)}, {"b", P(Kind::F32)}}),
       16,
       8,
       {V::I32, V::I64}},
      {"variant joined tuples",
       variant_of({{"a", tuple_of({P(Kind::F32), P(Kind::U32)})},
                   {"b", tuple_of({P(Kind::U32), P(Kind::F32), P(Kind::U8)})},
                   {"c", nullptr}}),
       16,
       4,
       {V::I32, V::I32, V::I32, V::I32}},
      {"enum of 2", enum_of(names(2)), 1, 1, {V::I32}},
      {"enum of 256", enum_of(names(256)), 1, 1, {V::I32}},
      {"enum of 257", enum_of(names(257)), 2, 2, {V::I32}},
      {"variant of 257 with u8",
       variant_of([] {
         std::vector<Case> cs;
         for (int i = 0; i < 257; ++i) cs.push_back({"c" + std::to_string(i), P(Kind::U8)});
         return cs;
       }()),
       4,
       2,
       {V::I32, V::I32}},
      {"flags 1", flags_of(names(1)), 1, 1, {V::I32}},
      {"flags 8", flags_of(names(8)), 1, 1, {V::I32}},
      {"flags 9", flags_of(names(9)), 2, 2, {V::I32}},
      {"flags 16", flags_of(names(16)), 2, 2, {V::I32}},
      {"flags 17", flags_of(names(17)), 4, 4, {V::I32}},
      {"flags 32", flags_of(names(32)), 4, 4, {V::I32}},
      {"own", own_of(res), 4, 4, {V::I32}},
      {"borrow", borrow_of(res), 4, 4, {V::I32}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(size_of(*c.type), c.size);
    EXPECT_EQ(alignment(*c.type), c.align);
    EXPECT_EQ(flatten(*c.type), c.flat);
    EXPECT_EQ(flat_count(*c.type), c.flat.size());
  }
}

TEST(CanonicalLayoutTest, FlattenFunctionTypes) {
  std::vector<Param> sixteen, seventeen;
  for (int i = 0; i < 17; ++i) {
    if (i < 16) sixteen.push_back({"p" + std::to_string(i), P(Kind::U32)});
    seventeen.push_back({"p" + std::to_string(i), P(Kind::U32)});
  }
  FuncType flat{sixteen, {{"", P(Kind::U32)}}};
  EXPECT_EQ(flatten_func(flat, Direction::Lift).params.size(), 16u);
  EXPECT_EQ(flatten_func(flat, Direction::Lift).results, std::vector<ValType>{ValType::I32});

  FuncType many{seventeen, {{"", P(Kind::String)}}};
  auto lift = flatten_func(many, Direction::Lift);
  EXPECT_EQ(lift.params, std::vector<ValType>{ValType::I32});
  EXPECT_EQ(lift.results, std::vector<ValType>{ValType::I32});
  auto lower = flatten_func(many, Direction::Lower);
  EXPECT_EQ(lower.params, (std::vector<ValType>{ValType::I32, ValType::I32}));
  EXPECT_TRUE(lower.results.empty());

  FuncType none{{}, {}};
  EXPECT_TRUE(flatten_func(none, Direction::Lower).params.empty());
  EXPECT_TRUE(flatten_func(none, Direction::Lower).results.empty());

  FuncType f64s{{{"a", P(Kind::F64)}, {"b", P(Kind::S64)}}, {{"", P(Kind::F32)}}};
  EXPECT_EQ(flatten_func(f64s, Direction::Lower).to_string(), "(f64, i64) -> (f32)");

  EXPECT_EQ(tuple_size(seventeen), 68u);
  EXPECT_EQ(tuple_alignment(seventeen), 4u);
}

// ---------------------------------------------------------------------------------------------
// A fake guest

class FakeMemory : public wasm::Memory {
 public:
  FakeMemory() : bytes_(wasm::kPageSize) {}
  uint8_t* data() override { return bytes_.data(); }
  uint64_t size() const override { return bytes_.size(); }
  wasm::MemoryType type() const override { return {}; }
  Result<uint64_t> grow(uint64_t delta) override {
    uint64_t old = bytes_.size() / wasm::kPageSize;
    bytes_.resize(bytes_.size() + delta * wasm::kPageSize);
    bytes_.shrink_to_fit();  // make the base move, as real engines may
    return old;
  }
  std::vector<uint8_t> bytes_;
};

class FakeFunc : public wasm::Func {
 public:
  using Body = std::function<Result<void>(const Slot*, Slot*)>;
  FakeFunc(wasm::FuncType type, Body body) : type_(std::move(type)), body_(std::move(body)) {}
  const wasm::FuncType& type() const override { return type_; }
  Result<void> call(const Slot* args, Slot* results) override { return body_(args, results); }

 private:
  wasm::FuncType type_;
  Body body_;
};

struct ReallocCall {
  uint32_t old_ptr, old_size, align, new_size;
  bool operator==(const ReallocCall&) const = default;
};

struct Guest {
  FakeMemory memory;
  uint32_t heap = 1024;  // bump pointer
  std::vector<ReallocCall> reallocs;
  bool grow_every_realloc = false;
  std::optional<uint32_t> realloc_returns;  // a misbehaving realloc
  bool may_leave = true;
  std::vector<bool> may_leave_during_realloc;
  HandleTable handles;
  FakeFunc realloc{{{ValType::I32, ValType::I32, ValType::I32, ValType::I32}, {ValType::I32}},
                   [this](const Slot* a, Slot* r) { return do_realloc(a, r); }};

  Result<void> do_realloc(const Slot* a, Slot* r) {
    ReallocCall c{uint32_t(a[0]), uint32_t(a[1]), uint32_t(a[2]), uint32_t(a[3])};
    reallocs.push_back(c);
    may_leave_during_realloc.push_back(may_leave);
    if (realloc_returns) {
      r[0] = *realloc_returns;
      return {};
    }
    if (grow_every_realloc) (void)memory.grow(1);
    if (c.old_ptr != 0 && c.new_size <= c.old_size) {
      r[0] = c.old_ptr;  // shrink in place
      return {};
    }
    uint32_t ptr = alloc(c.align, c.new_size);
    if (c.old_ptr) {
      std::memmove(memory.data() + ptr, memory.data() + c.old_ptr,
                   std::min(c.old_size, c.new_size));
    }
    r[0] = ptr;
    return {};
  }

  uint32_t alloc(uint32_t align, uint32_t size) {
    uint32_t ptr = static_cast<uint32_t>(align_to(heap, align ? align : 1));
    heap = ptr + size;
    while (heap > memory.size()) (void)memory.grow(1);
    return ptr;
  }

  Options options(StringEncoding enc = StringEncoding::Utf8) {
    Options o;
    o.encoding = enc;
    o.memory = &memory;
    o.realloc = &realloc;
    o.handles = &handles;
    o.may_leave = &may_leave;
    return o;
  }

  template <typename T>
  void put(uint32_t ptr, T v) {
    std::memcpy(memory.data() + ptr, &v, sizeof v);
  }
  template <typename T>
  T get(uint32_t ptr) {
    T v;
    std::memcpy(&v, memory.data() + ptr, sizeof v);
    return v;
  }
  std::vector<uint8_t> bytes(uint32_t ptr, uint32_t n) {
    return {memory.data() + ptr, memory.data() + ptr + n};
  }
};

// Calls an export of type `ft` whose core function passes its arguments straight to an import
// of the same type, answered by `host`: every value goes host -> guest (export lowering), guest
// -> host (import lifting), host -> guest (import result lowering), guest -> host (export result
// lifting).
Result<std::vector<Value>> through_guest(Guest& g, const FuncType& ft, std::span<const Value> args,
                                         const HostCallback& host, StringEncoding enc) {
  Options opts = g.options(enc);
  auto lift_type = flatten_func(ft, Direction::Lift);
  bool results_in_memory = flat_count(ft.results) > kMaxFlatResults;
  FakeFunc core(lift_type, [&](const Slot* args, Slot* results) -> Result<void> {
    std::array<Slot, kMaxFlatParams + 1> import_args{};
    std::copy(args, args + lift_type.params.size(), import_args.begin());
    uint32_t retptr = 0;
    if (results_in_memory) {
      retptr = g.alloc(tuple_alignment(ft.results), tuple_size(ft.results));
      import_args[lift_type.params.size()] = retptr;
    }
    Slot import_results[1] = {};
    ACTR_TRY_VOID(call_import(ft, opts, import_args.data(), import_results, host));
    if (results_in_memory) {
      results[0] = retptr;
    } else if (!lift_type.results.empty()) {
      results[0] = import_results[0];
    }
    return {};
  });
  std::vector<Value> results;
  ACTR_TRY_VOID(call_export(ft, core, opts, args, results));
  return results;
}

// Round-trips `v` of type `t` through the guest and back; checks the host saw it unchanged too.
void expect_roundtrip(TypeRef t, const Value& v, StringEncoding enc = StringEncoding::Utf8,
                      bool grow = false) {
  Guest g;
  g.grow_every_realloc = grow;
  FuncType ft{{{"x", t}}, {{"", t}}};
  Value seen;
  auto host = [&](std::span<const Value> args, std::vector<Value>& results) -> Result<void> {
    seen = args[0];
    results.push_back(args[0]);
    return {};
  };
  auto out = through_guest(g, ft, std::span(&v, 1), host, enc);
  ASSERT_TRUE(out.ok()) << to_wit(*t) << ": " << out.error().message;
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ(seen, v) << to_wit(*t) << " as the import saw it";
  EXPECT_EQ((*out)[0], v) << to_wit(*t) << " after the round trip";
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(CanonicalRoundTripTest, Scalars) {
  expect_roundtrip(P(Kind::Bool), Value::boolean(true));
  expect_roundtrip(P(Kind::Bool), Value::boolean(false));
  expect_roundtrip(P(Kind::S8), Value::s8(-128));
  expect_roundtrip(P(Kind::U8), Value::u8(255));
  expect_roundtrip(P(Kind::S16), Value::s16(-32768));
  expect_roundtrip(P(Kind::U16), Value::u16(65535));
  expect_roundtrip(P(Kind::S32), Value::s32(std::numeric_limits<int32_t>::min()));
  expect_roundtrip(P(Kind::U32), Value::u32(0xFFFFFFFF));
  expect_roundtrip(P(Kind::S64), Value::s64(std::numeric_limits<int64_t>::min()));
  expect_roundtrip(P(Kind::U64), Value::u64(~0ull));
  expect_roundtrip(P(Kind::F32), Value::f32v(3.5f));
  expect_roundtrip(P(Kind::F32), Value::f32v(-std::numeric_limits<float>::infinity()));
  expect_roundtrip(P(Kind::F64), Value::f64v(-0.0));
  expect_roundtrip(P(Kind::F64), Value::f64v(std::numeric_limits<double>::denorm_min()));
  expect_roundtrip(P(Kind::Char), Value::character(U'🚩'));
  expect_roundtrip(P(Kind::Char), Value::character(0));
  expect_roundtrip(P(Kind::Char), Value::character(0x10FFFF));
}

TEST(CanonicalRoundTripTest, NanIsCanonicalised) {
  Guest g;
  FuncType ft{{{"x", P(Kind::F32)}, {"y", P(Kind::F64)}}, {}};
  Value seen32, seen64;
  auto host = [&](std::span<const Value> a, std::vector<Value>&) -> Result<void> {
    seen32 = a[0];
    seen64 = a[1];
    return {};
  };
  // A guest passing NaNs with payloads: the host sees the canonical NaNs.
  Slot args[2] = {0x7fa00001u, 0xfff0000000000123ull};
  Slot results[1];
  ASSERT_TRUE(call_import(ft, g.options(), args, results, host).ok());
  uint32_t b32;
  std::memcpy(&b32, &seen32.f32, 4);
  uint64_t b64;
  std::memcpy(&b64, &seen64.f64, 8);
  EXPECT_EQ(b32, 0x7fc00000u);
  EXPECT_EQ(b64, 0x7ff8000000000000ull);
  expect_roundtrip(P(Kind::F32), Value::f32v(std::nanf("")));
  expect_roundtrip(P(Kind::F64), Value::f64v(std::nan("")));
}

TEST(CanonicalRoundTripTest, StringsInEveryEncoding) {
  const std::string samples[] = {
      "", "hello", "café", "aé€", "🚀🚀🚀 𠈄𓀀", "\xC3\xBF\xC4\x80", std::string(1000, 'x')};
  for (auto enc : {StringEncoding::Utf8, StringEncoding::Utf16, StringEncoding::Latin1Utf16}) {
    for (const std::string& s : samples) {
      SCOPED_TRACE(std::string("encoding ") + std::to_string(int(enc)) + " string " + s);
      expect_roundtrip(P(Kind::String), Value::string(s), enc);
    }
  }
  std::string long_mixed;
  for (int i = 0; i < 300; ++i) long_mixed += (i % 7 == 0) ? "€" : "ab";
  for (auto enc : {StringEncoding::Utf8, StringEncoding::Utf16, StringEncoding::Latin1Utf16})
    expect_roundtrip(P(Kind::String), Value::string(long_mixed), enc, /*grow=*/true);
}

TEST(CanonicalRoundTripTest, Compounds) {
  auto point = record_of({{"x", P(Kind::S32)}, {"y", P(Kind::F64)}, {"tag", P(Kind::String)}});
  expect_roundtrip(point, Value::record({Value::s32(-1), Value::f64v(2.5), Value::string("p")}));
  expect_roundtrip(list_of(P(Kind::U8)), Value::list({}));
  std::vector<uint8_t> raw(1000);
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = uint8_t(i * 7);
  expect_roundtrip(list_of(P(Kind::U8)), Value::bytes(raw.data(), raw.size()));
  expect_roundtrip(
      list_of(P(Kind::String)),
      Value::list({Value::string("hello,"), Value::string(""), Value::string("wörld")}),
      StringEncoding::Utf16);
  expect_roundtrip(list_of(list_of(P(Kind::U16))),
                   Value::list({Value::list({Value::u16(1), Value::u16(2)}), Value::list({})}));
  expect_roundtrip(
      list_of(point),
      Value::list({Value::record({Value::s32(1), Value::f64v(1), Value::string("a")}),
                   Value::record({Value::s32(2), Value::f64v(2), Value::string("b")})}));
  expect_roundtrip(tuple_of({P(Kind::U8), P(Kind::U64), P(Kind::Char)}),
                   Value::tuple({Value::u8(1), Value::u64(2), Value::character('c')}));
  expect_roundtrip(option_of(P(Kind::String)), Value::none());
  expect_roundtrip(option_of(P(Kind::String)), Value::some(Value::string("x")));
  expect_roundtrip(option_of(option_of(P(Kind::U8))), Value::some(Value::none()));
  expect_roundtrip(result_of(P(Kind::U32), P(Kind::String)), Value::ok(Value::u32(7)));
  expect_roundtrip(result_of(P(Kind::U32), P(Kind::String)), Value::err(Value::string("bad")));
  expect_roundtrip(result_of(nullptr, nullptr), Value::err());
  expect_roundtrip(result_of(nullptr, enum_of({"a", "b"})), Value::err(Value::enumeration(1)));
  expect_roundtrip(enum_of(names(300)), Value::enumeration(299));
  expect_roundtrip(flags_of(names(3)), Value::flags(0b101));
  expect_roundtrip(flags_of(names(32)), Value::flags(0x80000001u));
  expect_roundtrip(flags_of(names(16)), Value::flags(0x8001u));
}

TEST(CanonicalRoundTripTest, ListsOfNumbers) {
  // These take the list fast paths; every width and signedness.
  expect_roundtrip(list_of(P(Kind::S8)),
                   Value::list({Value::s8(-1), Value::s8(127), Value::s8(-128)}));
  expect_roundtrip(list_of(P(Kind::S16)), Value::list({Value::s16(-2), Value::s16(300)}));
  expect_roundtrip(list_of(P(Kind::S32)), Value::list({Value::s32(-3), Value::s32(1 << 30)}));
  expect_roundtrip(list_of(P(Kind::S64)), Value::list({Value::s64(INT64_MIN), Value::s64(-4)}));
  expect_roundtrip(list_of(P(Kind::U16)), Value::list({Value::u16(65535), Value::u16(0)}));
  expect_roundtrip(list_of(P(Kind::U64)), Value::list({Value::u64(~0ull), Value::u64(5)}));
  expect_roundtrip(list_of(P(Kind::F32)), Value::list({Value::f32v(1.5f), Value::f32v(-0.0f)}));
  expect_roundtrip(list_of(P(Kind::F64)), Value::list({Value::f64v(2.5), Value::f64v(1e-310)}));
  expect_roundtrip(list_of(P(Kind::Bool)),
                   Value::list({Value::boolean(true), Value::boolean(false)}));
  expect_roundtrip(list_of(P(Kind::Char)),
                   Value::list({Value::character('a'), Value::character(U'€')}));
  // Byte-exact memory for a list<s16>.
  Guest g;
  Codec cx(g.options(), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  ASSERT_TRUE(
      cx.lower_flat(*list_of(P(Kind::S16)), Value::list({Value::s16(-2), Value::s16(258)}), out)
          .ok());
  EXPECT_EQ(g.reallocs.back(), (ReallocCall{0, 0, 2, 4}));
  EXPECT_EQ(g.bytes(uint32_t(s[0]), 4), std::vector<uint8_t>({0xFE, 0xFF, 0x02, 0x01}));
}

TEST(CanonicalRoundTripTest, BytesLiftCompactAndLowerFromEitherForm) {
  auto bytes_t = list_of(P(Kind::U8));
  const uint8_t raw[] = {0, 1, 0x7f, 0x80, 0xff};
  Value compact = Value::bytes(raw, 5);
  Value elementwise = compact.expanded();
  ASSERT_FALSE(elementwise.is_bytes());
  expect_roundtrip(bytes_t, compact);
  expect_roundtrip(bytes_t, elementwise);
  expect_roundtrip(bytes_t, Value::bytes(raw, 0));
  expect_roundtrip(record_of({{"s", P(Kind::String)}, {"b", bytes_t}}),
                   Value::record({Value::string("x"), compact}));

  // Both forms lower to the same bytes with one allocation; lifting gives the compact form.
  for (const Value* v : {&compact, &elementwise}) {
    Guest g;
    Codec cx(g.options(), nullptr);
    Slot s[2];
    FlatWriter out{s, 2};
    ASSERT_TRUE(cx.lower_flat(*bytes_t, *v, out).ok());
    ASSERT_EQ(g.reallocs.size(), 1u);
    EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 1, 5}));
    EXPECT_EQ(s[1], 5u);
    EXPECT_EQ(g.bytes(uint32_t(s[0]), 5), std::vector<uint8_t>(raw, raw + 5));
    FlatReader in{s, 2};
    Value back = Value::string("stale contents are replaced");
    ASSERT_TRUE(cx.lift_flat(*bytes_t, in, back).ok());
    EXPECT_TRUE(back.is_bytes());
    EXPECT_TRUE(back.items.empty());
    EXPECT_EQ(back, compact);
  }

  // A compact list is a list<u8>: other element types reject it, unless it is empty.
  Guest g;
  Codec cx(g.options(), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  auto strings_t = list_of(P(Kind::String));
  auto r = cx.lower_flat(*strings_t, compact, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "expected `string`, found a u8 value");
  EXPECT_TRUE(cx.lower_flat(*strings_t, Value::bytes(raw, 0), out).ok());
  auto checked = check_value(*strings_t, compact);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().message, "in list element 0: expected `string`, found a u8 value");
  EXPECT_TRUE(check_value(*bytes_t, compact).ok());
}

TEST(CanonicalCallPlanTest, PlanCachesTheLayoutOfEveryCompoundType) {
  auto err_t = variant_of({{"a", P(Kind::String)}, {"b", record_of({{"x", P(Kind::U64)}})}});
  auto res_t = result_of(list_of(P(Kind::U8)), err_t);
  FuncType ft{{{"x", P(Kind::U32)}, {"y", tuple_of({P(Kind::U8), P(Kind::U64)})}}, {{"", res_t}}};
  auto plan = plan_call(ft);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const CallPlan& p = **plan;
  EXPECT_EQ(p.flat_params, flat_count(ft.params));
  EXPECT_EQ(p.flat_results, flat_count(ft.results));
  EXPECT_FALSE(p.params_in_memory);
  EXPECT_TRUE(p.results_in_memory);
  EXPECT_EQ(p.params_tuple.size, tuple_size(ft.params));
  EXPECT_EQ(p.results_tuple.align, tuple_alignment(ft.results));
  EXPECT_EQ(p.param_offsets, (std::vector<uint32_t>{0, 8}));
  EXPECT_EQ(p.result_offsets, (std::vector<uint32_t>{0}));
  for (const ValueType* t : {res_t.get(), err_t.get(), err_t->cases[1].type.get()}) {
    EXPECT_EQ(p.layouts.layout(*t).size, layout_of(*t).size) << to_wit(*t);
    EXPECT_EQ(p.layouts.layout(*t).payload_offset, layout_of(*t).payload_offset) << to_wit(*t);
    EXPECT_EQ(p.layouts.flat_count(*t), flat_count(*t)) << to_wit(*t);
  }
  // Types outside the plan are computed, not missed.
  auto other = record_of({{"z", P(Kind::U16)}, {"w", P(Kind::U8)}});
  EXPECT_EQ(p.layouts.layout(*other).size, 4u);

  FuncType untyped{{{"x", nullptr}}, {}};
  EXPECT_FALSE(plan_call(untyped).ok());
}

TEST(CanonicalRoundTripTest, VariantPayloadsShareJoinedSlots) {
  auto v = variant_of({{"i", P(Kind::S32)},
                       {"f", P(Kind::F32)},
                       {"d", P(Kind::F64)},
                       {"l", P(Kind::S64)},
                       {"s", P(Kind::String)},
                       {"none", nullptr}});
  expect_roundtrip(v, Value::variant(0, Value::s32(-5)));
  expect_roundtrip(v, Value::variant(1, Value::f32v(-1.25f)));
  expect_roundtrip(v, Value::variant(2, Value::f64v(1e300)));
  expect_roundtrip(v, Value::variant(3, Value::s64(-1)));
  expect_roundtrip(v, Value::variant(4, Value::string("joined")));
  expect_roundtrip(v, Value::variant(5));
  // Inside a record, the slots after a variant still line up.
  auto rec = record_of({{"v", v}, {"after", P(Kind::U32)}});
  expect_roundtrip(rec, Value::record({Value::variant(1, Value::f32v(2.0f)), Value::u32(99)}));
  expect_roundtrip(rec, Value::record({Value::variant(5), Value::u32(98)}));
}

TEST(CanonicalRoundTripTest, FlatVariantSlotsHoldZeroExtendedBits) {
  // s32 -1 in a slot joined to i64 is 0xffffffff (lower_flat_signed then widening), f32 in an
  // i64 slot is its bit pattern.
  Guest g;
  auto v = variant_of({{"i", P(Kind::S32)}, {"f", P(Kind::F32)}, {"l", P(Kind::U64)}});
  Codec cx(g.options(), nullptr);
  Slot slots[2];
  FlatWriter out{slots, 2};
  ASSERT_TRUE(cx.lower_flat(*v, Value::variant(0, Value::s32(-1)), out).ok());
  EXPECT_EQ(slots[0], 0u);
  EXPECT_EQ(slots[1], 0xffffffffull);
  out.pos = 0;
  ASSERT_TRUE(cx.lower_flat(*v, Value::variant(1, Value::f32v(1.0f)), out).ok());
  EXPECT_EQ(slots[1], 0x3f800000ull);
  // Lifting takes the low 32 bits of a joined i64 slot for an i32 payload.
  Slot in_slots[2] = {0, 0xdeadbeef00000007ull};
  FlatReader in{in_slots, 2};
  Value lifted;
  ASSERT_TRUE(cx.lift_flat(*v, in, lifted).ok());
  EXPECT_EQ(lifted, Value::variant(0, Value::s32(7)));
  EXPECT_EQ(in.pos, 2u);
}

TEST(CanonicalRoundTripTest, ManyArgumentsGoThroughMemory) {
  Guest g;
  std::vector<Param> params;
  std::vector<Value> args;
  for (int i = 0; i < 17; ++i) {
    params.push_back({"a" + std::to_string(i), P(Kind::U64)});
    args.push_back(Value::u64(uint64_t(i + 1) << 40));
  }
  FuncType ft{params, {{"", P(Kind::U64)}}};
  std::vector<Value> seen;
  auto host = [&](std::span<const Value> a, std::vector<Value>& r) -> Result<void> {
    seen.assign(a.begin(), a.end());
    uint64_t sum = 0;
    for (const Value& v : a) sum += v.u;
    r.push_back(Value::u64(sum));
    return {};
  };
  auto out = through_guest(g, ft, args, host, StringEncoding::Utf8);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(seen, args);
  EXPECT_EQ((*out)[0], Value::u64(uint64_t(153) << 40));
  // The export's arguments were stored into one realloc'd block of 17 * 8 bytes.
  ASSERT_FALSE(g.reallocs.empty());
  EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 8, 136}));
}

TEST(CanonicalRoundTripTest, SeveralResultsGoThroughMemory) {
  Guest g;
  FuncType ft{{{"a", P(Kind::U32)}, {"b", P(Kind::U32)}},
              {{"x", P(Kind::U32)}, {"y", P(Kind::String)}}};
  auto host = [&](std::span<const Value> a, std::vector<Value>& r) -> Result<void> {
    r.push_back(Value::u32(a[0].u + a[1].u));
    r.push_back(Value::string("sum"));
    return {};
  };
  Value args[] = {Value::u32(2), Value::u32(3)};
  auto out = through_guest(g, ft, args, host, StringEncoding::Utf8);
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0], Value::u32(5));
  EXPECT_EQ((*out)[1], Value::string("sum"));
}

TEST(CanonicalRoundTripTest, MemoryGrowthDuringLoweringIsSeen) {
  auto t = list_of(record_of({{"name", P(Kind::String)}, {"tags", list_of(P(Kind::String))}}));
  std::vector<Value> items;
  for (int i = 0; i < 20; ++i) {
    items.push_back(Value::record({Value::string("item " + std::to_string(i)),
                                   Value::list({Value::string("a"), Value::string("ü")})}));
  }
  expect_roundtrip(t, Value::list(items), StringEncoding::Utf8, /*grow=*/true);
  expect_roundtrip(t, Value::list(items), StringEncoding::Latin1Utf16, /*grow=*/true);
}

// ---------------------------------------------------------------------------------------------
// Memory layout and string transcoding, byte by byte

TEST(CanonicalStoreTest, RecordFieldsAtSpecOffsets) {
  Guest g;
  Codec cx(g.options(), nullptr);
  auto t = record_of({{"a", P(Kind::U8)},
                      {"b", P(Kind::U64)},
                      {"c", P(Kind::U16)},
                      {"d", option_of(P(Kind::U32))},
                      {"e", flags_of(names(10))}});
  uint32_t ptr = g.alloc(8, size_of(*t));
  ASSERT_EQ(size_of(*t), 32u);
  ASSERT_TRUE(
      cx.store(*t,
               Value::record({Value::u8(0xAA), Value::u64(0x1122334455667788), Value::u16(0xBEEF),
                              Value::some(Value::u32(7)), Value::flags(0x201)}),
               ptr)
          .ok());
  EXPECT_EQ(g.get<uint8_t>(ptr + 0), 0xAA);
  EXPECT_EQ(g.get<uint64_t>(ptr + 8), 0x1122334455667788u);
  EXPECT_EQ(g.get<uint16_t>(ptr + 16), 0xBEEF);
  EXPECT_EQ(g.get<uint8_t>(ptr + 20), 1) << "option discriminant";
  EXPECT_EQ(g.get<uint32_t>(ptr + 24), 7u) << "option payload";
  EXPECT_EQ(g.get<uint16_t>(ptr + 28), 0x201);
  Value back;
  ASSERT_TRUE(cx.load(*t, ptr, back).ok());
  EXPECT_EQ(back.items[3], Value::some(Value::u32(7)));
}

TEST(CanonicalStoreTest, Utf8IsCopiedWithOneAllocation) {
  Guest g;
  Codec cx(g.options(StringEncoding::Utf8), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  ASSERT_TRUE(cx.lower_flat(*P(Kind::String), Value::string("héllo"), out).ok());
  ASSERT_EQ(g.reallocs.size(), 1u);
  EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 1, 6}));
  EXPECT_EQ(s[1], 6u);
  EXPECT_EQ(g.bytes(uint32_t(s[0]), 6), std::vector<uint8_t>({'h', 0xC3, 0xA9, 'l', 'l', 'o'}));
}

TEST(CanonicalStoreTest, Utf8ToUtf16AllocatesTheWorstCaseThenShrinks) {
  Guest g;
  Codec cx(g.options(StringEncoding::Utf16), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  ASSERT_TRUE(cx.lower_flat(*P(Kind::String), Value::string("a€"), out).ok());  // 4 UTF-8 bytes
  ASSERT_EQ(g.reallocs.size(), 2u);
  EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 2, 8}));
  EXPECT_EQ(g.reallocs[1].old_size, 8u);
  EXPECT_EQ(g.reallocs[1].new_size, 4u);
  EXPECT_EQ(s[1], 2u) << "code units";
  EXPECT_EQ(g.bytes(uint32_t(s[0]), 4), std::vector<uint8_t>({'a', 0, 0xAC, 0x20}));

  // Non-BMP: a surrogate pair, and the worst case is exact.
  g.reallocs.clear();
  out.pos = 0;
  ASSERT_TRUE(cx.lower_flat(*P(Kind::String), Value::string("🚀"), out).ok());
  ASSERT_EQ(g.reallocs.size(), 2u);
  EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 2, 8}));
  EXPECT_EQ(s[1], 2u);
  EXPECT_EQ(g.bytes(uint32_t(s[0]), 4), std::vector<uint8_t>({0x3D, 0xD8, 0x80, 0xDE}));
}

TEST(CanonicalStoreTest, Latin1WhenEveryCodePointFits) {
  Guest g;
  Codec cx(g.options(StringEncoding::Latin1Utf16), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  ASSERT_TRUE(cx.lower_flat(*P(Kind::String), Value::string("café"), out).ok());  // 5 bytes
  ASSERT_EQ(g.reallocs.size(), 2u);
  EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 2, 5}));
  EXPECT_EQ(g.reallocs[1].old_size, 5u);
  EXPECT_EQ(g.reallocs[1].new_size, 4u);
  EXPECT_EQ(s[1], 4u) << "latin1: no tag";
  EXPECT_EQ(g.bytes(uint32_t(s[0]), 4), std::vector<uint8_t>({'c', 'a', 'f', 0xE9}));

  g.reallocs.clear();
  out.pos = 0;
  ASSERT_TRUE(cx.lower_flat(*P(Kind::String), Value::string("abc"), out).ok());
  EXPECT_EQ(g.reallocs.size(), 1u) << "ASCII needs no shrinking";
  EXPECT_EQ(s[1], 3u);
}

TEST(CanonicalStoreTest, Latin1SwitchesToUtf16AtTheFirstWideCodePoint) {
  Guest g;
  Codec cx(g.options(StringEncoding::Latin1Utf16), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  ASSERT_TRUE(cx.lower_flat(*P(Kind::String), Value::string("aé€"), out).ok());  // 6 bytes
  ASSERT_EQ(g.reallocs.size(), 3u);
  EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 2, 6}));
  EXPECT_EQ(g.reallocs[1].old_size, 6u);
  EXPECT_EQ(g.reallocs[1].new_size, 12u);
  EXPECT_EQ(g.reallocs[2].old_size, 12u);
  EXPECT_EQ(g.reallocs[2].new_size, 6u);
  EXPECT_EQ(s[1], 3u | kUtf16Tag);
  EXPECT_EQ(g.bytes(uint32_t(s[0]), 6), std::vector<uint8_t>({'a', 0, 0xE9, 0, 0xAC, 0x20}));
}

// ---------------------------------------------------------------------------------------------
// Lifting checks

// Lifts one flat-passed parameter of type t from `slots` through a lowered import.
Result<Value> lift_param(Guest& g, TypeRef t, std::vector<Slot> slots,
                         StringEncoding enc = StringEncoding::Utf8) {
  FuncType ft{{{"x", t}}, {}};
  Value seen;
  auto host = [&](std::span<const Value> a, std::vector<Value>&) -> Result<void> {
    seen = a[0];
    return {};
  };
  ACTR_TRY_VOID(call_import(ft, g.options(enc), slots.data(), nullptr, host));
  return seen;
}

std::string lift_error(Guest& g, TypeRef t, std::vector<Slot> slots,
                       StringEncoding enc = StringEncoding::Utf8) {
  auto r = lift_param(g, t, std::move(slots), enc);
  return r.ok() ? "<ok>" : r.error().message;
}

TEST(CanonicalLiftTest, ScalarsFromWiderCoreValues) {
  Guest g;
  EXPECT_EQ(*lift_param(g, P(Kind::Bool), {2}), Value::boolean(true)) << "bool > 1 is true";
  EXPECT_EQ(*lift_param(g, P(Kind::U8), {0x1FF}), Value::u8(0xFF));
  EXPECT_EQ(*lift_param(g, P(Kind::S8), {0xFF}), Value::s8(-1));
  EXPECT_EQ(*lift_param(g, P(Kind::S16), {0x18000}), Value::s16(-32768));
  EXPECT_EQ(*lift_param(g, P(Kind::S32), {0xFFFFFFFF}), Value::s32(-1));
  EXPECT_EQ(*lift_param(g, P(Kind::U32), {0xAAAAAAAA00000001ull}), Value::u32(1))
      << "an i32 is the low 32 bits of its slot";
  EXPECT_EQ(*lift_param(g, flags_of(names(3)), {0xFF}), Value::flags(0b111))
      << "unknown flag bits are ignored";
}

TEST(CanonicalLiftTest, InvalidCharsTrap) {
  Guest g;
  for (Slot c : {Slot{0xD800}, Slot{0xDFFF}, Slot{0x110000}, Slot{0xFFFFFFFF}}) {
    auto r = lift_param(g, P(Kind::Char), {c});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("invalid `char` bit pattern"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(wasm::trap_kind(r.error()), wasm::TrapKind::Other);
  }
  EXPECT_EQ(*lift_param(g, P(Kind::Char), {0xE000}), Value::character(0xE000));
}

TEST(CanonicalLiftTest, InvalidDiscriminantsTrap) {
  Guest g;
  auto v = variant_of({{"a", P(Kind::U32)}, {"b", nullptr}});
  EXPECT_EQ(lift_error(g, v, {2, 0}), "invalid variant discriminant: 2 (the type has 2 cases)");
  EXPECT_NE(lift_error(g, enum_of({"a", "b", "c"}), {3}).find("invalid variant discriminant"),
            std::string::npos);
  EXPECT_NE(lift_error(g, option_of(P(Kind::U8)), {2, 0}).find("invalid variant discriminant"),
            std::string::npos);
  EXPECT_NE(lift_error(g, result_of(nullptr, nullptr), {5}).find("invalid variant discriminant"),
            std::string::npos);
  // In memory too.
  uint32_t ptr = g.alloc(4, 8);
  g.put<uint8_t>(ptr, 7);
  Codec cx(g.options(), nullptr);
  Value out;
  auto r = cx.load(*v, ptr, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "invalid variant discriminant: 7 (the type has 2 cases)");
  g.put<uint8_t>(ptr, 2);  // bool byte 2 is true in memory as well
  ASSERT_TRUE(cx.load(*P(Kind::Bool), ptr, out).ok());
  EXPECT_EQ(out, Value::boolean(true));
}

TEST(CanonicalLiftTest, StringChecks) {
  Guest g;
  auto S = P(Kind::String);
  uint32_t p = g.alloc(4, 16);
  std::memcpy(g.memory.data() + p, "ok\xFF\xC3", 4);
  EXPECT_EQ(*lift_param(g, S, {p, 2}), Value::string("ok"));
  EXPECT_EQ(lift_error(g, S, {p, 3}), "invalid utf-8 sequence of 1 bytes from index 2");
  EXPECT_EQ(lift_error(g, S, {p + 3, 1}), "incomplete utf-8 byte sequence from index 0");
  EXPECT_EQ(lift_error(g, S, {0xdeadbeef, 0}), "string pointer/length out of bounds of memory");
  EXPECT_EQ(lift_error(g, S, {wasm::kPageSize - 1, 2}),
            "string pointer/length out of bounds of memory");
  EXPECT_EQ(*lift_param(g, S, {wasm::kPageSize, 0}), Value::string(""))
      << "an empty string may point at the end of memory";
  EXPECT_EQ(lift_error(g, S, {0, 1u << 28}),
            "string too long: 268435456 bytes (the limit is 268435455)");
  auto too_long = lift_param(g, S, {0, 1u << 28});
  EXPECT_EQ(wasm::trap_kind(too_long.error()), wasm::TrapKind::Other);
  auto oob = lift_param(g, S, {0xdeadbeef, 0});
  EXPECT_EQ(wasm::trap_kind(oob.error()), wasm::TrapKind::MemoryOutOfBounds);

  // UTF-16: alignment, surrogates.
  uint32_t q = g.alloc(2, 16);
  uint16_t units[] = {'h', 0xD83D, 0xDE80, 0xD800, 'x'};
  std::memcpy(g.memory.data() + q, units, sizeof units);
  EXPECT_EQ(*lift_param(g, S, {q, 3}, StringEncoding::Utf16), Value::string("h🚀"));
  EXPECT_EQ(lift_error(g, S, {q + 1, 1}, StringEncoding::Utf16), "unaligned pointer");
  EXPECT_EQ(lift_error(g, S, {q, 5}, StringEncoding::Utf16),
            "invalid utf-16: unpaired surrogate at code unit 3");
  EXPECT_EQ(lift_error(g, S, {q + 6, 1}, StringEncoding::Utf16),
            "invalid utf-16: unpaired surrogate at code unit 0");

  // latin1+utf16: the tag selects UTF-16; latin1 bytes decode one to one; alignment 2 for both.
  uint32_t l = g.alloc(2, 4);
  std::memcpy(g.memory.data() + l, "caf\xE9", 4);
  EXPECT_EQ(*lift_param(g, S, {l, 4}, StringEncoding::Latin1Utf16), Value::string("café"));
  EXPECT_EQ(*lift_param(g, S, {q, 3 | kUtf16Tag}, StringEncoding::Latin1Utf16),
            Value::string("h🚀"));
  EXPECT_EQ(lift_error(g, S, {l + 1, 1}, StringEncoding::Latin1Utf16), "unaligned pointer");
}

TEST(CanonicalLiftTest, ListChecks) {
  Guest g;
  auto L = list_of(P(Kind::U32));
  uint32_t p = g.alloc(4, 8);
  g.put<uint32_t>(p, 10);
  g.put<uint32_t>(p + 4, 20);
  EXPECT_EQ(*lift_param(g, L, {p, 2}), Value::list({Value::u32(10), Value::u32(20)}));
  EXPECT_EQ(lift_error(g, L, {p + 2, 1}), "unaligned pointer");
  EXPECT_EQ(lift_error(g, L, {wasm::kPageSize - 4, 2}),
            "list pointer/length out of bounds of memory");
  EXPECT_EQ(lift_error(g, L, {0, 1u << 27}),
            "list too long: 134217728 elements of 4 bytes (the limit is 268435455 bytes)");
  EXPECT_EQ(*lift_param(g, list_of(P(Kind::U8)), {wasm::kPageSize, 0}), Value::list({}));
}

TEST(CanonicalLiftTest, MemoryIsRequiredForStrings) {
  Guest g;
  Options o = g.options();
  o.memory = nullptr;
  FuncType ft{{{"x", P(Kind::String)}}, {}};
  Slot args[2] = {0, 0};
  auto r = call_import(ft, o, args, nullptr, [](auto, auto&) { return Result<void>(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "canonical option `memory` is required to pass this value");
}

// ---------------------------------------------------------------------------------------------
// realloc

TEST(CanonicalReallocTest, ResultIsCheckedForAlignmentThenBounds) {
  auto L = list_of(P(Kind::U32));
  FuncType ft{{{"a", L}}, {}};
  FakeFunc core(flatten_func(ft, Direction::Lift), [](auto, auto) { return Result<void>(); });
  std::vector<Value> results;
  Value arg = Value::list({Value::u32(1), Value::u32(2)});
  {
    Guest g;
    g.realloc_returns = 0xFFFFFFFF;
    auto r = call_export(ft, core, g.options(), std::span(&arg, 1), results);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "realloc return: result not aligned");
  }
  {
    Guest g;
    g.realloc_returns = uint32_t(-4);
    auto r = call_export(ft, core, g.options(), std::span(&arg, 1), results);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "realloc return: beyond end of memory");
    EXPECT_EQ(wasm::trap_kind(r.error()), wasm::TrapKind::MemoryOutOfBounds);
  }
  {
    // Even an empty list calls realloc, and its result is bounds-checked.
    Guest g;
    g.realloc_returns = uint32_t(-4);
    Value empty = Value::list({});
    auto r = call_export(ft, core, g.options(), std::span(&empty, 1), results);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "realloc return: beyond end of memory");
    ASSERT_EQ(g.reallocs.size(), 1u);
    EXPECT_EQ(g.reallocs[0], (ReallocCall{0, 0, 4, 0}));
  }
  {
    Guest g;
    Options o = g.options();
    o.realloc = nullptr;
    auto r = call_export(ft, core, o, std::span(&arg, 1), results);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message,
              "canonical option `realloc` is required to pass strings and lists into the guest");
  }
}

TEST(CanonicalReallocTest, GuestMayNotLeaveDuringReallocOrPostReturn) {
  Guest g;
  FuncType ft{{{"s", P(Kind::String)}}, {{"", P(Kind::U32)}}};
  std::vector<Slot> post_return_args;
  bool may_leave_in_post_return = true;
  FakeFunc core(flatten_func(ft, Direction::Lift), [&](const Slot* a, Slot* r) {
    EXPECT_TRUE(g.may_leave) << "the callee itself may call imports";
    r[0] = a[1] * 10;
    return Result<void>();
  });
  FakeFunc post_return({{ValType::I32}, {}}, [&](const Slot* a, Slot*) {
    post_return_args.assign(a, a + 1);
    may_leave_in_post_return = g.may_leave;
    return Result<void>();
  });
  Options o = g.options();
  o.post_return = &post_return;
  Value arg = Value::string("abc");
  std::vector<Value> results;
  ASSERT_TRUE(call_export(ft, core, o, std::span(&arg, 1), results).ok());
  EXPECT_EQ(results, std::vector<Value>{Value::u32(30)});
  EXPECT_EQ(post_return_args, std::vector<Slot>{30});
  EXPECT_FALSE(may_leave_in_post_return);
  ASSERT_EQ(g.may_leave_during_realloc.size(), 1u);
  EXPECT_FALSE(g.may_leave_during_realloc[0]);
  EXPECT_TRUE(g.may_leave);

  g.may_leave = false;  // e.g. an import called from inside realloc
  FuncType imp{{}, {}};
  auto r =
      call_import(imp, g.options(), nullptr, nullptr, [](auto, auto&) { return Result<void>(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "cannot leave component instance");
}

// ---------------------------------------------------------------------------------------------
// Pointers passed by the guest

TEST(CanonicalPointerTest, ArgumentAndReturnPointersAreChecked) {
  Guest g;
  std::vector<Param> params;
  for (int i = 0; i < 17; ++i) params.push_back({"", P(Kind::U32)});
  FuncType many{params, {}};
  auto noop = [](auto, auto&) { return Result<void>(); };
  Slot args[2] = {2, 0};
  auto r = call_import(many, g.options(), args, nullptr, noop);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unaligned pointer");
  args[0] = wasm::kPageSize - 64;
  r = call_import(many, g.options(), args, nullptr, noop);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "pointer out of bounds of memory");

  FuncType two_results{{}, {{"a", P(Kind::U32)}, {"b", P(Kind::U32)}}};
  auto answer = [](auto, std::vector<Value>& res) {
    res = {Value::u32(1), Value::u32(2)};
    return Result<void>();
  };
  Slot retptr[1] = {6};
  r = call_import(two_results, g.options(), retptr, nullptr, answer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unaligned pointer");
  retptr[0] = 8;
  ASSERT_TRUE(call_import(two_results, g.options(), retptr, nullptr, answer).ok());
  EXPECT_EQ(g.get<uint32_t>(8), 1u);
  EXPECT_EQ(g.get<uint32_t>(12), 2u);

  // An export returning a misaligned tuple pointer.
  FakeFunc core(flatten_func(two_results, Direction::Lift), [](auto, Slot* res) {
    res[0] = 2;
    return Result<void>();
  });
  std::vector<Value> results;
  auto e = call_export(two_results, core, g.options(), {}, results);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "unaligned pointer");
}

// ---------------------------------------------------------------------------------------------
// Host errors and argument checks

TEST(CanonicalHostTest, HostErrorsTrapTheGuest) {
  Guest g;
  FuncType ft{{}, {{"", P(Kind::U32)}}};
  Slot res[1];
  auto r = call_import(ft, g.options(), nullptr, res,
                       [](auto, auto&) { return Result<void>(make_error("host is unhappy")); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "host is unhappy");
  EXPECT_EQ(wasm::trap_kind(r.error()), wasm::TrapKind::Host);

  r = call_import(ft, g.options(), nullptr, res, [](auto, std::vector<Value>& out) {
    out.push_back(Value::string("not a u32"));
    return Result<void>();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "host function result 0: expected `u32`, found a string value");
  EXPECT_EQ(wasm::trap_kind(r.error()), wasm::TrapKind::Host);

  r = call_import(ft, g.options(), nullptr, res, [](auto, auto&) { return Result<void>(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "host function returned 0 results, its type has 1");
}

TEST(CanonicalHostTest, BadArgumentsFailBeforeTouchingTheGuest) {
  Guest g;
  auto t = record_of({{"name", P(Kind::String)}, {"tags", list_of(P(Kind::U8))}});
  FuncType ft{{{"r", t}}, {}};
  bool called = false;
  FakeFunc core(flatten_func(ft, Direction::Lift), [&](auto, auto) {
    called = true;
    return Result<void>();
  });
  std::vector<Value> results;
  Value bad = Value::record({Value::string("x"), Value::list({Value::u8(1), Value::u16(2)})});
  auto r = call_export(ft, core, g.options(), std::span(&bad, 1), results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "argument 0 (`r`): in field `tags`, list element 1: expected `u8`, found a u16 value");
  EXPECT_EQ(r.error().code, 0);
  EXPECT_FALSE(called);
  EXPECT_TRUE(g.reallocs.empty());

  r = call_export(ft, core, g.options(), {}, results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "expected 1 arguments, got 0");

  FuncType u8s{{{"a", P(Kind::U8)}, {"b", P(Kind::S16)}}, {}};
  Value raw_u8 = Value::u8(1);
  raw_u8.u = 300;
  Value u8_args[] = {raw_u8, Value::s16(1)};
  FakeFunc u8_core(flatten_func(u8s, Direction::Lift), [](auto, auto) { return Result<void>(); });
  r = call_export(u8s, u8_core, g.options(), u8_args, results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "argument 0 (`a`): 300 is out of range for `u8`");

  Value invalid_utf8 = Value::record({Value::string("\xFF"), Value::list({})});
  r = call_export(ft, core, g.options(), std::span(&invalid_utf8, 1), results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "argument 0 (`r`): in field `name`: string is not valid utf-8: invalid utf-8 sequence "
            "of 1 bytes from index 0");

  FakeFunc wrong_core({{ValType::I64}, {}}, [](auto, auto) { return Result<void>(); });
  Value good = Value::record({Value::string("x"), Value::list({})});
  r = call_export(ft, wrong_core, g.options(), std::span(&good, 1), results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "core function type (i64) -> () does not match the lifted function type (expected "
            "(i32, i32, i32, i32) -> ())");
}

// ---------------------------------------------------------------------------------------------
// Maps: passed as list<tuple<key, value>>

Value entry(Value k, Value v) { return Value::map_entry(std::move(k), std::move(v)); }

TEST(CanonicalMapTest, LayoutIsAListOfKeyValueTuples) {
  auto m = map_of(P(Kind::String), P(Kind::U32));
  EXPECT_EQ(size_of(*m), 8u);
  EXPECT_EQ(alignment(*m), 4u);
  EXPECT_EQ(flatten(*m), (std::vector<ValType>{ValType::I32, ValType::I32}));
  EXPECT_EQ(flat_count(*m), 2u);

  // Entries as the spec's tuple<K, V> records: the value at its alignment after the key.
  auto e = map_entry_layout(layout_of(*P(Kind::U8)), layout_of(*P(Kind::U64)));
  EXPECT_EQ(e.value_offset, 8u);
  EXPECT_EQ(e.size, 16u);
  EXPECT_EQ(e.align, 8u);
  e = map_entry_layout(layout_of(*P(Kind::String)), layout_of(*P(Kind::U32)));
  EXPECT_EQ(e.value_offset, 8u);
  EXPECT_EQ(e.size, 12u);
  EXPECT_EQ(e.align, 4u);
  e = map_entry_layout(layout_of(*P(Kind::Char)), layout_of(*P(Kind::Bool)));
  EXPECT_EQ(e.value_offset, 4u);
  EXPECT_EQ(e.size, 8u);
  EXPECT_EQ(e.align, 4u);
  // The same as the tuple the map despecializes to.
  auto t = tuple_of({P(Kind::U16), option_of(P(Kind::F64))});
  e = map_entry_layout(layout_of(*P(Kind::U16)), layout_of(*option_of(P(Kind::F64))));
  EXPECT_EQ(e.size, size_of(*t));
  EXPECT_EQ(e.align, alignment(*t));

  // A plan caches the layout of a map inside a function type, and of its key and value.
  LayoutCache cache;
  auto nested = map_of(P(Kind::String), record_of({{"a", P(Kind::U8)}, {"b", P(Kind::U64)}}));
  cache.add(*nested);
  EXPECT_EQ(cache.layout(*nested).size, 8u);
  EXPECT_EQ(cache.layout(*nested->elem).size, 16u);
}

TEST(CanonicalMapTest, RoundTripsKeepOrderAndDuplicateKeys) {
  auto su = map_of(P(Kind::String), P(Kind::U32));
  expect_roundtrip(su, Value::map({}));
  expect_roundtrip(su, Value::map({entry(Value::string("z"), Value::u32(26)),
                                   entry(Value::string("k"), Value::u32(1)),
                                   entry(Value::string("k"), Value::u32(2))}));
  expect_roundtrip(su, Value::map({entry(Value::string("é€🚀"), Value::u32(7))}),
                   StringEncoding::Utf16);
  expect_roundtrip(su, Value::map({entry(Value::string("ab"), Value::u32(7))}),
                   StringEncoding::Latin1Utf16, /*grow=*/true);
  expect_roundtrip(
      map_of(P(Kind::U8), P(Kind::U64)),
      Value::map({entry(Value::u8(255), Value::u64(~0ull)), entry(Value::u8(0), Value::u64(7))}));
  expect_roundtrip(map_of(P(Kind::Char), P(Kind::Bool)),
                   Value::map({entry(Value::character('A'), Value::boolean(true)),
                               entry(Value::character(U'🚩'), Value::boolean(false))}));
  expect_roundtrip(map_of(P(Kind::S64), option_of(P(Kind::String))),
                   Value::map({entry(Value::s64(-1), Value::none()),
                               entry(Value::s64(2), Value::some(Value::string("x")))}));
  auto inner = map_of(P(Kind::String), list_of(P(Kind::U8)));
  const uint8_t raw[] = {1, 2, 255};
  expect_roundtrip(map_of(P(Kind::String), inner),
                   Value::map({entry(Value::string("a"),
                                     Value::map({entry(Value::string("x"), Value::bytes(raw, 3)),
                                                 entry(Value::string("y"), Value::bytes(raw, 0))})),
                               entry(Value::string("b"), Value::map({}))}));
  // A map inside other types, and in a result passed through memory.
  expect_roundtrip(option_of(map_of(P(Kind::Bool), P(Kind::F32))),
                   Value::some(Value::map({entry(Value::boolean(true), Value::f32v(1.5f))})));
}

TEST(CanonicalMapTest, EntriesAreStoredAtTupleOffsets) {
  Guest g;
  Codec cx(g.options(), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  auto m = map_of(P(Kind::U8), P(Kind::U64));
  ASSERT_TRUE(cx.lower_flat(*m,
                            Value::map({entry(Value::u8(9), Value::u64(0x0102030405060708ull)),
                                        entry(Value::u8(10), Value::u64(1))}),
                            out)
                  .ok());
  EXPECT_EQ(g.reallocs.back(), (ReallocCall{0, 0, 8, 32}));
  auto ptr = uint32_t(s[0]);
  EXPECT_EQ(s[1], 2u);
  EXPECT_EQ(g.get<uint8_t>(ptr), 9);
  EXPECT_EQ(g.get<uint64_t>(ptr + 8), 0x0102030405060708ull);
  EXPECT_EQ(g.get<uint8_t>(ptr + 16), 10);
  EXPECT_EQ(g.get<uint64_t>(ptr + 24), 1u);
}

TEST(CanonicalMapTest, LiftChecks) {
  Guest g;
  auto m = map_of(P(Kind::U32), P(Kind::Char));
  uint32_t p = g.alloc(4, 16);
  g.put<uint32_t>(p, 1);
  g.put<uint32_t>(p + 4, 'a');
  g.put<uint32_t>(p + 8, 1);
  g.put<uint32_t>(p + 12, 'b');
  EXPECT_EQ(*lift_param(g, m, {p, 2}), Value::map({entry(Value::u32(1), Value::character('a')),
                                                   entry(Value::u32(1), Value::character('b'))}));
  EXPECT_EQ(*lift_param(g, m, {wasm::kPageSize, 0}), Value::map({}));
  EXPECT_EQ(lift_error(g, m, {p + 2, 1}), "unaligned pointer");
  EXPECT_EQ(lift_error(g, m, {wasm::kPageSize - 8, 2}),
            "list pointer/length out of bounds of memory");
  EXPECT_EQ(lift_error(g, m, {0, 1u << 26}),
            "map too long: 67108864 entries of 8 bytes (the limit is 268435455 bytes)");
  g.put<uint32_t>(p + 12, 0xD800);
  EXPECT_EQ(lift_error(g, m, {p, 2}), "invalid `char` bit pattern: 0xd800");
}

TEST(CanonicalMapTest, HostValuesAreCheckedEntryByEntry) {
  auto m = map_of(P(Kind::String), P(Kind::U8));
  EXPECT_TRUE(check_value(*m, Value::map({})).ok());
  EXPECT_TRUE(check_value(*m, Value::map({entry(Value::string("a"), Value::u8(1))})).ok());
  auto r = check_value(*m, Value::map({entry(Value::string("a"), Value::u8(1)),
                                       entry(Value::u32(2), Value::u8(1))}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "in map entry 1 key: expected `string`, found a u32 value");
  Value big = Value::u8(0);
  big.u = 256;
  r = check_value(*m, Value::map({entry(Value::string("a"), big)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "in map entry 0 value: 256 is out of range for `u8`");
  r = check_value(*m, Value::map({Value::tuple({Value::string("a")})}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "in map entry 0: expected a (key, value) tuple, found a tuple value of 1 items");
  r = check_value(*m, Value::list({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "expected `map<string, u8>`, found a list value");
  r = check_value(*map_of(P(Kind::F32), P(Kind::U8)), Value::map({}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "map key type `f32` is not bool, an integer, char or string");
  // Lowering refuses such a type too, even without the check.
  Guest g;
  Codec cx(g.options(), nullptr);
  Slot s[2];
  FlatWriter out{s, 2};
  auto bad = cx.lower_flat(*map_of(P(Kind::F64), P(Kind::U8)), Value::map({}), out);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "map key type `f64` is invalid");
}

// ---------------------------------------------------------------------------------------------
// Resources through calls

struct ResourceFixture : ::testing::Test {
  std::shared_ptr<const ResourceType> host_res =
      std::make_shared<const ResourceType>(ResourceType{"stream", true});
  Guest g;
};

TEST_F(ResourceFixture, ExportBorrowMustBeDroppedByTheCallee) {
  FuncType ft{{{"s", borrow_of(host_res)}}, {}};
  uint32_t seen_handle = 0;
  bool drop = true;
  FakeFunc core(flatten_func(ft, Direction::Lift), [&](const Slot* a, Slot*) -> Result<void> {
    seen_handle = uint32_t(a[0]);
    EXPECT_EQ(*g.handles.resource_rep(seen_handle, *host_res), 42u);
    if (drop) ACTR_TRY_VOID(g.handles.resource_drop(seen_handle, *host_res));
    return {};
  });
  std::vector<Value> results;
  Value arg = Value::borrow({host_res, 42});
  ASSERT_TRUE(call_export(ft, core, g.options(), std::span(&arg, 1), results).ok());
  EXPECT_NE(seen_handle, 0u);
  EXPECT_EQ(g.handles.size(), 0u);

  drop = false;
  auto r = call_export(ft, core, g.options(), std::span(&arg, 1), results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "borrow handles still remain at the end of the call (1 not dropped)");
  EXPECT_EQ(g.handles.size(), 0u);
}

TEST_F(ResourceFixture, ExportOwnParamsAndResultsMoveHandles) {
  FuncType ft{{{"s", own_of(host_res)}}, {{"", own_of(host_res)}}};
  FakeFunc core(flatten_func(ft, Direction::Lift), [&](const Slot* a, Slot* r) -> Result<void> {
    // The guest received a fresh own handle; it returns it back.
    const HandleTable::Entry* e = g.handles.get(uint32_t(a[0]));
    EXPECT_NE(e, nullptr);
    EXPECT_TRUE(e && e->own);
    r[0] = a[0];
    return {};
  });
  std::vector<Value> results;
  Value arg = Value::own({host_res, 7});
  ASSERT_TRUE(call_export(ft, core, g.options(), std::span(&arg, 1), results).ok());
  EXPECT_EQ(results, std::vector<Value>{Value::own({host_res, 7})});
  EXPECT_EQ(g.handles.size(), 0u) << "returning an own handle moves it out of the guest";

  auto other = std::make_shared<const ResourceType>(ResourceType{"other", true});
  Value wrong = Value::own({other, 7});
  auto r = call_export(ft, core, g.options(), std::span(&wrong, 1), results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "argument 0 (`s`): handle of resource `other` where resource `stream` is expected");
}

TEST_F(ResourceFixture, ImportBorrowsAreLentForTheCall) {
  auto guest_res = std::make_shared<const ResourceType>(ResourceType{"thing", false});
  g.handles.add_defined(guest_res.get());
  auto h = g.handles.resource_new(guest_res, 1000);
  ASSERT_TRUE(h.ok());
  FuncType ft{{{"t", borrow_of(guest_res)}}, {{"", P(Kind::U32)}}};
  Slot args[1] = {*h};
  Slot res[1];
  auto r = call_import(ft, g.options(), args, res, [&](std::span<const Value> a, auto& out) {
    EXPECT_EQ(a[0], Value::borrow({guest_res, 1000}));
    EXPECT_EQ(g.handles.get(*h)->num_lends, 1u);
    auto drop = g.handles.resource_drop(*h, *guest_res);
    EXPECT_FALSE(drop.ok()) << "lent handles cannot be dropped during the call";
    out.push_back(Value::u32(a[0].handle.rep + 1));
    return Result<void>();
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(res[0], 1001u);
  EXPECT_EQ(g.handles.get(*h)->num_lends, 0u);
  EXPECT_TRUE(g.handles.resource_drop(*h, *guest_res).ok());
}

TEST_F(ResourceFixture, ImportOwnMovesInAndOut) {
  auto h = g.handles.lower_own(host_res, 5);
  ASSERT_TRUE(h.ok());
  FuncType ft{{{"s", own_of(host_res)}}, {{"", own_of(host_res)}}};
  Slot args[1] = {*h};
  Slot res[1];
  auto r = call_import(ft, g.options(), args, res, [&](std::span<const Value> a, auto& out) {
    EXPECT_EQ(g.handles.size(), 0u) << "the guest gave its handle away";
    out.push_back(Value::own({host_res, a[0].handle.rep * 2}));
    return Result<void>();
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  const HandleTable::Entry* e = g.handles.get(uint32_t(res[0]));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->rep, 10u);
  EXPECT_TRUE(e->own);

  // Passing a handle of the wrong type traps.
  auto other = std::make_shared<const ResourceType>(ResourceType{"other", false});
  auto h2 = g.handles.resource_new(other, 1);
  Slot args2[1] = {*h2};
  r = call_import(ft, g.options(), args2, res, [](auto, auto&) { return Result<void>(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "handle index 2 used with the wrong type, expected host-defined resource but found a "
            "guest-defined resource (expected `stream`, found `other`)");
}

// ---------------------------------------------------------------------------------------------
// Against real core wasm (interpreter engine)

const char* wat_type(ValType t) {
  switch (t) {
    case ValType::I32:
      return "i32";
    case ValType::I64:
      return "i64";
    case ValType::F32:
      return "f32";
    case ValType::F64:
      return "f64";
    default:
      return "i32";
  }
}

std::string wat_list(const char* what, const std::vector<ValType>& ts) {
  if (ts.empty()) return "";
  std::string out = std::string(" (") + what;
  for (ValType t : ts) out += std::string(" ") + wat_type(t);
  return out + ")";
}

// A guest whose export `echo` (of component type ft) forwards its arguments to the lowered
// import `host.imp` of the same type, allocating the return area with its own bump realloc
// when results travel through memory. `post` counts post-return calls in global `posts`.
std::string echo_module(const FuncType& ft) {
  auto lift = flatten_func(ft, Direction::Lift);
  auto lower = flatten_func(ft, Direction::Lower);
  bool results_in_memory = flat_count(ft.results) > kMaxFlatResults;
  std::string args;
  for (size_t i = 0; i < lift.params.size(); ++i) args += " (local.get " + std::to_string(i) + ")";
  std::string body;
  if (results_in_memory) {
    body = "(local.set $ret (call $realloc (i32.const 0) (i32.const 0) (i32.const " +
           std::to_string(tuple_alignment(ft.results)) + ") (i32.const " +
           std::to_string(tuple_size(ft.results)) + ")))\n (call $imp" + args +
           " (local.get $ret))\n (local.get $ret)";
  } else {
    body = "(call $imp" + args + ")";
  }
  return R"((module
  (import "host" "imp" (func $imp)" +
         wat_list("param", lower.params) + wat_list("result", lower.results) + R"())
  (memory (export "mem") 1)
  (global $heap (mut i32) (i32.const 1024))
  (global $posts (export "posts") (mut i32) (i32.const 0))
  (func $realloc (export "realloc") (param $old i32) (param $old_size i32) (param $align i32)
      (param $new_size i32) (result i32)
    (local $ptr i32)
    (if (i32.and (i32.ne (local.get $old) (i32.const 0))
                 (i32.le_u (local.get $new_size) (local.get $old_size)))
      (then (return (local.get $old))))
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $new_size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.div_u (i32.sub (global.get $heap)
                                 (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536))
                                 (i32.const 1))))))
    (if (local.get $old) (then (memory.copy (local.get $ptr) (local.get $old) (local.get $old_size))))
    (local.get $ptr))
  (func (export "echo"))" +
         wat_list("param", lift.params) + wat_list("result", lift.results) + R"(
    (local $ret i32)
    )" + body +
         R"()
  (func (export "post"))" +
         wat_list("param", lift.results) + R"(
    (global.set $posts (i32.add (global.get $posts) (i32.const 1))))
))";
}

class EngineRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = wasm::make_engine(wasm::EngineKind::Interp);
    if (!engine.ok()) ACTR_SKIP_MISSING("interp engine unavailable: " << engine.error().message);
    engine_ = std::move(*engine);
  }

  // Instantiates the echo guest for ft and round-trips `v` through echo -> imp -> host.
  void roundtrip(const FuncType& ft, std::span<const Value> args, StringEncoding enc) {
    SCOPED_TRACE(flatten_func(ft, Direction::Lift).to_string());
    auto bytes = test::wat_to_wasm(echo_module(ft));
    ASSERT_FALSE(bytes.empty());
    auto module = engine_->compile(bytes);
    ASSERT_TRUE(module.ok()) << module.error().message;
    auto store = engine_->new_store();
    HandleTable handles;
    Options opts;
    opts.encoding = enc;
    opts.handles = &handles;
    std::vector<Value> seen;
    HostCallback host = [&](std::span<const Value> a, std::vector<Value>& r) -> Result<void> {
      seen.assign(a.begin(), a.end());
      r.assign(a.begin(), a.end());
      return {};
    };
    auto imp = store->host_func(flatten_func(ft, Direction::Lower), [&](const Slot* a, Slot* r) {
      return call_import(ft, opts, a, r, host);
    });
    wasm::Extern imports[] = {imp};
    auto instance = store->instantiate(**module, imports);
    ASSERT_TRUE(instance.ok()) << instance.error().message;
    auto get = [&](const char* name) { return (*instance)->get_export(name); };
    auto mem = std::get<std::shared_ptr<wasm::Memory>>(*get("mem"));
    auto realloc = std::get<std::shared_ptr<wasm::Func>>(*get("realloc"));
    auto echo = std::get<std::shared_ptr<wasm::Func>>(*get("echo"));
    auto post = std::get<std::shared_ptr<wasm::Func>>(*get("post"));
    auto posts = std::get<std::shared_ptr<wasm::Global>>(*get("posts"));
    opts.memory = mem.get();
    opts.realloc = realloc.get();
    Options export_opts = opts;
    export_opts.post_return = post.get();

    std::vector<Value> results;
    auto r = call_export(ft, *echo, export_opts, args, results);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(seen, std::vector<Value>(args.begin(), args.end()));
    EXPECT_EQ(results, std::vector<Value>(args.begin(), args.end()));
    EXPECT_EQ(posts->get(), 1u) << "post-return ran once";
  }

  std::unique_ptr<wasm::Engine> engine_;
};

std::vector<Param> params_of(const std::vector<TypeRef>& types) {
  std::vector<Param> ps;
  for (size_t i = 0; i < types.size(); ++i) ps.push_back({"p" + std::to_string(i), types[i]});
  return ps;
}

TEST_F(EngineRoundTrip, ScalarsStringsAndCompounds) {
  struct Case {
    TypeRef type;
    Value value;
  };
  auto rec = record_of({{"name", P(Kind::String)},
                        {"id", P(Kind::U64)},
                        {"tags", list_of(P(Kind::String))},
                        {"score", option_of(P(Kind::F32))}});
  auto var = variant_of(
      {{"i", P(Kind::S32)}, {"f", P(Kind::F64)}, {"s", P(Kind::String)}, {"e", nullptr}});
  std::vector<Case> cases = {
      {P(Kind::U8), Value::u8(200)},
      {P(Kind::S64), Value::s64(-1)},
      {P(Kind::F32), Value::f32v(-2.5f)},
      {P(Kind::F64), Value::f64v(1e-300)},
      {P(Kind::Char), Value::character(U'𓀀')},
      {P(Kind::String), Value::string("🚀🚀🚀 𠈄𓀀")},
      {P(Kind::String), Value::string("")},
      {list_of(P(Kind::U32)), Value::list({Value::u32(1), Value::u32(2), Value::u32(3)})},
      {rec, Value::record({Value::string("n"), Value::u64(9),
                           Value::list({Value::string("a"), Value::string("béta")}),
                           Value::some(Value::f32v(0.5f))})},
      {var, Value::variant(1, Value::f64v(-0.25))},
      {var, Value::variant(2, Value::string("payload"))},
      {result_of(P(Kind::String), P(Kind::U32)), Value::err(Value::u32(404))},
      {flags_of(names(20)), Value::flags(0x80001)},
      {tuple_of({P(Kind::U16), P(Kind::String)}),
       Value::tuple({Value::u16(7), Value::string("x")})},
  };
  for (auto enc : {StringEncoding::Utf8, StringEncoding::Utf16, StringEncoding::Latin1Utf16}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(to_wit(*c.type));
      FuncType ft{{{"x", c.type}}, {{"", c.type}}};
      roundtrip(ft, std::span(&c.value, 1), enc);
    }
  }
}

TEST_F(EngineRoundTrip, ManyArgumentsAndResults) {
  std::vector<TypeRef> types;
  std::vector<Value> values;
  for (int i = 0; i < 18; ++i) {
    types.push_back(i % 3 == 0 ? P(Kind::U64) : i % 3 == 1 ? P(Kind::String) : P(Kind::F32));
    values.push_back(i % 3 == 0   ? Value::u64(uint64_t(i) << 33)
                     : i % 3 == 1 ? Value::string("arg " + std::to_string(i))
                                  : Value::f32v(float(i) / 4));
  }
  FuncType ft{params_of(types), params_of(types)};
  roundtrip(ft, values, StringEncoding::Utf8);
  roundtrip(ft, values, StringEncoding::Latin1Utf16);
}

TEST_F(EngineRoundTrip, LargeListGrowsGuestMemory) {
  std::vector<Value> items;
  for (int i = 0; i < 5000; ++i)
    items.push_back(Value::string("element number " + std::to_string(i)));
  auto t = list_of(P(Kind::String));
  FuncType ft{{{"x", t}}, {{"", t}}};
  Value v = Value::list(items);
  roundtrip(ft, std::span(&v, 1), StringEncoding::Utf16);
}

// ---------------------------------------------------------------------------------------------
// Fixed-size lists (list<T, N>): laid out and flattened as a tuple of N elements

TEST(CanonicalFixedListTest, LayoutAndFlatteningAreThoseOfATuple) {
  auto l = fixed_list_of(P(Kind::U16), 3);
  auto t = tuple_of({P(Kind::U16), P(Kind::U16), P(Kind::U16)});
  EXPECT_EQ(size_of(*l), size_of(*t));
  EXPECT_EQ(alignment(*l), alignment(*t));
  EXPECT_EQ(flatten(*l), flatten(*t));
  EXPECT_EQ(flat_count(*l), 3u);
  auto s = fixed_list_of(P(Kind::String), 2);
  EXPECT_EQ(size_of(*s), 16u);
  EXPECT_EQ(alignment(*s), 4u);
  EXPECT_EQ(flat_count(*s), 4u);
  auto nested = fixed_list_of(fixed_list_of(P(Kind::U8), 3), 2);
  EXPECT_EQ(size_of(*nested), 6u);
  EXPECT_EQ(flatten(*nested).size(), 6u);
  // A long one counts past the flat limit without building anything.
  EXPECT_EQ(flat_count(*fixed_list_of(P(Kind::U64), 1000000), 16), 17u);
  FuncType big{{{"x", fixed_list_of(P(Kind::U32), 17)}}, {}};
  EXPECT_EQ(flatten_func(big, Direction::Lift).params, std::vector<ValType>{ValType::I32});
}

TEST(CanonicalFixedListTest, RoundTripsFlatAndThroughMemory) {
  auto u32x4 = fixed_list_of(P(Kind::U32), 4);
  Value v =
      Value::fixed_list({Value::u32(1), Value::u32(2), Value::u32(0xFFFFFFFF), Value::u32(0)});
  expect_roundtrip(u32x4, v);
  // 17 values: over the flat limit, passed through memory both ways.
  std::vector<Value> many;
  for (uint32_t i = 0; i < 17; ++i) many.push_back(Value::u32(i * 3));
  expect_roundtrip(fixed_list_of(P(Kind::U32), 17), Value::fixed_list(many));
  expect_roundtrip(fixed_list_of(P(Kind::String), 2),
                   Value::fixed_list({Value::string("é€"), Value::string("")}),
                   StringEncoding::Utf16);
  expect_roundtrip(fixed_list_of(option_of(P(Kind::U8)), 3),
                   Value::fixed_list({Value::some(Value::u8(7)), Value::none(), Value::none()}));
  expect_roundtrip(fixed_list_of(fixed_list_of(P(Kind::S8), 2), 2),
                   Value::fixed_list({Value::fixed_list({Value::s8(-1), Value::s8(1)}),
                                      Value::fixed_list({Value::s8(-128), Value::s8(127)})}));
  expect_roundtrip(
      record_of({{"a", P(Kind::U8)}, {"b", fixed_list_of(P(Kind::F64), 2)}}),
      Value::record({Value::u8(1), Value::fixed_list({Value::f64v(0.5), Value::f64v(-2)})}));
}

TEST(CanonicalFixedListTest, ElementsAreInlineFlatOrInMemory) {
  Guest g;
  // Flat: three i32 slots, no pointer (a u16 takes the low bits of its slot).
  auto l = fixed_list_of(P(Kind::U16), 3);
  EXPECT_EQ(*lift_param(g, l, {10, 20, 0x10030}),
            Value::fixed_list({Value::u16(10), Value::u16(20), Value::u16(0x30)}));
  // Over the flat limit: the parameters are a tuple in memory, the elements side by side.
  auto m = fixed_list_of(P(Kind::U32), 17);
  uint32_t p = g.alloc(4, 68);
  std::vector<Value> expected;
  for (uint32_t i = 0; i < 17; ++i) {
    g.put<uint32_t>(p + 4 * i, 100 + i);
    expected.push_back(Value::u32(100 + i));
  }
  EXPECT_EQ(*lift_param(g, m, {p}), Value::fixed_list(expected));
  EXPECT_FALSE(lift_param(g, m, {wasm::kPageSize - 8}).ok());
  // Inside a record: after the u8, at the list's alignment.
  auto r = record_of({{"x", P(Kind::U8)}, {"l", l}});
  EXPECT_EQ(size_of(*r), 8u);
  EXPECT_EQ(alignment(*r), 2u);
}

TEST(CanonicalFixedListTest, HostValuesMustHaveExactlyNElements) {
  auto l = fixed_list_of(P(Kind::U8), 3);
  EXPECT_TRUE(check_value(*l, Value::fixed_list({Value::u8(1), Value::u8(2), Value::u8(3)})).ok());
  auto r = check_value(*l, Value::fixed_list({Value::u8(1), Value::u8(2)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "`list<u8, 3>` value has 2 elements, its type has 3");
  Value big = Value::u8(0);
  big.u = 300;
  r = check_value(*l, Value::fixed_list({Value::u8(1), big, Value::u8(3)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "in list element 1: 300 is out of range for `u8`");
  r = check_value(*l, Value::list({Value::u8(1), Value::u8(2), Value::u8(3)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "expected `list<u8, 3>`, found a list value");
}

}  // namespace
}  // namespace actr::component::canonical
