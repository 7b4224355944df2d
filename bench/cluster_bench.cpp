// Actor -> actor calls across nodes (issue 5): node A (alpha callers, this process), node B
// (beta callees, a child process: this executable run with --node-child) and a signaling server
// (in this process, used for registration and discovery only), side by side with the same call
// on one node and with the bare node-to-node transport, so the runtime's own share is visible.
//
// A harness main() that prints tables, as bench/runtime_bench.cpp does: every figure is the
// median of --reps runs (default 3), each on fresh nodes (and a fresh child process).
//
//   bench_cluster_bench [--reps N] [--quick] [--only latency|throughput|durable]
//                       [--case SUBSTRING-OF-A-SCENARIO-NAME] [--json]
//
// --quick: smaller samples and one repetition (unless --reps is given); a smoke run.
// --json: also one line per figure, {"peer":"actr","scenario":...,"figure":...,"value":...}, for
// bench/peers/run.sh, and latency cases also time lone calls, each after a 1 ms pause
// (paused_one_minus_ext), as the peers do; the tables are printed as without it.
//
// Workload: <build>/guests/runtime_probe.wasm (tests/runtime/guests/probe: routes `echo`,
// `call-id REALM SERIAL ROUTE DATA` and `call-loop N TYPE ROUTE DATA`).
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/transport.hpp"
#include "runtime/config.hpp"
#include "runtime/node.hpp"
#include "signaling/server/server.hpp"
#include "support/coturn.hpp"

extern char** environ;

#include "support/bench_node.hpp"
#include "support/harness.hpp"

namespace {

using namespace actr::bench;  // NOLINT: the harness helpers

namespace fs = std::filesystem;
using actr::runtime::Node;
using actr::workload::Bytes;
using actr::workload::CallResult;

// User + system CPU of a (running) child, all its threads: fields 14 and 15 of /proc/PID/stat.
double cpu_seconds_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));  // from field 3 (state) on
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// ---------------------------------------------------------------------------------------------
// Nodes and processes.

struct NodeShape {
  unsigned workers = 1;
  uint32_t instances = 1;
  std::string mailbox = "memory";
  int spin_us = -1;       // worker_spin_us; -1: the node's default
  std::string signaling;  // empty: no [network]
  bool webrtc = false;    // [network] transports = ["websocket", "webrtc"] on 127.0.0.1
  bool relayed = false;   // and WebRTC only through the TURN server (ice_relay_only)
};

std::string node_toml(const std::string& name, const NodeShape& s,
                      const std::vector<std::string>& actor_names) {
  std::string t = "workers = " + std::to_string(s.workers) + "\ncall_timeout_ms = 10000\n";
  if (s.spin_us >= 0) t += "worker_spin_us = " + std::to_string(s.spin_us) + "\n";
  if (!s.signaling.empty()) {
    t += "[network]\nsignaling = \"" + s.signaling + "\"\nnode_id = \"" + name + "\"\n";
    if (s.webrtc) {
      t += "transports = [\"websocket\", \"webrtc\"]\nice_addresses = [\"127.0.0.1\"]\n";
      if (s.relayed) t += "ice_relay_only = true\n";
    }
  }
  for (const auto& a : actor_names) {
    t += "[[actors]]\nname = \"" + a + "\"\ncomponent = \"" + guest("runtime_probe").string() +
         "\"\ntype = \"test/" + a + "@0.1.0\"\nmailbox = \"" + s.mailbox +
         "\"\ninstances = " + std::to_string(s.instances) + "\n";
  }
  return t;
}

// This executable run as `--node-child ...`: it prints one line ("ready INFO") when it serves,
// and stops when its stdin closes (so it also goes when the parent dies).
class Child {
 public:
  static std::unique_ptr<Child> spawn(const std::vector<std::string>& args) {
    int in[2], out[2];
    if (pipe(in) != 0) return nullptr;
    if (pipe(out) != 0) {
      close(in[0]);
      close(in[1]);
      return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    for (int fd : {in[0], in[1], out[0], out[1]}) posix_spawn_file_actions_addclose(&actions, fd);
    std::string exe = fs::read_symlink("/proc/self/exe").string();
    std::vector<std::string> all{exe, "--node-child"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::unique_ptr<Child> c(new Child);
    int rc = posix_spawn(&c->pid_, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    c->stdin_ = in[1];
    c->stdout_ = out[0];
    if (rc != 0) {
      c->pid_ = -1;
      std::fprintf(stderr, "spawn %s: %s\n", exe.c_str(), std::strerror(rc));
      return nullptr;
    }
    std::string line;
    char ch;
    while (read(c->stdout_, &ch, 1) == 1 && ch != '\n') line += ch;
    if (line.rfind("ready ", 0) != 0) {
      std::fprintf(stderr, "node child did not start (said `%s`)\n", line.c_str());
      return nullptr;
    }
    c->info_ = line.substr(6);
    return c;
  }
  ~Child() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      // It stops its node and exits; give it a few seconds, then insist.
      for (int i = 0; i < 500; ++i) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    if (stdout_ >= 0) close(stdout_);
  }
  const std::string& info() const { return info_; }
  double cpu_seconds() const { return cpu_seconds_of(pid_); }

 private:
  Child() = default;
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1;
  std::string info_;
};

actr::net::TransportOptions bare_options(std::string node) {
  actr::net::TransportOptions o;
  o.node_id = std::move(node);
  o.credential = [] { return actr::net::Bytes{'k'}; };
  o.verify = [](std::span<const uint8_t>) -> actr::Result<actr::net::PeerInfo> {
    return actr::net::PeerInfo{};
  };
  return o;
}

// A bare transport that answers every call with its payload from the transport thread. With
// `accept_first` it sends an Accepted frame before the Reply, as a node does for a call it
// queues in a memory mailbox (NodeNetwork::on_request -> Actor::deliver -> Responder::accept).
std::unique_ptr<actr::net::Transport> echo_transport(bool accept_first = false) {
  auto o = bare_options("echo");
  o.on_request = [accept_first](const actr::net::PeerInfo&, actr::net::Request request,
                                actr::net::Responder responder) {
    if (accept_first) responder.accept(actr::workload::Status::Ok());
    responder.reply(CallResult::Ok(std::move(request.message.payload)));
  };
  auto t = actr::net::Transport::start(std::move(o));
  if (!t) {
    std::fprintf(stderr, "echo transport: %s\n", t.error().message.c_str());
    return nullptr;
  }
  return std::move(*t);
}

// `--node-child beta SIGNALING INSTANCES MAILBOX WORKERS SPIN_US PATH`
// (PATH: websocket|webrtc|relayed) or
// `--node-child transport` (or `transport-accept`).
int node_child(int argc, char** argv, int at) {
  spdlog::set_level(spdlog::level::warn);
  std::string kind = at < argc ? argv[at] : "";
  std::unique_ptr<BenchNode> node;
  std::unique_ptr<actr::net::Transport> transport;
  std::string info;
  if (kind == "beta" && at + 6 < argc) {
    NodeShape s;
    s.signaling = argv[at + 1];
    s.instances = static_cast<uint32_t>(std::stoul(argv[at + 2]));
    s.mailbox = argv[at + 3];
    s.workers = static_cast<unsigned>(std::stoul(argv[at + 4]));
    s.spin_us = std::stoi(argv[at + 5]);
    s.webrtc = std::string(argv[at + 6]) != "websocket";
    s.relayed = std::string(argv[at + 6]) == "relayed";
    node = BenchNode::start("b", node_toml("b", s, {"beta"}));
    if (!node) return 1;
    info = std::to_string(node->node().actors()[0]->id().serial_number);
  } else if (kind == "transport" || kind == "transport-accept") {
    transport = echo_transport(kind == "transport-accept");
    if (!transport) return 1;
    info = transport->listen_address();
  } else {
    std::fprintf(stderr,
                 "--node-child beta SIGNALING INSTANCES MAILBOX WORKERS SPIN_US PATH | transport | "
                 "transport-accept\n");
    return 2;
  }
  std::printf("ready %s\n", info.c_str());
  std::fflush(stdout);
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  if (transport) transport->stop();
  node.reset();
  return 0;
}

// The signaling server, node B (child process) with `beta` and node A (here) with `alpha`.
struct Cluster {
  std::unique_ptr<actr::test::Coturn> turn;  // for relayed shapes
  std::unique_ptr<actr::signaling::server::Server> server;
  std::unique_ptr<Child> b;
  std::unique_ptr<BenchNode> a;
  uint64_t beta_serial = 0;
  fs::path server_dir;

  ~Cluster() {
    a.reset();
    b.reset();
    if (server) server->stop();
    server.reset();
    turn.reset();
    std::error_code ec;
    fs::remove_all(server_dir, ec);
  }
  double cpu_seconds() const { return cpu_seconds_self() + b->cpu_seconds(); }

  static std::unique_ptr<Cluster> start(const NodeShape& alpha, NodeShape beta) {
    auto c = std::make_unique<Cluster>();
    c->server_dir = fs::temp_directory_path() / ("actr-cbench-signal-" + std::to_string(getpid()));
    fs::remove_all(c->server_dir);
    actr::signaling::server::ServerOptions options;
    options.data_dir = c->server_dir;
    options.enrollment.open = true;  // a benchmark on loopback
    // The per-connection rate limit (default 1000/s) would throttle discovery: every call-loop
    // discovers its callee once.
    options.messages_per_second = 1e6;
    options.message_burst = 1e6;
    if (beta.relayed) {
      // A coturn on 127.0.0.1 whose credentials the server hands out at registration.
      const std::string secret = "cluster-bench-turn-secret-0123";
      c->turn = std::make_unique<actr::test::Coturn>(c->server_dir / "turn", secret);
      if (!c->turn->ready()) {
        std::fprintf(stderr, "coturn: %s\n", c->turn->diagnosis().c_str());
        return nullptr;
      }
      options.turn_servers = {{"127.0.0.1", c->turn->port()}};
      options.turn_secret = secret;
    }
    auto server = actr::signaling::server::Server::start(options);
    if (!server) {
      std::fprintf(stderr, "signaling server: %s\n", server.error().message.c_str());
      return nullptr;
    }
    c->server = std::move(*server);
    beta.signaling = c->server->listen_address();
    c->b = Child::spawn({"beta", beta.signaling, std::to_string(beta.instances), beta.mailbox,
                         std::to_string(beta.workers), std::to_string(beta.spin_us),
                         beta.relayed  ? "relayed"
                         : beta.webrtc ? "webrtc"
                                       : "websocket"});
    if (!c->b) return nullptr;
    c->beta_serial = std::stoull(c->b->info());
    NodeShape a = alpha;
    a.signaling = beta.signaling;
    c->a = BenchNode::start("a", node_toml("a", a, {"alpha"}));
    if (!c->a) return nullptr;
    return c;
  }
};

// ---------------------------------------------------------------------------------------------
// Tables: one row per scenario, each column the median over the repetitions.

std::string pair(double a, double b) {
  return format_figure(a, " us") + " / " + format_figure(b, " us");
}

bool selected(const std::string& name) { return name.find(opts.filter) != std::string::npos; }

// ---------------------------------------------------------------------------------------------
// Latency: one caller. External echo (the floor of Node::call_sync), one call by id (`call-id`,
// no discovery), `call-loop 1` (one discovery + one call) and the per-call time of `call-loop
// N` batches. Same node: alpha and beta on one node (serial 2 is beta). Across nodes: alpha on
// A, beta on B (another process).

// With WebRTC: after the first calls (which go on WebSocket and make the offer), waits until the
// path carries the traffic, so that every measured call takes it.
bool await_webrtc(Node& node) {
  auto until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < until) {
    if (node.network() && node.network()->transport_stats().live_carried > 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::fprintf(stderr, "the WebRTC path did not open within 10 s\n");
  return false;
}

enum class Where { SameNode, AcrossNodes };

struct LatencyCase {
  std::string name;
  Where where;
  unsigned workers;      // per node
  std::string mailbox;   // beta's
  int spin_us = -1;      // worker_spin_us of both nodes; -1: default
  bool webrtc = false;   // both nodes take WebRTC (data channels on 127.0.0.1)
  bool relayed = false;  // through coturn only
};

std::optional<Figures> latency_once(const LatencyCase& c) {
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<BenchNode> single;
  Node* node = nullptr;
  uint64_t beta = 2;
  NodeShape shape;
  shape.workers = c.workers;
  shape.spin_us = c.spin_us;
  shape.webrtc = c.webrtc;
  shape.relayed = c.relayed;
  if (c.where == Where::AcrossNodes) {
    NodeShape beta_shape = shape;
    beta_shape.mailbox = c.mailbox;
    cluster = Cluster::start(shape, beta_shape);
    if (!cluster) return std::nullopt;
    node = &cluster->a->node();
    beta = cluster->beta_serial;
  } else {
    // alpha (memory) and beta (c.mailbox) on one node: two actor configs of their own shape.
    std::string toml = node_toml("one", shape, {"alpha"});
    NodeShape beta_shape = shape;
    beta_shape.mailbox = c.mailbox;
    std::string beta_toml = node_toml("one", beta_shape, {"beta"});
    toml += beta_toml.substr(beta_toml.find("[[actors]]"));
    single = BenchNode::start("one", toml);
    if (!single) return std::nullopt;
    node = &single->node();
    beta = node->actors()[1]->id().serial_number;
  }
  const bool durable = c.mailbox == "durable";
  const int singles = opts.quick ? 300 : 1000;
  const int batch = 200;
  const int batches = opts.quick ? 15 : (durable ? 30 : 60);
  const std::string by_id = "1 " + std::to_string(beta) + " echo " + kPayload;
  const std::string loop1 = "1 beta echo " + kPayload;
  const std::string loopN = std::to_string(batch) + " beta echo " + kPayload;

  // Warm-up: the connection to B, route metrics series, fiber stacks, caches.
  if (!time_calls(*node, "alpha", "call-loop", loopN, 3)) return std::nullopt;
  if (c.webrtc && !await_webrtc(*node)) return std::nullopt;
  auto ext = time_calls(*node, "alpha", "echo", kPayload, singles);
  auto one = time_calls(*node, "alpha", "call-id", by_id, singles);
  auto loop = time_calls(*node, "alpha", "call-loop", loop1, singles / 4);
  if (!ext || !one || !loop) return std::nullopt;
  double cpu0 = cluster ? cluster->cpu_seconds() : cpu_seconds_self();
  auto t0 = Clock::now();
  auto per_call = time_calls(*node, "alpha", "call-loop", loopN, batches);
  double wall = seconds_since(t0);
  double cpu = (cluster ? cluster->cpu_seconds() : cpu_seconds_self()) - cpu0;
  if (!per_call) return std::nullopt;
  for (double& v : *per_call) v /= batch;
  Figures f{{"ext_p50", median(*ext)},
            {"ext_p99", percentile(*ext, 99)},
            {"one_p50", median(*one)},
            {"one_p99", percentile(*one, 99)},
            {"one_minus_ext", median(*one) - median(*ext)},
            {"loop_p50", median(*loop)},
            {"loop_p99", percentile(*loop, 99)},
            {"batch_p50", median(*per_call)},
            {"batch_p99", percentile(*per_call, 99)},
            {"rate", batch * batches / wall},
            {"cpu_per_call", cpu / (batch * batches) * 1e6}};
  if (opts.json) {  // bench/peers' lone call: after a 1 ms pause, when every worker sleeps
    auto paused = paused_calls(*node, "call-id", by_id, singles, kPause);
    if (!paused) return std::nullopt;
    f.insert(paused->begin(), paused->end());
  }
  return f;
}

// The bare transport: sequential 64-byte calls from this process to an echo transport in a child
// process (or in this process), answered on the transport thread.
enum class Bare { ThisProcess, OtherProcess, OtherProcessAcceptFirst };

std::optional<Figures> bare_latency_once(Bare where) {
  std::unique_ptr<Child> child;
  std::unique_ptr<actr::net::Transport> local;
  std::string address;
  if (where != Bare::ThisProcess) {
    child = Child::spawn({where == Bare::OtherProcess ? "transport" : "transport-accept"});
    if (!child) return std::nullopt;
    address = child->info();
  } else {
    local = echo_transport();
    if (!local) return std::nullopt;
    address = local->listen_address();
  }
  auto client = actr::net::Transport::start(bare_options("client"), "");
  if (!client) return std::nullopt;
  auto peer = (*client)->peer(address);
  if (!peer) return std::nullopt;
  const int count = opts.quick ? 2000 : 10000;
  std::vector<double> samples;
  samples.reserve(count);
  bool failed = false;
  for (int i = 0; i < count + 200; ++i) {  // the first 200: warm-up (connection, allocations)
    actr::net::Request r;
    r.target.realm.realm_id = 1;
    r.target.serial_number = 2;
    r.message.kind = actr::workload::Message::Kind::Call;
    r.message.route_key = "echo";
    r.message.request_id = "bench-" + std::to_string(i);
    r.message.payload = bytes(kPayload);
    auto t0 = Clock::now();
    std::promise<CallResult> done;
    (*peer)->call(std::move(r), [&](CallResult result) { done.set_value(std::move(result)); });
    auto result = done.get_future().get();
    if (i >= 200) samples.push_back(seconds_since(t0) * 1e6);
    failed |= !check(result, "bare call");
    if (failed) break;
  }
  (*client)->stop();
  if (failed) return std::nullopt;
  return Figures{{"p50", median(samples)}, {"p99", percentile(samples, 99)}};
}

void run_latency(const std::vector<LatencyCase>& cases, const std::string& title, bool with_bare) {
  Table t{{"external echo p50 / p99", "one call (call-id) p50 / p99", "one call minus external",
           "call-loop N=1 (+ discovery) p50 / p99", "per call, N=200 batches p50 / p99",
           "calls/s (1 caller)", "CPU us per call (all processes)"},
          {}};
  std::optional<double> bare_p50;
  if (with_bare) {
    std::pair<Bare, std::string> bares[] = {
        {Bare::OtherProcess, "bare transport, echo server in another process"},
        {Bare::OtherProcessAcceptFirst,
         "bare transport, another process, Accepted + Reply frames (as a node answers)"},
        {Bare::ThisProcess, "bare transport, echo server in this process (as net_bench)"}};
    for (auto& [where, name] : bares) {
      if (!selected(name)) continue;
      auto f = median_of_reps(opts.reps, [where = where] { return bare_latency_once(where); });
      if (!f) {
        t.rows.push_back({name, {"failed"}});
        continue;
      }
      if (where == Bare::OtherProcess) bare_p50 = (*f)["p50"];
      json_lines(name, *f);
      t.rows.push_back({name, {"-", pair((*f)["p50"], (*f)["p99"]), "-", "-", "-", "-", "-"}});
    }
  }
  std::vector<std::pair<std::string, double>> ratios;
  for (const LatencyCase& c : cases) {
    if (!selected(c.name)) continue;
    auto f = median_of_reps(opts.reps, [&] { return latency_once(c); });
    if (!f) {
      t.rows.push_back({c.name, {"failed"}});
      continue;
    }
    auto& m = *f;
    json_lines(c.name, m);
    t.rows.push_back({c.name,
                      {pair(m["ext_p50"], m["ext_p99"]), pair(m["one_p50"], m["one_p99"]),
                       format_figure(m["one_minus_ext"], " us"), pair(m["loop_p50"], m["loop_p99"]),
                       pair(m["batch_p50"], m["batch_p99"]), format_figure(m["rate"]),
                       format_figure(m["cpu_per_call"])}});
    if (c.where == Where::AcrossNodes) ratios.push_back({c.name, m["batch_p50"]});
  }
  t.print(title);
  if (bare_p50 && *bare_p50 > 0) {
    for (auto& [name, per_call] : ratios) {
      std::printf("\n%s: per call %.1f us = %.2f x the bare transport (%.1f us)\n", name.c_str(),
                  per_call, per_call / *bare_p50, *bare_p50);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput: `callers` alpha instances each run `call-loop 200 beta echo` back to back, driven
// by callbacks of Node::call; discovery spreads them over the beta instances (round-robin).

struct ThroughputCase {
  std::string name;
  Where where;
  unsigned workers;  // per node
  uint32_t callers, callees;
  std::string mailbox;   // the callees'
  int spin_us = -1;      // worker_spin_us of every node; -1: default
  bool webrtc = false;   // both nodes take WebRTC (data channels on 127.0.0.1)
  bool relayed = false;  // through coturn only
};

std::chrono::milliseconds run_time() { return std::chrono::milliseconds(opts.quick ? 400 : 1000); }

std::optional<Figures> throughput_once(const ThroughputCase& c) {
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<BenchNode> single;
  Node* node = nullptr;
  NodeShape alpha;
  alpha.workers = c.workers;
  alpha.instances = c.callers;
  alpha.spin_us = c.spin_us;
  alpha.webrtc = c.webrtc;
  alpha.relayed = c.relayed;
  NodeShape beta;
  beta.workers = c.workers;
  beta.spin_us = c.spin_us;
  beta.webrtc = c.webrtc;
  beta.relayed = c.relayed;
  beta.instances = c.callees;
  beta.mailbox = c.mailbox;
  if (c.where == Where::AcrossNodes) {
    cluster = Cluster::start(alpha, beta);
    if (!cluster) return std::nullopt;
    node = &cluster->a->node();
  } else {
    std::string toml = node_toml("one", alpha, {"alpha"});
    std::string beta_toml = node_toml("one", beta, {"beta"});
    toml += beta_toml.substr(beta_toml.find("[[actors]]"));
    single = BenchNode::start("one", toml);
    if (!single) return std::nullopt;
    node = &single->node();
  }
  std::vector<std::string> callers;
  for (auto& a : node->actors()) {
    if (a->config().name == "alpha") {
      callers.push_back("1:" + std::to_string(a->id().serial_number));
    }
  }
  auto launch = [&](LoopDriver& d) {
    for (auto& target : callers) d.start(target);
  };
  {  // warm-up: every caller connects and runs once
    LoopDriver warm(*node, 20, Clock::now());
    launch(warm);
    warm.wait();
    if (warm.errors()) {
      std::fprintf(stderr, "throughput warm-up: %s\n", warm.first_error().c_str());
      return std::nullopt;
    }
  }
  if (c.webrtc && !await_webrtc(*node)) return std::nullopt;
  auto cpu_now = [&] { return cluster ? cluster->cpu_seconds() : cpu_seconds_self(); };
  auto t0 = Clock::now();
  double cpu0 = cpu_now();
  LoopDriver d(*node, 200, t0 + run_time());
  launch(d);
  d.wait();
  double wall = seconds_since(t0), cpu = cpu_now() - cpu0;
  if (d.errors()) {
    std::fprintf(stderr, "throughput: %llu loops failed: %s\n",
                 static_cast<unsigned long long>(d.errors()), d.first_error().c_str());
    return std::nullopt;
  }
  return Figures{{"rate", static_cast<double>(d.calls()) / wall},
                 {"cpu_util", cpu / wall * 100},
                 {"cpu_per_call", cpu / static_cast<double>(d.calls()) * 1e6}};
}

// The bare transport: `callers` concurrent call chains on one shared connection to an echo
// transport in a child process.
std::optional<Figures> bare_throughput_once(uint32_t callers, bool accept_first) {
  auto child = Child::spawn({accept_first ? "transport-accept" : "transport"});
  if (!child) return std::nullopt;
  // Declared before the transport: destroyed after its threads stopped.
  std::atomic<bool> running{true};
  std::atomic<uint64_t> calls{0}, failures{0};
  std::mutex mu;
  std::condition_variable cv;
  uint32_t finished = 0;
  std::function<void()> next;
  auto client = actr::net::Transport::start(bare_options("client"), "");
  if (!client) return std::nullopt;
  auto peer = (*client)->peer(child->info());
  if (!peer) return std::nullopt;
  next = [&] {
    if (!running.load()) {
      std::lock_guard lock(mu);
      if (++finished == callers) cv.notify_all();
      return;
    }
    actr::net::Request r;
    r.target.realm.realm_id = 1;
    r.target.serial_number = 2;
    r.message.kind = actr::workload::Message::Kind::Call;
    r.message.route_key = "echo";
    r.message.request_id = "bench";
    r.message.payload = bytes(kPayload);
    (*peer)->call(std::move(r), [&](CallResult result) {
      if (result.is_ok()) {
        calls.fetch_add(1);
      } else {
        failures.fetch_add(1);
        running = false;
      }
      next();
    });
  };
  auto t0 = Clock::now();
  double cpu0 = cpu_seconds_self() + child->cpu_seconds();
  for (uint32_t i = 0; i < callers; ++i) next();
  std::this_thread::sleep_for(run_time());
  running = false;
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return finished == callers; });
  }
  double wall = seconds_since(t0);
  double cpu = cpu_seconds_self() + child->cpu_seconds() - cpu0;
  (*client)->stop();
  if (failures) {
    std::fprintf(stderr, "bare throughput: %llu calls failed\n",
                 static_cast<unsigned long long>(failures.load()));
    return std::nullopt;
  }
  return Figures{{"rate", static_cast<double>(calls) / wall},
                 {"cpu_util", cpu / wall * 100},
                 {"cpu_per_call", cpu / static_cast<double>(calls) * 1e6}};
}

void run_throughput(const std::vector<ThroughputCase>& cases, const std::vector<uint32_t>& bare,
                    const std::string& title) {
  Table t{{"calls/s", "CPU use, all processes (of 200%)", "CPU us per call"}, {}};
  auto add = [&](const std::string& name, const std::optional<Figures>& f) {
    if (!f) {
      t.rows.push_back({name, {"failed"}});
      return;
    }
    auto m = *f;
    json_lines(name, m);
    t.rows.push_back({name,
                      {format_figure(m["rate"]), format_figure(m["cpu_util"], "%"),
                       format_figure(m["cpu_per_call"])}});
  };
  for (uint32_t callers : bare) {
    for (bool accept_first : {false, true}) {
      std::string name = "bare transport: " + std::to_string(callers) +
                         " concurrent callers, echo server in another process" +
                         (accept_first ? ", Accepted + Reply frames" : "");
      if (!selected(name)) continue;
      add(name,
          median_of_reps(opts.reps, [=] { return bare_throughput_once(callers, accept_first); }));
    }
  }
  for (const ThroughputCase& c : cases) {
    if (selected(c.name))
      add(c.name, median_of_reps(opts.reps, [&] { return throughput_once(c); }));
  }
  t.print(title);
}

bool wanted(const char* part) { return opts.only.empty() || opts.only == part; }

}  // namespace

int main(int argc, char** argv) {
  bool reps_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--node-child") return node_child(argc, argv, i + 1);
    if (a == "--reps" && i + 1 < argc) {
      opts.reps = std::max(1, std::atoi(argv[++i]));
      reps_given = true;
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
                   "usage: %s [--reps N] [--quick] [--only latency|throughput|durable]\n"
                   "       [--case SUBSTRING] [--json]\n",
                   argv[0]);
      return 2;
    }
  }
  if (opts.quick && !reps_given) opts.reps = 1;  // a smoke run: one fresh cluster per figure
  if (!fs::exists(guest("runtime_probe"))) {
    std::fprintf(stderr, "%s is missing: build guest_runtime_probe first\n",
                 guest("runtime_probe").c_str());
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  std::printf(
      "# cross-node call benchmarks: %d reps per figure (median shown), %u hardware threads\n"
      "# node A (callers) in this process, node B (callees) in a child process, signaling server "
      "in this process; loopback WebSocket between them\n",
      opts.reps, std::thread::hardware_concurrency());
  std::printf("load average at start: %s\n", load_average().c_str());

  if (wanted("latency")) {
    run_latency(
        {{"same node, workers = 1 (alpha and beta on one thread)", Where::SameNode, 1, "memory"},
         {"same node, workers = 2", Where::SameNode, 2, "memory"},
         {"across nodes, workers = 1 per node", Where::AcrossNodes, 1, "memory"},
         {"across nodes, workers = 1 per node, worker_spin_us = 0 (no polling)", Where::AcrossNodes,
          1, "memory", 0},
         {"across nodes, workers = 2 per node", Where::AcrossNodes, 2, "memory"},
         {"across nodes over WebRTC, workers = 1 per node", Where::AcrossNodes, 1, "memory", -1,
          true},
         {"across nodes over WebRTC relayed through coturn, workers = 1 per node",
          Where::AcrossNodes, 1, "memory", -1, true, true}},
        "Actor -> actor call latency, 64-byte echo, one caller, memory lane (us)", true);
  }
  if (wanted("throughput")) {
    std::vector<ThroughputCase> cases;
    for (uint32_t callers : {8u, 32u, 64u}) {
      std::string n = std::to_string(callers);
      cases.push_back({"same node: " + n + " callers -> 4 callees, workers = 2", Where::SameNode, 2,
                       callers, 4, "memory"});
      cases.push_back({"across nodes: " + n + " callers -> 4 callees, workers = 1 per node",
                       Where::AcrossNodes, 1, callers, 4, "memory"});
    }
    cases.push_back(
        {"across nodes: 64 callers -> 4 callees, workers = 1 per node, "
         "worker_spin_us = 0",
         Where::AcrossNodes, 1, 64, 4, "memory", 0});
    cases.push_back({"across nodes: 64 callers -> 4 callees, workers = 2 per node",
                     Where::AcrossNodes, 2, 64, 4, "memory"});
    cases.push_back({"across nodes over WebRTC: 64 callers -> 4 callees, workers = 1 per node",
                     Where::AcrossNodes, 1, 64, 4, "memory", -1, true});
    cases.push_back(
        {"across nodes over WebRTC relayed through coturn: 64 callers -> 4 callees, "
         "workers = 1 per node",
         Where::AcrossNodes, 1, 64, 4, "memory", -1, true, true});
    run_throughput(cases, {8, 64},
                   "Actor -> actor call throughput, 64-byte echo, call-loop N=200 per caller, "
                   "memory lane");
  }
  if (wanted("durable")) {
    run_latency({{"across nodes, durable beta (commit window 100 us), workers = 1 per node",
                  Where::AcrossNodes, 1, "durable"}},
                "Durable lane across nodes: call latency, one caller (us)", false);
    run_throughput({{"across nodes: 64 callers -> 4 durable callees, workers = 1 per node",
                     Where::AcrossNodes, 1, 64, 4, "durable"}},
                   {}, "Durable lane across nodes: throughput");
  }
  std::printf("\nload average at end: %s\n", load_average().c_str());
  return 0;
}
