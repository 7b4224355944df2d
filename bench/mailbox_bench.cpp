// The durable mailbox store: group-committed appends (several producers, 64-byte bodies), the
// append + complete cycle of a delivered message, and the round trip of one synchronous append.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <memory>
#include <semaphore>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "runtime/mailbox/mailbox_store.hpp"

namespace {

using actr::runtime::AppendOutcome;
using actr::runtime::MailboxStore;
using actr::runtime::StoredMessage;

// A store in a fresh temporary directory, removed afterwards.
struct TempStore {
  explicit TempStore(std::chrono::microseconds commit_window, bool synchronous_full = false) {
    std::string pattern = (std::filesystem::temp_directory_path() / "actr-mbench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) return;
    dir = pattern;
    actr::runtime::MailboxStoreOptions options;
    options.path = dir / actr::runtime::kMailboxFileName;
    options.commit_window = commit_window;
    options.synchronous_full = synchronous_full;
    auto opened = MailboxStore::open(options);
    if (opened) store = std::move(opened).value();
  }
  ~TempStore() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
  std::unique_ptr<MailboxStore> store;
};

StoredMessage message(int producer, int64_t n) {
  StoredMessage m;
  m.mailbox = "bench#" + std::to_string(producer);
  m.request_id = "req-" + std::to_string(n);
  m.body.assign(64, 0x5a);
  return m;
}

// Each of `producers` threads appends `per_producer` messages asynchronously, keeping at most
// `window` of its own in flight (as a node's connections would), and `on_done` sees each outcome.
template <typename OnDone>
void produce(MailboxStore& store, int producers, int per_producer, std::atomic<int64_t>& next,
             OnDone on_done) {
  constexpr int kWindow = 512;
  std::latch all_done(static_cast<std::ptrdiff_t>(producers) * per_producer);
  // Outlive every callback (they release after the producers finished).
  std::vector<std::unique_ptr<std::counting_semaphore<kWindow>>> windows;
  for (int p = 0; p < producers; ++p)
    windows.push_back(std::make_unique<std::counting_semaphore<kWindow>>(kWindow));
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      auto& in_flight = *windows[p];
      for (int i = 0; i < per_producer; ++i) {
        in_flight.acquire();
        store.append(message(p, next++), [&](actr::Result<AppendOutcome> r) {
          on_done(r);
          in_flight.release();
          all_done.count_down();
        });
      }
    });
  for (auto& t : threads) t.join();
  all_done.wait();
}

// Arguments: producers, commit window (µs), synchronous_full.
void BM_DurableAppend(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  const int per_producer = 20'000 / producers;
  TempStore temp(std::chrono::microseconds(state.range(1)), state.range(2) != 0);
  if (!temp.store) return state.SkipWithError("cannot open the store");
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> failures{0};
  for (auto _ : state)
    produce(*temp.store, producers, per_producer, next,
            [&](const actr::Result<AppendOutcome>& r) { failures += !r.ok(); });
  if (failures) state.SkipWithError("appends failed");
  state.SetItemsProcessed(state.iterations() * producers * per_producer);
}
BENCHMARK(BM_DurableAppend)
    ->ArgNames({"producers", "window_us", "full_sync"})
    ->Args({1, 500, 0})
    ->Args({4, 500, 0})
    ->Args({8, 500, 0})
    ->Args({4, 0, 0})
    ->Args({4, 500, 1})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Append, then complete once it is durable (what the runtime does per delivered message).
void BM_AppendCompleteCycle(benchmark::State& state) {
  const int producers = static_cast<int>(state.range(0));
  const int per_producer = 20'000 / producers;
  TempStore temp(std::chrono::microseconds(500));
  if (!temp.store) return state.SkipWithError("cannot open the store");
  MailboxStore& store = *temp.store;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> failures{0};
  for (auto _ : state) {
    produce(store, producers, per_producer, next, [&](const actr::Result<AppendOutcome>& r) {
      if (r.ok())
        store.complete(r->id);
      else
        ++failures;
    });
    if (!store.flush()) ++failures;
  }
  if (failures) state.SkipWithError("appends or completes failed");
  state.SetItemsProcessed(state.iterations() * producers * per_producer);
}
BENCHMARK(BM_AppendCompleteCycle)->Arg(1)->Arg(4)->UseRealTime()->Unit(benchmark::kMillisecond);

// One append_sync round trip: the acknowledgement latency of a lone message, with the default
// commit window and with none.
void BM_AppendSyncLatency(benchmark::State& state) {
  TempStore temp(std::chrono::microseconds(state.range(0)));
  if (!temp.store) return state.SkipWithError("cannot open the store");
  int64_t n = 0;
  for (auto _ : state) {
    auto r = temp.store->append_sync(message(0, n++));
    if (!r) return state.SkipWithError(r.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendSyncLatency)->Arg(0)->Arg(500)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
