// A test workload that uses every part of the SDK's Context, a route table filled with add(),
// overridden lifecycle hooks that fail, and both abort paths (std::abort, a libc++ check).
#include <actr/workload.hpp>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::string describe(const actr::ActrId& id) {
  return std::to_string(id.realm.realm_id) + "/" + std::to_string(id.serial_number) + "/" +
         id.type.manufacturer + ":" + id.type.name + ":" + id.type.version;
}

class Probe : public actr::Workload {
 public:
  Probe() {
    routes_.add("call", &Probe::call)
        .add("call-raw", &Probe::call_raw)
        .add("tell", &Probe::tell)
        .add("discover", &Probe::discover)
        .add("streams", &Probe::streams)
        .add("context", &Probe::context)
        .add("log", &Probe::log)
        .add("abort", &Probe::abort)
        .add("at", &Probe::at);
  }

  actr::Reply dispatch(actr::Context& ctx, actr::RpcEnvelope envelope) override {
    return routes_.dispatch(*this, ctx, envelope);
  }

  actr::Status on_stop(actr::Context&) override {
    return actr::Status::Err(actr::ActrError::unavailable("stopping"));
  }

  actr::Status on_data_stream(actr::Context& ctx, const actr::DataStream& chunk,
                              const actr::ActrId& sender) override {
    ctx.info(chunk.stream_id + " from " + describe(sender));
    return actr::Status::Ok();
  }

  actr::Reply call(actr::Context& ctx, const actr::Bytes& payload) {
    return ctx.call(actr::Dest::local(), "inner", payload);
  }

  actr::Reply call_raw(actr::Context& ctx, const actr::Bytes& payload) {
    return ctx.call_raw(actr::ActrId{{7}, 42, {"acme", "svc", "1.0.0"}}, "raw", payload);
  }

  actr::Reply tell(actr::Context& ctx, const actr::Bytes& payload) {
    auto r = ctx.tell(actr::Dest::shell(), "told", payload);
    if (!r) return actr::Reply::Err(r.error());
    return actr::Reply::Ok(actr::to_bytes("told"));
  }

  actr::Reply discover(actr::Context& ctx, const actr::Bytes& payload) {
    auto id = ctx.discover({"acme", actr::to_string(payload), "2.0.0"});
    if (!id) return actr::Reply::Err(id.error());
    return actr::Reply::Ok(actr::to_bytes(describe(id.value())));
  }

  actr::Reply streams(actr::Context& ctx, const actr::Bytes& payload) {
    if (auto r = ctx.register_stream("s-1"); !r) return actr::Reply::Err(r.error());
    actr::DataStream chunk{"s-1", 9, payload, {{"k", "v"}}, -5};
    auto sent = ctx.send_data_stream(actr::Dest::actor({{1}, 2, {"m", "n", "v"}}), chunk,
                                     actr::PayloadType::stream_latency_first());
    if (!sent) return actr::Reply::Err(sent.error());
    if (auto r = ctx.unregister_stream("s-1"); !r) return actr::Reply::Err(r.error());
    return actr::Reply::Ok(actr::to_bytes("streams"));
  }

  actr::Reply context(actr::Context& ctx, const actr::Bytes&) {
    auto caller = ctx.caller_id();
    return actr::Reply::Ok(actr::to_bytes(describe(ctx.self_id()) + " " +
                                          (caller ? describe(*caller) : "none") + " " +
                                          ctx.request_id()));
  }

  actr::Reply log(actr::Context& ctx, const actr::Bytes& payload) {
    std::string text = actr::to_string(payload);
    ctx.trace(text);
    ctx.debug(text);
    ctx.info(text);
    ctx.warn(text);
    ctx.error(text);
    ctx.log(actr::LogLevel::Info, "levels done");
    return actr::Reply::Ok({});
  }

  actr::Reply abort(actr::Context&, const actr::Bytes&) { std::abort(); }

  // Out of range: libc++ cannot throw without exceptions and aborts through its verbose abort.
  actr::Reply at(actr::Context&, const actr::Bytes& payload) {
    std::vector<uint8_t> empty;
    return actr::Reply::Ok({empty.at(payload.size())});
  }

 private:
  actr::Routes<Probe> routes_;
};

}  // namespace

ACTR_WORKLOAD(Probe)
