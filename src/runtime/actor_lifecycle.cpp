// Actor: instantiation, start and stop, the switch between engine tiers, registered streams.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "runtime/actor.hpp"
#include "runtime/actor_internal.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/node.hpp"
#include "runtime/vocabulary.hpp"

namespace actr::runtime {

using namespace actr::runtime::actor_detail;

// ---------------------------------------------------------------------------------------------
// Lifecycle

void Actor::offer_component(std::shared_ptr<const component::Component> next, std::string blocker) {
  post_claimed([self = shared_from_this(), next = std::move(next),
                blocker = std::move(blocker)]() mutable {
    self->pending_tier_up_ = std::make_unique<TierUp>(TierUp{std::move(next), std::move(blocker)});
    self->try_tier_up();
  });
}

void Actor::try_tier_up() {
  if (!pending_tier_up_ || busy_) return;                     // again when the running call ends
  if (Worker* here = Worker::current()) here->forget_time();  // instantiating takes a while
  auto next = std::move(pending_tier_up_->component);
  std::string blocker = std::move(pending_tier_up_->blocker);
  pending_tier_up_.reset();
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
  Result<std::unique_ptr<component::Instance>> instance = make_error("not instantiated");
  Result<void> moved = make_error("instantiation failed");
  std::optional<Proxy> proxy;
  {
    CurrentActor current(this);  // start functions may call WASI: they see this actor's state
    instance = node_.linker().instantiate(*next, limits);
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
  }
  if (!moved) {
    spdlog::warn("actor {}: stays on {} until its next restart: {}", label(), tier_.load(),
                 moved.error().message);
    if (instance) {
      CurrentActor current(this);
      instance->reset();
    }
    component_ = std::move(next);  // the next instance starts there
    return;
  }
  auto old = std::move(instance_);
  instance_ = std::move(*instance);
  proxy_ = std::move(proxy);
  component_ = std::move(next);
  {
    CurrentActor current(this);
    old.reset();
  }
  tier_.store(component_->engine().name() == "aot" ? "aot" : "interp");
  tier_ups_.fetch_add(1);
  spdlog::info("actor {} now runs compiled code ({} after it started)", label(),
               seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started_at_)));
}

void Actor::discard_instance() {
  CurrentActor current(this);
  instance_.reset();
  if (wasi_) wasi_->flush_output();
}

Result<void> Actor::instantiate() {
  if (!component_) return make_error("no component loaded");
  wasm::StoreLimits limits;
  limits.max_memory_bytes = config_.memory_limit_bytes;
  limits.deadline = config_.deadline;
  // WASI sees only what the actor's policy grants (config.hpp WasiPolicy). Only a component that
  // imports WASI gets a state (~1.3 KiB an instance): the WASI host functions find it through
  // the running actor, and no other component can call them.
  wasi_.reset();
  if (component_->imports_with_prefix("wasi:")) {
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
  }
  auto instance = [&] {
    CurrentActor current(this);
    return node_.linker().instantiate(*component_, limits);
  }();
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
  post_claimed([self = shared_from_this(), done = std::move(done)]() mutable {
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
    failure_ = std::make_unique<Failure>(Failure{why, std::nullopt, {}});
  }
  state_.store(State::Failed);
  node_.metrics().failures->with({{"actor", mailbox_key_}})->inc();
  spdlog::error("actor {} failed: {}", label(), why);
}

void Actor::stop(std::chrono::milliseconds drain, std::function<void()> done) {
  post_claimed([self = shared_from_this(), drain, done = std::move(done)]() mutable {
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
    self->drain_timer_ = std::make_unique<boost::asio::steady_timer>(self->home_.io(), drain);
    self->drain_timer_->async_wait([self](boost::system::error_code ec) {
      if (ec) return;
      self->run_claimed([self] { self->drain_over(); });
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

void Actor::drain_over() {
  if (!stop_done_) return;
  spdlog::warn("actor {}: drain time over; stopping with {} messages queued", label(),
               queued_.load());
  cancel_wait("node is stopping");
  on_idle_ = nullptr;
  if (!busy_) {
    finish_stop();
  } else {
    on_idle_ = [self = shared_from_this()] { self->finish_stop(); };
  }
}

void Actor::finish_stop() {
  if (!stop_done_) return;
  if (drain_timer_) drain_timer_->cancel();
  auto finish = [self = shared_from_this()] {
    bool failed = self->state_.load() == State::Failed;
    auto items = self->take_all(failed ? State::Failed : State::Stopped);
    for (auto& item : items) self->drop(std::move(item), "node is stopping");
    self->node_.streams().remove_all(self->id_->serial_number);
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
  auto r = node_.streams().add(stream_id, id_->serial_number);
  if (r.is_ok()) streams_.try_emplace(stream_id);
  return r;
}

Status Actor::unregister_stream(const std::string& stream_id) {
  auto r = node_.streams().remove(stream_id, id_->serial_number);
  if (r.is_ok()) streams_.erase(stream_id);
  return r;
}

}  // namespace actr::runtime
