#include "runtime/host_imports.hpp"

#include <spdlog/spdlog.h>

#include "runtime/actor.hpp"
#include "runtime/node.hpp"

namespace actr::runtime {

namespace {

using workload::types::Dest;

using CallOutcome = ::actr::Result<CallResult>;
using StatusOutcome = ::actr::Result<Status>;

Error outside(std::string_view import) {
  return make_error("`" + std::string(import) +
                    "` was called outside an export call of an actor (the host traps it)");
}

// The calling actor and its running export call, or an Error that traps the guest.
Result<std::pair<Actor*, const CallContext*>> caller_of(std::string_view import) {
  Actor* actor = Actor::current();
  const CallContext* ctx = actor ? actor->context() : nullptr;
  if (!ctx) return outside(import);
  return std::make_pair(actor, ctx);
}

// Errors reach the guest as WIT strings: text the host did not build itself (a peer's, a
// client's) may hold invalid UTF-8, which must not turn into a trap of the caller.
CallResult to_guest(CallResult r) {
  if (r.is_ok()) return r;
  return CallResult::Err(with_valid_text(r.error()));
}
Status to_guest(Status s) {
  if (s.is_ok()) return s;
  return Status::Err(with_valid_text(s.error()));
}

Status to_status(const CallResult& r) {
  return r.is_ok() ? Status::Ok() : Status::Err(with_valid_text(r.error()));
}

class HostImports final : public workload::host::Host {
 public:
  // The arguments are the ones the bindings lifted from the guest, moved in: kept, not copied.
  CallOutcome call(Dest target, std::string route_key, std::vector<uint8_t> payload) override {
    ACTR_TRY(auto who, caller_of("call"));
    auto [actor, ctx] = who;
    if (target.tag() == Dest::Tag::Actor) {
      // An actor of this node (the usual case): no reference count to take and drop.
      if (Actor* local = actor->node().find_local(target.as_actor())) {
        return to_guest(send_call(*actor, *ctx, *local, std::move(route_key), std::move(payload)));
      }
    }
    auto endpoint = actor->node().resolve(target, *actor);
    if (endpoint.is_err()) return to_guest(CallResult::Err(endpoint.error()));
    return to_guest(
        send_call(*actor, *ctx, *endpoint.value(), std::move(route_key), std::move(payload)));
  }

  StatusOutcome tell(Dest target, std::string route_key, std::vector<uint8_t> payload) override {
    ACTR_TRY(auto who, caller_of("tell"));
    auto [actor, ctx] = who;
    auto endpoint = actor->node().resolve(target, *actor);
    if (endpoint.is_err()) return to_guest(Status::Err(endpoint.error()));
    Message m;
    m.kind = Message::Kind::Tell;
    m.lane = ctx->lane;
    m.request_id = actor->node().next_request_id();
    m.route_key = std::move(route_key);
    m.payload = std::move(payload);
    m.caller = actor->shared_id();  // shared, not copied
    m.text_checked = true;          // lifted strings, the node's own id and type
    auto ep = endpoint.value();
    return to_status(actor->suspend([&](Actor::Resumer resume) {
      ep->deliver(std::move(m), [resume](Status s) {
        resume(s.is_ok() ? CallResult::Ok() : CallResult::Err(s.error()));
      });
    }));
  }

  CallOutcome call_raw(ActrId target, std::string route_key,
                       std::vector<uint8_t> payload) override {
    ACTR_TRY(auto who, caller_of("call-raw"));
    auto [actor, ctx] = who;
    auto endpoint = actor->node().resolve_id(target);
    if (!endpoint) return CallResult::Err(ActrError::not_found("no actor " + to_string(target)));
    return to_guest(send_call(*actor, *ctx, *endpoint, std::move(route_key), std::move(payload)));
  }

  ::actr::Result<wit::Result<ActrId, ActrError>> discover(ActrType target_type) override {
    using R = wit::Result<ActrId, ActrError>;
    ACTR_TRY(auto who, caller_of("discover"));
    Actor* actor = who.first;
    // This node first (no network hop), then the signaling server.
    auto found = actor->node().discover(target_type, &actor->id());
    if (found.is_ok()) return R::Ok(found.value()->id());
    Network* network = actor->node().network();
    if (!network) return R::Err(found.error());
    auto remote = std::make_shared<std::optional<ActrId>>();
    CallResult r = actor->suspend([&](Actor::Resumer resume) {
      network->discover(target_type, actor->id(), [remote, resume](R d) {
        if (d.is_err()) return resume(CallResult::Err(d.error()));
        *remote = d.value();
        resume(CallResult::Ok());
      });
    });
    if (r.is_err()) return R::Err(with_valid_text(r.error()));
    return R::Ok(**remote);
  }

  StatusOutcome register_stream(std::string stream_id) override {
    ACTR_TRY(auto who, caller_of("register-stream"));
    return who.first->register_stream(stream_id);
  }

  StatusOutcome unregister_stream(std::string stream_id) override {
    ACTR_TRY(auto who, caller_of("unregister-stream"));
    return who.first->unregister_stream(stream_id);
  }

  StatusOutcome send_data_stream(Dest target, DataStream chunk, PayloadType payload_type) override {
    ACTR_TRY(auto who, caller_of("send-data-stream"));
    auto [actor, ctx] = who;
    Node& node = actor->node();
    if (target.tag() == Dest::Tag::Shell) {
      return Status::Err(ActrError::not_found("the shell receives no data streams"));
    }
    auto endpoint = node.resolve(target, *actor);
    if (endpoint.is_err()) return to_guest(Status::Err(endpoint.error()));
    auto* receiver = dynamic_cast<Actor*>(endpoint.value().get());
    if (receiver && node.streams().owner(chunk.stream_id) != receiver->id().serial_number) {
      return Status::Err(ActrError::not_found("stream `" + chunk.stream_id +
                                              "` is not registered by actor " + receiver->label()));
    }
    Message m;
    m.kind = Message::Kind::Stream;
    m.lane = payload_type.tag() == PayloadType::Tag::RpcSignal ? Lane::Signal : Lane::Reliable;
    m.request_id = "data-stream:" + chunk.stream_id + ":" + std::to_string(chunk.sequence);
    m.caller = actor->shared_id();  // shared, not copied
    m.text_checked = true;          // lifted strings, the node's own id and type
    m.payload_type = payload_type;
    m.chunk = std::move(chunk);
    auto ep = endpoint.value();
    (void)ctx;
    return to_status(actor->suspend([&](Actor::Resumer resume) {
      ep->deliver(std::move(m), [resume](Status s) {
        resume(s.is_ok() ? CallResult::Ok() : CallResult::Err(s.error()));
      });
    }));
  }

  ::actr::Result<void> log_message(std::string level, std::string message) override {
    Actor* actor = Actor::current();
    const CallContext* ctx = actor ? actor->context() : nullptr;
    spdlog::level::level_enum lvl = spdlog::level::info;
    if (level == "trace")
      lvl = spdlog::level::trace;
    else if (level == "debug")
      lvl = spdlog::level::debug;
    else if (level == "warn" || level == "warning")
      lvl = spdlog::level::warn;
    else if (level == "error")
      lvl = spdlog::level::err;
    if (!actor) {
      spdlog::log(lvl, "[guest] {}", message);
    } else if (!ctx) {
      spdlog::log(lvl, "[{}] {}", actor->label(), message);
    } else {
      spdlog::log(lvl, "[{} req={}] {}", actor->label(), ctx->request_id, message);
    }
    return {};
  }

  ::actr::Result<ActrId> get_self_id() override {
    ACTR_TRY(auto who, caller_of("get-self-id"));
    return *who.second->self;
  }
  ::actr::Result<std::optional<ActrId>> get_caller_id() override {
    ACTR_TRY(auto who, caller_of("get-caller-id"));
    return who.second->caller->to_optional();
  }
  ::actr::Result<std::string> get_request_id() override {
    ACTR_TRY(auto who, caller_of("get-request-id"));
    return std::string(who.second->request_id);
  }

 private:
  // `endpoint` stays alive for the call of this (the caller holds it, or it is an actor).
  static CallResult send_call(Actor& actor, const CallContext& ctx, Endpoint& endpoint,
                              std::string&& route_key, std::vector<uint8_t>&& payload) {
    Message m;
    m.kind = Message::Kind::Call;
    m.lane = ctx.lane;
    m.request_id = actor.node().next_request_id();
    m.route_key = std::move(route_key);
    m.payload = std::move(payload);
    m.caller = actor.shared_id();            // shared, not copied
    m.text_checked = true;                   // lifted strings, the node's own id and type
    m.chain.reserve(ctx.chain->size() + 1);  // one allocation, not a copy and then a regrowth
    m.chain.assign(ctx.chain->begin(), ctx.chain->end());
    m.chain.push_back(actor.id().serial_number);
    return actor.suspend([&](Actor::Resumer resume) {
      actor.node().send_call(endpoint, std::move(m), &actor.worker(), resume);
    });
  }
};

}  // namespace

std::shared_ptr<workload::host::Host> make_host_imports() {
  return std::make_shared<HostImports>();
}

}  // namespace actr::runtime
