// Full SDP offers and answers (RFC 8866, as JSEP (RFC 8829) and browsers write them) for a data
// channel session: one `m=application 9 UDP/DTLS/SCTP webrtc-datachannel` section. Between nodes
// the descriptions stay compact (peer_connection.hpp); a browser speaks only full SDP, so a
// PeerConnection that receives one answers with one, and one that offers to a browser
// (PeerOptions::full_sdp) offers one.
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
// DTLS role and SCTP port. `description.complete` says whether it ends with a=end-of-candidates
// (a browser's answer usually goes out before its candidates, which then trickle). Audio/video
// sections, a second data section or an SCTP port other than 5000 are refused with the reason.
Result<SdpSession> parse_sdp(const std::string& sdp);

// A candidate line ("a=candidate:..." or a browser's "candidate:...") of a kind libnice cannot
// use: TCP, or an mDNS name instead of an address. Browsers trickle those with the others.
bool tcp_or_mdns_candidate(const std::string& line);

// A full SDP answer for `ours` (the local description) to an offer whose data section is `mid`.
std::string write_sdp_answer(const Description& ours, const std::string& mid, uint64_t session_id);

// The data section of our offers, which a browser's answer names again.
inline constexpr const char* kOfferMid = "0";

// A full SDP offer for `ours` (a=setup:actpass, every candidate: a page's code may not take
// trickled ones) with one data section, kOfferMid. `session_version` grows with each offer of the
// session (an ICE restart's), as RFC 8866's o= line wants.
std::string write_sdp_offer(const Description& ours, uint64_t session_id,
                            uint64_t session_version = 2);

}  // namespace actr::webrtc
