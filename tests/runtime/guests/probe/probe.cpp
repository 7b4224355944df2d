// A workload that exercises every host import and records every hook, for the runtime tests.
// Routes take space-separated text arguments; see the table in dispatch().
#include <actr/workload.hpp>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace {

std::vector<std::string> split(const std::string& s, size_t max_parts) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (out.size() + 1 < max_parts) {
    size_t sp = s.find(' ', pos);
    if (sp == std::string::npos) break;
    out.push_back(s.substr(pos, sp - pos));
    pos = sp + 1;
  }
  out.push_back(s.substr(pos));
  return out;
}

std::string id_text(const actr::ActrId& id) {
  return std::to_string(id.realm.realm_id) + ":" + std::to_string(id.serial_number);
}

std::string error_text(const actr::ActrError& e) {
  using Tag = actr::ActrError::Tag;
  switch (e.tag()) {
    case Tag::Unavailable:
      return "unavailable: " + e.as_unavailable();
    case Tag::TimedOut:
      return "timed-out";
    case Tag::NotFound:
      return "not-found: " + e.as_not_found();
    case Tag::PermissionDenied:
      return "permission-denied: " + e.as_permission_denied();
    case Tag::InvalidArgument:
      return "invalid-argument: " + e.as_invalid_argument();
    case Tag::UnknownRoute:
      return "unknown-route: " + e.as_unknown_route();
    case Tag::DependencyNotFound:
      return "dependency-not-found: " + e.as_dependency_not_found().service_name;
    case Tag::DecodeFailure:
      return "decode-failure: " + e.as_decode_failure();
    case Tag::NotImplemented:
      return "not-implemented: " + e.as_not_implemented();
    case Tag::Internal:
      return "internal: " + e.as_internal();
  }
  return "?";
}

actr::PayloadType payload_type(const std::string& name) {
  if (name == "signal") return actr::PayloadType::rpc_signal();
  if (name == "latency") return actr::PayloadType::stream_latency_first();
  if (name == "rpc") return actr::PayloadType::rpc_reliable();
  return actr::PayloadType::stream_reliable();
}

class Probe : public actr::Workload {
 public:
  actr::Reply dispatch(actr::Context& ctx, actr::RpcEnvelope envelope) override {
    const std::string& r = envelope.route_key;
    // The benchmarks' callee: the payload goes back as it came, moved rather than copied.
    if (r == "echo") return actr::Reply::Ok(std::move(envelope.payload));
    std::string arg = actr::to_string(envelope.payload);
    if (r == "ids") return text(context_text(ctx));
    if (r == "count") return text(std::to_string(++count_));
    if (r == "get") return text(std::to_string(count_));
    if (r == "err") return actr::Reply::Err(actr::ActrError::invalid_argument("bad input: " + arg));
    if (r == "trap") __builtin_trap();
    if (r == "spin") {
      volatile uint64_t i = 0;
      for (;;) i = i + 1;
    }
    if (r == "log") {
      ctx.info(arg);
      return text("ok");
    }
    if (r == "hooks") return text(hooks_);
    if (r == "streams") return text(chunks_);
    if (r == "alloc") {
      size_t n = std::strtoull(arg.c_str(), nullptr, 10);
      void* p = std::malloc(n);
      if (!p) return actr::Reply::Err(actr::ActrError::internal("out of memory"));
      static_cast<volatile char*>(p)[n - 1] = 1;
      std::free(p);
      return text("ok");
    }
    if (r == "busy") {  // keeps the actor busy for N ms, reading the time from the shell
      long ms = std::strtol(arg.c_str(), nullptr, 10);
      auto now = [&] {
        auto t = ctx.call(actr::Dest::shell(), "shell/time", {});
        return t ? std::strtoll(actr::to_string(t.value()).c_str(), nullptr, 10) : 0;
      };
      long long end = now() + ms;
      while (now() < end) {
      }
      return text("done");
    }
    // "call TYPE ROUTE DATA", "call-raw TYPE ROUTE DATA", "tell TYPE ROUTE DATA"
    if (r == "call" || r == "call-raw" || r == "tell") {
      auto a = split(arg, 3);
      if (a.size() < 2) return actr::Reply::Err(actr::ActrError::invalid_argument("usage"));
      auto id = ctx.discover({"", a[0], ""});
      if (!id) return actr::Reply::Err(id.error());
      actr::Bytes data = actr::to_bytes(a.size() > 2 ? a[2] : "");
      if (r == "call") return ctx.call(actr::Dest::actor(id.value()), a[1], data);
      if (r == "call-raw") return ctx.call_raw(id.value(), a[1], data);
      auto s = ctx.tell(actr::Dest::actor(id.value()), a[1], data);
      if (!s) return actr::Reply::Err(s.error());
      return text("told");
    }
    // "call-loop N TYPE ROUTE DATA": N calls in a row (benchmarks); answers the last reply.
    if (r == "call-loop") {
      auto a = split(arg, 4);
      if (a.size() < 3) return actr::Reply::Err(actr::ActrError::invalid_argument("usage"));
      long n = std::strtol(a[0].c_str(), nullptr, 10);
      auto id = ctx.discover({"", a[1], ""});
      if (!id) return actr::Reply::Err(id.error());
      actr::Bytes data = actr::to_bytes(a.size() > 3 ? a[3] : "");
      const actr::Dest dest = actr::Dest::actor(id.value());  // made once, as a peer's handle
      actr::Reply last = actr::Reply::Ok({});
      for (long i = 0; i < n; ++i) {
        last = ctx.call(dest, a[2], data);
        if (!last) return last;
      }
      return last;
    }
    // "call-for MS TYPE ROUTE DATA": calls one actor of TYPE (discovered once) again and again
    // for MS milliseconds, each failure counted rather than ending the loop; answers
    // "ok=N failed=M" and the first error, if any.
    if (r == "call-for") {
      auto a = split(arg, 4);
      if (a.size() < 3) return actr::Reply::Err(actr::ActrError::invalid_argument("usage"));
      long long ms = std::strtoll(a[0].c_str(), nullptr, 10);
      auto id = ctx.discover({"", a[1], ""});
      if (!id) return actr::Reply::Err(id.error());
      actr::Bytes data = actr::to_bytes(a.size() > 3 ? a[3] : "");
      auto now = [&] {
        auto t = ctx.call(actr::Dest::shell(), "shell/time", {});
        return t ? std::strtoll(actr::to_string(t.value()).c_str(), nullptr, 10) : 0;
      };
      long long end = now() + ms;
      uint64_t ok = 0, failed = 0;
      std::string first_error;
      while (now() < end) {
        auto reply = ctx.call(actr::Dest::actor(id.value()), a[2], data);
        if (reply) {
          ++ok;
        } else if (failed++ == 0) {
          first_error = " first-error=" + error_text(reply.error());
        }
      }
      return text("ok=" + std::to_string(ok) + " failed=" + std::to_string(failed) + first_error);
    }
    // "call-id REALM SERIAL ROUTE DATA"
    if (r == "call-id") {
      auto a = split(arg, 4);
      if (a.size() < 3) return actr::Reply::Err(actr::ActrError::invalid_argument("usage"));
      actr::ActrId id{{static_cast<uint32_t>(std::strtoul(a[0].c_str(), nullptr, 10))},
                      std::strtoull(a[1].c_str(), nullptr, 10),
                      {}};
      return ctx.call(actr::Dest::actor(id), a[2], actr::to_bytes(a.size() > 3 ? a[3] : ""));
    }
    if (r == "call-local" || r == "tell-local" || r == "shell") {
      auto a = split(arg, 2);
      actr::Bytes data = actr::to_bytes(a.size() > 1 ? a[1] : "");
      if (r == "shell") return ctx.call(actr::Dest::shell(), a[0], data);
      if (r == "call-local") return ctx.call(actr::Dest::local(), a[0], data);
      auto s = ctx.tell(actr::Dest::local(), a[0], data);
      if (!s) return actr::Reply::Err(s.error());
      return text("told");
    }
    if (r == "stream-register") return status(ctx.register_stream(arg));
    if (r == "stream-unregister") return status(ctx.unregister_stream(arg));
    // "stream-send TYPE STREAM SEQ PTYPE DATA"
    if (r == "stream-send") {
      auto a = split(arg, 5);
      if (a.size() < 4) return actr::Reply::Err(actr::ActrError::invalid_argument("usage"));
      auto id = ctx.discover({"", a[0], ""});
      if (!id) return actr::Reply::Err(id.error());
      actr::DataStream chunk;
      chunk.stream_id = a[1];
      chunk.sequence = std::strtoull(a[2].c_str(), nullptr, 10);
      chunk.payload = actr::to_bytes(a.size() > 4 ? a[4] : "");
      return status(ctx.send_data_stream(actr::Dest::actor(id.value()), chunk, payload_type(a[3])));
    }
    return actr::Reply::Err(actr::ActrError::unknown_route(r));
  }

  actr::Status on_start(actr::Context& ctx) override {
    record(ctx, "on_start");
    std::string name = ctx.self_id().type.name;
    if (name == "bad-start")
      return actr::Status::Err(actr::ActrError::internal("refusing to start"));
    if (name == "trap-start") __builtin_trap();
    return actr::Status::Ok();
  }
  actr::Status on_ready(actr::Context& ctx) override {
    record(ctx, "on_ready");
    return actr::Status::Ok();
  }
  actr::Status on_stop(actr::Context& ctx) override {
    record(ctx, "on_stop");
    return actr::Status::Ok();
  }
  actr::Status on_error(actr::Context& ctx, const actr::ErrorEvent& event) override {
    std::string category = event.category.tag() == actr::wt::ErrorCategory::Tag::HandlerPanic
                               ? "handler-panic"
                               : "handler-error";
    record(ctx, "on_error " + category + " [" + error_text(event.source) + "] " + event.context);
    if (ctx.self_id().type.name == "trap-on-error") __builtin_trap();
    return actr::Status::Ok();
  }
  void on_mailbox_backpressure(actr::Context& ctx, const actr::BackpressureEvent& e) override {
    record(ctx, "on_mailbox_backpressure " + std::to_string(e.queue_len) + "/" +
                    std::to_string(e.threshold));
  }
  void on_signaling_connecting(actr::Context& ctx) override {
    record(ctx, "on_signaling_connecting");
  }
  void on_signaling_connected(actr::Context& ctx) override {
    record(ctx, "on_signaling_connected");
  }
  void on_signaling_disconnected(actr::Context& ctx) override {
    record(ctx, "on_signaling_disconnected");
  }
  void on_websocket_connecting(actr::Context& ctx, const actr::PeerEvent& e) override {
    record(ctx, "on_websocket_connecting " + peer_text(e));
  }
  void on_websocket_connected(actr::Context& ctx, const actr::PeerEvent& e) override {
    record(ctx, "on_websocket_connected " + peer_text(e));
  }
  void on_websocket_disconnected(actr::Context& ctx, const actr::PeerEvent& e) override {
    record(ctx, "on_websocket_disconnected " + peer_text(e));
  }
  void on_webrtc_connecting(actr::Context& ctx, const actr::PeerEvent& e) override {
    record(ctx, "on_webrtc_connecting " + peer_text(e));
  }
  void on_webrtc_connected(actr::Context& ctx, const actr::PeerEvent& e) override {
    record(ctx, "on_webrtc_connected " + peer_text(e));
  }
  void on_webrtc_disconnected(actr::Context& ctx, const actr::PeerEvent& e) override {
    record(ctx, "on_webrtc_disconnected " + peer_text(e));
  }
  void on_credential_renewed(actr::Context& ctx, const actr::CredentialEvent& e) override {
    record(ctx, "on_credential_renewed " + std::to_string(e.new_expiry.seconds));
  }
  void on_credential_expiring(actr::Context& ctx, const actr::CredentialEvent& e) override {
    record(ctx, "on_credential_expiring " + std::to_string(e.new_expiry.seconds));
  }
  actr::Status on_data_stream(actr::Context& ctx, const actr::DataStream& chunk,
                              const actr::ActrId& sender) override {
    chunks_ += chunk.stream_id + ":" + std::to_string(chunk.sequence) + ":" +
               actr::to_string(chunk.payload) + " from=" + id_text(sender) +
               " req=" + ctx.request_id() + "\n";
    return actr::Status::Ok();
  }

 private:
  static actr::Reply text(const std::string& s) { return actr::Reply::Ok(actr::to_bytes(s)); }
  static actr::Reply status(const actr::Status& s) {
    if (!s) return actr::Reply::Err(s.error());
    return text("ok");
  }
  static std::string peer_text(const actr::PeerEvent& e) {
    return id_text(e.peer) + " relayed=" + (e.relayed ? (*e.relayed ? "yes" : "no") : "none");
  }
  static std::string context_text(actr::Context& ctx) {
    auto caller = ctx.caller_id();
    return "self=" + id_text(ctx.self_id()) + " caller=" + (caller ? id_text(*caller) : "none") +
           " req=" + ctx.request_id();
  }
  void record(actr::Context& ctx, const std::string& what) {
    hooks_ += what + " | " + context_text(ctx) + "\n";
  }

  uint64_t count_ = 0;
  std::string hooks_;
  std::string chunks_;
};

}  // namespace

ACTR_WORKLOAD(Probe)
