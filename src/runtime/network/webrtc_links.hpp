// The WebRTC side of a node's network: one peer connection per peer node, negotiated through the
// signaling server's relay, whose data channels then carry the same frames as the WebSocket
// connection (net::Transport::attach). Traffic starts on WebSocket; the first message to a node
// makes an offer, and requests move to the WebRTC path once it is open and both ends verified
// each other's credentials on it. A path that cannot open within the timeout, or that dies,
// leaves the traffic on WebSocket; the next message after a retry delay tries again.
//
// Signals (transport.PeerSignal) go from the actor that sends to the actor it sends to, and the
// answer comes back the other way, so the relay checks both actors' credentials and each
// target's ACL: a pair whose ACLs admit only one direction stays on WebSocket. When both nodes
// offer at once, the offer of the node with the smaller advertised address wins.
//
// A browser node (webrtc_only_address) has no WebSocket at all: the node offers it full SDP
// (complete, nothing trickled), takes the candidates it trickles, and lets its offer win a tie.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "net/message_carrier.hpp"
#include "runtime/network/relay_carrier.hpp"
#include "webrtc/certificate.hpp"
#include "webrtc/glib_loop.hpp"
#include "webrtc/ice_transport.hpp"
#include "webrtc/peer_connection.hpp"
#include "workload/ids.hpp"

namespace actr::runtime {

// A node advertised under `.invalid` (RFC 2606: never resolves), as a browser names itself: it
// has no WebSocket listener, so WebRTC is its only path, and offers to it are full SDP.
bool webrtc_only_address(const std::string& address);

struct WebRtcSettings {
  std::string own_address;                   // this node's advertised address
  std::vector<std::string> local_addresses;  // ICE gathers only on these; empty: every interface
  std::chrono::milliseconds timeout{5000};   // from the offer to an open path
  std::chrono::milliseconds retry_after{10'000};  // after a failed attempt, per peer node
  bool relay_only = false;                        // only TURN candidates (tests)
  size_t max_frame_bytes = 0;                     // the transport's frame limit
};

struct WebRtcHooks {
  // Sends `payload` to actor `to` through the signaling relay as local actor `from_serial`. Must
  // not block (it is called on the ICE thread).
  std::function<void(const workload::ActrId& to, uint64_t from_serial, std::string payload)> relay;
  // The TURN server to gather relayed candidates from, when the node has a grant.
  std::function<std::optional<webrtc::TurnServer>()> turn;
  // A path to the node at `address` is open: attach it to the transport.
  std::function<void(const std::string& address, std::shared_ptr<net::MessageCarrier> carrier,
                     bool inbound)>
      on_open;
  // An attempt began (`peer`: the actor at the other end).
  std::function<void(const workload::ActrId& peer)> on_connecting;
  // An attempt ended without a path.
  std::function<void(const workload::ActrId& peer, const std::string& why)> on_failed;
};

class WebRtcLinks {
 public:
  static Result<std::unique_ptr<WebRtcLinks>> start(WebRtcSettings settings, WebRtcHooks hooks);
  ~WebRtcLinks();
  WebRtcLinks(const WebRtcLinks&) = delete;
  WebRtcLinks& operator=(const WebRtcLinks&) = delete;

  // Closes every peer connection; no hook runs after it returns. Idempotent.
  void stop();

  // Traffic goes from local actor `from` to `target`, an actor of the node at `address`: offers a
  // path unless one is open, being negotiated, or failed less than retry_after ago.
  void want(const std::string& address, const workload::ActrId& target,
            const workload::ActrId& from);
  // A payload the signaling server relayed from `from` (another node's actor) to `to` (ours).
  // False when it is not a WebRTC signal.
  bool on_relayed(const workload::ActrId& from, const workload::ActrId& to,
                  const std::string& payload);
  // The signaling server did not relay a signal from our actor `from_serial` to `to` (it is not
  // registered, or this node has no signaling link): a path still being negotiated with it ends
  // now, with `why`, and without holding off the next attempt for retry_after, since the peer
  // never heard of this one (a peer that registers again a moment later is reached at once).
  void unrelayed(const workload::ActrId& to, uint64_t from_serial, const std::string& why);
  // This node (re)connected to its signaling server: attempts that failed before say nothing about
  // the peers now (a server that restarts is when browser nodes register again and answer), so
  // none of them holds the next offer back.
  void forget_failures();
  // `done(true, "")` once the path to the node at `address` is open (now, when it is),
  // `done(false, why)` when the attempt under way ends without one. False, and `done` is dropped,
  // when no path is open or under way.
  using Settled = std::function<void(bool open, const std::string& why)>;
  bool when_settled(const std::string& address, Settled done);
  // How long after a failed attempt no new offer is made to that node.
  std::chrono::milliseconds retry_after() const { return settings_.retry_after; }
  // ICE restarts this node began (tests, metrics).
  uint64_t restarts() const { return restarts_.load(); }

  struct Link;

 private:
  WebRtcLinks(WebRtcSettings settings, WebRtcHooks hooks);
  // A new link (with mu_ held); the caller starts it after releasing the lock.
  std::shared_ptr<Link> make_link(const std::string& address, const std::string& key, bool offerer,
                                  uint64_t session, const workload::ActrId& remote,
                                  uint64_t local_serial);
  Result<void> begin(const std::shared_ptr<Link>& link, const std::string& remote_description);
  // begin() on the ICE thread; a failure ends the link (telling the peer when we answer).
  void start_later(const std::shared_ptr<Link>& link, std::string remote_description);
  void on_description(const std::shared_ptr<Link>& link, std::string description);
  void on_connected(const std::shared_ptr<Link>& link);
  void on_channel(const std::shared_ptr<Link>& link);
  // The path of an open link went quiet: the offerer restarts ICE (new credentials and
  // candidates, the same DTLS and SCTP), the answerer follows the new offer.
  void restart(const std::shared_ptr<Link>& link);
  // The link ends (on the loop or any thread): its peer connection goes, the hooks hear it.
  // `tell_peer`: send the peer a CLOSE so that it stops waiting too.
  // `hold_off`: a link that ends while negotiating keeps new offers to that node back for
  // retry_after.
  void end(const std::shared_ptr<Link>& link, const std::string& why, bool tell_peer,
           bool hold_off = true);
  void signal(const std::shared_ptr<Link>& link, int kind, const std::string& description);
  // Tears `pc` down on the loop later (or in stop()), never inside one of its own events.
  void retire(std::shared_ptr<webrtc::PeerConnection> pc);
  // The relay path to the node at `address` (a browser node no data channel reaches): frames as
  // PeerSignal FRAME between `remote` and our actor `local_serial`; attached to the transport.
  std::shared_ptr<RelayCarrier> open_relay(const std::string& address, const std::string& key,
                                           uint64_t session, const workload::ActrId& remote,
                                           uint64_t local_serial, bool inbound);
  void on_relay_signal(const workload::ActrId& from, const workload::ActrId& to,
                       const std::string& key, const std::string& address, int kind,
                       uint64_t session, const std::string& frame);

  WebRtcSettings settings_;
  WebRtcHooks hooks_;
  std::string own_key_;
  std::unique_ptr<webrtc::GlibLoop> loop_;
  std::shared_ptr<const webrtc::Certificate> certificate_;

  std::mutex mu_;
  bool stopped_ = false;
  std::map<std::string, std::shared_ptr<Link>> links_;  // by the peer node's address key
  std::map<std::string, std::chrono::steady_clock::time_point> failed_until_;
  std::map<std::string, std::shared_ptr<RelayCarrier>> relays_;  // by the peer's address key
  std::vector<std::shared_ptr<webrtc::PeerConnection>> retired_;
  int beginning_ = 0;  // begin() calls under way
  std::atomic<uint64_t> restarts_{0};
  std::condition_variable begun_;
};

}  // namespace actr::runtime
