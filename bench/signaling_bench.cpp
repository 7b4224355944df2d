// The signaling server's capacity on one core: registrations per second (and the server's memory
// per registered actor), discoveries per second against N registered actors of M types with ACLs,
// and the CPU cost of idle connected clients sending heartbeats.
//
// A harness main() that prints tables, like runtime_bench: the server runs in a child process
// (this executable with --server-child) pinned to one CPU, the clients in this process pinned to
// the others, so the server's CPU time and RSS are its own. Every figure is the median of --reps
// runs (default 3): registrations each against a fresh server and data directory, discovery and
// heartbeat windows against one population per row.
//
//   bench_signaling_bench [--reps N] [--quick] [--only store|register|discover|heartbeat]
//                         [--case SUBSTRING-OF-A-SCENARIO-NAME] [--disk-dir DIR] [--tmpfs-dir DIR]
//                         [--server-log LEVEL]
//
// The server child's log level defaults to warn; `actr signal` logs at info, one line per
// registration (--server-log info measures that, the lines going to /dev/null).
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "signaling/client.hpp"
#include "signaling/server/server.hpp"
#include "signaling/server/sqlite_registry_store.hpp"

extern char** environ;

#include "support/harness.hpp"

namespace {

using namespace actr::bench;  // NOLINT: the harness helpers

namespace fs = std::filesystem;
namespace sig = actr::signaling;

struct Options {
  int reps = 3;
  bool quick = false;
  std::string only;
  fs::path disk_dir = fs::temp_directory_path();
  fs::path tmpfs_dir = "/dev/shm";
  std::string server_log = "warn";
  std::string filter;  // --case: only scenarios whose name contains this
};
Options opts;

bool selected(const std::string& scenario) {
  return scenario.find(opts.filter) != std::string::npos;
}

// Bench threads issuing requests at once: each waits for its reply (the client API is
// synchronous), so this is the number of requests in flight.
constexpr unsigned kDrivers = 16;

// CPU time of this process: the clients and their I/O threads.
double client_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int cpu_count() { return static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN))); }

// The server gets the last CPU, the clients the others (all of them on a one-CPU machine).
int server_cpu() { return cpu_count() - 1; }

bool pin_to(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  return sched_setaffinity(0, sizeof set, &set) == 0;
}

// ---------------------------------------------------------------------------------------------
// The server child: starts a Server pinned to one CPU and answers one line per command on fd 3
// (commands) / fd 4 (answers): "s" -> "CPU_NS SYS_NS RSS_BYTES LIVE_ACTORS CONNECTIONS", "q" or EOF
// -> stop and exit. Its first answer line is the port.

constexpr int kCommandFd = 3;
constexpr int kAnswerFd = 4;

int64_t process_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The kernel's share (system time), which on loopback includes TCP processing of both ends.
int64_t process_sys_ns() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<int64_t>(ru.ru_stime.tv_sec) * 1'000'000'000 +
         static_cast<int64_t>(ru.ru_stime.tv_usec) * 1000;
}

int server_child(int cpu, const fs::path& data_dir, const std::string& log_level,
                 long heartbeat_ms) {
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (!pin_to({cpu})) std::fprintf(stderr, "server child: cannot pin to CPU %d\n", cpu);
  sig::server::ServerOptions o;
  o.data_dir = data_dir;
  o.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  o.enrollment.open = true;  // a benchmark on loopback
  // The default limit (1000 messages/s per connection) would cap the bench's busiest
  // connections, not the server.
  o.messages_per_second = 1e7;
  o.message_burst = 1e7;
  auto server = sig::server::Server::start(std::move(o));
  FILE* answers = fdopen(kAnswerFd, "w");
  FILE* commands = fdopen(kCommandFd, "r");
  if (!answers || !commands) return 1;
  if (!server) {
    std::fprintf(stderr, "server child: %s\n", server.error().message.c_str());
    std::fprintf(answers, "0\n");
    return 1;
  }
  std::fprintf(answers, "%u\n", static_cast<unsigned>((*server)->port()));
  std::fflush(answers);
  char line[64];
  while (std::fgets(line, sizeof line, commands) && line[0] == 's') {
    std::fprintf(answers, "%lld %lld %zu %zu %zu\n", static_cast<long long>(process_cpu_ns()),
                 static_cast<long long>(process_sys_ns()), rss_bytes(),
                 (*server)->live_actor_count(), (*server)->connection_count());
    std::fflush(answers);
  }
  (*server)->stop();
  return 0;
}

// Percent of `cpu` spent in the kernel. getrusage's user/system split is sampled at the tick:
// meaningless (NaN) over a few ticks of CPU time.
double kernel_share(double sys, double cpu) { return cpu < 0.05 ? NAN : sys / cpu * 100; }

struct ServerStats {
  double cpu_s = 0;
  double sys_s = 0;
  double rss = 0;
  size_t live = 0;
  size_t connections = 0;
};

// The parent's handle on a server child in a fresh data directory under `base`.
class ServerProcess {
 public:
  static std::unique_ptr<ServerProcess> start(const fs::path& base,
                                              std::chrono::milliseconds heartbeat) {
    std::unique_ptr<ServerProcess> p(new ServerProcess);
    static int counter = 0;
    p->dir_ =
        base / ("actr-sigbench-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(p->dir_);
    int cmd[2], ans[2];
    if (pipe2(cmd, O_CLOEXEC) != 0) return nullptr;
    if (pipe2(ans, O_CLOEXEC) != 0) {
      close(cmd[0]);
      close(cmd[1]);
      return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, cmd[0], kCommandFd);
    posix_spawn_file_actions_adddup2(&actions, ans[1], kAnswerFd);
    // Logs below warn would flood the terminal; they are still formatted and written.
    auto level = spdlog::level::from_str(opts.server_log);
    if (level < spdlog::level::warn) {
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    } else {
      posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    }
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::string cpu = std::to_string(server_cpu());
    std::string dir = p->dir_.string();
    std::string hb = std::to_string(heartbeat.count());
    char* argv[] = {exe.data(),
                    const_cast<char*>("--server-child"),
                    cpu.data(),
                    dir.data(),
                    opts.server_log.data(),
                    hb.data(),
                    nullptr};
    int rc = posix_spawn(&p->pid_, exe.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(cmd[0]);
    close(ans[1]);
    p->commands_ = fdopen(cmd[1], "w");
    p->answers_ = fdopen(ans[0], "r");
    if (rc != 0 || !p->commands_ || !p->answers_) {
      std::fprintf(stderr, "cannot start the server child: %s\n", std::strerror(rc));
      return nullptr;
    }
    char line[64];
    unsigned port = 0;
    if (!std::fgets(line, sizeof line, p->answers_) || std::sscanf(line, "%u", &port) != 1 ||
        port == 0) {
      std::fprintf(stderr, "the server child did not start\n");
      return nullptr;
    }
    p->url_ = "ws://127.0.0.1:" + std::to_string(port);
    return p;
  }

  ~ServerProcess() {
    if (commands_) {
      std::fputs("q\n", commands_);
      std::fclose(commands_);
    }
    if (answers_) std::fclose(answers_);
    if (pid_ > 0) {
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const std::string& url() const { return url_; }

  std::optional<ServerStats> stats() {
    std::fputs("s\n", commands_);
    std::fflush(commands_);
    char line[128];
    long long cpu_ns = 0, sys_ns = 0;
    size_t rss = 0, live = 0, conns = 0;
    if (!std::fgets(line, sizeof line, answers_) ||
        std::sscanf(line, "%lld %lld %zu %zu %zu", &cpu_ns, &sys_ns, &rss, &live, &conns) != 5) {
      std::fprintf(stderr, "the server child stopped answering\n");
      return std::nullopt;
    }
    return ServerStats{static_cast<double>(cpu_ns) * 1e-9, static_cast<double>(sys_ns) * 1e-9,
                       static_cast<double>(rss), live, conns};
  }

 private:
  ServerProcess() = default;
  fs::path dir_;
  pid_t pid_ = -1;
  FILE* commands_ = nullptr;
  FILE* answers_ = nullptr;
  std::string url_;
};

// ---------------------------------------------------------------------------------------------
// Client side helpers.

// Runs fn(i) for i in [0, n) on kDrivers threads; false (and the first error printed) if any
// call failed.
bool parallel(size_t n, const std::function<actr::Result<void>(size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string first_error;
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kDrivers; ++t) {
    threads.emplace_back([&] {
      for (size_t i; !failed && (i = next++) < n;) {
        if (auto r = fn(i); !r) {
          std::lock_guard lock(mu);
          if (!failed.exchange(true)) first_error = r.error().message;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) std::fprintf(stderr, "request failed: %s\n", first_error.c_str());
  return !failed;
}

using Clients = std::vector<std::unique_ptr<sig::Client>>;

std::optional<Clients> connect_clients(const std::string& url, size_t n,
                                       std::chrono::milliseconds heartbeat = {}) {
  Clients clients(n);
  sig::ClientOptions o;
  o.heartbeat = heartbeat;
  o.request_timeout = std::chrono::seconds(30);
  bool ok = parallel(n, [&](size_t i) -> actr::Result<void> {
    ACTR_TRY(clients[i], sig::Client::connect(url, o));
    return {};
  });
  if (!ok) return std::nullopt;
  return clients;
}

// Closes the clients on the driver threads: each close is a WebSocket close handshake and a
// thread join.
void close_all(Clients& clients) {
  parallel(clients.size(), [&](size_t i) -> actr::Result<void> {
    clients[i].reset();
    return {};
  });
  clients.clear();
}

// The registered population: type j of M is acme/svc-j@1.0.0. A third of the types have no ACL,
// a third admit the bench's callers after a non-matching deny rule, and a third admit only
// acme/* (so the callers' discoveries of them come back empty: filtered, not skipped).
sig::ActrType service_type(size_t j) { return {"acme", "svc-" + std::to_string(j), "1.0.0"}; }
const sig::ActrType kCallerType{"bench", "caller", "1.0.0"};

std::vector<sig::AccessRule> service_acl(size_t j) {
  auto rule = [](const char* text) { return *actr::workload::parse_access_rule(text); };
  switch (j % 3) {
    case 1:
      return {rule("deny evil/*"), rule("allow bench/*")};
    case 2:
      return {rule("allow acme/*")};
    default:
      return {};
  }
}

// Registers `per_client` actors on each client; actor k (over all clients) gets type k % types.
bool register_population(Clients& clients, size_t per_client, size_t types) {
  return parallel(clients.size() * per_client, [&](size_t k) -> actr::Result<void> {
    sig::RegisterParams p;
    p.type = service_type(k % types);
    p.realm = 1;
    p.acl = service_acl(k % types);
    p.advertised_address = "ws://10.0.0." + std::to_string(k % 250) + ":" + std::to_string(k);
    // Actor k lives on client k % clients: consecutive registrations go to different
    // connections, so the drivers keep many connections busy at once.
    ACTR_TRY_VOID(clients[k % clients.size()]->register_actor(p));
    return {};
  });
}

// ---------------------------------------------------------------------------------------------
// Tables (as runtime_bench prints them).

// ---------------------------------------------------------------------------------------------
// 0. The store alone: what one registration costs in SQLite (a serial from the block reserved in
// memory, and put as its own committed transaction with synchronous=NORMAL under WAL; the
// server groups the puts of one I/O loop turn), without the server around it.

std::optional<Figures> store_once(const fs::path& base, int count) {
  fs::path dir = base / ("actr-sigbench-store-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::optional<Figures> out;
  {
    auto store = sig::server::SqliteRegistryStore::open(dir / sig::server::kRegistryFileName);
    if (!store) {
      std::fprintf(stderr, "store: %s\n", store.error().message.c_str());
      return std::nullopt;
    }
    auto t0 = Clock::now();
    double c0 = thread_cpu_seconds();
    for (int i = 0; i < count; ++i) {
      auto serial = store->allocate_serial(1);
      if (!serial) return std::nullopt;
      sig::server::StoredRegistration reg;
      reg.id.realm.realm_id = 1;
      reg.id.serial_number = *serial;
      reg.id.type = service_type(static_cast<size_t>(i) % 100);
      reg.advertised_address = "ws://10.0.0.1:9000";
      reg.acl = sig::Acl(service_acl(static_cast<size_t>(i)));
      reg.registered_at = 1'800'000'000;
      if (!store->put(reg)) return std::nullopt;
    }
    double wall = seconds_since(t0), cpu = thread_cpu_seconds() - c0;
    out = Figures{{"per_reg_us", wall / count * 1e6},
                  {"cpu_per_reg_us", cpu / count * 1e6},
                  {"rate", count / wall}};
  }
  fs::remove_all(dir);
  return out;
}

// Ed25519 signing of a credential and its encoding, as each registration and renewal does.
std::optional<Figures> issue_once(int count) {
  auto issuer = sig::CredentialIssuer::generate();
  sig::CredentialClaims claims;
  claims.id.realm.realm_id = 1;
  claims.id.type = service_type(7);
  claims.issued_at = 1'800'000'000;
  claims.expires_at = claims.issued_at + 3600;
  size_t bytes = 0;
  auto t0 = Clock::now();
  double c0 = thread_cpu_seconds();
  for (int i = 0; i < count; ++i) {
    claims.id.serial_number = static_cast<uint64_t>(i) + 1;
    bytes += issuer.issue(claims).encode().size();
  }
  double wall = seconds_since(t0), cpu = thread_cpu_seconds() - c0;
  if (bytes == 0) return std::nullopt;
  return Figures{{"per_reg_us", wall / count * 1e6},
                 {"cpu_per_reg_us", cpu / count * 1e6},
                 {"rate", count / wall}};
}

void run_store() {
  Table t{{"wall per registration", "CPU per registration (thread)", "per second (one thread)"},
          {}};
  struct Row {
    std::string name;
    fs::path base;
    int count;
  };
  std::vector<Row> rows = {
      {"SQLite on disk: " + opts.disk_dir.string(), opts.disk_dir, opts.quick ? 30 : 200},
      {"SQLite on tmpfs: " + opts.tmpfs_dir.string(), opts.tmpfs_dir, opts.quick ? 1000 : 3000}};
  for (auto& r : rows) {
    if (!selected(r.name)) continue;
    auto f = median_of_reps(opts.reps, [&] { return store_once(r.base, r.count); });
    if (!f) {
      t.rows.push_back({r.name, {"failed"}});
      continue;
    }
    auto& m = *f;
    t.rows.push_back({r.name,
                      {format_figure(m["per_reg_us"], " us"),
                       format_figure(m["cpu_per_reg_us"], " us"), format_figure(m["rate"])}});
  }
  std::string issue = "credential: CredentialIssuer::issue + encode (Ed25519 sign)";
  if (selected(issue)) {
    auto f = median_of_reps(opts.reps, [] { return issue_once(opts.quick ? 500 : 2000); });
    if (f) {
      t.rows.push_back(
          {issue,
           {format_figure((*f)["per_reg_us"], " us"), format_figure((*f)["cpu_per_reg_us"], " us"),
            format_figure((*f)["rate"])}});
    } else {
      t.rows.push_back({issue, {"failed"}});
    }
  }
  t.print(
      "Parts of a registration, one thread, no server: SqliteRegistryStore allocate_serial (from "
      "a reserved block) + put (1 commit, synchronous=NORMAL), and the credential");
}

// ---------------------------------------------------------------------------------------------
// 1. Registrations: `clients` connections register `per_client` actors each, kDrivers requests
// in flight. RSS deltas: per connection (fresh server -> clients connected) and per actor.

std::optional<Figures> register_once(const fs::path& base, size_t clients, size_t per_client) {
  auto server = ServerProcess::start(base, std::chrono::milliseconds(10000));
  if (!server) return std::nullopt;
  auto s0 = server->stats();
  auto conns = connect_clients(server->url(), clients);
  if (!conns || !s0) return std::nullopt;
  auto s1 = server->stats();
  auto t0 = Clock::now();
  double c0 = client_cpu_seconds();
  bool ok = register_population(*conns, per_client, 100);
  double wall = seconds_since(t0), client_cpu = client_cpu_seconds() - c0;
  auto s2 = server->stats();
  if (!ok || !s1 || !s2) return std::nullopt;
  close_all(*conns);
  size_t n = clients * per_client;
  if (s2->live != n) {
    std::fprintf(stderr, "register: %zu live actors, expected %zu\n", s2->live, n);
    return std::nullopt;
  }
  double cpu = s2->cpu_s - s1->cpu_s;
  return Figures{{"rate", static_cast<double>(n) / wall},
                 {"cpu_util", cpu / wall * 100},
                 {"client_util", client_cpu / wall * 100},
                 {"cpu_per_reg_us", cpu / static_cast<double>(n) * 1e6},
                 {"sys_share", kernel_share(s2->sys_s - s1->sys_s, cpu)},
                 {"rate_per_core", static_cast<double>(n) / cpu},
                 {"rss_per_actor", (s2->rss - s1->rss) / static_cast<double>(n)},
                 {"rss_per_conn", (s1->rss - s0->rss) / static_cast<double>(clients)},
                 {"rss_total", s2->rss}};
}

void run_register() {
  Table t{{"registered", "registrations/s", "server CPU use (of 100%)", "client CPU use (of 100%)",
           "server CPU us per reg (kernel share)", "regs per server CPU-second",
           "server RSS per actor", "server RSS per connection", "server RSS at end"},
          {}};
  struct Row {
    std::string where;
    fs::path base;
    size_t clients, per_client;
  };
  std::vector<Row> rows;
  if (opts.quick) {
    rows = {{"disk", opts.disk_dir, 4, 10}, {"tmpfs", opts.tmpfs_dir, 50, 20}};
  } else {
    rows = {{"disk", opts.disk_dir, 10, 20},
            {"tmpfs", opts.tmpfs_dir, 10, 20},
            {"tmpfs", opts.tmpfs_dir, 200, 50}};
  }
  for (auto& r : rows) {
    std::string name = r.where + " (" + r.base.string() + "): " + std::to_string(r.clients) +
                       " clients x " + std::to_string(r.per_client) + " actors";
    if (!selected(name)) continue;
    auto f =
        median_of_reps(opts.reps, [&] { return register_once(r.base, r.clients, r.per_client); });
    if (!f) {
      t.rows.push_back({name, {"failed"}});
      continue;
    }
    auto& m = *f;
    t.rows.push_back(
        {name,
         {std::to_string(r.clients * r.per_client), format_figure(m["rate"]),
          format_figure(m["cpu_util"], "%"), format_figure(m["client_util"], "%"),
          format_figure(m["cpu_per_reg_us"]) + " (" + format_figure(m["sys_share"], "%") + ")",
          format_figure(m["rate_per_core"]), format_figure(m["rss_per_actor"], " B"),
          format_figure(m["rss_per_conn"] / 1024, " KB"),
          format_figure(m["rss_total"] / 1048576, " MB")}});
  }
  t.print("Registrations (100 types, a third with 2 ACL rules, a third with 1; " +
          std::to_string(kDrivers) + " requests in flight)");
}

// ---------------------------------------------------------------------------------------------
// 2. Discoveries: `actors` registered actors of `types` types (50 per owner connection), and
// `callers` connections with one bench/caller actor each; kDrivers threads discover types in
// turn, each through its own callers, for a fixed time. The --reps windows share one population
// (registering 10^4 actors takes longer than a window).

std::optional<Figures> discover_window(ServerProcess& server, Clients& callers, size_t types) {
  auto run_for = std::chrono::milliseconds(opts.quick ? 500 : 1500);
  std::vector<std::vector<double>> latencies(kDrivers);
  std::vector<size_t> candidates(kDrivers, 0);
  std::atomic<bool> failed{false};
  auto s0 = server.stats();
  auto t0 = Clock::now();
  double c0 = client_cpu_seconds();
  auto until = t0 + run_for;
  std::vector<std::thread> threads;
  for (unsigned d = 0; d < kDrivers; ++d) {
    threads.emplace_back([&, d] {
      // Driver d uses callers d, d + kDrivers, ... and starts at its own type.
      size_t type = d * 7919, caller = d;
      while (!failed && Clock::now() < until) {
        auto q0 = Clock::now();
        auto found = callers[caller]->discover(service_type(type % types));
        latencies[d].push_back(seconds_since(q0) * 1e6);
        if (!found) {
          std::fprintf(stderr, "discover: %s\n", found.error().message.c_str());
          failed = true;
          return;
        }
        candidates[d] += found->size();
        ++type;
        caller += kDrivers;
        if (caller >= callers.size()) caller = d % callers.size();
      }
    });
  }
  for (auto& t : threads) t.join();
  double wall = seconds_since(t0), client_cpu = client_cpu_seconds() - c0;
  auto s1 = server.stats();
  if (failed || !s0 || !s1) return std::nullopt;
  std::vector<double> all;
  size_t found = 0;
  for (unsigned d = 0; d < kDrivers; ++d) {
    all.insert(all.end(), latencies[d].begin(), latencies[d].end());
    found += candidates[d];
  }
  double n = static_cast<double>(all.size());
  double cpu = s1->cpu_s - s0->cpu_s;
  return Figures{{"rate", n / wall},
                 {"cpu_util", cpu / wall * 100},
                 {"client_util", client_cpu / wall * 100},
                 {"cpu_per_op_us", cpu / n * 1e6},
                 {"sys_share", kernel_share(s1->sys_s - s0->sys_s, cpu)},
                 {"rate_per_core", n / cpu},
                 {"p50", median(all)},
                 {"p99", percentile(all, 99)},
                 {"candidates", static_cast<double>(found) / n}};
}

std::optional<Figures> discover_figures(size_t actors, size_t types, size_t callers) {
  auto server = ServerProcess::start(opts.tmpfs_dir, std::chrono::milliseconds(10000));
  if (!server) return std::nullopt;
  const size_t per_owner = 50;
  auto owners = connect_clients(server->url(), (actors + per_owner - 1) / per_owner);
  auto callers_c = connect_clients(server->url(), callers);
  if (!owners || !callers_c) return std::nullopt;
  if (!register_population(*owners, per_owner, types)) return std::nullopt;
  bool ok = parallel(callers, [&](size_t i) -> actr::Result<void> {
    sig::RegisterParams p;
    p.type = kCallerType;
    p.realm = 1;
    p.advertised_address = "ws://10.0.1.1:" + std::to_string(i);
    ACTR_TRY_VOID((*callers_c)[i]->register_actor(p));
    return {};
  });
  if (!ok) return std::nullopt;
  auto f = median_of_reps(opts.reps, [&] { return discover_window(*server, *callers_c, types); });
  close_all(*callers_c);
  close_all(*owners);
  return f;
}

void run_discover() {
  Table t{{"discoveries/s", "server CPU use (of 100%)", "client CPU use (of 100%)",
           "server CPU us per discovery (kernel share)", "discoveries per server CPU-second",
           "latency p50 / p99", "candidates per reply"},
          {}};
  struct Row {
    size_t actors, types;
  };
  std::vector<Row> rows;
  if (opts.quick) {
    rows = {{1000, 100}, {5000, 500}};
  } else {
    rows = {{100, 10}, {1000, 100}, {10000, 1000}, {10000, 100}};
  }
  const size_t callers = 64;
  for (auto& r : rows) {
    std::string name =
        "N = " + std::to_string(r.actors) + " actors, M = " + std::to_string(r.types) + " types";
    if (!selected(name)) continue;
    auto f = discover_figures(r.actors, r.types, callers);
    if (!f) {
      t.rows.push_back({name, {"failed"}});
      continue;
    }
    auto& m = *f;
    t.rows.push_back(
        {name,
         {format_figure(m["rate"]), format_figure(m["cpu_util"], "%"),
          format_figure(m["client_util"], "%"),
          format_figure(m["cpu_per_op_us"]) + " (" + format_figure(m["sys_share"], "%") + ")",
          format_figure(m["rate_per_core"]),
          format_figure(m["p50"], " us") + " / " + format_figure(m["p99"], " us"),
          format_figure(m["candidates"])}});
  }
  t.print("Discoveries (" + std::to_string(callers) + " caller connections, " +
          std::to_string(kDrivers) + " requests in flight, types in turn)");
}

// ---------------------------------------------------------------------------------------------
// 3. Heartbeats: `clients` idle connections, one registered actor each, pinging every
// `interval`; the server's CPU use over whole heartbeat periods. Connecting thousands of clients
// takes far longer than a window, so the --reps windows share one population.

std::optional<Figures> heartbeat_window(ServerProcess& server, size_t clients,
                                        std::chrono::milliseconds interval) {
  auto window = std::max(interval, std::chrono::milliseconds(opts.quick ? 1000 : 2000));
  window = interval * ((window + interval - std::chrono::milliseconds(1)) / interval);
  auto s0 = server.stats();
  auto t0 = Clock::now();
  std::this_thread::sleep_for(window);
  auto s1 = server.stats();
  double wall = seconds_since(t0);
  if (!s0 || !s1) return std::nullopt;
  if (s1->connections != clients) {
    std::fprintf(stderr, "heartbeat: %zu connections left of %zu\n", s1->connections, clients);
    return std::nullopt;
  }
  double cpu = s1->cpu_s - s0->cpu_s;
  double pings =
      static_cast<double>(clients) * wall / std::chrono::duration<double>(interval).count();
  return Figures{{"cpu_util", cpu / wall * 100},
                 {"per_ping_us", cpu / pings * 1e6},
                 {"sys_share", kernel_share(s1->sys_s - s0->sys_s, cpu)},
                 {"pings_per_s", pings / wall},
                 {"rss", s1->rss}};
}

std::optional<Figures> heartbeat_figures(size_t clients, std::chrono::milliseconds interval) {
  auto server = ServerProcess::start(opts.tmpfs_dir, interval);
  if (!server) return std::nullopt;
  auto conns = connect_clients(server->url(), clients, interval);
  if (!conns || !register_population(*conns, 1, 100)) return std::nullopt;
  // Let the connection burst settle.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto f = median_of_reps(opts.reps, [&] { return heartbeat_window(*server, clients, interval); });
  close_all(*conns);
  return f;
}

void run_heartbeat() {
  Table t{{"pings/s (expected)", "server CPU use (of 100%)",
           "server CPU us per ping (kernel share)", "server RSS"},
          {}};
  struct Row {
    size_t clients;
    std::chrono::milliseconds interval;
  };
  using std::chrono::milliseconds;
  std::vector<Row> rows;
  if (opts.quick) {
    rows = {{200, milliseconds(500)}};
  } else {
    rows = {{500, milliseconds(1000)}, {2000, milliseconds(1000)}};
  }
  for (auto& r : rows) {
    std::string name = std::to_string(r.clients) + " idle clients, heartbeat every " +
                       std::to_string(r.interval.count()) + " ms";
    if (!selected(name)) continue;
    auto f = heartbeat_figures(r.clients, r.interval);
    if (!f) {
      t.rows.push_back({name, {"failed"}});
      continue;
    }
    auto& m = *f;
    t.rows.push_back(
        {name,
         {format_figure(m["pings_per_s"]), format_figure(m["cpu_util"], "%"),
          format_figure(m["per_ping_us"]) + " (" + format_figure(m["sys_share"], "%") + ")",
          format_figure(m["rss"] / 1048576, " MB")}});
  }
  t.print("Heartbeat load (idle connected clients, one actor each)");
}

bool wanted(const char* part) { return opts.only.empty() || opts.only == part; }

// Each client is a connection and a thread here, and one socket in the server.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  raise_fd_limit();
  // A server child that died must show up as a failed figure, not kill the bench on "q".
  std::signal(SIGPIPE, SIG_IGN);
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--server-child" && i + 4 < argc) {
      return server_child(std::atoi(argv[i + 1]), argv[i + 2], argv[i + 3], std::atol(argv[i + 4]));
    }
    if (a == "--reps" && i + 1 < argc) {
      opts.reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--quick") {
      opts.quick = true;
    } else if (a == "--only" && i + 1 < argc) {
      opts.only = argv[++i];
    } else if (a == "--disk-dir" && i + 1 < argc) {
      opts.disk_dir = argv[++i];
    } else if (a == "--tmpfs-dir" && i + 1 < argc) {
      opts.tmpfs_dir = argv[++i];
    } else if (a == "--case" && i + 1 < argc) {
      opts.filter = argv[++i];
    } else if (a == "--server-log" && i + 1 < argc) {
      opts.server_log = argv[++i];
    } else {
      std::fprintf(
          stderr,
          "usage: %s [--reps N] [--quick] [--only store|register|discover|heartbeat]\n"
          "       [--case SUBSTRING] [--disk-dir DIR] [--tmpfs-dir DIR] [--server-log LEVEL]\n",
          argv[0]);
      return 2;
    }
  }
  if (!fs::is_directory(opts.tmpfs_dir)) opts.tmpfs_dir = opts.disk_dir;
  spdlog::set_level(spdlog::level::warn);
  // Before any thread starts: threads inherit the affinity of their creator.
  std::vector<int> client_cpus;
  for (int c = 0; c < cpu_count(); ++c) {
    if (c != server_cpu() || cpu_count() == 1) client_cpus.push_back(c);
  }
  pin_to(client_cpus);
  std::printf(
      "# signaling server benchmarks: %d reps per figure (median shown), %d CPUs: server on CPU "
      "%d, clients on the %s\n",
      opts.reps, cpu_count(), server_cpu(), cpu_count() == 1 ? "same CPU" : "others");
  std::printf("server log level: %s; load average at start: %s\n", opts.server_log.c_str(),
              load_average().c_str());

  if (wanted("store")) run_store();
  if (wanted("register")) run_register();
  if (wanted("discover")) run_discover();
  if (wanted("heartbeat")) run_heartbeat();
  std::printf("\nload average at end: %s\n", load_average().c_str());
  return 0;
}
