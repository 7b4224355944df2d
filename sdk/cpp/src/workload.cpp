#include "actr/workload.hpp"

namespace actr {

Reply Workload::dispatch(Context&, RpcEnvelope envelope) {
  return Reply::Err(ActrError::unknown_route(std::move(envelope.route_key)));
}

Status Workload::on_start(Context&) { return Status::Ok(); }
Status Workload::on_ready(Context&) { return Status::Ok(); }
Status Workload::on_stop(Context&) { return Status::Ok(); }
Status Workload::on_error(Context&, const ErrorEvent&) { return Status::Ok(); }

void Workload::on_signaling_connecting(Context&) {}
void Workload::on_signaling_connected(Context&) {}
void Workload::on_signaling_disconnected(Context&) {}

void Workload::on_websocket_connecting(Context&, const PeerEvent&) {}
void Workload::on_websocket_connected(Context&, const PeerEvent&) {}
void Workload::on_websocket_disconnected(Context&, const PeerEvent&) {}

void Workload::on_webrtc_connecting(Context&, const PeerEvent&) {}
void Workload::on_webrtc_connected(Context&, const PeerEvent&) {}
void Workload::on_webrtc_disconnected(Context&, const PeerEvent&) {}

void Workload::on_credential_renewed(Context&, const CredentialEvent&) {}
void Workload::on_credential_expiring(Context&, const CredentialEvent&) {}

void Workload::on_mailbox_backpressure(Context&, const BackpressureEvent&) {}

Status Workload::on_data_stream(Context&, const DataStream&, const ActrId&) { return Status::Ok(); }

}  // namespace actr
