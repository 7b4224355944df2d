// The echo workload: `echo` answers the payload, `reverse` answers it backwards. Every call is
// logged at info level with its route and request id.
#include <actr/workload.hpp>
#include <algorithm>

namespace {

class Echo : public actr::Workload {
 public:
  actr::Reply dispatch(actr::Context& ctx, actr::RpcEnvelope envelope) override {
    static const actr::Routes<Echo> routes{{"echo", &Echo::echo}, {"reverse", &Echo::reverse}};
    ctx.info(envelope.route_key + " request " + envelope.request_id);
    return routes.dispatch(*this, ctx, envelope);
  }

  actr::Reply echo(actr::Context&, const actr::Bytes& payload) { return actr::Reply::Ok(payload); }

  actr::Reply reverse(actr::Context&, const actr::Bytes& payload) {
    return actr::Reply::Ok(actr::Bytes(payload.rbegin(), payload.rend()));
  }
};

}  // namespace

ACTR_WORKLOAD(Echo)
