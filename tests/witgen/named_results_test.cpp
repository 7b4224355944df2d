// Named results (`-> (q: u32, r: u32)`, a std::tuple in C++) and maps in the host bindings of
// tests/witgen/named/named.wit: the component types the bindings declare, and the generated
// import functions on both of their paths (Values, and the raw fast path over an engine memory).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "named_host.hpp"

namespace actr::witgen {
namespace {

using ::actr::component::canonical::GuestMemory;
using ::actr::wit::host::Slot;
using component::Value;
namespace calc = ::actr::named::calc;

class Calc : public calc::Host {
 public:
  actr::Result<std::tuple<uint32_t, uint32_t>> divmod(uint32_t a, uint32_t b) override {
    if (b == 0) return make_error("division by zero");
    return std::tuple<uint32_t, uint32_t>{a / b, a % b};
  }
  actr::Result<std::tuple<std::string, std::string>> split(const std::string& s) override {
    auto at = s.find(' ');
    if (at == std::string::npos) return std::tuple<std::string, std::string>{s, ""};
    return std::tuple<std::string, std::string>{s.substr(0, at), s.substr(at + 1)};
  }
  actr::Result<std::tuple<uint64_t>> one() override { return std::tuple<uint64_t>{1}; }
  actr::Result<::actr::wit::Map<std::string, uint32_t>> tally(
      const std::vector<std::string>& words) override {
    ::actr::wit::Map<std::string, uint32_t> out;
    for (const auto& w : words) {
      bool found = false;
      for (auto& [k, n] : out) {
        if (k == w) {
          ++n;
          found = true;
        }
      }
      if (!found) out.emplace_back(w, 1);
    }
    return out;
  }
};

class NamedResults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto engine = wasm::make_engine(wasm::EngineKind::Interp);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    linker_ = std::make_unique<component::Linker>(*engine_);
    calc::add_to_linker(*linker_, std::make_shared<Calc>());
  }
  const component::Linker::HostFuncDef& def(const char* name) {
    return linker_->definitions().at("actr:named/calc@0.1.0").funcs.at(name);
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::unique_ptr<component::Linker> linker_;
};

TEST_F(NamedResults, TheComponentTypeNamesEachResult) {
  const component::FuncType& type = def("divmod").type;
  ASSERT_EQ(type.results.size(), 2u);
  EXPECT_EQ(type.results[0].name, "q");
  EXPECT_EQ(type.results[1].name, "r");
  EXPECT_EQ(type.results[0].type->kind, component::Kind::U32);
  const component::FuncType& tally = def("tally").type;
  ASSERT_EQ(tally.results.size(), 1u);
  EXPECT_EQ(tally.results[0].type->kind, component::Kind::Map);
}

TEST_F(NamedResults, ValuePathGivesOneValuePerResult) {
  std::vector<Value> results;
  std::vector<Value> args{Value::u32(17), Value::u32(5)};
  ASSERT_TRUE(def("divmod").fn(args, results).ok());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].u, 3u);
  EXPECT_EQ(results[1].u, 2u);

  results.clear();
  std::vector<Value> text{Value::string("hello big world")};
  ASSERT_TRUE(def("split").fn(text, results).ok());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].str, "hello");
  EXPECT_EQ(results[1].str, "big world");

  results.clear();
  std::vector<Value> words{
      Value::list({Value::string("a"), Value::string("b"), Value::string("a")})};
  ASSERT_TRUE(def("tally").fn(words, results).ok());
  ASSERT_EQ(results.size(), 1u);
  ASSERT_EQ(results[0].kind, component::Kind::Map);
  ASSERT_EQ(results[0].items.size(), 2u);
  EXPECT_EQ(results[0].items[0].items[0].str, "a");
  EXPECT_EQ(results[0].items[0].items[1].u, 2u);

  // a host error stays an error
  std::vector<Value> zero{Value::u32(1), Value::u32(0)};
  results.clear();
  auto r = def("divmod").fn(zero, results);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "division by zero");
}

TEST_F(NamedResults, FastPathWritesTheResultsTupleThroughTheReturnPointer) {
  // (module (memory (export "memory") 1))
  const uint8_t module_bytes[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05,
                                  0x03, 0x01, 0x00, 0x01, 0x07, 0x0a, 0x01, 0x06, 'm',
                                  'e',  'm',  'o',  'r',  'y',  0x02, 0x00};
  auto module = engine_->compile(module_bytes);
  ASSERT_TRUE(module.ok()) << module.error().message;
  auto store = engine_->new_store();
  auto instance = store->instantiate(**module, {});
  ASSERT_TRUE(instance.ok()) << instance.error().message;
  auto memory = std::get<std::shared_ptr<wasm::Memory>>(*(*instance)->get_export("memory"));
  GuestMemory m(memory.get(), nullptr, nullptr);

  // divmod: two i32 results, so through a return pointer (the last core argument)
  const auto& divmod = def("divmod").raw;
  ASSERT_TRUE(divmod);
  Slot args[3] = {17, 5, 64};
  ASSERT_TRUE(divmod(m, args, nullptr).ok());
  uint32_t q, r;
  std::memcpy(&q, memory->data() + 64, 4);
  std::memcpy(&r, memory->data() + 68, 4);
  EXPECT_EQ(q, 3u);
  EXPECT_EQ(r, 2u);
  Slot unaligned[3] = {17, 5, 66};
  auto bad = divmod(m, unaligned, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "unaligned pointer");

  // one: a single named result is one flat value, returned directly
  const auto& one = def("one").raw;
  Slot result[1] = {0};
  ASSERT_TRUE(one(m, nullptr, result).ok());
  EXPECT_EQ(result[0], 1u);

  // tally: a map argument lifted from memory; its result needs the guest's realloc
  const char text[] = "aba";
  std::memcpy(memory->data() + 200, text, 3);
  uint32_t list[] = {200, 1, 201, 1, 202, 1};  // three strings of one byte
  std::memcpy(memory->data() + 256, list, sizeof list);
  Slot tally_args[3] = {256, 3, 512};
  auto no_realloc = def("tally").raw(m, tally_args, nullptr);
  ASSERT_FALSE(no_realloc.ok());
  EXPECT_NE(no_realloc.error().message.find("realloc"), std::string::npos);
}

TEST_F(NamedResults, MapsConvertInOrderWithDuplicates) {
  using Map = ::actr::wit::Map<std::string, uint32_t>;
  using ::actr::wit::host::Conv;
  Map m{{"x", 1}, {"y", 2}, {"x", 3}};
  Value v = Conv<Map>::to(m);
  ASSERT_EQ(v.kind, component::Kind::Map);
  auto back = Conv<Map>::from(v);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == m);
  ASSERT_NE(back->find("x"), nullptr);
  EXPECT_EQ(*back->find("x"), 1u);
  EXPECT_EQ(back->find("z"), nullptr);
  EXPECT_FALSE(Conv<Map>::from(Value::u32(1)).ok());
}

}  // namespace
}  // namespace actr::witgen
