#include "runtime/node.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <charconv>
#include <condition_variable>
#include <cstddef>
#include <fstream>
#include <future>
#include <iterator>
#include <new>
#include <random>
#include <utility>

#include "actr/component/component.hpp"
#include "runtime/host_imports.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/message_codec.hpp"
#include "wasi/add_to_linker.hpp"

namespace actr::runtime {

namespace {

// Reply slots (with their shared_ptr control block, one allocation per call) come from a small
// free list per thread instead of malloc/free: a slot is made on the caller's worker and usually
// freed there too. A block freed on another thread joins that thread's list; a thread frees what
// its list holds when it ends.
class SlotBlocks {
 public:
  static constexpr size_t kSize = 128, kAlign = alignof(std::max_align_t), kKeep = 256;
  static void* take(size_t bytes) {
    if (bytes <= kSize && !ended) {
      auto& l = list();
      if (Free* f = l.head) {
        l.head = f->next;
        --l.count;
        return f;
      }
      return ::operator new(kSize, std::align_val_t(kAlign));
    }
    return ::operator new(bytes, std::align_val_t(kAlign));
  }
  static void give(void* p, size_t bytes) {
    if (bytes <= kSize && !ended) {
      auto& l = list();
      if (l.count < kKeep) {
        l.head = new (p) Free{l.head};
        ++l.count;
        return;
      }
    }
    ::operator delete(p, std::align_val_t(kAlign));
  }

 private:
  struct Free {
    Free* next;
  };
  struct List {
    Free* head = nullptr;
    size_t count = 0;
    ~List() {
      ended = true;  // a block freed later on this thread goes straight back to the heap
      while (head) ::operator delete(std::exchange(head, head->next), std::align_val_t(kAlign));
    }
  };
  static List& list() {
    thread_local List l;
    return l;
  }
  static inline thread_local bool ended = false;
};

template <class T>
struct SlotAllocator {
  using value_type = T;
  SlotAllocator() = default;
  template <class U>
  SlotAllocator(const SlotAllocator<U>&) {}
  T* allocate(size_t n) { return static_cast<T*>(SlotBlocks::take(n * sizeof(T))); }
  void deallocate(T* p, size_t n) { SlotBlocks::give(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const SlotAllocator<U>&) const {
    return true;
  }
};

// The shell as an Endpoint: calls go to the embedding application's handler.
class ShellEndpoint final : public Endpoint {
 public:
  explicit ShellEndpoint(ShellHandler handler) : handler_(std::move(handler)) {}
  void deliver(Message m, std::function<void(Status)> accepted) override {
    if (m.kind == Message::Kind::Stream) {
      accepted(Status::Err(ActrError::not_found("the shell receives no data streams")));
      return;
    }
    accepted(Status::Ok());
    auto reply = m.reply;
    handler_(ShellRequest{std::move(m.caller), std::move(m.route_key), std::move(m.payload)},
             [reply](CallResult r) {
               if (reply) reply->settle(std::move(r));
             });
  }

 private:
  ShellHandler handler_;
};

std::string random_prefix() {
  std::random_device rd;
  std::uniform_int_distribution<uint32_t> dist;
  char buf[20];
  std::snprintf(buf, sizeof buf, "%08x%08x", dist(rd), dist(rd));
  return buf;
}

std::atomic<uint64_t> g_node_instances{0};

// Request ids: numbers taken from a node's counter kIdBlock at a time by each thread (one locked
// add per block instead of one per call), and the buffers of answered calls' ids to write new ones
// into (one allocation fewer per call).
constexpr uint64_t kIdBlock = 64;
struct IdBlock {
  uint64_t node = 0;  // Node::instance_ of the node the numbers are from
  uint64_t next = 0, end = 0;
};
constinit thread_local IdBlock tls_ids;
constexpr size_t kSpareIds = 16;
thread_local std::vector<std::string> tls_spare_ids;

}  // namespace

Node::Node(NodeConfig config, NodeOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      request_prefix_(random_prefix()),
      instance_(g_node_instances.fetch_add(1) + 1) {}

Result<std::unique_ptr<Node>> Node::create(NodeConfig config, NodeOptions options) {
  std::unique_ptr<Node> node(new Node(std::move(config), std::move(options)));
  wasm::EngineOptions engine_options;
  engine_options.cache_dir = node->options_.engine_cache_dir;
  engine_options.on_compile = node->options_.on_compile;
  if (!engine_options.on_compile) {
    engine_options.on_compile = [](const wasm::CompileProgress& p) {
      using Stage = wasm::CompileProgress::Stage;
      if (p.stage == Stage::Translated) {
        spdlog::info(
            "compiling a core module of {} KB ({} KB of C, {} functions of which {} ran so far); "
            "it is cached afterwards",
            p.wasm_bytes >> 10, p.c_bytes >> 10, p.functions, p.profiled_functions);
      } else if (p.stage == Stage::Compiling && p.units_done % 10 == 0) {
        spdlog::info("compiling a core module of {} KB: {}/{} units", p.wasm_bytes >> 10,
                     p.units_done, p.units_total);
      } else if (p.stage == Stage::Finished) {
        spdlog::info("compiled a core module of {} KB in {:.1f} s", p.wasm_bytes >> 10,
                     static_cast<double>(p.elapsed.count()) / 1000.0);
      }
    };
  }
  // Components end up on `engine_`; a tiered node starts them on the interpreter unless the code
  // cache already holds their compiled code (`cached_`), and compiles them in the background.
  EngineMode mode = node->config_.engine;
  auto engine = wasm::make_engine(
      mode == EngineMode::Interp ? wasm::EngineKind::Interp : wasm::EngineKind::Aot,
      engine_options);
  if (!engine) return make_error("engine: " + engine.error().message);
  node->engine_ = std::move(*engine);
  if (mode == EngineMode::Tiered) {
    auto interp = wasm::make_engine(wasm::EngineKind::Interp);
    if (!interp) return make_error("engine: " + interp.error().message);
    node->first_tier_ = std::move(*interp);
    wasm::EngineOptions cached = engine_options;
    cached.cache_only = true;
    auto cache = wasm::make_engine(wasm::EngineKind::Aot, cached);
    if (!cache) return make_error("engine: " + cache.error().message);
    node->cached_ = std::move(*cache);
  }
  node->linker_ = std::make_unique<component::Linker>(*node->engine_);
  workload::host::add_to_linker(*node->linker_, make_host_imports());
  // WASI for every actor, each with its own state, found through the actor that is running; a
  // call outside any actor (cannot happen through the host imports) gets an empty state.
  auto fallback = wasi::WasiState::create(wasi::WasiConfig{});
  if (!fallback) return make_error("WASI: " + fallback.error().message);
  auto provider = [fallback = *fallback]() -> wasi::WasiState& {
    Actor* actor = Actor::current();
    return actor && actor->wasi_state() ? *actor->wasi_state() : *fallback;
  };
  if (auto r = wasi::add_to_linker(*node->linker_, std::move(provider)); !r) {
    return make_error("WASI: " + r.error().message);
  }
  // Capabilities this host does not provide: components that import them still load (toolchains
  // import more than a workload uses); a call traps and says so.
  node->linker_->deny_imports(
      "wasi:http/",
      "was called: outgoing HTTP is not granted ([actors.wasi] http; this node "
      "does not provide it yet)");
  node->linker_->deny_imports(
      "wasi:sockets/",
      "was called: sockets are not granted ([actors.wasi] sockets; this node "
      "does not provide them yet)");
  node->workers_ = std::make_unique<WorkerPool>(node->config_.workers, node->config_.worker_spin);
  for (size_t i = 0; i < node->workers_->size(); ++i) {
    node->deadlines_.push_back(
        std::make_unique<CallDeadlines>(node->workers_->at(i).io(), node->config_.call_timeout));
  }
  node->outside_deadlines_ = std::make_unique<OutsideCallDeadlines>(node->config_.call_timeout);
  auto metrics = metrics::NodeMetrics::create(node->registry_);
  if (!metrics) return make_error("metrics: " + metrics.error().message);
  node->metrics_ = *metrics;
  auto reported = std::make_shared<std::atomic<uint64_t>>(0);  // webrtc requests counted so far
  node->registry_.add_collector([n = node.get(), reported] {
    for (auto& a : n->actors_) {
      n->metrics_.mailbox_depth->with({{"actor", a->mailbox_key()}})
          ->set(static_cast<double>(a->queue_length()));
      n->metrics_.failed->with({{"actor", a->mailbox_key()}})
          ->set(a->state() == Actor::State::Failed ? 1.0 : 0.0);
    }
    if (!n->network_) return;
    auto stats = n->network_->transport_stats();
    n->metrics_.network_connections->with({{"path", "websocket"}})
        ->set(static_cast<double>(stats.live - stats.live_carried));
    n->metrics_.network_connections->with({{"path", "webrtc"}})
        ->set(static_cast<double>(stats.live_carried - stats.live_relay));
    n->metrics_.network_connections->with({{"path", "relay"}})
        ->set(static_cast<double>(stats.live_relay));
    uint64_t before = reported->exchange(stats.carried_requests);
    if (stats.carried_requests > before) {
      n->metrics_.webrtc_requests->with({})->inc(stats.carried_requests - before);
    }
  });
  ShellHandler shell = node->options_.shell ? node->options_.shell : builtin_shell(*node);
  node->shell_ = std::make_shared<ShellEndpoint>(std::move(shell));
  return node;
}

Node::~Node() { stop(); }

Result<void> Node::open_store() {
  bool durable = false;
  for (const auto& a : config_.actors) durable |= a.mailbox == MailboxKind::Durable;
  if (!durable) return {};
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return make_error("data directory " + config_.data_dir.string() + ": " + ec.message());
  MailboxStoreOptions options;
  options.path = config_.data_dir / "mailbox.db";
  options.commit_window = config_.mailbox.commit_window;
  auto store = MailboxStore::open(std::move(options));
  if (!store) return make_error("mailbox database: " + store.error().message);
  store_ = std::move(*store);
  return {};
}

Result<std::shared_ptr<const component::Component>> Node::load_component(
    const std::filesystem::path& path) {
  if (config_.engine != EngineMode::Tiered) {
    return component::Component::load_file(*engine_, path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot open " + path.string());
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (auto compiled = component::Component::load(*cached_, bytes)) {
    spdlog::info("{}: compiled code from the code cache", path.string());
    return compiled;
  }
  auto first = component::Component::load(*first_tier_, bytes);
  if (!first) return make_error(path.string() + ": " + first.error().message);
  spdlog::info("{}: starts on the interpreter; compiling it in the background", path.string());
  {
    std::lock_guard lock(tier_mu_);
    tier_queue_.push_back({path, *first});
  }
  tier_cv_.notify_all();
  return first;
}

void Node::compile_in_background() {
  for (;;) {
    TierJob job;
    {
      std::unique_lock lock(tier_mu_);
      tier_cv_.wait(lock, [&] { return tier_stop_ || !tier_queue_.empty(); });
      if (tier_stop_) return;
      job = std::move(tier_queue_.front());
      tier_queue_.pop_front();
    }
    auto began = std::chrono::steady_clock::now();
    auto compiled = job.first_tier->recompile(*engine_);
    if (!compiled) {
      if (!tier_stop_) {
        spdlog::warn("{}: stays on the interpreter: {}", job.path.string(),
                     compiled.error().message);
      }
      continue;
    }
    std::string blocker;
    if (auto ok = job.first_tier->state_transferable(); !ok) blocker = ok.error().message;
    spdlog::info("{}: compiled in {:.1f} s; its actors move to the compiled code",
                 job.path.string(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    for (auto& actor : actors_) {
      if (actor->config().component == job.path) actor->offer_component(*compiled, blocker);
    }
  }
}

Result<std::vector<ActrId>> Node::assign_ids() {
  std::vector<ActrId> ids;
  if (!config_.network.enabled()) {
    uint64_t serial = 0;
    for (const ActorConfig& ac : config_.actors) {
      for (uint32_t i = 0; i < ac.instances; ++i) {
        ids.push_back(ActrId{workload::types::Realm{config_.realm}, ++serial, ac.type});
      }
    }
    return ids;
  }
  std::vector<Network::Member> members;
  for (const ActorConfig& ac : config_.actors) {
    for (uint32_t i = 0; i < ac.instances; ++i) {
      members.push_back({mailbox_key(ac, i), ac.type, ac.acl});
    }
  }
  auto start_network = options_.network ? options_.network : start_websocket_network;
  auto network = start_network(*this, std::move(members));
  if (!network) return make_error("network: " + network.error().message);
  network_ = std::move(*network);
  // Idle workers read the network's connections themselves (no transport-thread hop per frame).
  if (IdlePoller* poller = network_->idle_poller()) workers_->set_idle_poller(poller);
  spdlog::info("node {} listening for other nodes on {}, signaling at {}", config_.network.node_id,
               network_->listen_address(), config_.network.signaling);
  return network_->ids();
}

Result<void> Node::start() {
  if (started_.exchange(true)) return make_error("the node is already started");
  ACTR_TRY_VOID(open_store());

  ACTR_TRY(std::vector<ActrId> ids, assign_ids());

  // Components load once per file; actors of a file that does not load are failed, not fatal.
  std::map<std::filesystem::path, Result<std::shared_ptr<const component::Component>>> loaded;
  size_t index = 0;
  for (const ActorConfig& ac : config_.actors) {
    auto it = loaded.find(ac.component);
    if (it == loaded.end()) {
      it = loaded.emplace(ac.component, load_component(ac.component)).first;
      if (!it->second) {
        spdlog::error("actor `{}`: cannot load {}: {}", ac.name, ac.component.string(),
                      it->second.error().message);
      }
    }
    for (uint32_t i = 0; i < ac.instances; ++i, ++index) {
      auto component = it->second ? *it->second : nullptr;
      actors_.push_back(
          std::make_shared<Actor>(*this, ac, i, ids[index], workers_->at(index), component));
      by_serial_[ids[index].serial_number] = actors_.back();
      if (!component) {
        actors_.back()->mark_failed("cannot load " + ac.component.string() + ": " +
                                    it->second.error().message);
      }
    }
  }
  for (const auto& [serial, actor] : by_serial_) {
    if (serial >= kDenseSerials) continue;
    if (serial >= by_dense_serial_.size()) by_dense_serial_.resize(serial + 1, nullptr);
    by_dense_serial_[serial] = actor.get();
  }
  if (network_) network_->serve();

  // Recovery: what the durable mailboxes accepted before the last stop or crash.
  if (store_) {
    for (auto& actor : actors_) {
      if (actor->config().mailbox != MailboxKind::Durable) continue;
      auto pending = store_->pending(actor->mailbox_key());
      if (!pending) return make_error("mailbox database: " + pending.error().message);
      std::vector<Message> messages;
      for (auto& stored : *pending) {
        auto m = decode_body(stored.body);
        if (!m) {
          spdlog::error("actor {}: queued message {} is unreadable ({}); dead-lettering it",
                        actor->label(), stored.request_id, m.error().message);
          (void)store_->move_to_dead_letters(stored.id, "unreadable: " + m.error().message);
          continue;
        }
        m->request_id = stored.request_id;
        m->lane = stored.lane;
        m->store_id = stored.id;
        m->attempts = stored.attempts;
        messages.push_back(std::move(*m));
      }
      if (!messages.empty()) {
        spdlog::info("actor {}: {} messages recovered from the mailbox", actor->label(),
                     messages.size());
      }
      actor->recover(std::move(messages));
    }
  }

  // Counted in full before the first start: actors that started decrement it on their workers
  // while later ones are still being started here.
  std::vector<Actor*> to_start;
  for (auto& actor : actors_) {
    if (actor->state() != Actor::State::Failed) to_start.push_back(actor.get());
  }
  std::mutex mu;
  std::condition_variable cv;
  size_t waiting = to_start.size();
  for (Actor* actor : to_start) {
    actor->start([&, a = actor](Result<void> r) {
      if (!r) spdlog::error("actor {} did not start: {}", a->label(), r.error().message);
      std::lock_guard lock(mu);
      if (--waiting == 0) cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return waiting == 0; });
  size_t running = 0;
  for (auto& a : actors_) running += a->state() == Actor::State::Running;
  spdlog::info("node realm {}: {} of {} actors running", config_.realm, running, actors_.size());
  if (network_) network_->announce();
  if (config_.engine == EngineMode::Tiered)
    tier_thread_ = std::thread([this] { compile_in_background(); });
  if (store_) replay_watcher_ = std::thread([this] { watch_replays(); });
  balancer_ = std::thread([this] { balance(); });
  return {};
}

void Node::balance() {
  // Every millisecond while guest code runs somewhere; an idle node backs off to every 5 ms (a
  // call posted behind a worker that starts computing then moves within 5 + 2 ms). With one
  // worker there is nothing to balance: every 5 ms (or the check period, when shorter), for the
  // call timeouts and for the frames a worker left to the end of a turn that guest code holds up.
  constexpr auto kBusyTick = std::chrono::milliseconds(1), kIdleTick = std::chrono::milliseconds(5);
  const bool balancing = workers_->size() > 1;
  const auto period = deadlines_.front()->period();  // every worker's: the same timeout
  // A held worker's queue is visited at most once a period: a visit costs a system call that
  // interrupts every running thread of the process (BiasedLock).
  std::vector<std::chrono::steady_clock::time_point> next_visit(workers_->size());
  auto tick = balancing ? kBusyTick : std::min<std::chrono::milliseconds>(kIdleTick, period);
  std::unique_lock lock(balancer_mu_);
  while (!balancer_cv_.wait_for(lock, tick, [&] { return balancer_stop_; })) {
    auto now = std::chrono::steady_clock::now();
    outside_deadlines_->check(now);
    bool running = false, held = false;
    for (size_t i = 0; i < workers_->size(); ++i) {
      Worker& w = workers_->at(i);
      running |= w.guest_running();
      auto held_for = w.held_for(now);
      held |= held_for > Actor::kPatience;
      // The worker's own timer checks every period while the worker is free; held for longer,
      // it missed a check.
      if (held_for > period && now >= next_visit[i] && deadlines_[i]->settle_overdue(now))
        next_visit[i] = now + period;
      // Frames the worker's tasks sent before guest code took it go out now, not when the guest
      // code lets go.
      if (held_for > kBusyTick && w.turn_end().pending()) w.turn_end().run();
    }
    if (!balancing) continue;
    tick = std::min<std::chrono::milliseconds>(
        running ? kBusyTick : std::min<std::chrono::milliseconds>(tick * 2, kIdleTick), period);
    if (!held || stopped_.load()) continue;  // stopping: the actors drain where they are
    for (auto& actor : actors_) actor->rescue();
  }
}

Worker* Node::this_worker() {
  Worker* w = Worker::current();
  return w && w->index() < workers_->size() && &workers_->at(w->index()) == w ? w : nullptr;
}

void Node::stop() {
  if (!started_.load() || stopped_.exchange(true)) {
    if (!started_.load() && workers_) workers_->stop();
    return;
  }
  if (tier_thread_.joinable()) {
    {
      std::lock_guard lock(tier_mu_);
      tier_stop_ = true;
    }
    tier_cv_.notify_all();
    engine_->cancel_compiles();  // a compile in progress ends now
    tier_thread_.join();
  }
  if (replay_watcher_.joinable()) {
    {
      std::lock_guard lock(watcher_mu_);
      watcher_stop_ = true;
    }
    watcher_cv_.notify_all();
    replay_watcher_.join();
  }
  std::mutex mu;
  std::condition_variable cv;
  size_t waiting = actors_.size();
  for (auto& actor : actors_) {
    actor->stop(std::chrono::milliseconds(5'000), [&] {
      std::lock_guard lock(mu);
      if (--waiting == 0) cv.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return waiting == 0; });
  }
  if (network_) network_->stop();
  // Call timeouts are kept while the actors drain (a call running then still times out).
  if (balancer_.joinable()) {
    {
      std::lock_guard lock(balancer_mu_);
      balancer_stop_ = true;
    }
    balancer_cv_.notify_all();
    balancer_.join();
  }
  outside_deadlines_->clear();
  for (size_t i = 0; i < deadlines_.size(); ++i) {
    boost::asio::post(workers_->at(i).io(), [d = deadlines_[i].get()] { d->cancel(); });
  }
  workers_->stop();
  if (store_) store_->close();
}

void Node::watch_replays() {
  std::unique_lock lock(watcher_mu_);
  while (
      !watcher_cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return watcher_stop_; })) {
    lock.unlock();
    auto changed = store_->changed_by_another_process();
    if (changed && *changed) adopt_foreign_messages();
    lock.lock();
  }
}

void Node::adopt_foreign_messages() {
  for (auto& actor : actors_) {
    if (actor->config().mailbox != MailboxKind::Durable) continue;
    auto pending = store_->pending(actor->mailbox_key());
    if (!pending) continue;
    for (auto& stored : *pending) {
      auto m = decode_body(stored.body);
      if (!m) continue;  // unreadable rows are dead-lettered at the next start
      m->request_id = stored.request_id;
      m->lane = stored.lane;
      m->store_id = stored.id;
      m->attempts = stored.attempts;
      if (actor->adopt(std::move(*m))) {
        spdlog::info("actor {}: took message {} put back by another process", actor->label(),
                     stored.request_id);
      }
    }
  }
}

bool Node::healthy() const { return health_problems().empty(); }

std::vector<std::string> Node::health_problems() const {
  if (!started_.load()) return {"the node is starting"};
  if (stopped_.load()) return {"the node is stopping"};
  std::vector<std::string> problems;
  auto now = std::chrono::steady_clock::now();
  for (auto& a : actors_) {
    if (a->state() != Actor::State::Failed) continue;
    auto f = a->failure();
    std::string line = "actor " + a->label() + " failed: " + (f ? f->reason : "unknown reason");
    if (f && f->retry_at) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*f->retry_at - now);
      line += "; the supervisor starts it again in " +
              std::to_string(std::max<int64_t>(left.count(), 0)) + " ms";
    } else if (f) {
      line += " (not retried)";
    }
    problems.push_back(std::move(line));
  }
  return problems;
}

std::shared_ptr<Actor> Node::find(uint64_t serial) const {
  auto it = by_serial_.find(serial);
  return it == by_serial_.end() ? nullptr : it->second;
}

Actor* Node::find_local(const ActrId& id) const {
  if (id.realm.realm_id != config_.realm) return nullptr;
  Actor* a = nullptr;
  if (id.serial_number < by_dense_serial_.size()) {
    a = by_dense_serial_[id.serial_number];
  } else if (auto it = by_serial_.find(id.serial_number); it != by_serial_.end()) {
    a = it->second.get();
  }
  // An id names its type too: a stale id (another configuration) must not reach another type.
  if (a && !id.type.name.empty() && a->id().type.name != id.type.name) return nullptr;
  return a;
}

std::shared_ptr<Actor> Node::find(const ActrId& id) const {
  Actor* a = find_local(id);
  return a ? a->shared_from_this() : nullptr;
}

std::shared_ptr<Endpoint> Node::resolve_id(const ActrId& id) {
  if (auto local = find(id)) return local;
  if (network_ && id.realm.realm_id == config_.realm && !find(id.serial_number)) {
    return network_->endpoint(id);
  }
  return nullptr;
}

wit::Result<std::shared_ptr<Endpoint>, ActrError> Node::resolve(const workload::types::Dest& dest,
                                                                Actor& from) {
  using R = wit::Result<std::shared_ptr<Endpoint>, ActrError>;
  switch (dest.tag()) {
    case workload::types::Dest::Tag::Shell:
      return R::Ok(shell_);
    case workload::types::Dest::Tag::Local:
      return R::Ok(from.shared_from_this());
    case workload::types::Dest::Tag::Actor: {
      auto ep = resolve_id(dest.as_actor());
      if (!ep) return R::Err(ActrError::not_found("no actor " + to_string(dest.as_actor())));
      return R::Ok(std::move(ep));
    }
  }
  return R::Err(ActrError::invalid_argument("unknown destination"));
}

wit::Result<std::shared_ptr<Actor>, ActrError> Node::discover(const ActrType& type,
                                                              const ActrId* caller) {
  using R = wit::Result<std::shared_ptr<Actor>, ActrError>;
  std::vector<std::shared_ptr<Actor>> candidates;
  for (auto& a : actors_) {
    // A restarting actor is coming back: its mailbox keeps what it is sent meanwhile.
    auto state = a->state();
    if ((state == Actor::State::Running || state == Actor::State::Restarting) &&
        type_matches(a->id().type, type) && (!caller || a->admits(*caller))) {
      candidates.push_back(a);
    }
  }
  if (candidates.empty()) {
    return R::Err(ActrError::dependency_not_found(workload::types::DependencyNotFoundPayload{
        to_string(type),
        "no running actor of this type in realm " + std::to_string(config_.realm)}));
  }
  std::lock_guard lock(discover_mu_);
  size_t& next = round_robin_[to_string(type)];
  return R::Ok(candidates[next++ % candidates.size()]);
}

void Node::notify_all(const std::string& request_id, const Actor::HookFn& hook) {
  for (auto& a : actors_) a->notify(request_id, hook);
}

std::string Node::next_request_id() {
  IdBlock& block = tls_ids;
  if (block.node != instance_ || block.next == block.end) {
    block.node = instance_;
    block.next = request_counter_.fetch_add(kIdBlock, std::memory_order_relaxed) + 1;
    block.end = block.next + kIdBlock;
  }
  char digits[24];
  digits[0] = '-';
  auto end = std::to_chars(digits + 1, digits + sizeof digits, block.next++).ptr;
  // The text is built in place: in a recycled buffer, else in one allocation.
  std::string id;
  if (!tls_spare_ids.empty()) {
    id = std::move(tls_spare_ids.back());
    tls_spare_ids.pop_back();
    id.clear();
  }
  id.reserve(request_prefix_.size() + static_cast<size_t>(end - digits));
  id.append(request_prefix_).append(digits, end);
  return id;
}

void Node::recycle_request_id(std::string&& id) {
  // Only buffers on the heap are worth keeping (a short string's lives inside it).
  if (id.capacity() > 15 && tls_spare_ids.size() < kSpareIds)
    tls_spare_ids.push_back(std::move(id));
}

void Node::send_call(Endpoint& endpoint, Message&& message, Worker* caller_worker,
                     std::function<void(CallResult)> done) {
  auto slot = std::allocate_shared<ReplySlot>(SlotAllocator<ReplySlot>{}, std::move(done));
  if (caller_worker && caller_worker->in_this_thread()) {
    auto now = deadlines_[caller_worker->index()]->add(slot);
    // A caller's import (the usual case): the callee, if it runs here, starts next and takes this
    // time as its start instead of reading the clock again.
    if (Actor::current()) caller_worker->note_time(now);
  } else {
    outside_deadlines_->add(slot);
  }
  message.reply = std::move(slot);
  endpoint.deliver_call(std::move(message));
}

void Node::call(std::string_view target, std::string route_key, Bytes payload,
                std::function<void(CallResult)> done) {
  auto t = parse_target(target);
  if (!t) {
    done(CallResult::Err(ActrError::invalid_argument(t.error().message)));
    return;
  }
  std::shared_ptr<Endpoint> endpoint;
  if (t->type) {
    auto found = discover(*t->type);
    if (found.is_err()) {
      done(CallResult::Err(
          ActrError::not_found("no running actor of type `" + to_string(*t->type) + "`")));
      return;
    }
    endpoint = found.value();
  } else {
    ActrId id{workload::types::Realm{t->realm.value_or(config_.realm)}, *t->serial, {}};
    endpoint = resolve_id(id);
    if (!endpoint) {
      done(CallResult::Err(ActrError::not_found("no actor " + to_string(id))));
      return;
    }
  }
  Message m;
  m.kind = Message::Kind::Call;
  m.request_id = next_request_id();
  m.route_key = std::move(route_key);
  m.payload = std::move(payload);
  send_call(*endpoint, std::move(m), this_worker(), std::move(done));
}

CallResult Node::call_sync(std::string_view target, std::string route_key, Bytes payload) {
  std::promise<CallResult> p;
  auto f = p.get_future();
  call(target, std::move(route_key), std::move(payload),
       [&p](CallResult r) { p.set_value(std::move(r)); });
  return f.get();
}

Status Node::tell_sync(std::string_view target, std::string route_key, Bytes payload) {
  auto t = parse_target(target);
  if (!t) return Status::Err(ActrError::invalid_argument(t.error().message));
  std::shared_ptr<Endpoint> endpoint;
  if (t->type) {
    auto found = discover(*t->type);
    if (found.is_err()) return Status::Err(found.error());
    endpoint = found.value();
  } else {
    endpoint = resolve_id(
        ActrId{workload::types::Realm{t->realm.value_or(config_.realm)}, *t->serial, {}});
    if (!endpoint) return Status::Err(ActrError::not_found("no actor " + std::string(target)));
  }
  Message m;
  m.kind = Message::Kind::Tell;
  m.request_id = next_request_id();
  m.route_key = std::move(route_key);
  m.payload = std::move(payload);
  std::promise<Status> p;
  auto f = p.get_future();
  endpoint->deliver(std::move(m), [&p](Status s) { p.set_value(std::move(s)); });
  return f.get();
}

}  // namespace actr::runtime
