// The node runtime: actor -> actor `call` round trips on one node (memory and durable mailboxes),
// call throughput across the workers, and the idle memory of an actor instance.
//
// A harness main() that prints tables, not Google Benchmark: the figures are percentiles over
// batches, rates of concurrent call loops and RSS deltas of a fresh child process, which do not
// fit the library's fixed-iteration model. Every figure is the median of --reps runs (default 3),
// each on a fresh node.
//
//   bench_runtime_bench [--reps N] [--quick]
//                       [--only baseline|latency|throughput|durable|memory|lone]
//                       [--case SUBSTRING-OF-A-SCENARIO-NAME] [--json]
//
// --json: also one line per figure, {"peer":"actr","scenario":...,"figure":...,"value":...}, for
// bench/peers/run.sh, and latency cases also time lone calls, each after a 1 ms pause
// (paused_one_minus_ext), as the peers do; the tables are printed as without it.
//
// Workloads: <build>/guests/runtime_probe.wasm (tests/runtime/guests/probe: routes `echo` and
// `call-loop N TYPE ROUTE DATA`) and <build>/guests/echo.wasm (examples/echo).
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "runtime/config.hpp"
#include "runtime/node.hpp"

extern char** environ;

#include "support/bench_node.hpp"
#include "support/harness.hpp"

namespace {

using namespace actr::bench;  // NOLINT: the harness helpers

namespace fs = std::filesystem;
using actr::runtime::Node;
using actr::workload::Bytes;
using actr::workload::CallResult;

std::string actor_toml(const std::string& name, const fs::path& component,
                       const std::string& mailbox, uint32_t instances = 1) {
  return "[[actors]]\nname = \"" + name + "\"\ncomponent = \"" + component.string() +
         "\"\ntype = \"bench/" + name + "@0.1.0\"\nmailbox = \"" + mailbox +
         "\"\ninstances = " + std::to_string(instances) + "\n";
}

std::string node_toml(unsigned workers, int commit_window_us, const std::string& actors) {
  return "workers = " + std::to_string(workers) + "\n" + actors +
         "[mailbox]\ncommit_window_us = " + std::to_string(commit_window_us) + "\n";
}

// ---------------------------------------------------------------------------------------------
// Tables: one row per scenario, each column the median over the repetitions.

// Runs `once` opts.reps times; each run gives named figures; the result is each figure's median.

// ---------------------------------------------------------------------------------------------
// 0. The floor under the runtime: a message handed back and forth between two threads, each
// running its own io_context as the node's workers do (boost::asio::post, no actors, no wasm).
// One round trip = two cross-thread wake-ups, which every cross-worker call also pays.

// `spin`: the threads poll their io_context in a loop instead of sleeping in it, which shows
// what the hand-off costs when neither thread (nor its vCPU) has to be woken. `timer`: each
// round trip also arms a 30 s steady_timer on the sender and posts its cancellation when the
// answer is back, as Node::send_call does for the call timeout.
std::optional<Figures> ping_pong_once(bool spin, bool timer) {
  boost::asio::io_context a{1}, b{1};
  auto guard_a = boost::asio::make_work_guard(a);
  auto guard_b = boost::asio::make_work_guard(b);
  std::atomic<bool> stop{false};
  auto runner = [&](boost::asio::io_context& io) {
    if (!spin) {
      io.run();
      return;
    }
    while (!stop.load(std::memory_order_relaxed)) io.poll();
  };
  std::thread ta([&] { runner(a); }), tb([&] { runner(b); });
  const int rounds = opts.quick ? 2000 : 20000;
  std::vector<double> samples;
  samples.reserve(rounds);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Clock::time_point sent;
  std::function<void(int)> ping = [&](int left) {
    std::shared_ptr<boost::asio::steady_timer> t;
    if (timer) {
      t = std::make_shared<boost::asio::steady_timer>(a, std::chrono::seconds(30));
      t->async_wait([t](boost::system::error_code) {});
    }
    boost::asio::post(b, [&, left, t] {
      boost::asio::post(a, [&, left, t] {
        if (t) boost::asio::post(a, [t] { t->cancel(); });
        auto now = Clock::now();
        samples.push_back(std::chrono::duration<double, std::micro>(now - sent).count());
        if (left > 1) {
          sent = Clock::now();
          ping(left - 1);
          return;
        }
        std::lock_guard lock(mu);
        done = true;
        cv.notify_all();
      });
    });
  };
  boost::asio::post(a, [&] {
    sent = Clock::now();
    ping(rounds);
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  stop.store(true);
  guard_a.reset();
  guard_b.reset();
  ta.join();
  tb.join();
  return Figures{{"p50", median(samples)}, {"p99", percentile(samples, 99)}};
}

void run_baseline() {
  Table t{{"p50", "p99"}, {}};
  struct Row {
    const char* name;
    bool spin, timer;
  };
  for (Row r :
       {Row{"asio post round trip between two worker threads (io_context::run)", false, false},
        Row{"the same, plus a 30 s timer armed and cancelled per round trip", false, true},
        Row{"asio post round trip, both threads busy-polling (no sleep)", true, false}}) {
    auto f = median_of_reps(opts.reps, [r] { return ping_pong_once(r.spin, r.timer); });
    t.rows.push_back(
        {r.name, {format_figure((*f)["p50"], " us"), format_figure((*f)["p99"], " us")}});
  }
  t.print("Baseline: cross-thread round trip on this machine (no runtime)");
}

// ---------------------------------------------------------------------------------------------
// 1 + 3. Latency: alpha (memory mailbox) calls beta (memory or durable) from inside the guest.

std::optional<Figures> latency_once(unsigned workers, const std::string& beta_mailbox,
                                    int commit_window_us) {
  auto probe = guest("runtime_probe");
  auto b = BenchNode::start("latency", node_toml(workers, commit_window_us,
                                                 actor_toml("alpha", probe, "memory") +
                                                     actor_toml("beta", probe, beta_mailbox)));
  if (!b) return std::nullopt;
  Node& node = b->node();
  const bool durable = beta_mailbox == "durable";
  const int singles = opts.quick ? 300 : (durable ? 1000 : 3000);
  const int batch = 100;
  const int batches = opts.quick ? 30 : (durable ? 100 : 300);
  std::string loop1 = "1 beta echo " + kPayload;
  std::string loopN = std::to_string(batch) + " beta echo " + kPayload;

  // Warm-up: route metrics series, fiber stacks, caches.
  if (!time_calls(node, "alpha", "call-loop", loopN, 5)) return std::nullopt;
  auto ext = time_calls(node, "alpha", "echo", kPayload, singles);
  auto one = time_calls(node, "alpha", "call-loop", loop1, singles);
  if (!ext || !one) return std::nullopt;
  auto cpu0 = cpu_seconds_self();
  auto t0 = Clock::now();
  auto per_call = time_calls(node, "alpha", "call-loop", loopN, batches);
  double wall = seconds_since(t0), cpu = cpu_seconds_self() - cpu0;
  if (!per_call) return std::nullopt;
  for (double& v : *per_call) v /= batch;
  Figures f;
  f["ext_p50"] = median(*ext);
  f["ext_p99"] = percentile(*ext, 99);
  f["one_p50"] = median(*one);
  f["one_p99"] = percentile(*one, 99);
  f["one_minus_ext"] = median(*one) - median(*ext);
  f["batch_p50"] = median(*per_call);
  f["batch_p99"] = percentile(*per_call, 99);
  f["rate"] = batch * batches / wall;
  f["cpu_per_call"] = cpu / (batch * batches) * 1e6;
  if (opts.json) {  // bench/peers' lone call: after a 1 ms pause, when every worker sleeps
    // call-id (beta by its id, no discover), as the peers call a pid or an actor handle.
    auto beta = node.actors()[1]->id();
    std::string by_id = std::to_string(beta.realm.realm_id) + " " +
                        std::to_string(beta.serial_number) + " echo " + kPayload;
    auto paused = paused_calls(node, "call-id", by_id, singles / 3, kPause);
    if (!paused) return std::nullopt;
    f.insert(paused->begin(), paused->end());
  }
  return f;
}

// --only lone: lone calls only (each after a 1 ms pause, so every worker sleeps), many of them,
// for profiling what a call costs on cold caches and sleeping workers (perf record this mode).
void run_lone() {
  Table t{{"external echo p50", "echo + inner call p50", "inner call (difference)",
           "CPU: external echo p50", "CPU: echo + inner call p50", "CPU: inner call"},
          {}};
  const int count = opts.quick ? 300 : 2000;
  for (unsigned workers : {1u, 2u}) {
    std::string name = "lone call by id, workers = " + std::to_string(workers);
    if (name.find(opts.filter) == std::string::npos) continue;
    auto f = median_of_reps(opts.reps, [&]() -> std::optional<Figures> {
      auto probe = guest("runtime_probe");
      auto b = BenchNode::start("lone", node_toml(workers, 100,
                                                  actor_toml("alpha", probe, "memory") +
                                                      actor_toml("beta", probe, "memory")));
      if (!b) return std::nullopt;
      auto beta = b->node().actors()[1]->id();
      std::string by_id = std::to_string(beta.realm.realm_id) + " " +
                          std::to_string(beta.serial_number) + " echo " + kPayload;
      // External echoes and the same plus an inner call, interleaved as paused_calls does, timing
      // each by the wall clock and by the process's CPU clock (which a busy machine's other
      // processes do not inflate by descheduling this one). ACTR_BENCH_LONE=ext|inner: only that
      // kind (to profile each on its own); ACTR_BENCH_LONE_SPIN: the bench thread spins through
      // the pause instead of sleeping (the workers still sleep).
      const char* only = std::getenv("ACTR_BENCH_LONE");
      const bool spin = std::getenv("ACTR_BENCH_LONE_SPIN") != nullptr;
      std::vector<double> wall[2], cpu[2];
      for (int i = 0; i < 2 * count; ++i) {
        if (spin) {
          for (auto until = Clock::now() + kPause; Clock::now() < until;) {
          }
        } else {
          std::this_thread::sleep_for(kPause);
        }
        bool inner = only ? std::string_view(only) == "inner" : lone_is_inner(i);
        auto c0 = cpu_seconds_self();
        auto t0 = Clock::now();
        auto r = inner ? b->node().call_sync("alpha", "call-id", bytes(by_id))
                       : b->node().call_sync("alpha", "echo", bytes(kPayload));
        wall[inner].push_back(seconds_since(t0) * 1e6);
        cpu[inner].push_back((cpu_seconds_self() - c0) * 1e6);
        if (!check(r, "lone call")) return std::nullopt;
      }
      Figures f;
      for (int k : {0, 1}) {
        if (wall[k].empty()) continue;
        f[k ? "paused_one_p50" : "paused_ext_p50"] = median(wall[k]);
        f[k ? "cpu_one_p50" : "cpu_ext_p50"] = median(cpu[k]);
      }
      if (!only) {
        f["paused_one_minus_ext"] = f["paused_one_p50"] - f["paused_ext_p50"];
        f["cpu_one_minus_ext"] = f["cpu_one_p50"] - f["cpu_ext_p50"];
      }
      return f;
    });
    if (!f) {
      t.rows.push_back({name, {"failed"}});
      continue;
    }
    auto& m = *f;
    json_lines(name, m);
    t.rows.push_back(
        {name,
         {format_figure(m["paused_ext_p50"], " us"), format_figure(m["paused_one_p50"], " us"),
          format_figure(m["paused_one_minus_ext"], " us"), format_figure(m["cpu_ext_p50"], " us"),
          format_figure(m["cpu_one_p50"], " us"), format_figure(m["cpu_one_minus_ext"], " us")}});
  }
  t.print("Lone calls, each after a 1 ms pause (us)");
}

void run_latency(const std::vector<std::tuple<std::string, unsigned, std::string, int>>& cases,
                 const std::string& title) {
  Table t{{"external echo p50 / p99", "call-loop N=1 p50 / p99", "N=1 minus external (p50)",
           "per call, N=100 batches p50 / p99", "calls/s (1 caller)", "CPU us per call"},
          {}};
  for (auto& [name, workers, mailbox, window] : cases) {
    if (name.find(opts.filter) == std::string::npos) continue;
    auto f = median_of_reps(opts.reps, [&] { return latency_once(workers, mailbox, window); });
    if (!f) {
      t.rows.push_back({name, {"failed"}});
      continue;
    }
    auto& m = *f;
    json_lines(name, m);
    t.rows.push_back(
        {name,
         {format_figure(m["ext_p50"], " us") + " / " + format_figure(m["ext_p99"], " us"),
          format_figure(m["one_p50"], " us") + " / " + format_figure(m["one_p99"], " us"),
          format_figure(m["one_minus_ext"], " us"),
          format_figure(m["batch_p50"], " us") + " / " + format_figure(m["batch_p99"], " us"),
          format_figure(m["rate"]), format_figure(m["cpu_per_call"])}});
  }
  t.print(title);
}

// ---------------------------------------------------------------------------------------------
// 2 + 3. Throughput: `callers` alpha instances each run call-loops back to back, each against
// its own choice of `callees` echo actors, driven by callbacks of Node::call (no bench thread
// blocks per call). Each callee is its own actor config with its own type (beta0, beta1...), so
// the bench decides which callee, hence which worker, every caller talks to: an actor's worker
// is (serial - 1) % workers, alpha instances are serials 1..callers, beta<j> is callers + 1 + j.

enum class Placement { Same, Cross, Mixed };  // callee on the caller's worker, on another, half

struct ThroughputCase {
  std::string name;
  unsigned workers;
  uint32_t callers, callees;
  Placement placement;
  std::string mailbox;  // of the callees
  int commit_window_us;
};

// The callee index of caller `i` (1-based serial) under `c.placement`.
uint32_t callee_of(const ThroughputCase& c, uint32_t i) {
  auto worker_of = [&](uint32_t serial) { return (serial - 1) % c.workers; };
  if (c.placement == Placement::Mixed) return ((i - 1) / 2) % c.callees;
  std::vector<uint32_t> fit;
  for (uint32_t j = 0; j < c.callees; ++j) {
    bool same = worker_of(c.callers + 1 + j) == worker_of(i);
    if (same == (c.placement == Placement::Same)) fit.push_back(j);
  }
  if (fit.empty()) return (i - 1) % c.callees;
  return fit[((i - 1) / c.workers) % fit.size()];
}

std::optional<Figures> throughput_once(const ThroughputCase& c) {
  auto probe = guest("runtime_probe");
  std::string actors = actor_toml("alpha", probe, "memory", c.callers);
  for (uint32_t j = 0; j < c.callees; ++j) {
    actors += actor_toml("beta" + std::to_string(j), probe, c.mailbox);
  }
  auto b = BenchNode::start("throughput", node_toml(c.workers, c.commit_window_us, actors));
  if (!b) return std::nullopt;
  Node& node = b->node();
  auto launch = [&](LoopDriver& d) {
    for (uint32_t i = 1; i <= c.callers; ++i) {
      d.start("1:" + std::to_string(i), "beta" + std::to_string(callee_of(c, i)));
    }
  };
  {  // warm-up
    LoopDriver warm(node, 20, Clock::now());
    launch(warm);
    warm.wait();
  }
  auto run_for = std::chrono::milliseconds(opts.quick ? 500 : 2000);
  auto t0 = Clock::now();
  auto cpu0 = cpu_seconds_self();
  LoopDriver d(node, 200, t0 + run_for);
  launch(d);
  d.wait();
  double wall = seconds_since(t0), cpu = cpu_seconds_self() - cpu0;
  if (d.errors()) {
    std::fprintf(stderr, "throughput: %llu loops failed: %s\n",
                 static_cast<unsigned long long>(d.errors()), d.first_error().c_str());
    return std::nullopt;
  }
  Figures f;
  f["rate"] = static_cast<double>(d.calls()) / wall;
  f["cpu_util"] = cpu / wall * 100;
  f["cpu_per_call"] = cpu / static_cast<double>(d.calls()) * 1e6;
  f["rate_per_core"] = static_cast<double>(d.calls()) / cpu;
  return f;
}

void run_throughput(const std::vector<ThroughputCase>& cases, const std::string& title) {
  Table t{{"calls/s", "CPU use (of 200%)", "CPU us per call", "calls per CPU-second"}, {}};
  for (const ThroughputCase& c : cases) {
    if (c.name.find(opts.filter) == std::string::npos) continue;
    auto f = median_of_reps(opts.reps, [&] { return throughput_once(c); });
    if (!f) {
      t.rows.push_back({c.name, {"failed"}});
      continue;
    }
    auto& m = *f;
    json_lines(c.name, m);
    t.rows.push_back({c.name,
                      {format_figure(m["rate"]), format_figure(m["cpu_util"], "%"),
                       format_figure(m["cpu_per_call"]), format_figure(m["rate_per_core"])}});
  }
  t.print(title);
}

// ---------------------------------------------------------------------------------------------
// 4. Idle memory: a child process starts a node of `instances` echo actors (memory mailbox) and
// reports its RSS before and after, and the start time. A fresh process per figure keeps
// allocator reuse from earlier nodes out of the delta.

int memory_child(uint32_t instances) {
  spdlog::set_level(spdlog::level::warn);
  MemoryRollup before = memory_rollup();
  auto t0 = Clock::now();
  auto b =
      BenchNode::start("memory-" + std::to_string(instances),
                       node_toml(2, 100, actor_toml("echo", guest("echo"), "memory", instances)));
  double start_s = seconds_since(t0);
  if (!b) return 1;
  MemoryRollup after = memory_rollup();
  // For finding where the memory goes: ACTR_BENCH_SMAPS=FILE keeps a copy of the mappings.
  if (const char* dump = std::getenv("ACTR_BENCH_SMAPS")) {
    std::ifstream in("/proc/self/smaps");
    std::ofstream(dump) << in.rdbuf();
  }
  auto r = b->node().call_sync("echo", "echo", bytes(kPayload));
  if (!check(r, "echo")) return 1;
  std::printf("%zu %zu %zu %zu %zu %zu %.6f\n", before.rss, after.rss, before.private_bytes,
              after.private_bytes, before.pss, after.pss, start_s);
  return 0;
}

struct MemorySample {
  MemoryRollup before, after;
  double start_s;
};

std::optional<MemorySample> spawn_memory_child(uint32_t instances) {
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::string exe = fs::read_symlink("/proc/self/exe").string();
  std::string n = std::to_string(instances);
  char* argv[] = {exe.data(), const_cast<char*>("--memory-child"), n.data(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return std::nullopt;
  }
  std::string out;
  char buf[256];
  for (ssize_t k; (k = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(k));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  MemorySample s{};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(out.c_str(), "%zu %zu %zu %zu %zu %zu %lf", &s.before.rss, &s.after.rss,
                  &s.before.private_bytes, &s.after.private_bytes, &s.before.pss, &s.after.pss,
                  &s.start_s) != 7) {
    std::fprintf(stderr, "memory child (%u instances) failed: %s\n", instances, out.c_str());
    return std::nullopt;
  }
  return s;
}

void run_memory() {
  const uint32_t many = 1000;
  if (!spawn_memory_child(1)) return;  // compiles (or loads) echo.wasm into the code cache
  Table t{{"RSS delta / 1000", "private delta / 1000", "Pss delta / 1000",
           "marginal private per instance (1000 vs 1)", "node start / 1000",
           "marginal start per instance", "RSS of the 1-instance node (delta)"},
          {}};
  auto f = median_of_reps(opts.reps, [&]() -> std::optional<Figures> {
    auto one = spawn_memory_child(1);
    auto lots = spawn_memory_child(many);
    if (!one || !lots) return std::nullopt;
    auto delta = [](const MemorySample& s, size_t MemoryRollup::*field) {
      return static_cast<double>(s.after.*field) - static_cast<double>(s.before.*field);
    };
    double private1 = delta(*one, &MemoryRollup::private_bytes);
    double private_n = delta(*lots, &MemoryRollup::private_bytes);
    return Figures{{"per", delta(*lots, &MemoryRollup::rss) / many},
                   {"private_per", private_n / many},
                   {"pss_per", delta(*lots, &MemoryRollup::pss) / many},
                   {"private_marginal", (private_n - private1) / (many - 1)},
                   {"start_per", lots->start_s / many * 1e6},
                   {"start_marginal", (lots->start_s - one->start_s) / (many - 1) * 1e6},
                   {"base", delta(*one, &MemoryRollup::rss)}};
  });
  if (!f) {
    t.rows.push_back({"echo x 1000", {"failed"}});
  } else {
    auto& m = *f;
    json_lines("echo x 1000 (memory mailbox, 2 workers)", m);
    t.rows.push_back(
        {"echo x 1000 (memory mailbox, 2 workers)",
         {format_figure(m["per"] / 1024, " KiB"), format_figure(m["private_per"] / 1024, " KiB"),
          format_figure(m["pss_per"] / 1024, " KiB"),
          format_figure(m["private_marginal"] / 1024, " KiB"), format_figure(m["start_per"], " us"),
          format_figure(m["start_marginal"], " us"), format_figure(m["base"] / 1048576, " MiB")}});
  }
  t.print("Idle memory per actor instance (fresh process per figure)");
}

bool wanted(const char* part) { return opts.only.empty() || opts.only == part; }

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--memory-child" && i + 1 < argc) return memory_child(std::stoul(argv[i + 1]));
    if (a == "--reps" && i + 1 < argc) {
      opts.reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--quick") {
      opts.quick = true;
    } else if (a == "--only" && i + 1 < argc) {
      opts.only = argv[++i];
    } else if (a == "--case" && i + 1 < argc) {
      opts.filter = argv[++i];
    } else if (a == "--json") {
      opts.json = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--reps N] [--quick] [--only "
                   "baseline|latency|throughput|durable|memory|lone]\n"
                   "       [--case SUBSTRING] [--json]\n",
                   argv[0]);
      return 2;
    }
  }
  for (const char* g : {"runtime_probe", "echo"}) {
    if (!fs::exists(guest(g))) {
      std::fprintf(stderr, "%s is missing: build guest_runtime_probe and guest_echo first\n",
                   guest(g).c_str());
      return 1;
    }
  }
  spdlog::set_level(spdlog::level::warn);
  std::printf("# node runtime benchmarks: %d reps per figure (median shown), %u hardware threads\n",
              opts.reps, std::thread::hardware_concurrency());
  std::printf("load average at start: %s\n", load_average().c_str());

  if (wanted("baseline")) run_baseline();
  if (wanted("latency")) {
    run_latency(
        {{"memory lane, workers = 1 (alpha and beta on one thread)", 1, "memory", 100},
         {"memory lane, workers = 2 (alpha and beta on different threads)", 2, "memory", 100}},
        "Actor -> actor call latency, 64-byte echo, one caller (us)");
  }
  if (opts.only == "lone") run_lone();
  if (wanted("throughput")) {
    using P = Placement;
    run_throughput(
        {{"memory: 8 callers -> 4 callees, workers = 2, callee on the caller's worker", 2, 8, 4,
          P::Same, "memory", 100},
         {"memory: 8 callers -> 4 callees, workers = 2, half the calls cross workers", 2, 8, 4,
          P::Mixed, "memory", 100},
         {"memory: 8 callers -> 4 callees, workers = 2, every call crosses workers", 2, 8, 4,
          P::Cross, "memory", 100},
         {"memory: 8 callers -> 4 callees, workers = 1", 1, 8, 4, P::Same, "memory", 100}},
        "Actor -> actor call throughput, 64-byte echo, call-loop N=200 per caller");
  }
  if (wanted("durable")) {
    run_latency({{"durable beta, commit_window 0 us, workers = 2", 2, "durable", 0},
                 {"durable beta, commit_window 100 us (default), workers = 2", 2, "durable", 100},
                 {"durable beta, commit_window 500 us, workers = 2", 2, "durable", 500}},
                "Durable lane: call latency, one caller (us)");
    using P = Placement;
    run_throughput(
        {{"durable: 8 callers -> 4 callees, window 0 us", 2, 8, 4, P::Mixed, "durable", 0},
         {"durable: 8 callers -> 4 callees, window 100 us", 2, 8, 4, P::Mixed, "durable", 100},
         {"durable: 8 callers -> 4 callees, window 500 us", 2, 8, 4, P::Mixed, "durable", 500},
         {"durable: 64 callers -> 4 callees, window 0 us", 2, 64, 4, P::Mixed, "durable", 0},
         {"durable: 64 callers -> 4 callees, window 100 us", 2, 64, 4, P::Mixed, "durable", 100},
         {"durable: 64 callers -> 4 callees, window 500 us", 2, 64, 4, P::Mixed, "durable", 500}},
        "Durable lane: throughput, workers = 2, half the calls cross workers (messages/s = "
        "calls/s: each call is one stored message)");
  }
  if (wanted("memory")) run_memory();
  std::printf("\nload average at end: %s\n", load_average().c_str());
  return 0;
}
