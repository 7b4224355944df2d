// The generated export functions of actr:workload/workload, each forwarding to the workload
// named by ACTR_WORKLOAD.
#include "actr/workload.hpp"

namespace actr::workload::exports::workload {

namespace {
::actr::Workload& self() { return ::actr::detail::workload_instance(); }
// The context is stateless (every accessor asks the host), so one serves every call.
::actr::Context g_context;
}  // namespace

using ::actr::Reply;
using ::actr::Status;
namespace t = ::actr::workload::types;

Reply dispatch(t::RpcEnvelope envelope) { return self().dispatch(g_context, std::move(envelope)); }

Status on_start() { return self().on_start(g_context); }
Status on_ready() { return self().on_ready(g_context); }
Status on_stop() { return self().on_stop(g_context); }
Status on_error(t::ErrorEvent event) { return self().on_error(g_context, event); }

void on_signaling_connecting() { self().on_signaling_connecting(g_context); }
void on_signaling_connected() { self().on_signaling_connected(g_context); }
void on_signaling_disconnected() { self().on_signaling_disconnected(g_context); }

void on_websocket_connecting(t::PeerEvent event) {
  self().on_websocket_connecting(g_context, event);
}
void on_websocket_connected(t::PeerEvent event) { self().on_websocket_connected(g_context, event); }
void on_websocket_disconnected(t::PeerEvent event) {
  self().on_websocket_disconnected(g_context, event);
}

void on_webrtc_connecting(t::PeerEvent event) { self().on_webrtc_connecting(g_context, event); }
void on_webrtc_connected(t::PeerEvent event) { self().on_webrtc_connected(g_context, event); }
void on_webrtc_disconnected(t::PeerEvent event) { self().on_webrtc_disconnected(g_context, event); }

void on_credential_renewed(t::CredentialEvent event) {
  self().on_credential_renewed(g_context, event);
}
void on_credential_expiring(t::CredentialEvent event) {
  self().on_credential_expiring(g_context, event);
}

void on_mailbox_backpressure(t::BackpressureEvent event) {
  self().on_mailbox_backpressure(g_context, event);
}

Status on_data_stream(t::DataStream chunk, t::ActrId sender) {
  return self().on_data_stream(g_context, chunk, sender);
}

}  // namespace actr::workload::exports::workload
