// The C++ guest SDK: derive from actr::Workload, override what the workload handles, and name the
// class once with ACTR_WORKLOAD:
//
//   #include <actr/workload.hpp>
//
//   class Echo : public actr::Workload {
//    public:
//     actr::Reply dispatch(actr::Context& ctx, actr::RpcEnvelope envelope) override {
//       static const actr::Routes<Echo> routes{{"echo", &Echo::echo}};
//       return routes.dispatch(*this, ctx, envelope);
//     }
//     actr::Reply echo(actr::Context&, const actr::Bytes& payload) { return
//     actr::Reply::Ok(payload); }
//   };
//   ACTR_WORKLOAD(Echo)
//
// Build it with actr_add_workload(echo SOURCES echo.cpp) (cmake/ActrWorkload.cmake).
//
// The guest has no WASI: C++ exceptions are off, and every abort path (std::abort, a failed
// libc++ assertion, an allocation failure) traps, which the host reports as a failed call.
#pragma once

#include <new>

#include "actr/context.hpp"
#include "actr/routes.hpp"
#include "actr/types.hpp"

namespace actr {

// One method per export of `actr:workload/workload`. The defaults: dispatch answers
// unknown-route(route-key), lifecycle hooks and on-data-stream succeed, other hooks do nothing.
// One instance lives for the whole life of the component instance, so members keep state
// across calls.
class Workload {
 public:
  virtual ~Workload() = default;

  virtual Reply dispatch(Context& ctx, RpcEnvelope envelope);

  virtual Status on_start(Context& ctx);
  virtual Status on_ready(Context& ctx);
  virtual Status on_stop(Context& ctx);
  virtual Status on_error(Context& ctx, const ErrorEvent& event);

  virtual void on_signaling_connecting(Context& ctx);
  virtual void on_signaling_connected(Context& ctx);
  virtual void on_signaling_disconnected(Context& ctx);

  virtual void on_websocket_connecting(Context& ctx, const PeerEvent& event);
  virtual void on_websocket_connected(Context& ctx, const PeerEvent& event);
  virtual void on_websocket_disconnected(Context& ctx, const PeerEvent& event);

  virtual void on_webrtc_connecting(Context& ctx, const PeerEvent& event);
  virtual void on_webrtc_connected(Context& ctx, const PeerEvent& event);
  virtual void on_webrtc_disconnected(Context& ctx, const PeerEvent& event);

  virtual void on_credential_renewed(Context& ctx, const CredentialEvent& event);
  virtual void on_credential_expiring(Context& ctx, const CredentialEvent& event);

  virtual void on_mailbox_backpressure(Context& ctx, const BackpressureEvent& event);

  virtual Status on_data_stream(Context& ctx, const DataStream& chunk, const ActrId& sender);
};

namespace detail {
// The workload every export forwards to; defined by ACTR_WORKLOAD.
Workload& workload_instance();
}  // namespace detail

}  // namespace actr

// Makes `type` (default-constructible, derived from actr::Workload) the component's workload:
// the exports of actr:workload/workload forward to one instance, created on first use and
// never destroyed (a reactor component has no exit). It lives in static storage, not on the
// heap: an actor whose on-start allocates nothing never initializes malloc, whose bookkeeping
// would make one more private page per instance (at the heap's far end).
#define ACTR_WORKLOAD(type)                                             \
  ::actr::Workload& ::actr::detail::workload_instance() {               \
    alignas(type) static unsigned char storage[sizeof(type)];           \
    static type* instance = ::new (static_cast<void*>(storage)) type(); \
    return *instance;                                                   \
  }
