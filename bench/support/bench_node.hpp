// What the node benchmarks (runtime_bench, cluster_bench) share: a started node in a fresh data
// directory, the guests they run, and timed external calls. Header-only, as harness.hpp.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "runtime/config.hpp"
#include "runtime/node.hpp"

namespace actr::bench {

// The command line both node benches take (--reps, --quick, --only, --case, --json).
struct BenchOptions {
  int reps = 3;
  bool quick = false;
  std::string only;
  std::string filter;  // --case: only scenarios whose name contains this
  bool json = false;
};
inline BenchOptions opts;
inline constexpr std::chrono::milliseconds kPause(1);  // --json: before each "lone" call

// --json: the scenario's figures as JSON lines (harness.hpp print_json).
inline void json_lines(const std::string& scenario, const Figures& f) {
  if (opts.json) print_json(scenario, f);
}

// A built guest component (bench/CMakeLists.txt defines ACTR_BENCH_BINARY_DIR), or the one in
// $ACTR_BENCH_GUESTS: a copy of earlier builds, for comparing guests side by side.
inline std::filesystem::path guest(const std::string& name) {
  const char* dir = std::getenv("ACTR_BENCH_GUESTS");
  std::filesystem::path base = dir && *dir
                                   ? std::filesystem::path(dir)
                                   : std::filesystem::path(ACTR_BENCH_BINARY_DIR) / "guests";
  return base / (name + ".wasm");
}

inline workload::Bytes bytes(const std::string& s) { return workload::Bytes(s.begin(), s.end()); }
// 64 bytes, no spaces: the last argument of the probe's routes (call-loop and the others).
inline const std::string kPayload(64, 'x');

// User + system CPU of this process, all its threads.
inline double cpu_seconds_self() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

// True when `r` succeeded; else says what failed on stderr.
inline bool check(const workload::CallResult& r, const char* what) {
  if (r.is_ok()) return true;
  std::fprintf(stderr, "%s failed: %s\n", what, workload::describe(r.error()).c_str());
  return false;
}

// A started node in a fresh data directory; removed (and stopped) on destruction. Null, with the
// reason on stderr, unless every actor runs.
class BenchNode {
 public:
  static std::unique_ptr<BenchNode> start(const std::string& name, const std::string& toml) {
    namespace fs = std::filesystem;
    std::unique_ptr<BenchNode> b(new BenchNode);
    b->dir_ = fs::temp_directory_path() / ("actr-bench-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(b->dir_);
    fs::create_directories(b->dir_);
    auto config = runtime::parse_config(toml, b->dir_, name);
    if (!config) {
      std::fprintf(stderr, "%s: config: %s\n", name.c_str(), config.error().message.c_str());
      return nullptr;
    }
    config->data_dir = b->dir_ / "data";
    auto node = runtime::Node::create(std::move(*config));
    if (!node) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), node.error().message.c_str());
      return nullptr;
    }
    b->node_ = std::move(*node);
    if (auto r = b->node_->start(); !r) {
      std::fprintf(stderr, "%s: start: %s\n", name.c_str(), r.error().message.c_str());
      return nullptr;
    }
    for (auto& a : b->node_->actors()) {
      if (a->state() != runtime::Actor::State::Running) {
        std::fprintf(stderr, "%s: actor %s is not running\n", name.c_str(), a->label().c_str());
        return nullptr;
      }
    }
    return b;
  }
  ~BenchNode() {
    if (node_) node_->stop();
    node_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  runtime::Node& node() { return *node_; }

 private:
  BenchNode() = default;
  std::filesystem::path dir_;
  std::unique_ptr<runtime::Node> node_;
};

// Samples (us) of `count` sequential external calls.
inline std::optional<std::vector<double>> time_calls(runtime::Node& node, const std::string& target,
                                                     const std::string& route,
                                                     const std::string& payload, int count) {
  std::vector<double> samples;
  samples.reserve(count);
  for (int i = 0; i < count; ++i) {
    auto t0 = Clock::now();
    auto r = node.call_sync(target, route, bytes(payload));
    samples.push_back(seconds_since(t0) * 1e6);
    if (!check(r, route.c_str())) return std::nullopt;
  }
  return samples;
}

// Lone calls for bench/peers (harness.hpp paused_calls): `route` of actor alpha against alpha's
// echo as the external baseline.
inline std::optional<Figures> paused_calls(runtime::Node& node, const std::string& route,
                                           const std::string& args, int count,
                                           std::chrono::milliseconds pause) {
  return paused_calls(
      [&](bool inner) {
        auto r = inner ? node.call_sync("alpha", route, bytes(args))
                       : node.call_sync("alpha", "echo", bytes(kPayload));
        return check(r, "paused call");
      },
      count, pause);
}

// Keeps callers busy for throughput: each started caller (`target`) runs `call-loop N
// <callee_type> echo <64 bytes>` again as soon as the last one answers, until `until`, driven by
// callbacks of Node::call (no bench thread blocks per call).
class LoopDriver {
 public:
  LoopDriver(runtime::Node& node, long n, Clock::time_point until)
      : node_(node), n_(n), until_(until) {}

  void start(const std::string& target, const std::string& callee_type = "beta") {
    {
      std::lock_guard lock(mu_);
      ++active_;
    }
    issue(target, std::to_string(n_) + " " + callee_type + " echo " + kPayload);
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return active_ == 0; });
  }
  uint64_t calls() const { return calls_.load(); }
  uint64_t errors() const { return errors_.load(); }
  std::string first_error() {
    std::lock_guard lock(mu_);
    return first_error_;
  }

 private:
  void issue(std::string target, std::string args) {
    workload::Bytes payload = bytes(args);
    const std::string to = target;  // the lambda below takes `target` over
    node_.call(to, "call-loop", std::move(payload),
               [this, target = std::move(target), args = std::move(args)](workload::CallResult r) {
                 if (r.is_ok()) {
                   calls_.fetch_add(n_);
                   if (Clock::now() < until_) {
                     issue(target, args);
                     return;
                   }
                 } else {
                   errors_.fetch_add(1);
                   std::lock_guard lock(mu_);
                   if (first_error_.empty()) first_error_ = workload::describe(r.error());
                 }
                 std::lock_guard lock(mu_);
                 if (--active_ == 0) cv_.notify_all();
               });
  }

  runtime::Node& node_;
  long n_;
  Clock::time_point until_;
  std::atomic<uint64_t> calls_{0}, errors_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  std::string first_error_;
};

}  // namespace actr::bench
