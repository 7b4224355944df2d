// The CAF side of bench/peers: actr's runtime and cluster benchmark scenarios with CAF 0.17
// (Debian 12's libcaf-dev) request/then of a 64-byte std::string that the callee echoes.
// Prints one JSON object per line:
//   {"peer":"caf","scenario":"...","value":N,"unit":"us"|"calls/s"|"bytes"}
//
//   caf_peer_bench same|cross|throughput|memory|dist|dist-nosleep [quick]
//
// One group per process (bench/peers/run.sh runs them in turn), so the memory figure starts from
// a fresh heap. Build: g++ -O2 caf_peer_bench.cpp -lcaf_io -lcaf_core -pthread
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

using namespace caf;
using Clock = std::chrono::steady_clock;
using tick_atom = atom_constant<atom("tick")>;

namespace {

const std::string kPayload(64, 'x');  // 64 bytes, as actr's benches send
bool quick = false;

void emit(const char* scenario, double value, const char* unit) {
  std::printf("{\"peer\":\"caf\",\"scenario\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"}\n", scenario,
              value, unit);
  std::fflush(stdout);
}

// Nearest-rank percentile, as bench/support/harness.hpp.
double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// The callee: echoes the request, as the `echo` route of actr's runtime_probe does.
behavior echo(event_based_actor*) {
  return {[](const std::string& s) { return s; }};
}

// What a caller does: `samples` batches of `batch` calls back to back (each sample is the mean
// per call), or the same with a 1 ms pause before each sample (lone calls: batch = 1), or batches
// until `deadline` (throughput; only the count matters).
struct Plan {
  enum Kind { Batches, Lone, Until } kind = Batches;
  int batch = 100;
  size_t samples = 300;
  Clock::time_point deadline{};
};
struct Result {
  std::vector<double> us;
  uint64_t calls = 0;
  bool failed = false;
};

class caller : public event_based_actor {
 public:
  caller(actor_config& cfg, actor callee, Plan plan, std::promise<Result>* done)
      : event_based_actor(cfg), callee_(std::move(callee)), plan_(plan), done_(done) {}

  behavior make_behavior() override {
    send(this, tick_atom::value);  // start from the mailbox, as the pauses of Lone do
    return {[this](tick_atom) { start_sample(); }};
  }

 private:
  void start_sample() {
    left_ = plan_.batch;
    t0_ = Clock::now();
    next();
  }
  void next() {
    request(callee_, infinite, kPayload)
        .then(
            [this](const std::string&) {
              ++result_.calls;
              if (--left_ > 0) return next();
              sample_done();
            },
            [this](error& e) {
              std::fprintf(stderr, "caf peer: call failed: %s\n", to_string(e).c_str());
              result_.failed = true;
              finish();
            });
  }
  void sample_done() {
    auto now = Clock::now();
    bool more = now < plan_.deadline;
    if (plan_.kind != Plan::Until) {
      result_.us.push_back(std::chrono::duration<double, std::micro>(now - t0_).count() /
                           plan_.batch);
      more = result_.us.size() < plan_.samples;
    }
    if (!more) return finish();
    if (plan_.kind == Plan::Lone) {
      delayed_send(this, std::chrono::milliseconds(1), tick_atom::value);
    } else {
      start_sample();
    }
  }
  void finish() {
    done_->set_value(std::move(result_));
    quit();
  }

  actor callee_;
  Plan plan_;
  std::promise<Result>* done_;
  Result result_;
  int left_ = 0;
  Clock::time_point t0_;
};

// Runs one caller per callee in `callees` (caller i -> callees[i % size]) for `callers` callers
// and waits for all. Returns their results and the wall time.
std::pair<std::vector<Result>, double> run_callers(actor_system& sys,
                                                   const std::vector<actor>& callees,
                                                   size_t callers, Plan plan) {
  std::vector<std::promise<Result>> promises(callers);
  auto t0 = Clock::now();
  for (size_t i = 0; i < callers; ++i)
    sys.spawn<caller>(callees[i % callees.size()], plan, &promises[i]);
  std::vector<Result> results;
  for (auto& p : promises) results.push_back(p.get_future().get());
  double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  return {std::move(results), wall};
}

bool latency(actor_system& sys, const actor& callee, const std::string& name) {
  Plan warm{Plan::Batches, 100, 10};
  Plan batches{Plan::Batches, 100, quick ? 30u : 300u};
  Plan lone{Plan::Lone, 1, quick ? 100u : 1000u};
  run_callers(sys, {callee}, 1, warm);
  auto b = run_callers(sys, {callee}, 1, batches).first[0];
  auto l = run_callers(sys, {callee}, 1, lone).first[0];
  if (b.failed || l.failed) return false;
  emit((name + "_p50").c_str(), pct(b.us, 50), "us");
  emit((name + "_p99").c_str(), pct(b.us, 99), "us");
  emit((name + "_lone_p50").c_str(), pct(l.us, 50), "us");
  return true;
}

// `callers` callers -> the callees, batches of 200 calls (as actr's call-loop 200) for 2 s.
bool throughput(actor_system& sys, const std::vector<actor>& callees, size_t callers,
                const char* name) {
  Plan warm{Plan::Until, 200, 0, Clock::now() + std::chrono::milliseconds(100)};
  run_callers(sys, callees, callers, warm);
  auto run_for = std::chrono::milliseconds(quick ? 500 : 2000);
  Plan plan{Plan::Until, 200, 0, Clock::now() + run_for};
  auto [results, wall] = run_callers(sys, callees, callers, plan);
  uint64_t calls = 0;
  for (auto& r : results) {
    if (r.failed) return false;
    calls += r.calls;
  }
  emit(name, static_cast<double>(calls) / wall, "calls/s");
  return true;
}

actor_system_config& threads(actor_system_config& cfg, size_t n) {
  cfg.set("scheduler.max-threads", n);
  return cfg;
}

// CAF's idle worker polls, then sleeps 50 us between polls (the "moderate" strategy), which a
// message from another thread waits out; the *_nosleep scenarios turn that sleep off (CAF tuned
// for latency; the defaults are the main figures).
actor_system_config& no_idle_sleep(actor_system_config& cfg) {
  cfg.set("work-stealing.moderate-sleep-duration", timespan{0});
  return cfg;
}

std::vector<actor> spawn_echoes(actor_system& sys, size_t n) {
  std::vector<actor> v;
  for (size_t i = 0; i < n; ++i) v.push_back(sys.spawn(echo));
  return v;
}

// 100,000 idle actors (a behavior, an empty mailbox): RSS delta / N.
bool memory() {
  const size_t n = quick ? 10000 : 100000;
  actor_system_config cfg;
  actor_system sys{cfg};
  scoped_actor self{sys};
  std::vector<actor> actors;
  actors.reserve(n);  // keeps the handles' vector out of the delta
  auto before = rss_bytes();
  for (size_t i = 0; i < n; ++i) actors.push_back(sys.spawn(echo));
  // One message each, so every actor has been initialized (make_behavior ran) when we measure.
  for (auto& a : actors) self->send(a, kPayload);
  for (size_t i = 0; i < n; ++i) self->receive([](const std::string&) {});
  emit("idle_memory_rss", static_cast<double>(rss_bytes() - before) / n, "bytes");
  for (auto& a : actors) self->send_exit(a, exit_reason::user_shutdown);
  return true;
}

// The second node: publishes 4 echo actors on loopback, prints their ports, serves until its
// stdin closes.
int serve(bool nosleep) {
  actor_system_config cfg;
  cfg.load<io::middleman>();
  if (nosleep) no_idle_sleep(cfg);
  actor_system sys{cfg};
  auto callees = spawn_echoes(sys, 4);
  std::string ports;
  for (auto& a : callees) {
    auto port = sys.middleman().publish(a, 0, "127.0.0.1");
    if (!port) {
      std::fprintf(stderr, "caf peer: publish: %s\n", sys.render(port.error()).c_str());
      return 1;
    }
    ports += " " + std::to_string(*port);
  }
  std::printf("ports%s\n", ports.c_str());
  std::fflush(stdout);
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  for (auto& a : callees) anon_send_exit(a, exit_reason::user_shutdown);
  return 0;
}

// Two nodes on loopback (CAF's io module, BASP over TCP): the callers here, the callees in a
// child process (this program run as `serve`), both with CAF's default thread count.
bool dist(const char* self_exe, bool nosleep) {
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0) return false;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[1]);
    close(out[0]);
    execl(self_exe, self_exe, nosleep ? "serve-nosleep" : "serve", nullptr);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  std::string line;
  char ch;
  while (read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  bool ok = line.rfind("ports ", 0) == 0;
  if (ok) {
    actor_system_config cfg;
    cfg.load<io::middleman>();
    if (nosleep) no_idle_sleep(cfg);
    actor_system sys{cfg};
    std::vector<actor> callees;
    std::istringstream ports(line.substr(6));
    for (int port; ports >> port;) {
      auto a = sys.middleman().remote_actor("127.0.0.1", static_cast<uint16_t>(port));
      if (!a) {
        std::fprintf(stderr, "caf peer: remote_actor: %s\n", sys.render(a.error()).c_str());
        ok = false;
        break;
      }
      callees.push_back(*a);
    }
    std::string n = nosleep ? "dist_nosleep" : "dist";
    ok = ok && latency(sys, callees[0], n + "_call") &&
         throughput(sys, {callees[0]}, 1, (n + "_throughput_1caller").c_str()) &&
         throughput(sys, callees, 8, (n + "_throughput_8x4").c_str());
  } else {
    std::fprintf(stderr, "caf peer: the serving node said `%s`\n", line.c_str());
  }
  close(in[1]);  // the child stops when its stdin closes
  waitpid(pid, nullptr, 0);
  close(out[0]);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string group = argc > 1 ? argv[1] : "";
  quick = argc > 2 && std::string(argv[2]) == "quick";
  bool ok = false;
  if (group == "same") {  // one scheduler thread: caller and callee share it
    actor_system_config cfg;
    actor_system sys{threads(cfg, 1)};
    ok = latency(sys, sys.spawn(echo), "call_same");
  } else if (group == "cross") {
    // The work-stealing scheduler runs a receiver on the sender's worker (until another worker
    // steals it), so two workers would not put caller and callee on different threads: the
    // callee is `detached` (a thread of its own), the caller on a 1-thread scheduler.
    {
      actor_system_config cfg;
      actor_system sys{threads(cfg, 1)};
      ok = latency(sys, sys.spawn<detached>(echo), "call_cross");
    }
    actor_system_config cfg;
    actor_system sys{threads(no_idle_sleep(cfg), 1)};
    ok = ok && latency(sys, sys.spawn<detached>(echo), "call_cross_nosleep");
  } else if (group == "throughput") {
    for (size_t n : {size_t{2}, size_t{1}}) {
      actor_system_config cfg;
      actor_system sys{threads(cfg, n)};
      ok = throughput(sys, spawn_echoes(sys, 4), 8,
                      n == 2 ? "throughput_8x4_2workers" : "throughput_8x4_1worker");
      if (!ok) break;
    }
  } else if (group == "memory") {
    ok = memory();
  } else if (group == "dist" || group == "dist-nosleep") {
    ok = dist("/proc/self/exe", group == "dist-nosleep");
  } else if (group == "serve" || group == "serve-nosleep") {
    return serve(group == "serve-nosleep");
  } else {
    std::fprintf(stderr, "usage: %s same|cross|throughput|memory|dist|dist-nosleep [quick]\n",
                 argv[0]);
    return 2;
  }
  return ok ? 0 : 1;
}
