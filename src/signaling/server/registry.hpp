// The signaling protocol's state, without sockets: the live registrations (by id and, for
// discovery, by type), subscriptions to up/down events, credentials issued and renewed, relays
// between actors. The server's connections (server.cpp) feed it envelopes; tests drive it with
// peers of their own.
//
//   Registry registry(options, std::move(store), std::move(issuer), defer);
//   registry.joined(peer);                 // a node connected (its upgrade was accepted)
//   registry.handle(peer, envelope);       // answers through peer.send()
//   registry.left(peer);                   // its actors go down (the store keeps their serials)
//
// With several servers (set_cluster), the actors connected to the other servers are live here
// too: remote_up / remote_down keep them in discovery, lookups and events, and relays to them go
// through the cluster link to their server.
//
// Single-threaded: every call on the thread that owns it (the server's I/O thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "signaling/acl_proto.hpp"
#include "signaling/credential.hpp"
#include "signaling/enrollment.hpp"
#include "signaling/ids.hpp"
#include "signaling/protocol.hpp"
#include "signaling/server/cluster_link.hpp"
#include "signaling/server/discovery_index.hpp"
#include "signaling/server/registry_store.hpp"
#include "signaling/turn_credentials.hpp"

namespace actr::signaling::server {

// An Error envelope answering request `reply_to` (0: none).
proto::Envelope error_envelope(uint64_t reply_to, proto::Error::Code code, std::string message);

// One connected node as the registry sees it; the transport implements send() and open().
class RegistryPeer {
 public:
  struct Subscription {
    std::vector<ActrType> types;
    ActrId caller;
  };

  virtual ~RegistryPeer() = default;
  // Queues `env` for the node. Does nothing once the peer is no longer open.
  virtual void send(proto::Envelope env) = 0;
  // False once the connection is closing: it gets no more events.
  virtual bool open() const = 0;

  std::string address = "?";           // for logs, e.g. "127.0.0.1:50312"
  const EnrollToken* token = nullptr;  // what its enrollment token admits; null: open enrollment
  std::vector<ActorKey> actors;        // registered on this connection
  std::optional<Subscription> subscription;
};

struct RegistryOptions {
  std::chrono::seconds credential_ttl{3600};
  std::chrono::milliseconds heartbeat_interval{10000};  // told to nodes at registration
  TypeMatcher type_matches = exact_type_match;
  UnixClock clock = system_unix_seconds;
  std::vector<TurnServerAddress> turn_servers;  // see ServerOptions
  std::string turn_secret;
  // Credentials signed by these keys prove an actor's identity as well as the issuer's own (a
  // realm rotating its signing key); nodes are told them at registration.
  std::vector<PublicKey> accepted_keys;
};

class Registry {
 public:
  // `defer` runs a function after the handlers of the current turn of the event loop: the store
  // writes they make share one transaction, committed then (see registry_store.hpp).
  using Defer = std::function<void(std::function<void()>)>;
  Registry(RegistryOptions options, std::unique_ptr<RegistryStore> store, CredentialIssuer issuer,
           Defer defer);

  // The other servers of the realm (null: none). Not owned; must outlive its use here.
  void set_cluster(ClusterLink* cluster) { cluster_ = cluster; }

  void joined(RegistryPeer& peer);
  void handle(RegistryPeer& peer, const proto::Envelope& env);
  // The peer's actors go down (subscribers are told); the store keeps them so that the node may
  // keep their serials when it comes back. `peer` may be destroyed afterwards.
  void left(RegistryPeer& peer);
  // No events are published from now on (the server is shutting down).
  void stop_publishing() { stopping_ = true; }

  // An actor connected to server `server_id` is up (or moved there): it is discoverable here and
  // subscribers are told. `revision` orders registrations of one id at different servers (the
  // cluster's shared log): a registration of the same id here that is newer (its revision is
  // higher, or not yet written) stays and this is ignored; an older one is dropped, since the
  // node registered again elsewhere and the newest registration wins (as on one server).
  void remote_up(const std::string& server_id, const StoredRegistration& registration,
                 uint64_t revision);
  // The cluster wrote the live entry of this server's actor (realm, serial) at `revision`.
  void live_written(uint32_t realm, uint64_t serial, uint64_t revision);
  // The actor is down at `server_id` (or that server is gone). Ignored when the id is now held
  // by this or another server.
  void remote_down(const std::string& server_id, uint32_t realm, uint64_t serial);
  // A relay another server forwarded (an Envelope holding a RelayDelivery) for an actor
  // connected here; dropped when it is no longer here.
  void deliver_relay(proto::Envelope delivery);

  const CredentialVerifier& verifier() const { return verifier_; }
  const PublicKey& public_key() const { return issuer_.public_key(); }
  // Live actors, with a cluster the other servers' too. Thread-safe.
  size_t live_count() const { return live_count_; }

 private:
  struct LiveActor {
    ActrId id;
    std::string address;
    Acl acl;
    RegistryPeer* peer = nullptr;  // null for an actor of another server
    std::string home_server;       // the server it is connected to; empty: this one
    // Its entry's revision in the cluster's shared log; 0: not written yet (or no cluster).
    uint64_t revision = 0;
  };

  void on_register(RegistryPeer& peer, const proto::Envelope& env);
  void on_unregister(RegistryPeer& peer, const proto::Envelope& env);
  void on_discover(RegistryPeer& peer, const proto::Envelope& env);
  void on_lookup(RegistryPeer& peer, const proto::Envelope& env);
  void on_subscribe(RegistryPeer& peer, const proto::Envelope& env);
  void on_renew(RegistryPeer& peer, const proto::Envelope& env);
  void on_relay(RegistryPeer& peer, const proto::Envelope& env);

  // The peer's actor a request speaks for: `serial`, or its only actor when 0. Null (and the
  // peer told why) when there is none or it is ambiguous.
  const LiveActor* caller_of(RegistryPeer& peer, uint64_t serial, uint64_t reply_to);
  // The serial the request may keep (none without a valid proof); an error when the store cannot
  // tell (a fresh serial would cost the node its id).
  actr::Result<std::optional<uint64_t>> keepable_serial(RegistryPeer& peer,
                                                        const proto::RegisterRequest& req);
  void take_down(const ActorKey& key, bool forget);
  // Removes the actor from `live_` and the discovery index; returns it.
  LiveActor remove_live(std::map<ActorKey, LiveActor>::iterator it);
  void batch_writes();
  void publish(proto::ActorEvent::Kind kind, const LiveActor& actor);
  // What discovery, lookup and events tell of an actor.
  static void describe(const LiveActor& actor, proto::Candidate* out);
  int64_t now() const { return options_.clock(); }

  RegistryOptions options_;
  std::unique_ptr<RegistryStore> store_;
  ClusterLink* cluster_ = nullptr;
  CredentialIssuer issuer_;
  CredentialVerifier verifier_;
  Defer defer_;
  std::set<RegistryPeer*> peers_;
  std::map<ActorKey, LiveActor> live_;  // node-based: by_type_ points into it
  DiscoveryIndex<LiveActor> by_type_;
  std::atomic<size_t> live_count_{0};
  bool stopping_ = false;
};

}  // namespace actr::signaling::server
