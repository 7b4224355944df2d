#include "runtime/actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "actr/wasm/trap.hpp"
#include "common/unicode.hpp"
#include "runtime/actor_internal.hpp"
#include "runtime/job_fiber.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/message_codec.hpp"
#include "runtime/message_text.hpp"
#include "runtime/node.hpp"
#include "runtime/vocabulary.hpp"
#include "wasi/exit_status.hpp"

namespace actr::runtime::actor_detail {

constinit thread_local Actor* tls_current = nullptr;

workload::types::Timestamp now_timestamp() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return {static_cast<uint64_t>(ns / 1'000'000'000), static_cast<uint32_t>(ns % 1'000'000'000)};
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace actr::runtime::actor_detail

namespace actr::runtime {

namespace {

using namespace actr::runtime::actor_detail;
using workload::types::ErrorCategory;
using workload::types::ErrorEvent;

bool is_latency_first(const PayloadType& t) {
  return t.tag() == PayloadType::Tag::StreamLatencyFirst || t.tag() == PayloadType::Tag::MediaRtp;
}

}  // namespace

Actor::Actor(Node& node, const ActorConfig& config, uint32_t index, ActrId id, Worker& worker,
             std::shared_ptr<const component::Component> component)
    : node_(node),
      config_(config),
      index_(index),
      id_(std::make_shared<const ActrId>(std::move(id))),
      mailbox_key_(runtime::mailbox_key(config, index)),
      home_(worker),
      component_(std::move(component)) {
  if (!config_.acl.empty()) {
    std::vector<AccessRule> rules;
    for (const auto& text : config_.acl) {
      if (auto rule = parse_access_rule(text)) rules.push_back(*rule);
    }
    acl_ = std::make_shared<Acl>(std::move(rules));
  }
}

Actor::~Actor() = default;

Actor* Actor::current() { return tls_current; }

bool Actor::admits(const ActrId& caller) const {
  return !acl_ || acl_->allows(caller.type, caller.realm.realm_id);
}

std::string Actor::label() const { return mailbox_key_ + " (" + to_string(*id_) + ")"; }

// ---------------------------------------------------------------------------------------------
// Accepting messages (any thread)

void Actor::deliver(Message m, std::function<void(Status)> accepted) {
  admit(std::move(m), std::move(accepted));
}

void Actor::deliver_call(Message&& m) { admit(std::move(m), nullptr); }

// Without `accepted` (deliver_call), a refusal settles the call's reply slot itself: no callback
// to allocate per call.
void Actor::answer(Message& m, const std::function<void(Status)>& accepted, Status s) {
  if (accepted) {
    accepted(std::move(s));
  } else if (s.is_err() && m.reply) {
    m.reply->settle(CallResult::Err(s.error()));
  }
}

void Actor::admit(Message&& m, std::function<void(Status)> accepted) {
  State s = state_.load();
  if (s == State::Failed) {
    auto f = failure();
    std::string why = "actor " + label() + " is failed";
    if (f) {
      why += ": " + f->reason;
      if (f->retry_at) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            *f->retry_at - std::chrono::steady_clock::now());
        why += "; the supervisor starts it again in " +
               seconds_text(std::max(left, std::chrono::milliseconds(0)));
      }
    }
    answer(m, accepted, Status::Err(ActrError::unavailable(std::move(why))));
    return;
  }
  if (s == State::Created || s == State::Stopping || s == State::Stopped) {
    answer(m, accepted,
           Status::Err(ActrError::unavailable("actor " + label() + " is not running")));
    return;
  }
  if (auto bad = m.text_checked ? std::nullopt : invalid_text(m)) {
    answer(m, accepted, Status::Err(ActrError::invalid_argument(*bad)));
    return;
  }
  if (m.caller && !admits(*m.caller)) {
    answer(m, accepted,
           Status::Err(ActrError::permission_denied("actor " + to_string(*m.caller) +
                                                    " may not call actor " + label() + " (ACL)")));
    return;
  }
  if (std::find(m.chain.begin(), m.chain.end(), id_->serial_number) != m.chain.end()) {
    answer(m, accepted,
           Status::Err(ActrError::unavailable(
               "call cycle: actor " + label() +
               " is waiting for this call chain to finish, and a component instance cannot be "
               "re-entered (A -> B -> A, or call(local))")));
    return;
  }
  const MailboxConfig& mc = node_.config().mailbox;
  if (m.payload.size() > mc.max_payload_bytes ||
      (m.chunk && m.chunk->payload.size() > mc.max_payload_bytes)) {
    answer(m, accepted,
           Status::Err(ActrError::invalid_argument(
               "payload of " +
               std::to_string(std::max(m.payload.size(), m.chunk ? m.chunk->payload.size() : 0)) +
               " bytes exceeds the node's limit of " + std::to_string(mc.max_payload_bytes))));
    return;
  }
  if (!accepted && m.reply && hand_off(m)) return;
  bool lossy = m.kind == Message::Kind::Stream && is_latency_first(m.payload_type);
  uint64_t n = queued_.fetch_add(1) + 1;
  if (n > mc.hard_limit || (lossy && n > mc.backpressure_threshold)) {
    queued_.fetch_sub(1);
    if (lossy) {  // latency-first chunks are dropped under pressure, as their type allows
      dropped_.fetch_add(1);
      answer(m, accepted, Status::Ok());
      return;
    }
    answer(m, accepted,
           Status::Err(ActrError::unavailable("mailbox of actor " + label() + " is full (" +
                                              std::to_string(mc.hard_limit) + " messages)")));
    return;
  }
  if (n >= mc.backpressure_threshold && pressure_armed_.exchange(false)) {
    uint64_t threshold = mc.backpressure_threshold;
    notify("hook:on_mailbox_backpressure", [n, threshold](Proxy& p) {
      return p.on_mailbox_backpressure(workload::types::BackpressureEvent{n, threshold});
    });
  }
  MailboxStore* store = node_.store();
  if (config_.mailbox != MailboxKind::Durable || !store || lossy) {
    // Queued at once, on the sender's thread: lanes order what waits, even while the actor's
    // worker is busy.
    enqueue(std::move(m));
    schedule_pump();
    answer(m, accepted, Status::Ok());
    return;
  }
  auto self = shared_from_this();
  StoredMessage stored;
  stored.mailbox = mailbox_key_;
  stored.lane = m.lane;
  stored.request_id = m.request_id;
  stored.body = encode_body(m);
  store->append(std::move(stored), [self, m = std::move(m), accepted = std::move(accepted)](
                                       Result<AppendOutcome> r) mutable {
    if (!r) {
      self->queued_.fetch_sub(1);
      answer(m, accepted,
             Status::Err(
                 ActrError::unavailable("mailbox of actor " + self->label() +
                                        " could not store the message: " + r.error().message)));
      return;
    }
    if (r->status == AppendStatus::Duplicate) {
      self->queued_.fetch_sub(1);
      if (m.kind == Message::Kind::Call) {
        answer(m, accepted,
               Status::Err(ActrError::invalid_argument("request id `" + m.request_id +
                                                       "` was already accepted by actor " +
                                                       self->label())));
      } else {
        answer(m, accepted, Status::Ok());  // a repeated tell is the same tell: accepted once
      }
      return;
    }
    m.store_id = r->id;
    self->remember(r->id);
    self->enqueue(Item{std::move(m), {}, {}});
    self->schedule_pump();
    answer(m, accepted, Status::Ok());
  });
}

void Actor::notify(std::string request_id, HookFn hook) {
  State s = state_.load();
  if (s != State::Running && s != State::Starting && s != State::Restarting) return;
  enqueue(Item{std::nullopt, std::move(hook), std::move(request_id)});
  schedule_pump();
}

void Actor::recover(std::vector<Message> messages) {
  queued_.fetch_add(messages.size());
  for (auto& m : messages) {
    remember(m.store_id);
    enqueue(Item{std::move(m), {}, {}});
  }
}

bool Actor::adopt(Message message) {
  {
    std::lock_guard lock(known_mu_);
    if (!known_ids_.insert(message.store_id).second) return false;
  }
  queued_.fetch_add(1);
  enqueue(Item{std::move(message), {}, {}});
  schedule_pump();
  return true;
}

void Actor::remember(int64_t store_id) {
  std::lock_guard lock(known_mu_);
  known_ids_.insert(store_id);
}

void Actor::forget(int64_t store_id) {
  std::lock_guard lock(known_mu_);
  known_ids_.erase(store_id);
}

// ---------------------------------------------------------------------------------------------
// The worker side: queue, fibers, export calls

void Actor::enqueue(Item&& item, bool front) {
  {
    std::lock_guard lock(queue_mu_);
    State s = state_.load();
    if (!(item.message && (s == State::Failed || s == State::Stopped))) {
      bool signal = !item.message || item.message->lane == Lane::Signal;
      auto& q = signal ? signal_q_ : reliable_q_;
      if (front) {
        q.push_front(std::move(item));
      } else {
        q.push_back(std::move(item));
      }
      items_.fetch_add(1);
      return;
    }
  }
  drop(std::move(item), "actor " + label() + " is not running");
}

void Actor::enqueue(Message&& m) {
  {
    std::lock_guard lock(queue_mu_);
    State s = state_.load();
    if (s != State::Failed && s != State::Stopped) {
      (m.lane == Lane::Signal ? signal_q_ : reliable_q_).push_back_with([&m](Item& slot) {
        slot.message = std::move(m);
        slot.hook = nullptr;
        slot.hook_request_id.clear();
      });
      items_.fetch_add(1);
      return;
    }
  }
  drop(Item{std::move(m), {}, {}}, "actor " + label() + " is not running");
}

void Actor::schedule_pump() {
  if (pump_posted_.exchange(true)) return;
  Worker& there = target();
  if (&there == Worker::current()) {
    // A message from an actor of the same worker (or from a handler here): the worker's own
    // queue, not a post through the io_context.
    there.defer({&Actor::run_pump, this, 0});
  } else {
    there.send({&Actor::run_pump, this, 0});  // lock-free hand-off to the other thread
  }
}

// Deferred tasks hold a raw Actor*: actors outlive the worker threads (Node stops its pool before
// it drops them), and the pool runs every deferred task before its threads end.
void Actor::run_pump(void* actor, uint64_t) {
  auto* self = static_cast<Actor*>(actor);
  if (!self->claim()) {  // another worker took the actor meanwhile: it runs there
    self->post_claimed([self] {
      self->pump_posted_.store(false);
      self->pump();
    });
    return;
  }
  self->pump_posted_.store(false);
  self->pump();
  self->release_if_idle();
}

bool Actor::hand_off(Message& m) {
  // Cheap looks first: a worker's thread inside guest code (the caller, which waits next), lanes
  // that hold nothing (else this message would overtake them), a memory mailbox.
  Worker* here = Worker::current();
  if (!here || !tls_current || items_.load(std::memory_order_relaxed) != 0) return false;
  if (config_.mailbox == MailboxKind::Durable && node_.store()) return false;
  // Where the message would run anyway (WorkerPool::pick), held by this worker from now on.
  if (&target() != here || !claim()) return false;
  // Held here: the worker-side state is this thread's to read. Not while a call of this actor runs
  // or waits (one at a time), a pump is under way, or a tier-up waits for the gap between calls.
  if (busy_ || in_pump_ || !proxy_ || pending_tier_up_ || state_.load() != State::Running ||
      !queues_empty()) {
    return false;  // queued as usual; the pump that takes it lets go of the actor
  }
  running_.emplace();
  running_->message.emplace(std::move(m));
  busy_ = true;  // nothing else starts before it (a pump scheduled meanwhile finds it busy)
  here->defer_first({&Actor::run_handed_off, this, 0});
  return true;
}

void Actor::run_handed_off(void* actor, uint64_t) {
  auto* self = static_cast<Actor*>(actor);
  self->run_fiber([self] {
    self->process(*self->running_);
    self->running_.reset();
  });
  self->release_if_idle();
}

Worker& Actor::target() {
  if (Worker* owner = owner_.load(std::memory_order_acquire)) return *owner;
  if (state_.load() != State::Running) return home_;
  return node_.workers().pick(home_, kPatience);
}

bool Actor::claim() {
  Worker* here = Worker::current();
  Worker* expected = nullptr;
  if (owner_.compare_exchange_strong(expected, here, std::memory_order_acq_rel)) return true;
  return expected == here;
}

void Actor::release_if_idle() {
  if (busy_ || in_pump_ || owner_.load(std::memory_order_relaxed) != Worker::current()) return;
  owner_.store(nullptr, std::memory_order_release);
}

void Actor::post_claimed(std::function<void()> fn) {
  boost::asio::post(target().io(), [self = shared_from_this(), fn = std::move(fn)]() mutable {
    self->run_claimed(std::move(fn));
  });
}

void Actor::run_claimed(std::function<void()> fn) {
  if (!claim()) return post_claimed(std::move(fn));  // held elsewhere: it runs there
  fn();
  release_if_idle();
}

void Actor::rescue() {
  if (!pump_posted_.load() || owner_.load() || state_.load() != State::Running) return;
  Worker& there = node_.workers().pick(home_, kPatience);
  if (&there == &home_) return;
  boost::asio::post(there.io(), [self = shared_from_this()] {
    self->run_claimed([self] {
      self->pump_posted_.store(false);  // what comes next is posted anew (not behind home)
      self->pump();
    });
  });
}

void Actor::take_next(InCall<Item>& into) {
  // Each call finds the lanes empty once (after its message): that look takes no lock.
  if (queues_empty()) {
    into.reset();
    return;
  }
  std::lock_guard lock(queue_mu_);
  auto& q = !signal_q_.empty() ? signal_q_ : reliable_q_;
  if (q.empty()) {
    into.reset();
  } else {
    q.pop_front_into(into);
    // The lock orders this with every push: no read-modify-write needed, and only this worker
    // asks whether the lanes are empty, so no fence either.
    items_.store(items_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
}

// Sequentially consistent, as the pusher's count and its schedule_pump(): a pump that finds the
// lanes empty after clearing pump_posted_ either sees a message queued meanwhile, or its sender
// sees pump_posted_ cleared and schedules a pump of its own (as the lock gave before).
bool Actor::queues_empty() const { return items_.load() == 0; }

std::vector<Actor::Item> Actor::take_all(std::optional<State> new_state) {
  std::lock_guard lock(queue_mu_);
  if (new_state) state_.store(*new_state);
  std::vector<Item> items;
  for (auto* q : {&signal_q_, &reliable_q_}) {
    q->drain([&](Item item) { items.push_back(std::move(item)); });
  }
  items_.store(0);
  return items;
}

void Actor::drop(Item item, const std::string& why) {
  if (!item.message) return;
  queued_.fetch_sub(1);
  if (item.message->reply) {
    // The caller is told it did not run, so it never runs: a call is answered exactly once.
    item.message->reply->settle(CallResult::Err(ActrError::unavailable(why)));
    complete(*item.message);
  }
  // A durable tell stays in the store and is delivered when the actor runs again.
}

void Actor::pump() {
  if (in_pump_ || busy_ || !proxy_) return;
  State s = state_.load();
  if (s != State::Running && s != State::Stopping) return;
  in_pump_ = true;
  int budget = 64;  // then yield the worker to other actors
  bool drained = false;
  while (!busy_ && budget-- > 0) {
    if (pending_tier_up_) try_tier_up();  // between two calls
    take_next(running_);
    if (!running_) {
      drained = true;
      break;
    }
    if (running_->message) {
      uint64_t left = queued_.fetch_sub(1) - 1;
      // Re-armed once, not stored again per message (a locked instruction each).
      if (left < node_.config().mailbox.backpressure_threshold &&
          !pressure_armed_.load(std::memory_order_relaxed)) {
        pressure_armed_.store(true);
      }
    }
    busy_ = true;
    run_fiber([this] {  // captures no more than fits a std::function without allocating
      process(*running_);
      running_.reset();
    });
  }
  in_pump_ = false;
  // Found empty just now: a message queued since then scheduled a pump of its own.
  bool more = !drained && !queues_empty();
  if (more && !busy_) {
    schedule_pump();
  } else if (!more && !busy_ && on_idle_) {
    if (Worker* here = Worker::current()) here->forget_time();
    auto f = std::move(on_idle_);
    on_idle_ = nullptr;
    f();
  }
}

void Actor::run_fiber(std::function<void()> body) {
  busy_ = true;
  boost::context::fiber fiber;
  if (Worker* here = Worker::current()) fiber = here->take_fiber();
  if (!fiber) fiber = job_fiber::make();
  // A fiber still waiting in an earlier call (abandoned) unwinds here, while its body lives.
  fiber_ = std::move(fiber);
  fiber_body_ = std::move(body);
  job_fiber::next({&Actor::run_body, this});
  resume();
}

// The export call's job on its fiber (job_fiber). No local has a destructor, so that a fiber
// dropped while the call waits unwinds through here without a landing pad.
void Actor::run_body(void* actor, boost::context::fiber& sink) {
  auto* self = static_cast<Actor*>(actor);
  self->sink_ = &sink;
  self->fiber_body_();
  self->fiber_body_ = nullptr;
  self->sink_ = nullptr;
  self->call_ended_ = true;
}

void Actor::resume(bool with_reply) {
  Worker* here = Worker::current();
  {
    CurrentActor current(this);
    if (here) with_reply ? here->guest_resumed() : here->guest_started();
    fiber_ = std::move(fiber_).resume();
    if (here) here->guest_stopped();
  }
  if (call_ended_) {  // its fiber waits for the next export call: kept by this worker or ended
    call_ended_ = false;
    if (!here || !here->keep_fiber(fiber_)) job_fiber::end(std::move(fiber_));
    fiber_ = {};
  }
  if (!fiber_) {  // the export call finished
    busy_ = false;
    context_.reset();
    if (pending_tier_up_) try_tier_up();  // between two calls
    pump();
  }
}

uint64_t Actor::begin_wait() {
  wait_result_.reset();
  wait_suspended_ = false;
  wait_worker_.store(&worker(), std::memory_order_relaxed);  // the call resumes where it runs
  uint64_t wait = ++waits_;
  wait_.store(wait, std::memory_order_release);
  return wait;
}

CallResult Actor::end_wait() {
  Worker* here = Worker::current();
  // A callee of this worker that was handed the call runs next anyway: it runs from this fiber,
  // which then needs no switch to the worker's loop and back when it answers at once.
  if (!wait_result_ && here && here->run_next_here(&Actor::run_handed_off) && wait_result_) {
    here->guest_resumed();  // the callee's resume() stopped the guest time
  } else if (!wait_result_) {
    wait_suspended_ = true;
    *sink_ = std::move(*sink_).resume();
  } else if (here) {
    // Settled at once (refused): guest code goes on, so a time noted for whoever runs next on
    // this worker (Node::send_call) would grow stale.
    here->forget_time();
  }
  wait_.store(0, std::memory_order_relaxed);
  wait_suspended_ = false;
  CallResult r = std::move(*wait_result_);
  wait_result_.reset();
  return r;
}

void Actor::wake(uint64_t wait, CallResult r) {
  if (wait_.load(std::memory_order_acquire) != wait) return;  // late: that wait is over
  Worker* worker = wait_worker_.load(std::memory_order_relaxed);
  if (worker->in_this_thread()) {
    settle_wait(wait, std::move(r));
    return;
  }
  // The reply travels with the task (the only allocation of a call across workers here).
  worker->send({&Actor::run_wakeup, new Wakeup{this, wait, std::move(r)}, 0});
}

void Actor::run_wakeup(void* arg, uint64_t) {
  std::unique_ptr<Wakeup> w(static_cast<Wakeup*>(arg));
  w->actor->settle_wait(w->wait, std::move(w->result));
}

void Actor::settle_wait(uint64_t wait, CallResult r) {
  if (wait_.load(std::memory_order_relaxed) != wait || wait_result_) return;
  wait_result_ = std::move(r);
  // Completed before the fiber switched away: no switch needed at all. Else it resumes from the
  // worker's loop: this may run inside another actor's fiber (a callee answering on this worker).
  if (wait_suspended_)
    wait_worker_.load(std::memory_order_relaxed)->defer({&Actor::run_resume, this, wait});
}

void Actor::run_resume(void* actor, uint64_t wait) {
  static_cast<Actor*>(actor)->resume_wait(wait);
}

void Actor::resume_wait(uint64_t wait) {
  if (wait_.load(std::memory_order_relaxed) != wait || !wait_result_ || !wait_suspended_) return;
  resume(true);
  release_if_idle();
}

void Actor::cancel_wait(const std::string& why) {
  if (wait_.load(std::memory_order_relaxed) != 0 && !wait_result_ && wait_suspended_) {
    wait_result_ = CallResult::Err(ActrError::unavailable(why));
    resume();
  }
}

void Actor::process(Item& item) {
  if (!proxy_) {  // discarded after a trap while this was queued: keep it for the next instance
    if (item.message) {
      queued_.fetch_add(1);
      enqueue(std::move(item), true);
    }
    return;
  }
  if (item.hook) {
    run_hook(item.hook_request_id, item.hook);
    return;
  }
  Message& m = *item.message;
  if (m.kind == Message::Kind::Stream) {
    process_stream(m);
  } else {
    process_dispatch(m);
  }
}

void Actor::process_dispatch(Message& m) {
  // The message lends its fields to the envelope for the export call (a failure below
  // dead-letters the whole message, so they go back afterwards); the context borrows the rest
  // where it is (the message stays in the running slot until the call ends).
  workload::types::RpcEnvelope envelope{std::move(m.request_id), std::move(m.route_key),
                                        std::move(m.payload)};
  context_.emplace(CallContext{id_.get(), &m.caller, envelope.request_id, &m.chain, m.lane});
  // The export call's fiber started just now (run_fiber): resume() read the clock for it.
  Worker* here = Worker::current();
  auto started =
      here && here->guest_running() ? here->guest_started_at() : std::chrono::steady_clock::now();
  auto r = proxy_->dispatch(envelope);
  m.request_id = std::move(envelope.request_id);
  m.route_key = std::move(envelope.route_key);
  m.payload = std::move(envelope.payload);
  context_.reset();
  auto ended = std::chrono::steady_clock::now();
  auto elapsed = ended - started;
  // One export call at a time writes these (readers only load): no read-modify-write needed.
  auto bump = [](std::atomic<uint64_t>& stat, uint64_t by) {
    stat.store(stat.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  };
  bump(stats_.dispatches, 1);
  bump(
      stats_.dispatch_ns,
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  RouteMetrics& rm = route_metrics(m.route_key);
  // The actor's own series (labelled with it): only its one running export call writes them.
  rm.dispatches->inc_single_writer();
  rm.duration->observe_single_writer(elapsed);
  if (!r) {
    handle_failure(std::move(m), "dispatch of route `" + m.route_key + "`", r.error());
    return;
  }
  if (r->is_err()) {
    ActrError e = r->error();
    node_.metrics()
        .dispatch_errors
        ->with({{"actor", mailbox_key_}, {"route", rm.route}, {"error", std::string(case_name(e))}})
        ->inc();
    if (m.reply) m.reply->settle(CallResult::Err(e));
    complete(m);
    stats_.errors.fetch_add(1);
    handle_error(e, "dispatch route=" + m.route_key + " request=" + m.request_id);
    return;
  }
  if (m.reply) {
    // A caller of this worker resumes next with its reply: it takes this time as its start instead
    // of reading the clock again (a durable message's completion writes to the store first).
    if (here && !m.store_id) here->note_time(ended);
    m.reply->settle(CallResult::Ok(std::move(r->value())));
  }
  complete(m);
  node_.recycle_request_id(std::move(m.request_id));  // the next call's id is written into it
}

Actor::RouteMetrics& Actor::route_metrics(const std::string& route) {
  // Most actors are called on one route over and over: the last one is kept at hand.
  if (last_route_metrics_ && route == last_route_) return *last_route_metrics_;
  RouteMetrics& rm = find_route_metrics(route);
  last_route_ = route;
  last_route_metrics_ = &rm;
  return rm;
}

Actor::RouteMetrics& Actor::find_route_metrics(const std::string& route) {
  // Route keys come from callers: past kMaxRouteSeries distinct ones they share one series.
  auto it = route_metrics_.find(route);
  if (it != route_metrics_.end()) return it->second;
  std::string label = route_metrics_.size() < kMaxRouteSeries ? route : "(other)";
  if (label != route) {
    if (auto other = route_metrics_.find(label); other != route_metrics_.end())
      return other->second;
  }
  metrics::Labels labels{{"actor", mailbox_key_}, {"route", label}};
  RouteMetrics rm{label, node_.metrics().dispatches->with(labels),
                  node_.metrics().dispatch_duration->with(labels)};
  return route_metrics_.emplace(label, std::move(rm)).first->second;
}

void Actor::process_stream(Message& m) {
  const DataStream& c = *m.chunk;
  StreamState& st = streams_[c.stream_id];
  bool reliable = !is_latency_first(m.payload_type);
  if (st.next && c.sequence < *st.next) {  // delivered already (or skipped): once each
    complete(m);
    return;
  }
  if (!st.next) st.next = c.sequence;
  if (c.sequence > *st.next) {
    if (reliable) {  // early: wait for the gap to fill
      if (st.pending.size() >= kMaxEarlyChunks) {
        spdlog::warn("actor {}: stream `{}` has {} chunks waiting for sequence {}; dropping {}",
                     label(), c.stream_id, st.pending.size(), *st.next, c.sequence);
        complete(m);
        return;
      }
      uint64_t seq = c.sequence;
      st.pending.emplace(seq, std::move(m));
      return;
    }
    st.next = c.sequence;  // latency-first: skip the gap
  }
  std::string stream_id = c.stream_id;
  if (!deliver_chunk(m)) return;
  streams_[stream_id].next = *streams_[stream_id].next + 1;
  for (;;) {
    StreamState& s = streams_[stream_id];
    auto it = s.pending.find(*s.next);
    if (it == s.pending.end() || !proxy_) break;
    Message next = std::move(it->second);
    s.pending.erase(it);
    if (!deliver_chunk(next)) break;
    streams_[stream_id].next = *streams_[stream_id].next + 1;
  }
}

bool Actor::deliver_chunk(Message& m) {
  const DataStream& c = *m.chunk;
  std::string request_id = "data-stream:" + c.stream_id + ":" + std::to_string(c.sequence);
  context_ = CallContext{id_.get(), &m.caller, request_id, &m.chain, m.lane};
  auto r = proxy_->on_data_stream(c, m.caller.value_or(ActrId{}));
  context_.reset();
  if (!r) {
    std::string what = "on-data-stream of stream `" + c.stream_id + "`";
    bool host_fault = is_host_fault(r.error());
    handle_failure(std::move(m), what, r.error());
    return host_fault;  // the instance is still there
  }
  if (r->is_err()) {
    handle_error(r->error(), "on-data-stream stream=" + c.stream_id +
                                 " sequence=" + std::to_string(c.sequence));
  }
  complete(m);
  return true;
}

void Actor::run_hook(const std::string& request_id, const HookFn& hook) {
  context_ = CallContext{id_.get(), &CallContext::kNoCaller, request_id, &CallContext::kNoChain,
                         Lane::Signal};
  auto r = hook(*proxy_);
  context_.reset();
  // A trap of on-error is not reported to on-error again (it would trap again, for ever).
  if (!r) {
    handle_failure(std::nullopt, request_id.substr(request_id.find(':') + 1), r.error(),
                   request_id != "hook:on_error");
  }
}

}  // namespace actr::runtime
