// A node: the actors of one actr.toml on one machine, their router, threads and mailboxes.
//
//   auto node = Node::create(*load_config("actr.toml"));
//   (*node)->start();                                     // on-start, on-ready for every actor
//   auto reply = (*node)->call_sync("acme/echo", "echo", bytes);
//   (*node)->stop();                                      // drain, on-stop, close the store
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "runtime/actor.hpp"
#include "runtime/call_deadlines.hpp"
#include "runtime/config.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/metrics/registry.hpp"
#include "runtime/network.hpp"
#include "runtime/outside_call_deadlines.hpp"
#include "runtime/shell.hpp"
#include "runtime/stream_registry.hpp"
#include "runtime/worker_pool.hpp"

namespace actr::runtime {

class MailboxStore;

struct NodeOptions {
  ShellHandler shell;  // default: builtin_shell
  std::optional<std::filesystem::path> engine_cache_dir;
  // Compiles that miss the code cache; default: a log line when one starts and when it ends.
  std::function<void(const wasm::CompileProgress&)> on_compile;
  // Starts the node's network when [network] is configured; default: start_websocket_network.
  NetworkFactory network;
};

class Node final : public LocalActors {
 public:
  static Result<std::unique_ptr<Node>> create(NodeConfig config, NodeOptions options = {});
  ~Node() override;  // stop()
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Loads every component and starts every actor (on-start, then on-ready). An actor whose
  // component cannot load or whose on-start fails is logged and left Failed; the others run.
  // Errors only for node-wide failures (the data directory or the mailbox database).
  Result<void> start();
  // Stops every actor (drain, on-stop), closes the mailbox database. Idempotent.
  void stop();

  // A call from outside (gateway, CLI, tests): no caller. `target` as parse_target() reads it.
  // `done` runs once, from any thread; the node's call timeout applies.
  void call(std::string_view target, std::string route_key, Bytes payload,
            std::function<void(CallResult)> done);
  // Blocks the calling thread (never call it from a worker).
  CallResult call_sync(std::string_view target, std::string route_key, Bytes payload);
  // Fire-and-forget from outside: ok once accepted.
  Status tell_sync(std::string_view target, std::string route_key, Bytes payload);

  const NodeConfig& config() const override { return config_; }
  // True while the node runs and none of its actors has failed (GET /healthz).
  bool healthy() const;
  // Why the node is not healthy, a line each: "not running", or "actor echo#0 (1:1) failed: ...;
  // next start in 9.2 s". Empty when healthy.
  std::vector<std::string> health_problems() const;
  metrics::Registry& metrics_registry() { return registry_; }
  const metrics::NodeMetrics& metrics() const { return metrics_; }
  std::vector<std::shared_ptr<Actor>> actors() const { return actors_; }
  std::shared_ptr<Actor> find(const ActrId& id) const override;
  std::shared_ptr<Actor> find(uint64_t serial) const override;
  // The actor of this node that `id` names (as find(id)), without a reference count: actors live
  // as long as the node. Null when none. What a call between two actors of the node resolves.
  Actor* find_local(const ActrId& id) const;
  std::optional<uint64_t> stream_owner(const std::string& stream_id) const override {
    return streams_.owner(stream_id);
  }
  // An actor of this node (round-robin over running instances) serving `type` that `caller` (if
  // any) may call by the target's ACL, or dependency-not-found.
  wit::Result<std::shared_ptr<Actor>, ActrError> discover(const ActrType& type,
                                                          const ActrId* caller = nullptr);
  wit::Result<std::shared_ptr<Endpoint>, ActrError> resolve(const workload::types::Dest& dest,
                                                            Actor& from);
  // The actor `id` names: of this node, or (with [network]) of another node; null when unknown.
  std::shared_ptr<Endpoint> resolve_id(const ActrId& id);
  // The node's network part; null without [network] (or before start()).
  Network* network() { return network_.get(); }
  // Queues an observation hook on every running actor (signaling/transport events).
  void notify_all(const std::string& request_id, const Actor::HookFn& hook) override;

  // --- For actors ---
  const component::Linker& linker() const { return *linker_; }
  MailboxStore* store() { return store_.get(); }
  StreamRegistry& streams() { return streams_; }
  // `<prefix>-<number>`, unique in the node (and across its restarts, by the random prefix). The
  // numbers come from the node's counter a block per thread at a time: unique, not in order.
  std::string next_request_id();
  // A request id no longer needed (its call answered): next_request_id() on this thread writes
  // the next one into its buffer instead of allocating one.
  static void recycle_request_id(std::string&& id);
  std::shared_ptr<Endpoint> shell_endpoint() { return shell_; }
  // Sends `message` (a call) to `endpoint`; `done` gets its outcome exactly once: the refusal,
  // the reply, or timed-out after the node's call timeout. `caller_worker`: the worker of the
  // calling thread, whose deadline queue keeps the call; null for a caller on no worker of this
  // node (the queue of outside callers). `endpoint` is only used during the call of send_call.
  void send_call(Endpoint& endpoint, Message&& message, Worker* caller_worker,
                 std::function<void(CallResult)> done);
  WorkerPool& workers() { return *workers_; }

 private:
  // The balancer thread. Fairness: while guest code holds a worker for longer than
  // Actor::kPatience, the calls of the other actors posted there run on another worker
  // (Actor::rescue); with two workers or more, every millisecond while guest code runs, up to
  // every 5 ms while none does. Call timeouts: those of outside callers, and those of a worker
  // that guest code holds for longer than its check period (its timer cannot run); at least
  // every check period. Until the actors stopped (fairness until stop() begins).
  void balance();
  // This thread's worker, if it is one of this node's; else null.
  Worker* this_worker();
  explicit Node(NodeConfig config, NodeOptions options);
  Result<void> open_store();
  // The actors' ids: from the signaling server with [network], else 1, 2, ... in config order.
  Result<std::vector<ActrId>> assign_ids();
  // The first tier of a component (tiered: compiled code from the cache, else the interpreter,
  // queued for compiling in the background).
  Result<std::shared_ptr<const component::Component>> load_component(
      const std::filesystem::path& path);
  void compile_in_background();
  // Watches the mailbox database for rows other processes add (`actr dlq replay`).
  void watch_replays();
  void adopt_foreign_messages();

  NodeConfig config_;
  NodeOptions options_;
  std::unique_ptr<wasm::Engine> engine_;      // where components end up
  std::unique_ptr<wasm::Engine> first_tier_;  // tiered: the interpreter
  std::unique_ptr<wasm::Engine> cached_;      // tiered: compiled code from the cache only
  struct TierJob {
    std::filesystem::path path;
    std::shared_ptr<const component::Component> first_tier;
  };
  std::thread tier_thread_;  // compiles queued components one at a time
  std::mutex tier_mu_;
  std::condition_variable tier_cv_;
  std::deque<TierJob> tier_queue_;
  std::atomic<bool> tier_stop_{false};
  std::unique_ptr<component::Linker> linker_;
  std::unique_ptr<WorkerPool> workers_;
  std::vector<std::unique_ptr<CallDeadlines>> deadlines_;  // by worker index
  std::unique_ptr<OutsideCallDeadlines> outside_deadlines_;
  std::unique_ptr<MailboxStore> store_;
  metrics::Registry registry_;
  metrics::NodeMetrics metrics_;
  std::shared_ptr<Network> network_;
  std::vector<std::shared_ptr<Actor>> actors_;  // in config order; fixed after start()
  std::unordered_map<uint64_t, std::shared_ptr<Actor>> by_serial_;
  // The same for serials below kDenseSerials, indexed by serial (no hash, whose 64-bit division
  // showed in every call's profile); fixed after start() as by_serial_.
  static constexpr uint64_t kDenseSerials = 1 << 16;
  std::vector<Actor*> by_dense_serial_;
  std::shared_ptr<Endpoint> shell_;
  StreamRegistry streams_;
  std::mutex discover_mu_;
  std::map<std::string, size_t> round_robin_;
  std::string request_prefix_;
  std::atomic<uint64_t> request_counter_{0};
  uint64_t instance_;  // this Node object among the process's: whose block a thread's ids are
  std::atomic<bool> started_{false}, stopped_{false};
  std::thread balancer_;
  std::thread replay_watcher_;
  std::mutex watcher_mu_;
  std::condition_variable watcher_cv_;
  bool watcher_stop_ = false;
  std::mutex balancer_mu_;
  std::condition_variable balancer_cv_;
  bool balancer_stop_ = false;
};

}  // namespace actr::runtime
