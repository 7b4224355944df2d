// Core engine costs, aot and interp side by side: an empty export call (Func::call, and the aot
// typed path), a host import round trip, a hash loop against the same loop in native C++, and
// compiling a large module cold versus loading it from the aot cache.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "wabt/binary-writer.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"
#include "wasm/aot/aot_engine.hpp"

namespace {

using namespace actr::wasm;
namespace fs = std::filesystem;

std::vector<uint8_t> wat_to_wasm(const std::string& wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("bench.wat", wat.data(), wat.size(), &errors);
  wabt::Features features;
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options))) abort();
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, true, false, false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) abort();
  return std::move(stream.output_buffer().data);
}

fs::path bench_cache_dir() { return fs::temp_directory_path() / "actr-engine-bench-cache"; }

std::unique_ptr<Engine> engine_for(EngineKind kind, std::optional<fs::path> cache = std::nullopt) {
  EngineOptions options;
  options.cache_dir = cache ? *cache : bench_cache_dir();
  auto engine = make_engine(kind, options);
  if (!engine) return nullptr;
  return std::move(*engine);
}

const char* kWat = R"(
  (module
    (import "host" "nop" (func $nop))
    (func (export "empty"))
    (func (export "call_host") (param $n i32)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (call $nop)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l))))
    (func (export "hash") (param $n i32) (result i32)
      (local $h i32) (local $i i32)
      (local.set $h (i32.const 0x811c9dc5))
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.and (local.get $i) (i32.const 0xff)))
                               (i32.const 0x01000193)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.get $h)))
)";

// One engine, store and instance of kWat per engine kind, shared by the benchmarks.
struct Fixture {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Store> store;
  std::shared_ptr<Instance> instance;
  std::shared_ptr<Func> host_nop;

  static Fixture* get(EngineKind kind) {
    static Fixture* fixtures[2] = {nullptr, nullptr};
    Fixture*& f = fixtures[kind == EngineKind::Aot ? 0 : 1];
    if (f == nullptr) {
      f = new Fixture;
      f->engine = engine_for(kind);
      if (!f->engine) return f;
      StoreLimits limits;
      limits.deadline = std::chrono::nanoseconds(0);  // measure the call, not the watchdog
      f->store = f->engine->new_store(limits);
      f->host_nop =
          f->store->host_func(FuncType{}, [](const Slot*, Slot*) { return actr::Result<void>(); });
      auto module = f->engine->compile(wat_to_wasm(kWat));
      if (!module) abort();
      std::vector<Extern> imports = {f->host_nop};
      auto instance = f->store->instantiate(**module, imports);
      if (!instance) abort();
      f->instance = *instance;
    }
    return f;
  }

  std::shared_ptr<Func> func(const char* name) {
    return std::get<std::shared_ptr<Func>>(*instance->get_export(name));
  }
};

bool skip_unavailable(benchmark::State& state, Fixture* f) {
  if (f->engine) return false;
  state.SkipWithError("engine unavailable");
  return true;
}

void BM_EmptyCall(benchmark::State& state, EngineKind kind) {
  Fixture* f = Fixture::get(kind);
  if (skip_unavailable(state, f)) return;
  auto empty = f->func("empty");
  for (auto _ : state) {
    if (!empty->call(nullptr, nullptr).ok()) state.SkipWithError("trap");
  }
}
BENCHMARK_CAPTURE(BM_EmptyCall, interp, EngineKind::Interp);
BENCHMARK_CAPTURE(BM_EmptyCall, aot, EngineKind::Aot);

void BM_EmptyCallTyped(benchmark::State& state) {
  Fixture* f = Fixture::get(EngineKind::Aot);
  if (skip_unavailable(state, f)) return;
  auto empty = AotTypedFunc<void()>::bind(f->func("empty"));
  if (!empty) return state.SkipWithError(empty.error().message.c_str());
  for (auto _ : state) {
    if (!(*empty)().ok()) state.SkipWithError("trap");
  }
}
BENCHMARK(BM_EmptyCallTyped)->Name("BM_EmptyCall/aot_typed");

// Guest -> host -> guest, repeated inside one guest entry; reported per round trip.
void BM_HostRoundTrip(benchmark::State& state, EngineKind kind) {
  Fixture* f = Fixture::get(kind);
  if (skip_unavailable(state, f)) return;
  auto call_host = f->func("call_host");
  Slot n = 1000;
  for (auto _ : state) {
    if (!call_host->call(&n, nullptr).ok()) state.SkipWithError("trap");
  }
  state.counters["per_round_trip"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * n,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_HostRoundTrip, interp, EngineKind::Interp);
BENCHMARK_CAPTURE(BM_HostRoundTrip, aot, EngineKind::Aot);

constexpr uint32_t kHashIterations = 1'000'000;

void BM_HashLoop(benchmark::State& state, EngineKind kind) {
  Fixture* f = Fixture::get(kind);
  if (skip_unavailable(state, f)) return;
  auto hash = f->func("hash");
  Slot n = kHashIterations, result = 0;
  for (auto _ : state) {
    if (!hash->call(&n, &result).ok()) state.SkipWithError("trap");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK_CAPTURE(BM_HashLoop, interp, EngineKind::Interp)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HashLoop, aot, EngineKind::Aot)->Unit(benchmark::kMillisecond);

void BM_HashLoopNative(benchmark::State& state) {
  uint32_t n = kHashIterations;
  for (auto _ : state) {
    benchmark::DoNotOptimize(n);
    uint32_t h = 0x811c9dc5;
    for (uint32_t i = 0; i < n; ++i) h = (h ^ (i & 0xff)) * 0x01000193;
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_HashLoopNative)->Name("BM_HashLoop/native")->Unit(benchmark::kMillisecond);

// ~250 KB of code: many functions of straight-line arithmetic with loops and calls.
std::vector<uint8_t> large_module(uint64_t seed) {
  std::string wat = "(module (memory 1)\n";
  for (int f = 0; f < 900; ++f) {
    wat += "(func $f" + std::to_string(f) + " (export \"f" + std::to_string(f) +
           "\") (param $a i32) (param $b i32) (result i32) (local $i i32) (local $acc i32)\n";
    wat += "(local.set $acc (i32.const " + std::to_string(seed % 1000 + f) + "))\n";
    wat += "(block $done (loop $l (br_if $done (i32.ge_u (local.get $i) (local.get $b)))\n";
    for (int k = 0; k < 12; ++k) {
      wat += "(local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const " +
             std::to_string(31 + k) +
             ")) (i32.xor (local.get $a) (i32.load offset=" + std::to_string(4 * k) +
             " (i32.and (local.get $i) (i32.const 1023))))))\n";
    }
    wat += "(local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))\n";
    if (f > 0) {
      wat += "(local.set $acc (i32.add (local.get $acc) (call $f" + std::to_string(f - 1) +
             " (local.get $acc) (i32.const 0))))\n";
    }
    wat += "(local.get $acc))\n";
  }
  return wat_to_wasm(wat + ")");
}

void BM_LargeModuleColdCompile(benchmark::State& state, EngineKind kind) {
  fs::path scratch =
      fs::temp_directory_path() / ("actr-engine-bench-cold-" + std::to_string(getpid()));
  auto engine = engine_for(kind, scratch);
  if (!engine) return state.SkipWithError("engine unavailable");
  uint64_t seed =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  size_t bytes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto module_bytes = large_module(seed++);  // never seen before: nothing cached
    bytes = module_bytes.size();
    state.ResumeTiming();
    auto module = engine->compile(module_bytes);
    if (!module) state.SkipWithError(module.error().message.c_str());
  }
  state.counters["module_bytes"] = static_cast<double>(bytes);
  fs::remove_all(scratch);
}
BENCHMARK_CAPTURE(BM_LargeModuleColdCompile, interp, EngineKind::Interp)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK_CAPTURE(BM_LargeModuleColdCompile, aot, EngineKind::Aot)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

// What a new process pays for a module compiled before: hash, read its shape, dlopen.
void BM_LargeModuleCacheHit(benchmark::State& state) {
  auto engine = engine_for(EngineKind::Aot);
  if (!engine) return state.SkipWithError("engine unavailable");
  auto module_bytes = large_module(42);
  if (!engine->compile(module_bytes)) return state.SkipWithError("compile failed");  // warm
  for (auto _ : state) {
    auto module = engine->compile(module_bytes);  // the previous one is gone: a fresh dlopen
    if (!module) state.SkipWithError(module.error().message.c_str());
  }
  state.counters["module_bytes"] = static_cast<double>(module_bytes.size());
}
BENCHMARK(BM_LargeModuleCacheHit)
    ->Name("BM_LargeModuleCacheHit/aot")
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
