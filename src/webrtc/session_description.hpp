// Full SDP offers and answers (RFC 8866, as JSEP (RFC 8829) and browsers write them) for a data
// channel session: one `m=application 9 UDP/DTLS/SCTP webrtc-datachannel` section. Between nodes
// the descriptions stay compact (peer_connection.hpp); a browser speaks only full SDP, so a
// PeerConnection that receives one answers with one.
#pragma once

#include <cstdint>
#include <string>

#include "actr/common/result.hpp"
#include "webrtc/peer_connection.hpp"

namespace actr::webrtc {

// True when `text` is a full SDP (it starts with "v=0").
bool is_full_sdp(const std::string& text);

struct SdpSession {
  Description description;  // fingerprint, setup and the ICE lines libnice reads
  std::string mid;          // the data channel section's a=mid ("0" when absent)
  uint16_t sctp_port = 5000;
  uint64_t max_message_size = 65536;  // RFC 8841's default when a=max-message-size is absent
};

// Reads the offer (or answer) of a browser: the data channel section's ICE credentials, its UDP
// candidates (TCP ones and mDNS names, which libnice cannot use, are left out), fingerprint,
// DTLS role and SCTP port. Audio/video sections, a second data section or an SCTP port other
// than 5000 are refused with the reason.
Result<SdpSession> parse_sdp(const std::string& sdp);

// A full SDP answer for `ours` (the local description) to an offer whose data section is `mid`.
std::string write_sdp_answer(const Description& ours, const std::string& mid, uint64_t session_id);

}  // namespace actr::webrtc
