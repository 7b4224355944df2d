#include <set>

#include "wasi_harness.hpp"

namespace actr::wasi::test {
namespace {

using component::Kind;
using component::Value;

void expect_random_bytes(WasiHarness& h, const char* interface, const char* func) {
  for (uint64_t len : {0u, 1u, 7u, 64u, 4096u}) {
    Value v = h.ok(interface, func, {Value::u64(len)});
    ASSERT_EQ(v.kind, Kind::List);
    EXPECT_EQ(v.list_size(), len) << func;
    std::string bytes;
    EXPECT_TRUE(v.copy_bytes(bytes)) << func << " did not return a list<u8>";
  }
  std::string a = string_of(h.ok(interface, func, {Value::u64(32)}));
  std::string b = string_of(h.ok(interface, func, {Value::u64(32)}));
  EXPECT_NE(a, b) << func << " repeated itself";
  // 4096 random bytes take (nearly) every byte value.
  std::set<char> seen;
  for (char c : string_of(h.ok(interface, func, {Value::u64(4096)}))) seen.insert(c);
  EXPECT_GT(seen.size(), 200u) << func;

  auto huge = h.call(interface, func, {Value::u64(~0ull)});
  ASSERT_FALSE(huge.ok()) << "an absurd length must trap, not exhaust memory";
  EXPECT_NE(huge.error().message.find("limit"), std::string::npos);
}

TEST(WasiRandom, SecureBytes) {
  WasiHarness h;
  expect_random_bytes(h, "wasi:random/random", "get-random-bytes");
}

TEST(WasiRandom, InsecureBytes) {
  WasiHarness h;
  expect_random_bytes(h, "wasi:random/insecure", "get-insecure-random-bytes");
}

TEST(WasiRandom, U64sVary) {
  WasiHarness h;
  std::set<uint64_t> secure, insecure;
  for (int i = 0; i < 16; ++i) {
    secure.insert(h.ok("wasi:random/random", "get-random-u64").u);
    insecure.insert(h.ok("wasi:random/insecure", "get-insecure-random-u64").u);
  }
  EXPECT_EQ(secure.size(), 16u);
  EXPECT_EQ(insecure.size(), 16u);
}

TEST(WasiRandom, InsecureSeedIsFixedPerInstance) {
  WasiHarness h, other;
  Value seed = h.ok("wasi:random/insecure-seed", "insecure-seed");
  ASSERT_EQ(seed.kind, Kind::Tuple);
  ASSERT_EQ(seed.items.size(), 2u);
  EXPECT_EQ(h.ok("wasi:random/insecure-seed", "insecure-seed"), seed);
  EXPECT_NE(other.ok("wasi:random/insecure-seed", "insecure-seed"), seed);
}

}  // namespace
}  // namespace actr::wasi::test
