// One ICE transport (RFC 8445) between this node and a peer, by libnice: gathers candidates on
// the addresses it is allowed (and through a TURN server when one is configured), checks
// connectivity against the peer's candidates, and then carries datagrams on the selected pair.
// DTLS and SCTP ride on top of it (dtls_transport.hpp, sctp_association.hpp).
//
// Descriptions are the ICE part of an SDP (a=ice-ufrag, a=ice-pwd, a=candidate lines), as libnice
// writes and parses them; the signaling relay carries them between the peers. With trickle ICE
// (RFC 8838) the description goes out as soon as gathering starts, with the candidates found at
// once (host), and every later candidate (server-reflexive, relayed) follows on its own line.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "webrtc/glib_loop.hpp"

namespace actr::webrtc {

struct TurnServer {
  std::string address;  // an IP address (no name resolution on the ICE path)
  uint16_t port = 3478;
  std::string username, password;
};

struct IceOptions {
  // The controlling agent (RFC 8445 6.1.1): the peer that made the offer.
  bool controlling = false;
  // The only local addresses candidates are gathered on (IP literals). Empty: every interface
  // libnice finds; tests and the loopback benchmarks restrict it so that nothing leaves the host.
  std::vector<std::string> local_addresses;
  std::optional<TurnServer> turn;
  // Only relayed candidates (forces the TURN path; tests of the relay use it).
  bool relay_only = false;
};

enum class IceState { New, Gathering, Connecting, Connected, Ready, Failed, Closed };
const char* to_string(IceState state);

struct IceEvents {
  // The local description to send to the peer. `complete`: it holds every candidate (gathering
  // is done, or this is a restart's); otherwise on_candidate follows with the rest.
  std::function<void(std::string description, bool complete)> on_gathered;
  // Trickle ICE: one more local candidate ("a=candidate:..."), or "" once gathering is done.
  std::function<void(std::string candidate)> on_candidate;
  std::function<void(IceState state)> on_state;
  // The selected pair changed; `relayed` when either end of it is a TURN relay.
  std::function<void(bool relayed)> on_selected_pair;
  std::function<void(std::span<const uint8_t> datagram)> on_datagram;
};

class IceTransport {
 public:
  // Events run on the loop's thread and must not block it.
  static Result<std::unique_ptr<IceTransport>> create(GlibLoop& loop, IceOptions options,
                                                      IceEvents events);
  ~IceTransport();  // closes the agent; no event runs after it returns
  IceTransport(const IceTransport&) = delete;
  IceTransport& operator=(const IceTransport&) = delete;

  // Starts gathering; on_gathered follows: at once when `trickle` (then on_candidate for each
  // candidate found later), else once gathering is done.
  Result<void> gather(bool trickle);
  // The peer's description; connectivity checks start (or go on) with its candidates.
  // `complete`: the peer sends no more candidates (else add_remote_candidate follows).
  Result<void> set_remote_description(const std::string& description, bool complete);
  // One more candidate of the peer ("a=candidate:..."), or "" for the end of its candidates:
  // only then may the checks fail for want of a pair.
  Result<void> add_remote_candidate(const std::string& candidate);
  // One datagram on the selected pair; fails before the transport is Connected or Ready.
  Result<void> send(std::span<const uint8_t> datagram);
  // An ICE restart (RFC 8445 9): new credentials over the candidates gathered before, and a new
  // description (on_gathered) to exchange; connectivity checks start again with the peer's.
  Result<void> restart();

  IceState state() const;
  std::optional<bool> relayed() const;  // of the selected pair; none before one is selected

 private:
  struct Agent;
  explicit IceTransport(std::unique_ptr<Agent> agent);
  std::unique_ptr<Agent> agent_;
};

}  // namespace actr::webrtc
