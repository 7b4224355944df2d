// The node-to-node transport over loopback: a 64-byte call's round trip (median and p99 as
// counters) and throughput with 64 concurrent callers on one shared connection.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "net/transport.hpp"

namespace {

using namespace actr::net;
using Kind = actr::workload::Message::Kind;

TransportOptions bench_options(std::string node) {
  TransportOptions o;
  o.node_id = std::move(node);
  o.credential = [] { return Bytes{'k'}; };
  o.verify = [](std::span<const uint8_t>) -> actr::Result<PeerInfo> { return PeerInfo{}; };
  return o;
}

struct Loopback {
  std::unique_ptr<Transport> server;
  std::unique_ptr<Transport> client;
  std::shared_ptr<Peer> peer;

  Loopback() {
    auto s = bench_options("server");
    s.on_request = [](const PeerInfo&, Request request, Responder responder) {
      responder.reply(CallResult::Ok(std::move(request.message.payload)));
    };
    server = std::move(Transport::start(std::move(s))).value();
    client = std::move(Transport::start(bench_options("client"), "")).value();
    peer = client->peer(server->listen_address()).value();
  }
};

Request request64() {
  Request r;
  r.target.realm.realm_id = 1;
  r.target.serial_number = 2;
  r.target.type = {"acme", "echo", "0.1.0"};
  r.message.kind = Kind::Call;
  r.message.route_key = "echo";
  r.message.request_id = "bench-1";
  r.message.payload = Bytes(64, 'x');
  return r;
}

void BM_NetCallRoundTrip64(benchmark::State& state) {
  Loopback net;
  std::vector<double> micros;
  micros.reserve(1 << 20);
  for (auto _ : state) {
    auto started = std::chrono::steady_clock::now();
    std::promise<CallResult> done;
    net.peer->call(request64(), [&](CallResult r) { done.set_value(std::move(r)); });
    auto r = done.get_future().get();
    if (!r.is_ok()) state.SkipWithError("call failed");
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started)
            .count());
  }
  std::sort(micros.begin(), micros.end());
  if (!micros.empty()) {
    state.counters["median_us"] = micros[micros.size() / 2];
    state.counters["p99_us"] = micros[std::min(micros.size() - 1, micros.size() * 99 / 100)];
  }
}
BENCHMARK(BM_NetCallRoundTrip64)->UseRealTime();

// 64 callers, each issuing its next call when the previous reply arrives.
void BM_NetThroughput64Callers(benchmark::State& state) {
  constexpr int kCallers = 64;
  const int64_t per_iteration = 20000;
  // Declared before the transports: destroyed after their threads stopped, so no callback can
  // still be running inside `next`.
  std::atomic<int64_t> remaining{0};
  std::atomic<int> failures{0};
  std::mutex m;
  std::condition_variable cv;
  int finished_callers = 0;
  std::function<void()> next;
  Loopback net;
  next = [&] {
    if (remaining.fetch_sub(1) <= 0) {
      std::lock_guard lock(m);
      if (++finished_callers == kCallers) cv.notify_all();
      return;
    }
    net.peer->call(request64(), [&](CallResult r) {
      if (!r.is_ok()) failures++;
      next();
    });
  };
  for (auto _ : state) {
    remaining = per_iteration;
    {
      std::lock_guard lock(m);
      finished_callers = 0;
    }
    for (int i = 0; i < kCallers; ++i) next();
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return finished_callers == kCallers; });
  }
  if (failures) state.SkipWithError("calls failed");
  state.SetItemsProcessed(state.iterations() * per_iteration);
}
BENCHMARK(BM_NetThroughput64Callers)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
