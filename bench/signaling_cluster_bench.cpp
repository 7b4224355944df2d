// Several signaling servers on NATS JetStream (issue 16) beside one: registrations and
// discoveries per second with one server on SQLite, one on NATS and three on NATS, and how long a
// node's link takes to fail over to the next server when its own stops.
//
// Servers and clients run in this process (the figures per CPU-second count both, plus
// nats-server's own CPU, read from /proc); nats-server is started here with its store in a
// temporary directory, as the tests do. Skips with a message when nats-server or libnats is
// missing.
//
//   bench_signaling_cluster_bench [--actors N] [--clients N] [--memory-actors N]
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "signaling/client.hpp"
#include "signaling/nats_server_process.hpp"
#define ACTR_BINARY_DIR ACTR_BENCH_BINARY_DIR
#include "signaling/signal_process.hpp"
#include "signaling/node_link.hpp"
#include "signaling/server/server.hpp"
#include "signaling/server/signing_key_file.hpp"
#include "support/harness.hpp"

namespace {

using namespace actr::bench;  // NOLINT: the harness helpers
namespace fs = std::filesystem;
namespace sig = actr::signaling;
using sig::testing::NatsServerProcess;

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// utime + stime of another process, from /proc/PID/stat.
double pid_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::string field;
  for (char c : stat.substr(close + 2)) {
    if (c == ' ') {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  if (fields.size() < 13) return 0;
  return (std::stod(fields[11]) + std::stod(fields[12])) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Setup {
  std::string name;
  int servers = 1;
  bool nats = false;
};

struct Row {
  std::string name;
  size_t registered = 0, discovered = 0;
  double registrations_per_s = 0, registration_cpu = 0, registration_nats_cpu = 0;
  double discoveries_per_s = 0, discovery_cpu = 0, discovery_nats_cpu = 0;
  double failover_ms = NAN;
};

Row run(const Setup& setup, const fs::path& base, size_t clients, size_t actors_per_client) {
  Row row{setup.name};
  fs::remove_all(base);
  fs::create_directories(base);
  std::unique_ptr<NatsServerProcess> nats;
  fs::path key = base / "realm.key";
  if (setup.nats) {
    nats = std::make_unique<NatsServerProcess>(base / "nats");
    if (!nats->ready() || !sig::server::create_signing_key_file(key)) {
      std::fprintf(stderr, "%s: nats-server did not start\n", setup.name.c_str());
      return row;
    }
  }
  std::vector<std::unique_ptr<sig::server::Server>> servers;
  for (int i = 0; i < setup.servers; ++i) {
    sig::server::ServerOptions o;
    o.data_dir = base / ("s" + std::to_string(i));
    o.enrollment.open = true;
    o.messages_per_second = 1e9;  // the bench is the only client: no rate limit in the way
    o.message_burst = 1e9;
    if (setup.nats) {
      o.nats_urls = {nats->url()};
      o.signing_key_file = key;
    }
    auto s = sig::server::Server::start(std::move(o));
    if (!s) {
      std::fprintf(stderr, "%s: %s\n", setup.name.c_str(), s.error().message.c_str());
      return row;
    }
    servers.push_back(std::move(*s));
  }
  auto url = [&](size_t i) { return servers[i % servers.size()]->listen_address(); };

  // Registrations: every client on its server (round-robin), all in parallel.
  std::vector<std::unique_ptr<sig::Client>> conns(clients);
  for (size_t c = 0; c < clients; ++c) {
    auto conn = sig::Client::connect(url(c), {});
    if (!conn) return row;
    conns[c] = std::move(*conn);
  }
  std::atomic<size_t> failed{0};
  std::vector<uint64_t> caller(clients, 0);  // one actor of each client asks in discoveries
  double cpu0 = process_cpu_seconds(), nats0 = nats ? pid_cpu_seconds(nats->pid()) : 0;
  auto t0 = Clock::now();
  {
    std::vector<std::thread> threads;
    for (size_t c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (size_t k = 0; k < actors_per_client; ++k) {
          sig::RegisterParams p;
          p.type = {"acme", "svc-" + std::to_string(k % 100), "1.0.0"};
          p.realm = 1;
          p.advertised_address = "ws://127.0.0.1:" + std::to_string(9000 + c);
          auto reg = conns[c]->register_actor(p);
          if (!reg) {
            failed.fetch_add(1);
          } else if (caller[c] == 0) {
            caller[c] = reg->id.serial_number;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  double wall = seconds_since(t0);
  size_t registered = clients * actors_per_client - failed.load();
  row.registered = registered;
  row.registrations_per_s = registered / wall;
  row.registration_cpu = process_cpu_seconds() - cpu0;
  row.registration_nats_cpu = nats ? pid_cpu_seconds(nats->pid()) - nats0 : 0;

  // Discoveries: every client asks for the types in turn (the registrations on every server are
  // visible from every server), in parallel, for about a second.
  std::atomic<size_t> answered{0};
  cpu0 = process_cpu_seconds();
  nats0 = nats ? pid_cpu_seconds(nats->pid()) : 0;
  t0 = Clock::now();
  {
    std::vector<std::thread> threads;
    for (size_t c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (size_t k = 0; seconds_since(t0) < 1.0; ++k) {
          auto found =
              conns[c]->discover({"acme", "svc-" + std::to_string((k + c) % 100), ""}, caller[c]);
          if (found && !found->empty()) answered.fetch_add(1);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  row.discovered = answered.load();
  row.discoveries_per_s = answered.load() / seconds_since(t0);
  row.discovery_cpu = process_cpu_seconds() - cpu0;
  row.discovery_nats_cpu = nats ? pid_cpu_seconds(nats->pid()) - nats0 : 0;
  for (auto& c : conns) c->close();

  // Failover: a node's link on server 0 with server 1 next; server 0 stops.
  if (servers.size() > 1) {
    std::atomic<int> connected{0};
    std::atomic<int64_t> reconnected_ns{0};
    sig::NodeLinkHooks hooks;
    hooks.on_connected = [&] {
      if (++connected == 2) reconnected_ns = Clock::now().time_since_epoch().count();
    };
    sig::NodeLinkOptions o;
    o.server_url = url(0);
    o.fallback_urls = {url(1)};
    auto link = sig::NodeLink::start(o, hooks);
    sig::RegisterParams p;
    p.type = {"acme", "moving", "1.0.0"};
    p.realm = 1;
    p.advertised_address = "ws://127.0.0.1:9999";
    size_t handle = link->add_actor(p);
    for (int i = 0; i < 500 && !(connected == 1 && link->registration(handle)); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto stopped = Clock::now();
    servers[0]->stop();
    for (int i = 0; i < 1000 && connected < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (connected >= 2) {
      row.failover_ms = (reconnected_ns.load() - stopped.time_since_epoch().count()) / 1e6;
    }
    link->stop();
  }
  for (auto& s : servers) s->stop();
  return row;
}

// VmRSS of another process, in bytes.
size_t pid_rss_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

size_t dir_bytes(const fs::path& dir) {
  size_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

struct MemoryRow {
  std::string name;
  size_t actors = 0;
  std::vector<double> server_bytes;  // RSS growth per actor, each server
  double nats_rss_bytes = NAN, store_bytes = NAN;
};

// `actors` registrations spread over the servers (processes), held by connections of this
// process; every server's and nats-server's growth divided by the actors.
MemoryRow measure_memory(const Setup& setup, const fs::path& base, size_t actors) {
  const std::string kToken = "bench-enroll-token-0123456789";
  MemoryRow row{setup.name, 0, {}};
  fs::remove_all(base);
  fs::create_directories(base);
  std::unique_ptr<NatsServerProcess> nats;
  fs::path key = base / "realm.key";
  if (setup.nats) {
    nats = std::make_unique<NatsServerProcess>(base / "nats");
    if (!nats->ready() || !sig::server::create_signing_key_file(key)) return row;
  }
  std::vector<std::unique_ptr<sig::testing::SignalProcess>> servers;
  std::vector<std::string> urls;
  for (int i = 0; i < setup.servers; ++i) {
    std::vector<std::string> args{"--listen",  "127.0.0.1:0", "--data-dir",
                                  (base / ("s" + std::to_string(i))).string(),
                                  "--enroll-token", kToken, "--rate", "1000000", "--log-level",
                                  "err"};
    if (setup.nats) {
      args.insert(args.end(), {"--nats", nats->url(), "--signing-key-file", key.string()});
    }
    servers.push_back(std::make_unique<sig::testing::SignalProcess>(args));
    std::string line = servers.back()->read_line(std::chrono::seconds(20));
    if (line.rfind("signaling: ", 0) != 0) {
      std::fprintf(stderr, "%s: actr signal did not start\n", setup.name.c_str());
      return row;
    }
    urls.push_back(line.substr(11));
  }
  // Connections first: what is measured is the registrations.
  constexpr size_t kConnections = 16;
  std::vector<std::unique_ptr<sig::Client>> conns;
  sig::ClientOptions client_options;
  client_options.enroll_token = kToken;
  for (size_t c = 0; c < kConnections; ++c) {
    auto conn = sig::Client::connect(urls[c % urls.size()], client_options);
    if (!conn) return row;
    conns.push_back(std::move(*conn));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto server_rss = [&] {
    std::vector<size_t> out;
    for (const auto& s : servers) out.push_back(pid_rss_bytes(s->pid()));
    return out;
  };
  fs::path store = setup.nats ? base / "nats" / "jetstream" : base / "s0";
  std::vector<size_t> rss0 = server_rss();
  size_t nats0 = nats ? pid_rss_bytes(nats->pid()) : 0, store0 = dir_bytes(store);

  std::vector<uint64_t> caller(kConnections, 0);
  std::atomic<size_t> registered{0};
  std::vector<std::thread> threads;
  for (size_t c = 0; c < kConnections; ++c) {
    threads.emplace_back([&, c] {
      for (size_t k = c; k < actors; k += kConnections) {
        sig::RegisterParams p;
        p.type = {"acme", "svc-" + std::to_string(k % 100), "1.0.0"};
        p.realm = 1;
        p.advertised_address = "ws://127.0.0.1:" + std::to_string(9000 + c);
        if (auto reg = conns[c]->register_actor(p)) {
          registered.fetch_add(1);
          if (caller[c] == 0) caller[c] = reg->id.serial_number;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  row.actors = registered.load();
  // Every server holds every actor (the others' from NATS) before it is measured.
  for (int round = 0; round < 200; ++round) {
    bool all = true;
    for (size_t c = 0; c < std::min(kConnections, urls.size()); ++c) {
      size_t seen = 0;
      for (int t = 0; t < 100; ++t) {
        auto found = conns[c]->discover({"acme", "svc-" + std::to_string(t), ""}, caller[c]);
        seen += found ? found->size() : 0;
      }
      all = all && seen == row.actors;
    }
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // JetStream writes its blocks
  std::vector<size_t> rss1 = server_rss();
  double n = static_cast<double>(std::max<size_t>(row.actors, 1));
  for (size_t i = 0; i < rss1.size(); ++i) {
    row.server_bytes.push_back((static_cast<double>(rss1[i]) - static_cast<double>(rss0[i])) / n);
  }
  if (nats) {
    row.nats_rss_bytes = (static_cast<double>(pid_rss_bytes(nats->pid())) - nats0) / n;
  }
  row.store_bytes = (static_cast<double>(dir_bytes(store)) - store0) / n;
  for (auto& c : conns) c->close();
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  size_t clients = 8, actors = 250, memory_actors = 20000;
  for (int i = 1; i + 1 < argc; ++i) {
    std::string a = argv[i];
    if (a == "--clients") clients = std::stoul(argv[++i]);
    if (a == "--actors") actors = std::stoul(argv[++i]);
    if (a == "--memory-actors") memory_actors = std::stoul(argv[++i]);
  }
  spdlog::set_level(spdlog::level::err);  // servers stopping say so at warn
  bool have_nats = !NatsServerProcess::binary().empty();
#ifndef ACTR_HAVE_NATS
  have_nats = false;
#endif
  std::printf("# signaling servers on NATS: %zu clients x %zu registrations, load %s\n\n", clients,
              actors, load_average().c_str());
  std::vector<Setup> setups{{"1 server, SQLite", 1, false}};
  if (have_nats) {
    setups.push_back({"1 server, NATS", 1, true});
    setups.push_back({"3 servers, NATS", 3, true});
  } else {
    std::printf(
        "nats-server or libnats missing (apt-get install nats-server libnats-dev): only "
        "the SQLite row\n\n");
  }
  fs::path base = fs::temp_directory_path() / ("actr-sigcluster-" + std::to_string(::getpid()));
  std::printf(
      "| servers | registrations/s | per CPU-second (servers+clients+nats) | discoveries/s "
      "| per CPU-second | failover of a node |\n|---|---|---|---|---|---|\n");
  for (const auto& s : setups) {
    Row r = run(s, base, clients, actors);
    double reg_cpu = r.registration_cpu + r.registration_nats_cpu;
    double disc_cpu = r.discovery_cpu + r.discovery_nats_cpu;
    std::string failover =
        std::isnan(r.failover_ms) ? "-" : std::to_string(static_cast<int>(r.failover_ms)) + " ms";
    std::printf("| %s | %.0f | %.0f | %.0f | %.0f | %s |\n", r.name.c_str(), r.registrations_per_s,
                reg_cpu > 0 ? r.registered / reg_cpu : 0.0, r.discoveries_per_s,
                disc_cpu > 0 ? r.discovered / disc_cpu : 0.0, failover.c_str());
    std::fflush(stdout);
  }
  std::printf(
      "\n# memory per registered actor: %zu actors over 16 connections, servers as `actr signal` "
      "processes, load %s\n\n| servers | each server's RSS | nats-server RSS | store on disk "
      "(SQLite file / JetStream) |\n|---|---|---|---|\n",
      memory_actors, load_average().c_str());
  for (const auto& s : setups) {
    MemoryRow r = measure_memory(s, base, memory_actors);
    std::string each;
    for (double b : r.server_bytes) each += (each.empty() ? "" : ", ") + std::to_string(lround(b));
    auto bytes = [](double v) { return std::isnan(v) ? std::string("-") : std::to_string(lround(v)); };
    std::printf("| %s (%zu actors) | %s B | %s B | %s B |\n", r.name.c_str(), r.actors,
                each.empty() ? "-" : each.c_str(), bytes(r.nats_rss_bytes).c_str(),
                bytes(r.store_bytes).c_str());
    std::fflush(stdout);
  }
  fs::remove_all(base);
  return 0;
}
