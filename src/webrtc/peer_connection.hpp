// A WebRTC data-channel connection to one peer: ICE, then DTLS on the selected pair, then SCTP
// with data channels on DTLS. The two ends exchange descriptions (through the signaling relay):
// the ICE lines, the DTLS fingerprint and the DTLS role (a=setup), as SDP spells them.
//
//   offerer                                answerer
//   start() -> on_description(offer)  ==>  set_remote_description(offer); start()
//   set_remote_description(answer) <==     on_description(answer)
//   ... on_state(Connected) on both; open_channel / send / on_message
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "actr/common/result.hpp"
#include "webrtc/certificate.hpp"
#include "webrtc/glib_loop.hpp"
#include "webrtc/ice_transport.hpp"
#include "webrtc/sctp_association.hpp"

namespace actr::webrtc {

enum class PeerState { New, Connecting, Connected, Closed, Failed };
const char* to_string(PeerState state);

struct PeerOptions {
  bool offerer = false;  // ICE controlling and DTLS server (a=setup:actpass)
  // Trickle ICE with a peer that speaks compact descriptions (another node): the description
  // goes out at once and on_candidate carries the candidates found later. A browser's full SDP
  // offer gets a complete answer either way.
  bool trickle = false;
  // The offerer speaks full SDP (a browser peer, which accepts nothing else): its offer is
  // complete (gathering ends first, every candidate in it; the page's code may not take trickled
  // ones) and the answer is full SDP. Candidates the browser trickles after its answer are taken.
  bool full_sdp = false;
  IceOptions ice;  // `controlling` is set from `offerer`
  std::shared_ptr<const Certificate> certificate;
};

struct PeerEvents {
  std::function<void(std::string description)> on_description;  // send it to the peer
  // Trickle: a candidate line for the peer (add_remote_candidate), "" for the end of them.
  std::function<void(std::string candidate)> on_candidate;
  std::function<void(PeerState state)> on_state;
  std::function<void(bool relayed)> on_selected_pair;
  std::function<void(const Channel& channel)> on_channel;
  std::function<void(uint16_t stream, std::span<const uint8_t> message, bool binary)> on_message;
  // Why the connection ended (ICE failed, DTLS refused the peer, SCTP ended).
  std::function<void(std::string reason)> on_closed;
  // After send() failed with kBufferFull: there is room again.
  std::function<void()> on_writable;
};

// The DTLS fingerprint and role a description carries, and its ICE lines.
struct Description {
  std::string fingerprint;  // "sha-256 AB:..."
  std::string setup;        // "actpass", "active" or "passive"
  std::string ice;          // the lines libnice reads
  bool complete = true;     // every candidate is in it (a=end-of-candidates); else they trickle
};
Result<Description> parse_description(const std::string& text);
std::string write_description(const Description& description);

class PeerConnection {
 public:
  // Events run on the loop's thread.
  static Result<std::unique_ptr<PeerConnection>> create(GlibLoop& loop, PeerOptions options,
                                                        PeerEvents events);
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  // Gathers candidates; on_description follows.
  Result<void> start();
  // The peer's description: its fingerprint must be there, and its role must fit ours. Once the
  // connection is set up, a further description is an ICE restart (RFC 8445 9): new ICE
  // credentials and candidates under the same certificate; the answerer restarts its side and
  // answers (on_description), DTLS and SCTP go on over the new pair.
  Result<void> set_remote_description(const std::string& text);
  // A candidate the peer trickled after its description ("" for the end of them).
  Result<void> add_remote_candidate(const std::string& candidate);
  // The offerer starts an ICE restart: new credentials, candidates gathered again, and a new
  // description (on_description) for the peer; the data channels stay.
  Result<void> restart_ice();
  Result<uint16_t> open_channel(const std::string& label, ChannelReliability reliability);
  Result<void> send(uint16_t stream, std::span<const uint8_t> message, bool binary = true);
  PeerState state() const;
  std::optional<bool> relayed() const;

  struct Parts;

 private:
  explicit PeerConnection(std::shared_ptr<Parts> parts);
  std::shared_ptr<Parts> parts_;
};

}  // namespace actr::webrtc
