// A node on the network: its actors registered at the signaling server (ids, credentials, ACLs,
// renewal) and its node-to-node WebSocket transport (remote calls, tells and stream chunks in
// both directions). The Node owns one when `[network]` is configured; see docs/NETWORK.md.
//
// Trust: a peer node's requests are accepted only from the actors its verified credentials name
// (every actor of a node presents its credential on the shared connection), only while they are
// unexpired, and only where the target's ACL admits the caller. A node whose own credential has
// lapsed neither sends nor accepts for that actor until it is renewed.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/transport.hpp"
#include "runtime/config.hpp"
#include "runtime/endpoint.hpp"
#include "runtime/network.hpp"
#include "runtime/network/identity_file.hpp"
#include "runtime/network/recent_requests.hpp"
#include "runtime/network/webrtc_links.hpp"
#include "signaling/credential.hpp"
#include "signaling/node_link.hpp"

namespace actr::runtime {

class NodeNetwork final : public Network, public std::enable_shared_from_this<NodeNetwork> {
 public:
  // Starts the transport and the signaling link, registers every member and waits (up to
  // `register_timeout`) until each has an id. Without an answer in time the node starts with the
  // ids it had before (data_dir/identities) when it knows all of them, and fails otherwise.
  static Result<std::shared_ptr<NodeNetwork>> start(LocalActors& node, std::vector<Member> members);
  ~NodeNetwork() override;

  // The members' ids, index-aligned with `members`.
  std::vector<ActrId> ids() const override;
  // The node's actors exist: inbound requests reach them from now on.
  void serve() override;
  // The node's actors have started: from now on they hear every transition through their hooks,
  // starting with the signaling connection made while they were being created.
  void announce() override;
  // Closes connections (callers in flight get unavailable) and the signaling link. Idempotent.
  void stop() override;

  // An endpoint for an actor of another node (its address found through discovery, an earlier
  // request from it, or a lookup at the signaling server when it is delivered to).
  std::shared_ptr<Endpoint> endpoint(const ActrId& id) override;
  // Discovery at the signaling server on behalf of `caller` (its ACL view); `done` runs once on a
  // network thread. Candidates of this node are skipped (the node looked locally first).
  void discover(const ActrType& type, const ActrId& caller,
                std::function<void(wit::Result<ActrId, ActrError>)> done) override;

  // The credential of this node's actor `serial` has lapsed (not renewed in time).
  bool lapsed(uint64_t serial) const override;
  std::string listen_address() const override;
  bool signaling_connected() const override;
  net::Transport::Stats transport_stats() const override;
  IdlePoller* idle_poller() override { return worker_reads_ ? worker_reads_.get() : nullptr; }

  // Sends `message` to the remote actor `target` (RemoteEndpoint::deliver).
  void send(const ActrId& target, Message message, std::function<void(Status)> accepted);

 private:
  NodeNetwork(LocalActors& node, std::vector<Member> members);
  Result<void> open();
  Result<net::PeerInfo> verify(std::span<const uint8_t> credential_set) const;
  // The credentials of the node's registered actors, at most `budget` bytes of them (at least one).
  std::vector<uint8_t> credential_set(size_t budget = SIZE_MAX) const;
  void on_request(const net::PeerInfo& peer, net::Request request, net::Responder responder);
  void on_registration_changed();
  void notify_signaling(const char* hook);
  void notify_websocket(const char* hook, const ActrId& peer);
  void notify_webrtc(const char* hook, const ActrId& peer, std::optional<bool> relayed);
  // A connection event of the transport: WebSocket or WebRTC hooks by the connection's path.
  void notify_path(const char* hook, const net::PeerInfo& peer, const ActrId& id);
  Result<void> start_webrtc(const std::string& advertised);
  void on_push(const signaling::Push& push);
  // The first TURN grant of the node's registrations whose server is an IP address.
  std::optional<webrtc::TurnServer> turn_server() const;
  std::optional<ActrId> known_id_at(const std::string& address) const;
  void learn(const ActrId& id, const std::string& address);
  // `retried`: the message already waited once for a WebRTC path after its WebSocket failed.
  void forward(std::shared_ptr<net::Peer> peer, const ActrId& target, Message message,
               std::function<void(Status)> accepted, bool retried = false);
  // To a node with no WebSocket listener (a browser, webrtc_only_address): never dialed; the
  // message waits for the WebRTC path (offering one) and fails with unavailable without it.
  void forward_over_webrtc(std::shared_ptr<net::Peer> peer, const ActrId& target, Message message,
                           std::function<void(Status)> accepted);
  std::optional<size_t> member_of(uint64_t serial) const;  // with mu_ held
  bool member_of_locked(uint64_t serial) const;
  // The address of `target` from the signaling server (blocking; on jobs_).
  Result<std::string> lookup(const ActrId& target, const CallerId& caller);
  // Drops `target`'s directory entry if it still points at `address`.
  void forget(const ActrId& target, const std::string& address);

  LocalActors& node_;
  NetworkConfig config_;
  uint32_t realm_;
  std::vector<Member> members_;
  std::filesystem::path identities_path_;

  mutable std::mutex mu_;
  std::condition_variable registered_cv_;
  std::vector<std::optional<signaling::Registration>> registrations_;  // by member
  std::vector<size_t> link_handles_;
  std::map<uint64_t, size_t> member_by_serial_;
  // The signing keys of the actors' current registrations (and the keys those accept).
  std::optional<signaling::CredentialVerifier> verifier_;
  StoredIdentities stored_;
  std::map<std::pair<uint32_t, uint64_t>, std::string> directory_;  // remote id -> address
  std::map<std::string, size_t> round_robin_;
  struct Discovered {
    std::vector<signaling::Candidate> candidates;  // of other nodes
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, Discovered> discovered_;  // by "type|caller serial"

  std::atomic<bool> serving_{false}, announcing_{false}, stopped_{false}, signaling_up_{false};
  std::unique_ptr<net::Transport> transport_;
  std::unique_ptr<signaling::NodeLink> link_;
  std::unique_ptr<WebRtcLinks> webrtc_;  // when [network] transports has "webrtc"
  // With WebRTC: requests that came on a WebRTC path, so that their resends are answered once.
  std::shared_ptr<RecentRequests> recent_;
  boost::asio::thread_pool jobs_{1};  // blocking signaling requests (discover, lookup)
  // The transport's WorkerReads as the workers' IdlePoller.
  struct WorkerReads final : IdlePoller {
    explicit WorkerReads(std::shared_ptr<net::WorkerReads> reads) : reads(std::move(reads)) {}
    void begin() override { reads->begin(); }
    bool poll() override { return reads->poll(); }
    void sleep(boost::asio::io_context& io) override { reads->sleep(io); }
    void woke() override { reads->woke(); }
    void end() override { reads->end(); }
    std::shared_ptr<net::WorkerReads> reads;
  };
  std::unique_ptr<WorkerReads> worker_reads_;
};

}  // namespace actr::runtime
