// Component-level costs on both engines, side by side: a host -> guest `dispatch` round trip of
// the actr world with a 64-byte payload (the guest's `echo` route, which also calls the host's
// log-message once), a call of a scalar export, and instantiating an already compiled component.
// Guests come from the normal build (build/guests/*.wasm).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "support/actr_types.hpp"

namespace {

using namespace actr;
using component::Value;

std::string guest(const char* name) {
  return std::string(ACTR_BENCH_BINARY_DIR) + "/guests/" + name + ".wasm";
}

struct Loaded {
  std::unique_ptr<wasm::Engine> engine;
  std::shared_ptr<const component::Component> component;
  std::unique_ptr<component::Linker> linker;
  std::unique_ptr<component::Instance> instance;
};

// Links the actr host imports as cheap host functions (log-message does nothing; the others trap:
// the echo route does not call them).
bool load(benchmark::State& state, wasm::EngineKind kind, const char* name, Loaded& out) {
  auto engine = wasm::make_engine(kind);
  if (!engine) {
    state.SkipWithError(engine.error().message.c_str());
    return false;
  }
  out.engine = std::move(*engine);
  auto c = component::Component::load_file(*out.engine, guest(name));
  if (!c) {
    state.SkipWithError(c.error().message.c_str());
    return false;
  }
  out.component = *c;
  out.linker = std::make_unique<component::Linker>(*out.engine);
  for (const auto& f : test::workload_host_funcs()) {
    out.linker->func(test::kWorkloadHostInterface, f.name, f.type,
                     [name = f.name](std::span<const Value>, std::vector<Value>&) -> Result<void> {
                       if (name == "log-message") return {};
                       return make_error(name + " is not used by this benchmark");
                     });
  }
  auto inst = out.linker->instantiate(*out.component);
  if (!inst) {
    state.SkipWithError(inst.error().message.c_str());
    return false;
  }
  out.instance = std::move(*inst);
  return true;
}

void BM_Dispatch64(benchmark::State& state, wasm::EngineKind kind) {
  Loaded l;
  if (!load(state, kind, "workload_all", l)) return;
  auto* dispatch = l.instance->func("actr:workload/workload@0.1.0#dispatch");
  test::RpcEnvelope env;
  env.request_id = "r-1";
  env.route_key = "echo";
  env.payload.assign(64, 0x5a);
  Value arg = test::to_value(env);
  for (auto _ : state) {
    auto r = dispatch->call({&arg, 1});
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
  }
}

void BM_ScalarCall(benchmark::State& state, wasm::EngineKind kind) {
  Loaded l;
  if (!load(state, kind, "adder", l)) return;
  auto* add = l.instance->func("docs:adder/add@0.1.0#add");
  Value args[2] = {Value::u32(1), Value::u32(2)};
  for (auto _ : state) {
    auto r = add->call(args);
    benchmark::DoNotOptimize(r);
  }
}

// The canonical ABI alone: a 64-byte list<u8> in and out of a guest that returns it unchanged.
void BM_Bytes64(benchmark::State& state, wasm::EngineKind kind) {
  Loaded l;
  if (!load(state, kind, "adder", l)) return;
  auto* echo = l.instance->func("docs:adder/add@0.1.0#echo");
  std::vector<uint8_t> payload(64, 0x5a);
  Value arg = Value::bytes(payload.data(), payload.size());
  for (auto _ : state) {
    auto r = echo->call({&arg, 1});
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(r);
  }
}

void BM_Instantiate(benchmark::State& state, wasm::EngineKind kind) {
  Loaded l;
  if (!load(state, kind, "workload_all", l)) return;
  for (auto _ : state) {
    auto inst = l.linker->instantiate(*l.component);
    if (!inst) {
      state.SkipWithError(inst.error().message.c_str());
      return;
    }
    benchmark::DoNotOptimize(inst);
  }
}

BENCHMARK_CAPTURE(BM_Dispatch64, aot, wasm::EngineKind::Aot);
BENCHMARK_CAPTURE(BM_Dispatch64, interp, wasm::EngineKind::Interp);
BENCHMARK_CAPTURE(BM_Bytes64, aot, wasm::EngineKind::Aot);
BENCHMARK_CAPTURE(BM_Bytes64, interp, wasm::EngineKind::Interp);
BENCHMARK_CAPTURE(BM_ScalarCall, aot, wasm::EngineKind::Aot);
BENCHMARK_CAPTURE(BM_ScalarCall, interp, wasm::EngineKind::Interp);
BENCHMARK_CAPTURE(BM_Instantiate, aot, wasm::EngineKind::Aot);
BENCHMARK_CAPTURE(BM_Instantiate, interp, wasm::EngineKind::Interp);

}  // namespace

BENCHMARK_MAIN();
