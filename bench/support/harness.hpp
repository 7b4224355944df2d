// What the table-printing benchmark harnesses (runtime_bench, cluster_bench, signaling_bench)
// share: timing and machine readings, percentiles, medians over repetitions, Markdown tables.
// Header-only: bench/CMakeLists.txt makes one executable per bench/*.cpp.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace actr::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Memory figures of /proc/self/smaps_rollup, in bytes. RSS counts a page shared copy-on-write by
// many mappings once per mapping; `private_bytes` (Private_Clean + Private_Dirty) counts only the
// pages this process alone maps, and `pss` splits shared pages among their sharers.
struct MemoryRollup {
  size_t rss = 0;
  size_t pss = 0;
  size_t private_bytes = 0;
};
inline MemoryRollup memory_rollup() {
  std::ifstream f("/proc/self/smaps_rollup");
  MemoryRollup m;
  std::string line;
  while (std::getline(f, line)) {
    auto field = [&](const char* name) -> std::optional<size_t> {
      size_t n = std::char_traits<char>::length(name);
      if (line.compare(0, n, name) != 0) return std::nullopt;
      return std::stoull(line.substr(n)) * 1024;  // "Name:   123 kB"
    };
    if (auto v = field("Rss:")) m.rss = *v;
    if (auto v = field("Pss:")) m.pss = *v;
    if (auto v = field("Private_Clean:")) m.private_bytes += *v;
    if (auto v = field("Private_Dirty:")) m.private_bytes += *v;
  }
  return m;
}

inline std::string load_average() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// Nearest-rank percentile of unsorted samples (p in 0..100).
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}
inline double median(std::vector<double> v) { return percentile(std::move(v), 50); }

// Named figures of one run; median_of_reps runs `once` `reps` times and gives each figure's
// median (NaN, "not measurable in this run", is left out; NaN when no run measured it).
using Figures = std::map<std::string, double>;
inline std::optional<Figures> median_of_reps(int reps,
                                             const std::function<std::optional<Figures>()>& once) {
  std::map<std::string, std::vector<double>> all;
  for (int i = 0; i < reps; ++i) {
    auto f = once();
    if (!f) return std::nullopt;
    for (auto& [k, v] : *f) {
      auto& values = all[k];
      if (std::isfinite(v)) values.push_back(v);
    }
  }
  Figures out;
  for (auto& [k, v] : all) out[k] = v.empty() ? NAN : median(v);
  return out;
}

// One row per scenario; printed as a Markdown table under a "###" title.
struct Table {
  std::vector<std::string> columns;
  std::vector<std::pair<std::string, std::vector<std::string>>> rows;
  void print(const std::string& title) const {
    std::printf("\n### %s\n\n| scenario |", title.c_str());
    for (auto& c : columns) std::printf(" %s |", c.c_str());
    std::printf("\n|---|");
    for (size_t i = 0; i < columns.size(); ++i) std::printf("---|");
    std::printf("\n");
    for (auto& [name, cells] : rows) {
      std::printf("| %s |", name.c_str());
      for (auto& c : cells) std::printf(" %s |", c.c_str());
      std::printf("\n");
    }
    std::fflush(stdout);
  }
};

// Three significant-ish digits and a unit; "n/a" for NaN.
// For bench/peers (--json): every finite figure of a scenario as a JSON line (scenario names hold
// no quotes).
inline void print_json(const std::string& scenario, const Figures& f) {
  for (auto& [k, v] : f) {
    if (std::isfinite(v))
      std::printf("{\"peer\":\"actr\",\"scenario\":\"%s\",\"figure\":\"%s\",\"value\":%.3f}\n",
                  scenario.c_str(), k.c_str(), v);
  }
}

// Lone calls for bench/peers, each after `pause` (so every worker has gone to sleep): `call(false)`
// the baseline (an external echo), `call(true)` the call measured, interleaved so that both meet
// the same machine; the lone call is the difference of their medians (us). `call` answers
// whether the call succeeded.
// The order of paused_calls: external, inner, inner, external, ... (ABBA), so that neither kind
// always meets the same phase of something that alternates (an earlier version alternated, and
// every inner call found the deadline of the call before it on the other worker).
inline bool lone_is_inner(int i) { return i % 4 == 1 || i % 4 == 2; }

inline std::optional<Figures> paused_calls(const std::function<bool(bool inner)>& call, int count,
                                           std::chrono::milliseconds pause) {
  std::vector<double> ext, one;
  for (int i = 0; i < 2 * count; ++i) {
    std::this_thread::sleep_for(pause);
    bool inner = lone_is_inner(i);
    auto t0 = Clock::now();
    bool ok = call(inner);
    (inner ? one : ext).push_back(seconds_since(t0) * 1e6);
    if (!ok) return std::nullopt;
  }
  return Figures{{"paused_ext_p50", median(ext)},
                 {"paused_one_p50", median(one)},
                 {"paused_one_minus_ext", median(one) - median(ext)}};
}

inline std::string format_figure(double v, const char* unit = "") {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  if (v >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f%s", v, unit);
  } else if (v >= 10) {
    std::snprintf(buf, sizeof buf, "%.1f%s", v, unit);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f%s", v, unit);
  }
  return buf;
}

}  // namespace actr::bench
