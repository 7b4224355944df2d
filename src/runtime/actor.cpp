#include "runtime/actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/unicode.hpp"
#include "runtime/fiber_stack.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/message_codec.hpp"
#include "runtime/message_text.hpp"
#include "runtime/node.hpp"
#include "runtime/vocabulary.hpp"
#include "wasi/exit_status.hpp"
#include "wasm/trap.hpp"

namespace actr::runtime {

namespace {

thread_local Actor* tls_current = nullptr;

using workload::types::ErrorCategory;
using workload::types::ErrorEvent;

workload::types::Timestamp now_timestamp() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return {static_cast<uint64_t>(ns / 1'000'000'000), static_cast<uint32_t>(ns % 1'000'000'000)};
}

bool is_latency_first(const PayloadType& t) {
  return t.tag() == PayloadType::Tag::StreamLatencyFirst || t.tag() == PayloadType::Tag::MediaRtp;
}

// The label of a trap kind in actr_actor_traps_total.
const char* trap_label(wasm::TrapKind kind) {
  using K = wasm::TrapKind;
  switch (kind) {
    case K::Unreachable:
      return "unreachable";
    case K::MemoryOutOfBounds:
      return "memory-out-of-bounds";
    case K::TableOutOfBounds:
      return "table-out-of-bounds";
    case K::IndirectCallTypeMismatch:
      return "indirect-call-type-mismatch";
    case K::UninitializedElement:
      return "uninitialized-element";
    case K::IntegerDivideByZero:
      return "integer-divide-by-zero";
    case K::IntegerOverflow:
      return "integer-overflow";
    case K::InvalidConversion:
      return "invalid-conversion";
    case K::StackExhausted:
      return "stack-exhausted";
    case K::DeadlineExceeded:
      return "deadline";
    case K::MemoryLimit:
      return "memory-limit";
    case K::Poisoned:
      return "poisoned";
    case K::Host:
      return "host";
    case K::None:
    case K::Other:
      break;
  }
  return "other";
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

}  // namespace

Actor::Actor(Node& node, const ActorConfig& config, uint32_t index, ActrId id, Worker& worker,
             std::shared_ptr<const component::Component> component)
    : node_(node),
      config_(config),
      index_(index),
      id_(std::move(id)),
      mailbox_key_(runtime::mailbox_key(config, index)),
      worker_(worker),
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

std::string Actor::label() const { return mailbox_key_ + " (" + to_string(id_) + ")"; }

// ---------------------------------------------------------------------------------------------
// Accepting messages (any thread)

void Actor::deliver(Message m, std::function<void(Status)> accepted) {
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
    accepted(Status::Err(ActrError::unavailable(std::move(why))));
    return;
  }
  if (s == State::Created || s == State::Stopping || s == State::Stopped) {
    accepted(Status::Err(ActrError::unavailable("actor " + label() + " is not running")));
    return;
  }
  if (auto bad = invalid_text(m)) {
    accepted(Status::Err(ActrError::invalid_argument(*bad)));
    return;
  }
  if (m.caller && !admits(*m.caller)) {
    accepted(Status::Err(ActrError::permission_denied(
        "actor " + to_string(*m.caller) + " may not call actor " + label() + " (ACL)")));
    return;
  }
  if (std::find(m.chain.begin(), m.chain.end(), id_.serial_number) != m.chain.end()) {
    accepted(Status::Err(ActrError::unavailable(
        "call cycle: actor " + label() +
        " is waiting for this call chain to finish, and a component instance cannot be "
        "re-entered (A -> B -> A, or call(local))")));
    return;
  }
  const MailboxConfig& mc = node_.config().mailbox;
  if (m.payload.size() > mc.max_payload_bytes ||
      (m.chunk && m.chunk->payload.size() > mc.max_payload_bytes)) {
    accepted(Status::Err(ActrError::invalid_argument(
        "payload of " +
        std::to_string(std::max(m.payload.size(), m.chunk ? m.chunk->payload.size() : 0)) +
        " bytes exceeds the node's limit of " + std::to_string(mc.max_payload_bytes))));
    return;
  }
  bool lossy = m.kind == Message::Kind::Stream && is_latency_first(m.payload_type);
  uint64_t n = queued_.fetch_add(1) + 1;
  if (n > mc.hard_limit || (lossy && n > mc.backpressure_threshold)) {
    queued_.fetch_sub(1);
    if (lossy) {  // latency-first chunks are dropped under pressure, as their type allows
      dropped_.fetch_add(1);
      accepted(Status::Ok());
      return;
    }
    accepted(Status::Err(ActrError::unavailable("mailbox of actor " + label() + " is full (" +
                                                std::to_string(mc.hard_limit) + " messages)")));
    return;
  }
  if (n >= mc.backpressure_threshold && pressure_armed_.exchange(false)) {
    uint64_t threshold = mc.backpressure_threshold;
    notify("hook:on_mailbox_backpressure", [n, threshold](Proxy& p) {
      return p.on_mailbox_backpressure(workload::types::BackpressureEvent{n, threshold});
    });
  }
  auto self = shared_from_this();
  MailboxStore* store = node_.store();
  if (config_.mailbox != MailboxKind::Durable || !store || lossy) {
    // Queued at once, on the sender's thread: lanes order what waits, even while the actor's
    // worker is busy.
    enqueue(Item{std::move(m), {}, {}});
    schedule_pump();
    accepted(Status::Ok());
    return;
  }
  StoredMessage stored;
  stored.mailbox = mailbox_key_;
  stored.lane = m.lane;
  stored.request_id = m.request_id;
  stored.body = encode_body(m);
  store->append(std::move(stored), [self, m = std::move(m), accepted = std::move(accepted)](
                                       Result<AppendOutcome> r) mutable {
    if (!r) {
      self->queued_.fetch_sub(1);
      accepted(Status::Err(
          ActrError::unavailable("mailbox of actor " + self->label() +
                                 " could not store the message: " + r.error().message)));
      return;
    }
    if (r->status == AppendStatus::Duplicate) {
      self->queued_.fetch_sub(1);
      if (m.kind == Message::Kind::Call) {
        accepted(Status::Err(ActrError::invalid_argument(
            "request id `" + m.request_id + "` was already accepted by actor " + self->label())));
      } else {
        accepted(Status::Ok());  // a repeated tell is the same tell: accepted once
      }
      return;
    }
    m.store_id = r->id;
    self->remember(r->id);
    self->enqueue(Item{std::move(m), {}, {}});
    self->schedule_pump();
    accepted(Status::Ok());
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

void Actor::enqueue(Item item, bool front) {
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
      return;
    }
  }
  drop(std::move(item), "actor " + label() + " is not running");
}

void Actor::schedule_pump() {
  if (pump_posted_.exchange(true)) return;
  boost::asio::post(worker_.io(), [self = shared_from_this()] {
    self->pump_posted_.store(false);
    self->pump();
  });
}

std::optional<Actor::Item> Actor::take_next() {
  std::lock_guard lock(queue_mu_);
  auto& q = !signal_q_.empty() ? signal_q_ : reliable_q_;
  if (q.empty()) return std::nullopt;
  Item item = std::move(q.front());
  q.pop_front();
  return item;
}

bool Actor::queues_empty() {
  std::lock_guard lock(queue_mu_);
  return signal_q_.empty() && reliable_q_.empty();
}

std::vector<Actor::Item> Actor::take_all(std::optional<State> new_state) {
  std::lock_guard lock(queue_mu_);
  if (new_state) state_.store(*new_state);
  std::vector<Item> items;
  for (auto* q : {&signal_q_, &reliable_q_}) {
    for (auto& item : *q) items.push_back(std::move(item));
    q->clear();
  }
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
  while (!busy_ && budget-- > 0) {
    if (pending_component_) try_tier_up();  // between two calls
    std::optional<Item> next = take_next();
    if (!next) break;
    Item item = std::move(*next);
    if (item.message) {
      uint64_t left = queued_.fetch_sub(1) - 1;
      if (left < node_.config().mailbox.backpressure_threshold) pressure_armed_.store(true);
    }
    busy_ = true;
    run_fiber([this, item = std::move(item)]() mutable { process(item); });
  }
  in_pump_ = false;
  bool more = !queues_empty();
  if (more && !busy_) {
    schedule_pump();
  } else if (!more && !busy_ && on_idle_) {
    auto f = std::move(on_idle_);
    on_idle_ = nullptr;
    f();
  }
}

void Actor::run_fiber(std::function<void()> body) {
  busy_ = true;
  fiber_ = boost::context::fiber(std::allocator_arg, FiberStack(),
                                 [this, body = std::move(body)](boost::context::fiber&& sink) {
                                   sink_ = &sink;
                                   body();
                                   sink_ = nullptr;
                                   return std::move(sink);
                                 });
  resume();
}

void Actor::resume() {
  auto keep_alive = shared_from_this();
  Actor* outer = tls_current;
  tls_current = this;
  fiber_ = std::move(fiber_).resume();
  tls_current = outer;
  if (!fiber_) {  // the export call finished
    busy_ = false;
    context_.reset();
    if (pending_component_) try_tier_up();  // between two calls
    pump();
  }
}

CallResult Actor::suspend(std::function<void(std::function<void(CallResult)>)> start) {
  auto waiter = std::make_shared<Waiter>();
  waiter_ = waiter;
  std::weak_ptr<Actor> weak = weak_from_this();
  Worker* worker = &worker_;
  start([weak, waiter, worker](CallResult r) {
    // Completed before the fiber switched away (same thread): no switch needed at all.
    // (`suspended` is only ever read and written on the actor's worker thread.)
    if (worker->in_this_thread() && !waiter->suspended) {
      waiter->result = std::move(r);
      return;
    }
    boost::asio::post(worker->io(), [weak, waiter, r = std::move(r)]() mutable {
      auto self = weak.lock();
      if (!self || waiter->result || self->waiter_ != waiter) return;
      waiter->result = std::move(r);
      self->resume();
    });
  });
  if (!waiter->result) {
    waiter->suspended = true;
    *sink_ = std::move(*sink_).resume();
  }
  waiter_.reset();
  return std::move(*waiter->result);
}

void Actor::cancel_wait(const std::string& why) {
  if (waiter_ && !waiter_->result && waiter_->suspended) {
    waiter_->result = CallResult::Err(ActrError::unavailable(why));
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
  context_ = CallContext{id_, m.caller, m.request_id, m.chain, m.lane};
  auto started = std::chrono::steady_clock::now();
  auto r = proxy_->dispatch(workload::types::RpcEnvelope{m.request_id, m.route_key, m.payload});
  context_.reset();
  auto elapsed = std::chrono::steady_clock::now() - started;
  stats_.dispatches.fetch_add(1);
  stats_.dispatch_ns.fetch_add(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  RouteMetrics& rm = route_metrics(m.route_key);
  rm.dispatches->inc();
  rm.duration->observe(elapsed);
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
  if (m.reply) m.reply->settle(CallResult::Ok(std::move(r->value())));
  complete(m);
}

Actor::RouteMetrics& Actor::route_metrics(const std::string& route) {
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
  context_ =
      CallContext{id_, m.caller, "data-stream:" + c.stream_id + ":" + std::to_string(c.sequence),
                  m.chain, m.lane};
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
  context_ = CallContext{id_, std::nullopt, request_id, {}, Lane::Signal};
  auto r = hook(*proxy_);
  context_.reset();
  // A trap of on-error is not reported to on-error again (it would trap again, for ever).
  if (!r) {
    handle_failure(std::nullopt, request_id.substr(request_id.find(':') + 1), r.error(),
                   request_id != "hook:on_error");
  }
}

Result<void> Actor::lifecycle(const char* request_id,
                              Result<wit::Result<void, ActrError>> (Proxy::*fn)()) {
  context_ = CallContext{id_, std::nullopt, request_id, {}, Lane::Signal};
  auto r = ((*proxy_).*fn)();
  context_.reset();
  std::string hook = std::string(request_id).substr(std::string(request_id).find(':') + 1);
  if (!r) return make_error(hook + " trapped: " + r.error().message);
  if (r->is_err()) return make_error(hook + " failed: " + describe(r->error()));
  return {};
}

void Actor::handle_error(const ActrError& error, std::string_view context) {
  ErrorEvent event{with_valid_text(error), ErrorCategory::handler_error(),
                   unicode::to_valid_utf8(context), now_timestamp()};
  run_hook("hook:on_error", [event](Proxy& p) -> Result<void> {
    auto r = p.on_error(event);
    if (!r) return r.error();
    return {};  // an err from on-error itself is not reported again (no loops)
  });
}

bool Actor::is_host_fault(const Error& error) const {
  return instance_ && !instance_->poisoned() && !wasm::ends_guest_call(error);
}

void Actor::handle_failure(std::optional<Message> m, const std::string& what, const Error& error,
                           bool report_to_on_error) {
  // The linker poisons the instance on every trap (guest code, canonical ABI checks, a host
  // import that asked to trap). An instance left intact failed on the host's side: a value the
  // host could not pass into it. That is no fault of the actor: nothing restarts.
  if (is_host_fault(error)) {
    handle_host_fault(std::move(m), what, error);
    return;
  }
  handle_trap(std::move(m), what, error, report_to_on_error);
}

void Actor::handle_host_fault(std::optional<Message> m, const std::string& what,
                              const Error& fault) {
  spdlog::error("actor {}: the host could not make the {}: {}", label(), what, fault.message);
  if (!m) return;
  ActrError error = ActrError::internal("the node could not pass the message to actor " + label() +
                                        ": " + fault.message);
  if (m->reply) {
    m->reply->settle(CallResult::Err(error));
    m->reply.reset();
  }
  // It would fail the same way again: kept for the operator, never retried by itself.
  dead_letter(std::move(*m), "not delivered: " + message_of(error));
}

void Actor::handle_trap(std::optional<Message> m, const std::string& what, const Error& trap,
                        bool report_to_on_error) {
  spdlog::error("actor {} trapped in {}: {}", label(), what, trap.message);
  stats_.traps.fetch_add(1);
  wasm::TrapKind kind = wasm::trap_kind(trap);
  const char* label_kind = wasi::exit_status_of(trap) ? "exit" : trap_label(kind);
  node_.metrics().traps->with({{"actor", mailbox_key_}, {"kind", label_kind}})->inc();
  ActrError error = with_valid_text(
      ActrError::internal("actor " + label() + " trapped in " + what + ": " + trap.message));
  // The instance's memory may be inconsistent: it is discarded, never called again.
  proxy_.reset();
  discard_instance();
  bool counts = true;
  if (m) {
    // A retry of a message that trapped before does not count against the restart intensity:
    // a poisoned message ends in the dead-letter queue without using up the actor's budget.
    counts = m->attempts == 0;
    m->attempts += 1;
    MailboxStore* store = node_.store();
    if (store && m->store_id) (void)store->record_failure(m->store_id);
    // Calls are not retried: their caller is answered now, and a call must not take effect after
    // its caller was told it failed. A message that ran out of time would loop again.
    std::string reason;
    if (m->reply) {
      m->reply->settle(CallResult::Err(error));
      m->reply.reset();
      reason =
          "a call that trapped (its caller was answered internal) in " + what + ": " + trap.message;
    } else if (kind == wasm::TrapKind::DeadlineExceeded) {
      reason = "hit its deadline of " + std::to_string(config_.deadline.count()) + " ms in " +
               what + "; not retried, it would run as long again";
    } else if (m->attempts >= node_.config().mailbox.max_attempts) {
      reason = "trapped " + std::to_string(m->attempts) + " times; last in " + what + ": " +
               trap.message;
    }
    if (!reason.empty()) {
      dead_letter(std::move(*m), reason);
    } else {
      queued_.fetch_add(1);
      enqueue(Item{std::move(*m), {}, {}}, true);
    }
  }
  std::optional<ErrorEvent> event;
  if (report_to_on_error) {
    event = ErrorEvent{error, ErrorCategory::handler_panic(),
                       unicode::to_valid_utf8(what + ": " + trap.message), now_timestamp()};
  }
  schedule_restart(std::move(event), counts);
}

void Actor::schedule_restart(std::optional<ErrorEvent> event, bool counts) {
  if (state_.load() == State::Stopping) return;  // finish_stop() sees the missing instance
  state_.store(State::Restarting);
  auto now = std::chrono::steady_clock::now();
  const RestartPolicy& policy = config_.restart;
  while (!restart_times_.empty() && now - restart_times_.front() > policy.window) {
    restart_times_.pop_front();
  }
  if (counts && restart_times_.size() >= policy.max_restarts) {
    std::string why = "restart limit reached (" + std::to_string(policy.max_restarts) +
                      " restarts within " + std::to_string(policy.window.count()) + " ms)";
    if (event) why += "; last: " + event->context;
    fail(why);
    return;
  }
  backoff_ = restart_times_.empty() ? policy.backoff : std::min(backoff_ * 2, policy.backoff_max);
  if (counts) restart_times_.push_back(now);
  restarts_total_.fetch_add(1);
  node_.metrics().restarts->with({{"actor", mailbox_key_}})->inc();
  restart_timer_ = std::make_unique<boost::asio::steady_timer>(worker_.io(), backoff_);
  restart_timer_->async_wait(
      [self = shared_from_this(), event = std::move(event)](boost::system::error_code ec) {
        if (ec || self->state_.load() != State::Restarting) return;
        self->restart(event);
      });
}

void Actor::restart(std::optional<ErrorEvent> event) {
  if (auto r = instantiate(); !r) {
    fail(r.error().message);
    return;
  }
  spdlog::info("actor {} restarted ({} restarts so far)", label(), restarts_total_.load());
  run_fiber([this, event] {
    auto r = lifecycle("lifecycle:on_start", &Proxy::on_start);
    if (r) r = lifecycle("lifecycle:on_ready", &Proxy::on_ready);
    if (!r) {
      proxy_.reset();
      discard_instance();
      fail("after a restart, " + r.error().message);
      return;
    }
    state_.store(State::Running);
    if (!event) return;
    run_hook("hook:on_error", [event](Proxy& p) -> Result<void> {
      auto e = p.on_error(*event);
      if (!e) return e.error();
      return {};
    });
  });
}

void Actor::fail(const std::string& why, bool permanent) {
  spdlog::error("actor {} failed: {}", label(), why);
  bool stopping = stop_requested_;
  Failure failure{why, std::nullopt, {}};
  if (!permanent && !stopping) {
    // Capped exponential cool-down, as supervisors back off a crash loop; it starts over once
    // the actor has run for a whole window.
    const RestartPolicy& policy = config_.restart;
    auto now = std::chrono::steady_clock::now();
    bool stayed_up =
        revived_at_ != std::chrono::steady_clock::time_point{} && now - revived_at_ > policy.window;
    cooldown_ = cooldown_.count() == 0 || stayed_up ? policy.cooldown
                                                    : std::min(cooldown_ * 2, policy.cooldown_max);
    failure.retry_at = now + cooldown_;
    failure.cooldown = cooldown_;
    spdlog::warn("actor {}: the supervisor starts it again in {}", label(),
                 seconds_text(cooldown_));
    revive_timer_ = std::make_unique<boost::asio::steady_timer>(worker_.io(), cooldown_);
    revive_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && self->state_.load() == State::Failed && !self->stop_requested_) self->revive();
    });
  }
  {
    std::lock_guard lock(failure_mu_);  // before the state says Failed: readers find the reason
    failure_ = std::move(failure);
  }
  auto items = take_all(State::Failed);
  proxy_.reset();
  discard_instance();
  node_.streams().remove_all(id_.serial_number);
  streams_.clear();
  node_.metrics().failures->with({{"actor", mailbox_key_}})->inc();
  // Calls waiting here are answered now; tells and stream chunks wait for the next instance
  // (durable ones are in the store in any case).
  std::vector<Item> kept;
  for (auto& item : items) {
    if (!item.message) continue;
    if (item.message->reply || stopping || permanent) {
      drop(std::move(item), "actor " + label() + " failed: " + why);
    } else {
      kept.push_back(std::move(item));
    }
  }
  if (!kept.empty()) {
    std::lock_guard lock(queue_mu_);
    for (auto& item : kept) {
      bool signal = item.message->lane == Lane::Signal;
      (signal ? signal_q_ : reliable_q_).push_back(std::move(item));
    }
  }
  if (stop_done_) finish_stop();
}

void Actor::revive() {
  spdlog::info("actor {}: the supervisor starts it again after its cool-down", label());
  state_.store(State::Restarting);
  restart_times_.clear();
  revived_at_ = std::chrono::steady_clock::now();
  if (auto r = instantiate(); !r) {
    fail(r.error().message);
    return;
  }
  run_fiber([this] {
    auto r = lifecycle("lifecycle:on_start", &Proxy::on_start);
    if (r) r = lifecycle("lifecycle:on_ready", &Proxy::on_ready);
    if (!r) {
      proxy_.reset();
      discard_instance();
      fail(r.error().message);
      return;
    }
    {
      std::lock_guard lock(failure_mu_);
      failure_.reset();
    }
    state_.store(State::Running);
    spdlog::info("actor {} is running again", label());
  });
}

std::optional<Actor::Failure> Actor::failure() const {
  std::lock_guard lock(failure_mu_);
  if (state_.load() != State::Failed) return std::nullopt;
  return failure_;
}

void Actor::complete(const Message& m) {
  if (m.store_id) {
    if (MailboxStore* store = node_.store()) store->complete(m.store_id);
    forget(m.store_id);
  }
}

void Actor::dead_letter(Message m, const std::string& reason) {
  spdlog::warn("actor {}: message {} (route `{}`) goes to the dead-letter queue: {}", label(),
               m.request_id, m.route_key, reason);
  stats_.dead_letters.fetch_add(1);
  node_.metrics().dead_letters->with({{"actor", mailbox_key_}})->inc();
  MailboxStore* store = node_.store();
  if (!store) return;
  int64_t id = m.store_id;
  if (!id) {  // a memory-lane message: the dead-letter queue keeps it all the same
    StoredMessage stored{0, mailbox_key_, m.lane, m.request_id, encode_body(m), m.attempts, 0};
    auto appended = store->append_sync(std::move(stored));
    if (!appended || appended->status != AppendStatus::Accepted) return;
    id = appended->id;
  }
  forget(id);
  if (auto r = store->move_to_dead_letters(id, reason); !r) {
    spdlog::error("actor {}: dead-lettering {} failed: {}", label(), m.request_id,
                  r.error().message);
  }
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

void Actor::offer_component(std::shared_ptr<const component::Component> next, std::string blocker) {
  boost::asio::post(worker_.io(), [self = shared_from_this(), next = std::move(next),
                                   blocker = std::move(blocker)]() mutable {
    self->pending_component_ = std::move(next);
    self->pending_blocker_ = std::move(blocker);
    self->try_tier_up();
  });
}

void Actor::try_tier_up() {
  if (!pending_component_ || busy_) return;  // again when the running call ends
  auto next = std::move(pending_component_);
  std::string blocker = std::move(pending_blocker_);
  pending_component_.reset();
  State s = state_.load();
  if (s == State::Stopping || s == State::Stopped || stop_requested_) return;
  if (!proxy_ || s != State::Running || !blocker.empty()) {
    // No live instance to move, or its state cannot move: the next instance is the new tier.
    if (!blocker.empty()) {
      spdlog::info("actor {} moves to compiled code at its next restart: {}", label(), blocker);
    }
    component_ = std::move(next);
    return;
  }
  wasm::StoreLimits limits;
  limits.max_memory_bytes = config_.memory_limit_bytes;
  limits.deadline = config_.deadline;
  Actor* outer = tls_current;
  tls_current = this;  // start functions may call WASI: they see this actor's state
  auto instance = node_.linker().instantiate(*next, limits);
  Result<void> moved = make_error("instantiation failed");
  std::optional<Proxy> proxy;
  if (instance) {
    auto bound = Proxy::bind(**instance);
    if (bound) {
      proxy.emplace(std::move(*bound));
      moved = (*instance)->take_state_from(*instance_);
    } else {
      moved = bound.error();
    }
  } else {
    moved = instance.error();
  }
  tls_current = outer;
  if (!moved) {
    spdlog::warn("actor {}: stays on {} until its next restart: {}", label(), tier_.load(),
                 moved.error().message);
    if (instance) {
      tls_current = this;
      instance->reset();
      tls_current = outer;
    }
    component_ = std::move(next);  // the next instance starts there
    return;
  }
  auto old = std::move(instance_);
  instance_ = std::move(*instance);
  proxy_ = std::move(proxy);
  component_ = std::move(next);
  tls_current = this;
  old.reset();
  tls_current = outer;
  tier_.store(component_->engine().name() == "aot" ? "aot" : "interp");
  tier_ups_.fetch_add(1);
  spdlog::info("actor {} now runs compiled code ({} after it started)", label(),
               seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started_at_)));
}

void Actor::discard_instance() {
  Actor* outer = tls_current;
  tls_current = this;
  instance_.reset();
  if (wasi_) wasi_->flush_output();
  tls_current = outer;
}

Result<void> Actor::instantiate() {
  if (!component_) return make_error("no component loaded");
  wasm::StoreLimits limits;
  limits.max_memory_bytes = config_.memory_limit_bytes;
  limits.deadline = config_.deadline;
  // WASI sees only what the actor's policy grants (config.hpp WasiPolicy).
  wasi::WasiConfig wasi_config;
  wasi_config.instance_name = label();
  wasi_config.env = config_.wasi.env;
  wasi_config.args = config_.wasi.args.value_or(std::vector<std::string>{config_.name});
  wasi_config.max_lines_per_second = config_.wasi.log_lines_per_second;
  for (const auto& dir : config_.wasi.dirs) {
    wasi_config.preopens.push_back({dir.host, dir.guest, dir.write});
  }
  auto wasi_state = wasi::WasiState::create(std::move(wasi_config));
  if (!wasi_state) return make_error("WASI: " + wasi_state.error().message);
  wasi_ = std::move(*wasi_state);
  Actor* outer = tls_current;
  tls_current = this;
  auto instance = node_.linker().instantiate(*component_, limits);
  tls_current = outer;
  if (!instance) return make_error("instantiation failed: " + instance.error().message);
  auto proxy = Proxy::bind(**instance);
  if (!proxy) return make_error("not an actr workload: " + proxy.error().message);
  instance_ = std::move(*instance);
  proxy_.emplace(std::move(*proxy));
  tier_.store(component_->engine().name() == "aot" ? "aot" : "interp");
  if (started_at_ == std::chrono::steady_clock::time_point{}) {
    started_at_ = std::chrono::steady_clock::now();
  }
  return {};
}

void Actor::start(std::function<void(Result<void>)> done) {
  boost::asio::post(worker_.io(), [self = shared_from_this(), done = std::move(done)]() mutable {
    self->state_.store(State::Starting);
    if (auto r = self->instantiate(); !r) {
      // Imports that do not match, a memory that does not fit: no restart can fix those.
      self->fail(r.error().message, /*permanent=*/true);
      done(r.error());
      return;
    }
    self->run_fiber([self, done = std::move(done)]() mutable {
      auto r = self->lifecycle("lifecycle:on_start", &Proxy::on_start);
      if (r) r = self->lifecycle("lifecycle:on_ready", &Proxy::on_ready);
      if (!r) {
        self->fail(r.error().message);
        done(r.error());
        return;
      }
      if (self->state_.load() == State::Starting) self->state_.store(State::Running);
      done({});
    });
  });
}

void Actor::mark_failed(const std::string& why) {
  {
    std::lock_guard lock(failure_mu_);
    failure_ = Failure{why, std::nullopt, {}};
  }
  state_.store(State::Failed);
  node_.metrics().failures->with({{"actor", mailbox_key_}})->inc();
  spdlog::error("actor {} failed: {}", label(), why);
}

void Actor::stop(std::chrono::milliseconds drain, std::function<void()> done) {
  boost::asio::post(
      worker_.io(), [self = shared_from_this(), drain, done = std::move(done)]() mutable {
        self->stop_requested_ = true;
        if (self->revive_timer_) self->revive_timer_->cancel();
        State s = self->state_.load();
        if (s == State::Stopped || s == State::Failed || s == State::Created) {
          self->state_.store(s == State::Failed ? State::Failed : State::Stopped);
          done();
          return;
        }
        if (self->restart_timer_) self->restart_timer_->cancel();
        self->state_.store(State::Stopping);
        self->stop_done_ = std::move(done);
        self->drain_timer_ = std::make_unique<boost::asio::steady_timer>(self->worker_.io(), drain);
        self->drain_timer_->async_wait([self](boost::system::error_code ec) {
          if (ec || !self->stop_done_) return;
          spdlog::warn("actor {}: drain time over; stopping with {} messages queued", self->label(),
                       self->queued_.load());
          self->cancel_wait("node is stopping");
          self->on_idle_ = nullptr;
          if (!self->busy_)
            self->finish_stop();
          else
            self->on_idle_ = [self] { self->finish_stop(); };
        });
        self->on_idle_ = [self] { self->finish_stop(); };
        self->pump();
        bool idle = self->queues_empty();
        if (!self->busy_ && (idle || !self->proxy_) && self->on_idle_) {
          self->on_idle_ = nullptr;
          self->finish_stop();
        }
      });
}

void Actor::finish_stop() {
  if (!stop_done_) return;
  if (drain_timer_) drain_timer_->cancel();
  auto finish = [self = shared_from_this()] {
    bool failed = self->state_.load() == State::Failed;
    auto items = self->take_all(failed ? State::Failed : State::Stopped);
    for (auto& item : items) self->drop(std::move(item), "node is stopping");
    self->node_.streams().remove_all(self->id_.serial_number);
    self->proxy_.reset();
    self->discard_instance();
    auto done = std::move(self->stop_done_);
    self->stop_done_ = nullptr;
    done();
  };
  if (!proxy_) {
    finish();
    return;
  }
  run_fiber([this, finish] {
    if (auto r = lifecycle("lifecycle:on_stop", &Proxy::on_stop); !r) {
      spdlog::warn("actor {}: {}", label(), r.error().message);
    }
    finish();
  });
}

// ---------------------------------------------------------------------------------------------
// Streams

Status Actor::register_stream(const std::string& stream_id) {
  auto r = node_.streams().add(stream_id, id_.serial_number);
  if (r.is_ok()) streams_.try_emplace(stream_id);
  return r;
}

Status Actor::unregister_stream(const std::string& stream_id) {
  auto r = node_.streams().remove(stream_id, id_.serial_number);
  if (r.is_ok()) streams_.erase(stream_id);
  return r;
}

}  // namespace actr::runtime
