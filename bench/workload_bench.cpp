// A host -> guest `dispatch` of a 64-byte payload to examples/echo (build/guests/echo.wasm, the
// SDK's echo route) through the seed world's generated host bindings (actr-witgen --host): typed
// arguments in, typed reply out, on both engines. The echo workload logs every call; the host's
// log-message here does nothing, so the figure is the dispatch path itself. The proxy takes the
// bindings' fast path (ExportedFunc::call_raw, Abi<T> over the guest's memory).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "actr_workload_guest_host.hpp"

namespace {

namespace types = ::actr::workload::types;
using Proxy = ::actr::workload::exports::workload::Proxy;
using Bytes = std::vector<uint8_t>;
template <class T>
using WitResult = ::actr::wit::Result<T, types::ActrError>;

// log-message is free; the echo route asks nothing else of the host.
class QuietHost : public ::actr::workload::host::Host {
 public:
  actr::Result<WitResult<Bytes>> call(const types::Dest&, const std::string&,
                                      const Bytes&) override {
    return unused();
  }
  actr::Result<WitResult<void>> tell(const types::Dest&, const std::string&,
                                     const Bytes&) override {
    return unused();
  }
  actr::Result<WitResult<Bytes>> call_raw(const types::ActrId&, const std::string&,
                                          const Bytes&) override {
    return unused();
  }
  actr::Result<WitResult<types::ActrId>> discover(const types::ActrType&) override {
    return unused();
  }
  actr::Result<WitResult<void>> register_stream(const std::string&) override { return unused(); }
  actr::Result<WitResult<void>> unregister_stream(const std::string&) override { return unused(); }
  actr::Result<WitResult<void>> send_data_stream(const types::Dest&, const types::DataStream&,
                                                 const types::PayloadType&) override {
    return unused();
  }
  actr::Result<void> log_message(const std::string&, const std::string&) override { return {}; }
  actr::Result<types::ActrId> get_self_id() override { return unused(); }
  actr::Result<std::optional<types::ActrId>> get_caller_id() override { return unused(); }
  actr::Result<std::string> get_request_id() override { return unused(); }

 private:
  static actr::Error unused() { return actr::make_error("not used by the echo route"); }
};

void BM_WorkloadDispatch64(benchmark::State& state, actr::wasm::EngineKind kind) {
  auto engine = actr::wasm::make_engine(kind);
  if (!engine) return state.SkipWithError(engine.error().message.c_str());
  std::string path = std::string(ACTR_BENCH_BINARY_DIR) + "/guests/echo.wasm";
  auto component = actr::component::Component::load_file(**engine, path);
  if (!component) return state.SkipWithError(component.error().message.c_str());
  actr::component::Linker linker(**engine);
  ::actr::workload::host::add_to_linker(linker, std::make_shared<QuietHost>());
  auto instance = linker.instantiate(**component);
  if (!instance) return state.SkipWithError(instance.error().message.c_str());
  auto proxy = Proxy::bind(**instance);
  if (!proxy) return state.SkipWithError(proxy.error().message.c_str());

  const types::RpcEnvelope envelope{"req-1", "echo", Bytes(64, 0x5a)};
  for (auto _ : state) {
    auto reply = proxy->dispatch(envelope);
    if (!reply || !reply->is_ok() || reply->value().size() != 64) {
      return state.SkipWithError(reply ? "dispatch answered an error"
                                       : reply.error().message.c_str());
    }
    benchmark::DoNotOptimize(reply);
  }
}

// The same call through component::Instance with prepared values: the dynamic Value path that
// the typed proxy's fast path (direct lowering and lifting in guest memory) replaces. The echo
// guest's log-message import takes the bindings' fast path in both.
void BM_WorkloadDispatch64Values(benchmark::State& state, actr::wasm::EngineKind kind) {
  auto engine = actr::wasm::make_engine(kind);
  if (!engine) return state.SkipWithError(engine.error().message.c_str());
  std::string path = std::string(ACTR_BENCH_BINARY_DIR) + "/guests/echo.wasm";
  auto component = actr::component::Component::load_file(**engine, path);
  if (!component) return state.SkipWithError(component.error().message.c_str());
  actr::component::Linker linker(**engine);
  ::actr::workload::host::add_to_linker(linker, std::make_shared<QuietHost>());
  auto instance = linker.instantiate(**component);
  if (!instance) return state.SkipWithError(instance.error().message.c_str());
  auto* dispatch = (*instance)->func("actr:workload/workload@0.1.0#dispatch");
  if (!dispatch) return state.SkipWithError("no dispatch export");

  const std::vector<actr::component::Value> args{::actr::wit::host::Conv<types::RpcEnvelope>::to(
      types::RpcEnvelope{"req-1", "echo", Bytes(64, 0x5a)})};
  for (auto _ : state) {
    auto reply = dispatch->call(args);
    if (!reply || reply->size() != 1 || !(*reply)[0].is_ok) {
      return state.SkipWithError(reply ? "dispatch answered an error"
                                       : reply.error().message.c_str());
    }
    benchmark::DoNotOptimize(reply);
  }
}

BENCHMARK_CAPTURE(BM_WorkloadDispatch64, aot, actr::wasm::EngineKind::Aot);
BENCHMARK_CAPTURE(BM_WorkloadDispatch64Values, aot, actr::wasm::EngineKind::Aot);
BENCHMARK_CAPTURE(BM_WorkloadDispatch64Values, interp, actr::wasm::EngineKind::Interp);
BENCHMARK_CAPTURE(BM_WorkloadDispatch64, interp, actr::wasm::EngineKind::Interp);

}  // namespace

BENCHMARK_MAIN();
