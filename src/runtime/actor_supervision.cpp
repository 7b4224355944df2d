// Actor: failures, restarts with back-off, permanent failure and revival, dead letters.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "actr/wasm/trap.hpp"
#include "common/unicode.hpp"
#include "runtime/actor.hpp"
#include "runtime/actor_internal.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/message_codec.hpp"
#include "runtime/message_text.hpp"
#include "runtime/node.hpp"
#include "runtime/vocabulary.hpp"
#include "wasi/exit_status.hpp"

namespace actr::runtime {
namespace {

using namespace actr::runtime::actor_detail;
using workload::types::ErrorCategory;
using workload::types::ErrorEvent;

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

}  // namespace

Result<void> Actor::lifecycle(const char* request_id,
                              Result<wit::Result<void, ActrError>> (Proxy::*fn)()) {
  context_ = CallContext{id_.get(), &CallContext::kNoCaller, request_id, &CallContext::kNoChain,
                         Lane::Signal};
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
  std::erase_if(restart_times_, [&](auto t) { return now - t > policy.window; });
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
  restart_timer_ = std::make_unique<boost::asio::steady_timer>(home_.io(), backoff_);
  restart_timer_->async_wait(
      [self = shared_from_this(), event = std::move(event)](boost::system::error_code ec) {
        if (ec) return;
        self->run_claimed([self, event] {
          if (self->state_.load() == State::Restarting) self->restart(event);
        });
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
    revive_timer_ = std::make_unique<boost::asio::steady_timer>(home_.io(), cooldown_);
    revive_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      self->run_claimed([self] {
        if (self->state_.load() == State::Failed && !self->stop_requested_) self->revive();
      });
    });
  }
  {
    std::lock_guard lock(failure_mu_);  // before the state says Failed: readers find the reason
    failure_ = std::make_unique<Failure>(std::move(failure));
  }
  auto items = take_all(State::Failed);
  proxy_.reset();
  discard_instance();
  node_.streams().remove_all(id_->serial_number);
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
    items_.fetch_add(kept.size());
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
  if (state_.load() != State::Failed || !failure_) return std::nullopt;
  return *failure_;
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

}  // namespace actr::runtime
