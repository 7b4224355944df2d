// One actor: a workload component instance with an identity, a mailbox and a supervisor.
//
// Execution model (docs/RUNTIME.md): an actor has a home worker thread. It runs one export call
// at a time, each on its own fiber, from start to end on one worker; imports that wait (call,
// call-raw, tell and stream sends waiting for acceptance) suspend that fiber and the worker serves
// other actors meanwhile. The worker that runs the actor holds it (owner_) until it is idle; any
// other thread that wants to run it hands it to that worker (Worker::defer on the same thread,
// Worker::send from another: no post through the io_context on the call path). Between calls, while
// guest code of another actor holds its home worker for longer than kPatience, its next call runs
// on another worker, so one actor that computes does not stall the others of its worker. Messages
// that arrive while a call is suspended wait in the mailbox (no interleaving): an actor's state is
// only ever touched by one call at a time. A message whose call chain contains an actor that is
// already waiting on that chain (A -> B -> A, or call(local)) is refused at once with `unavailable`
// instead of deadlocking.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr_workload_guest_host.hpp"
#include "runtime/call_context.hpp"
#include "runtime/config.hpp"
#include "runtime/endpoint.hpp"
#include "runtime/in_call.hpp"
#include "runtime/metrics/counter.hpp"
#include "runtime/metrics/histogram.hpp"
#include "runtime/ring.hpp"
#include "runtime/spin_lock.hpp"
#include "runtime/vocabulary.hpp"
#include "runtime/worker_pool.hpp"
#include "wasi/state.hpp"

namespace actr::runtime {

class Node;

class Actor final : public Endpoint, public std::enable_shared_from_this<Actor> {
 public:
  enum class State { Created, Starting, Running, Restarting, Failed, Stopping, Stopped };
  using Proxy = workload::exports::workload::Proxy;
  using HookFn = std::function<Result<void>(Proxy&)>;

  // `config` is kept by reference: it must live as long as the actor (the node's does).
  Actor(Node& node, const ActorConfig& config, uint32_t index, ActrId id, Worker& worker,
        std::shared_ptr<const component::Component> component);
  ~Actor() override;

  const ActrId& id() const { return *id_; }
  // What the messages this actor sends carry as their caller: one id, shared, never copied.
  const std::shared_ptr<const ActrId>& shared_id() const { return id_; }
  const ActorConfig& config() const { return config_; }
  const std::string& mailbox_key() const { return mailbox_key_; }
  State state() const { return state_.load(); }
  uint64_t queue_length() const { return queued_.load(); }
  uint32_t restarts() const { return restarts_total_.load(); }
  // The worker running the actor (inside an export call: the one it runs on), else its home.
  Worker& worker() {
    Worker* owner = owner_.load(std::memory_order_acquire);
    return owner ? *owner : home_;
  }
  // How long guest code may hold a worker before the other actors of that worker run elsewhere.
  static constexpr std::chrono::milliseconds kPatience{2};
  // A call of this actor was posted to its home worker, which guest code now holds for longer
  // than kPatience: it runs on another worker instead. Any thread (the node's balancer).
  void rescue();
  // "echo#0 (1:3)": how logs and errors name the actor.
  std::string label() const;

  struct Stats {
    std::atomic<uint64_t> dispatches{0}, dispatch_ns{0}, errors{0}, traps{0}, dead_letters{0};
  };
  const Stats& stats() const { return stats_; }
  uint64_t dropped_chunks() const { return dropped_.load(); }

  void deliver(Message message, std::function<void(Status)> accepted) override;
  void deliver_call(Message&& message) override;
  // This actor's ACL admits `caller` (discovery and delivery; callers from outside the node's
  // actors, the shell and the gateway, are the operator's and always admitted).
  bool admits(const ActrId& caller) const;

  // Instantiates, runs on-start then on-ready. `done` runs on the actor's worker.
  void start(std::function<void(Result<void>)> done);
  // Refuses new messages, answers waiting imports with `unavailable`, lets queued messages run
  // (up to `drain`), then runs on-stop. `done` runs on the actor's worker.
  void stop(std::chrono::milliseconds drain, std::function<void()> done);
  // Queues a call of an observation hook (signal lane, not durable). `request_id` is what
  // get-request-id answers inside it ("hook:on_<name>").
  void notify(std::string request_id, HookFn hook);
  // Re-queues messages recovered from the durable store at start-up (before start()).
  void recover(std::vector<Message> messages);
  // Takes a queued message of this actor's durable mailbox that another process put there
  // (`actr dlq replay` while the node runs). False when the actor holds it already.
  bool adopt(Message message);
  // Tiered execution: `next` is the actor's component compiled by a faster engine. Between two
  // calls the actor moves its live instance there, state and all (component::Instance::
  // take_state_from); with a non-empty `blocker` (why the state cannot move) it moves at its
  // next restart instead. Any thread.
  void offer_component(std::shared_ptr<const component::Component> next, std::string blocker);
  // "interp" or "aot": the engine the actor's instance runs on.
  const char* tier() const { return tier_.load(); }
  uint64_t tier_ups() const { return tier_ups_.load(); }

  // Marks an actor that cannot start (its component did not load), before start(). No restart can
  // fix that: it is never retried.
  void mark_failed(const std::string& why);

  // Why the actor is failed, while it is: the reason, and when the supervisor tries it again
  // (none for a permanent failure such as a component that does not load).
  struct Failure {
    std::string reason;
    std::optional<std::chrono::steady_clock::time_point> retry_at;
    std::chrono::milliseconds cooldown{0};  // the wait before retry_at
  };
  std::optional<Failure> failure() const;

  // --- For the host imports, on the actor's worker inside one of its export calls ---
  // The actor whose export call is running on this thread, or null.
  static Actor* current();
  // The context of the running export call; null while none runs (instantiation, between calls).
  const CallContext* context() const { return context_ ? &*context_ : nullptr; }
  // What WASI keeps for the current instance (its streams, environment, exit status); a fresh
  // one with every instance. Null before the first.
  wasi::WasiState* wasi_state() const { return wasi_.get(); }
  Node& node() { return node_; }
  // Suspends the running export call until `start`'s completion runs (from any thread), or the
  // actor stops (then `unavailable`). Must be called inside an export call. `start(resume)` gets
  // the completion, a callable small enough to live inside a std::function without allocating.
  template <class Start>
  CallResult suspend(Start&& start) {
    uint64_t wait = begin_wait();
    start(Resumer{this, wait});
    return end_wait();
  }
  // The completion of a suspended call: settles it once, from any thread; a late or repeated
  // settlement (the wait was cancelled, the actor stopped) is ignored. Trivially copyable.
  struct Resumer {
    Actor* actor;
    uint64_t wait;
    void operator()(CallResult r) const { actor->wake(wait, std::move(r)); }
  };
  // Data streams registered by this actor (register-stream), with their delivery state.
  Status register_stream(const std::string& stream_id);
  Status unregister_stream(const std::string& stream_id);

 private:
  // The wait of the running export call (one at a time per actor): numbered, so that a late
  // completion of an earlier wait finds it gone.
  uint64_t begin_wait();
  CallResult end_wait();
  void wake(uint64_t wait, CallResult r);
  // On the wait's worker: `r` settles `wait` if it is still the current one and unsettled.
  void settle_wait(uint64_t wait, CallResult r);
  // On the wait's worker: resumes the fiber if it is suspended on `wait`, now settled.
  void resume_wait(uint64_t wait);
  static void run_pump(void* actor, uint64_t);
  // A call from guest code of this worker, whose caller waits for it next, to this actor while it
  // is idle with empty lanes: the message goes straight into running_ and the actor runs it as
  // soon as the caller lets go of the thread (Worker::defer_first), without passing the lanes, the
  // queue count or a pump. False (nothing taken) when that does not hold.
  bool hand_off(Message& m);
  static void run_handed_off(void* actor, uint64_t);
  static void run_resume(void* actor, uint64_t wait);
  struct Wakeup {  // a completion from another thread, on its way to the wait's worker
    Actor* actor;
    uint64_t wait;
    CallResult result;
  };
  static void run_wakeup(void* wakeup, uint64_t);
  static constexpr size_t kMaxEarlyChunks = 4096;
  static constexpr size_t kMaxRouteSeries = 64;
  struct RouteMetrics {
    std::string route;
    std::shared_ptr<metrics::Counter> dispatches;
    std::shared_ptr<metrics::Histogram> duration;
  };
  RouteMetrics& route_metrics(const std::string& route);
  RouteMetrics& find_route_metrics(const std::string& route);
  struct StreamState {
    std::optional<uint64_t> next;         // next sequence to deliver
    std::map<uint64_t, Message> pending;  // reliable chunks that arrived early
  };
  struct Item {  // a queued unit of work
    std::optional<Message> message;
    HookFn hook;
    std::string hook_request_id;
  };

  // deliver() and deliver_call(): `accepted` null for the latter.
  void admit(Message&& m, std::function<void(Status)> accepted);
  static void answer(Message& m, const std::function<void(Status)>& accepted, Status s);
  Result<void> instantiate();
  // Drops the instance (and its WASI state) as this actor, so that resource destructors find it.
  void discard_instance();
  // Moves to the pending tier-up's component if one is waiting and no call runs (worker thread).
  void try_tier_up();
  // Thread-safe (the queues are shared with senders); pump() runs on the worker.
  void enqueue(Item&& item, bool front = false);
  void enqueue(Message&& message);  // at the back, moved once (the call path)
  void schedule_pump();
  // The worker to post work to: the owner, if one holds the actor; else home, or while home is
  // held by long guest code (and the actor is running), another.
  Worker& target();
  // On a worker thread: this worker now holds the actor (or already did); false when another does.
  bool claim();
  // The holding worker lets go once nothing of the actor runs on it.
  void release_if_idle();
  // Runs `fn` on the worker that holds the actor (posted to target(); claimed there, or posted on
  // to whoever holds it meanwhile), then lets go if idle.
  void post_claimed(std::function<void()> fn);
  // The same from a handler already on some worker (a timer's): here if it can be claimed.
  void run_claimed(std::function<void()> fn);
  // The next item (signal lane first) into `into`, or `into` empty.
  void take_next(InCall<Item>& into);
  bool queues_empty() const;  // no lock
  std::vector<Item> take_all(std::optional<State> new_state);
  void drop(Item item, const std::string& why);
  void pump();
  void run_fiber(std::function<void()> body);
  static void run_body(void* actor, boost::context::fiber& sink);  // a job_fiber::Job
  // `with_reply`: a caller resumed with the reply it waited for (Worker::guest_resumed).
  void resume(bool with_reply = false);
  void cancel_wait(const std::string& why);
  void process(Item& item);
  void process_dispatch(Message& message);
  void process_stream(Message& message);
  bool deliver_chunk(Message& message);  // false when the instance trapped
  void run_hook(const std::string& request_id, const HookFn& hook);
  Result<void> lifecycle(const char* request_id,
                         Result<wit::Result<void, ActrError>> (Proxy::*fn)());
  // The export call of `message` (or of a hook, when none) failed with `error`: a trap of the
  // instance, or a fault of the host (a value it could not pass), which leaves the instance intact.
  bool is_host_fault(const Error& error) const;
  void handle_failure(std::optional<Message> message, const std::string& what, const Error& error,
                      bool report_to_on_error = true);
  void handle_trap(std::optional<Message> message, const std::string& what, const Error& trap,
                   bool report_to_on_error);
  void handle_host_fault(std::optional<Message> message, const std::string& what,
                         const Error& fault);
  void handle_error(const ActrError& error, std::string_view context);
  // `counts`: whether this restart counts against the restart intensity (retries of a message
  // that trapped before do not: a poisoned message must not use up the actor's budget).
  // `event`: what on-error hears on the new instance (none when on-error itself trapped).
  void schedule_restart(std::optional<workload::types::ErrorEvent> event, bool counts);
  void restart(std::optional<workload::types::ErrorEvent> event);
  // Stops serving: queued calls are answered `unavailable`, queued tells and stream chunks wait
  // for the next instance. Unless `permanent`, the supervisor starts the actor again after a
  // cool-down (doubling up to restart.cooldown_max while it keeps failing).
  void fail(const std::string& why, bool permanent = false);
  void revive();
  void complete(const Message& message);
  void dead_letter(Message message, const std::string& reason);
  void finish_stop();
  void drain_over();  // stop(): the drain time is over
  void remember(int64_t store_id);
  void forget(int64_t store_id);

  Node& node_;
  // The node's own copy, shared by the actor's instances (fixed while the node lives, as `node_`).
  const ActorConfig& config_;
  uint32_t index_;
  std::atomic<State> state_{State::Created};  // here: fills the padding after index_
  std::shared_ptr<const ActrId> id_;          // fixed for the actor's life (restarts keep it)
  std::string mailbox_key_;
  Worker& home_;
  std::atomic<Worker*> owner_{nullptr};
  std::shared_ptr<const component::Component> component_;  // worker thread (tier-up swaps it)
  struct TierUp {  // offered by the node, waiting for the gap between two calls
    std::shared_ptr<const component::Component> component;
    std::string blocker;  // why the running instance's state cannot move, or empty
  };
  std::unique_ptr<TierUp> pending_tier_up_;  // worker thread; out of line: rarely set
  std::atomic<const char*> tier_{"none"};
  std::atomic<uint64_t> tier_ups_{0};
  std::chrono::steady_clock::time_point started_at_{};
  std::shared_ptr<const Acl> acl_;  // null: no rules

  std::atomic<uint64_t> queued_{0};
  std::atomic<bool> pressure_armed_{true};
  std::atomic<uint32_t> restarts_total_{0};
  std::atomic<uint64_t> dropped_{0};
  Stats stats_;
  // Ids of durable messages this actor holds (queued, running or being retried): a store row
  // not among them was put there by another process.
  std::mutex known_mu_;
  std::unordered_set<int64_t> known_ids_;

  // Worker-thread state.
  std::unique_ptr<component::Instance> instance_;
  std::shared_ptr<wasi::WasiState> wasi_;
  std::optional<Proxy> proxy_;
  SpinLock queue_mu_;                 // held for a push or a pop only
  Ring<Item> signal_q_, reliable_q_;  // guarded by queue_mu_
  std::atomic<size_t> items_{0};      // in both lanes; changed under queue_mu_, read without
  std::atomic<bool> pump_posted_{false};
  bool busy_ = false;
  bool in_pump_ = false;
  bool wait_suspended_ = false;  // of the wait below; the flags side by side, not padded each
  bool stop_requested_ = false;
  bool call_ended_ = false;  // set by run_body() as the export call's fiber switches back
  // What the export call runs; declared before fiber_, so that it outlives a fiber dropped mid-call
  // (which unwinds through it).
  std::function<void()> fiber_body_;
  boost::context::fiber fiber_;
  boost::context::fiber* sink_ = nullptr;
  // The wait of the running call: its number (0: none) and worker, read by completions on any
  // thread; its result and whether the fiber switched away for it (the worker's thread only).
  std::atomic<uint64_t> wait_{0};
  std::atomic<Worker*> wait_worker_{nullptr};
  uint64_t waits_ = 0;  // numbers given so far
  InCall<CallResult> wait_result_;
  // Held only while a call runs (InCall: an idle actor keeps a pointer each, not the bytes).
  InCall<Item> running_;  // the message or hook whose export call starts next
  InCall<CallContext> context_;
  std::map<std::string, StreamState> streams_;
  std::map<std::string, RouteMetrics> route_metrics_;  // entries stay put: pointers to them last
  std::string last_route_;
  RouteMetrics* last_route_metrics_ = nullptr;
  // At most max_restarts entries; a vector, since an empty std::deque already holds ~600 bytes
  // (every idle actor has one).
  std::vector<std::chrono::steady_clock::time_point> restart_times_;
  std::chrono::milliseconds backoff_{0};
  std::unique_ptr<boost::asio::steady_timer> restart_timer_, drain_timer_, revive_timer_;
  std::chrono::milliseconds cooldown_{0};  // the last cool-down of a failed actor
  std::chrono::steady_clock::time_point revived_at_{};
  mutable std::mutex failure_mu_;
  // Guarded by failure_mu_ (read by health checks); out of line, as most actors never fail.
  std::unique_ptr<Failure> failure_;
  std::function<void()> on_idle_;  // stop(): runs when the mailbox is drained
  std::function<void()> stop_done_;
};

}  // namespace actr::runtime
