// wasi:random: random, insecure, insecure-seed.
#include "wasi/host.hpp"
#include "wasi/interface_builder.hpp"

namespace actr::wasi {

using component::Kind;
using component::primitive;
using component::Value;
using Args = std::span<const Value>;

namespace {

// WASI promises exactly `len` bytes; beyond this a request is treated as a guest bug (a trap)
// rather than an attempt to exhaust host memory.
constexpr uint64_t kMaxRandomBytes = 16 * 1024 * 1024;

Result<void> check_len(uint64_t len, const char* what) {
  if (len <= kMaxRandomBytes) return {};
  return make_error(std::string(what) + ": " + std::to_string(len) +
                    " bytes requested, more than the host's limit of " +
                    std::to_string(kMaxRandomBytes));
}

}  // namespace

void add_random(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  auto u64 = primitive(Kind::U64);
  auto bytes = component::list_of(primitive(Kind::U8));

  InterfaceBuilder random(linker, "wasi:random/random");
  random.func("get-random-bytes", {{"len", u64}}, bytes, [](Args args) -> Result<Value> {
    ACTR_TRY_VOID(check_len(args[0].u, "get-random-bytes"));
    std::vector<uint8_t> buf(args[0].u);
    ACTR_TRY_VOID(secure_random_fill(buf.data(), buf.size()));
    return Value::bytes(buf.data(), buf.size());
  });
  random.func("get-random-u64", {}, u64, [](Args) -> Result<Value> {
    ACTR_TRY(uint64_t v, secure_random_u64());
    return Value::u64(v);
  });

  InterfaceBuilder insecure(linker, "wasi:random/insecure");
  insecure.func("get-insecure-random-bytes", {{"len", u64}}, bytes,
                [host](Args args) -> Result<Value> {
                  ACTR_TRY_VOID(check_len(args[0].u, "get-insecure-random-bytes"));
                  std::vector<uint8_t> buf(args[0].u);
                  host->state().insecure_random().fill(buf.data(), buf.size());
                  return Value::bytes(buf.data(), buf.size());
                });
  insecure.func("get-insecure-random-u64", {}, u64, [host](Args) -> Result<Value> {
    return Value::u64(host->state().insecure_random().next());
  });

  InterfaceBuilder(linker, "wasi:random/insecure-seed")
      .func("insecure-seed", {}, component::tuple_of({u64, u64}), [host](Args) -> Result<Value> {
        auto [a, b] = host->state().insecure_seed();
        return Value::tuple({Value::u64(a), Value::u64(b)});
      });
}

}  // namespace actr::wasi
