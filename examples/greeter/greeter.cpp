// The greeter workload: `greet` finds an actor of type acme:echo:0.1.0, has it echo the payload
// and answers "Hello, " + the echo reply. Errors of discover and call are answered unchanged, so
// the caller sees why the echo actor could not help.
#include <actr/workload.hpp>

namespace {

class Greeter : public actr::Workload {
 public:
  actr::Reply dispatch(actr::Context& ctx, actr::RpcEnvelope envelope) override {
    static const actr::Routes<Greeter> routes{{"greet", &Greeter::greet}};
    return routes.dispatch(*this, ctx, envelope);
  }

  actr::Reply greet(actr::Context& ctx, const actr::Bytes& payload) {
    auto echo = ctx.discover({"acme", "echo", "0.1.0"});
    if (!echo) return actr::Reply::Err(echo.error());
    auto reply = ctx.call(actr::Dest::actor(echo.value()), "echo", payload);
    if (!reply) return reply;
    return actr::Reply::Ok(actr::to_bytes("Hello, " + actr::to_string(reply.value())));
  }
};

}  // namespace

ACTR_WORKLOAD(Greeter)
