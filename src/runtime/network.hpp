// The seam between a node and its network (registration at the signaling server and the
// node-to-node transport; src/runtime/network/). Each side sees the other only through this
// header: the node holds a Network, the network reaches the node's actors through LocalActors.
// A node created with NodeOptions::network gets that network (tests inject fakes); otherwise it
// starts the WebSocket network when [network] is configured.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/transport.hpp"
#include "runtime/actor.hpp"
#include "runtime/config.hpp"
#include "runtime/endpoint.hpp"
#include "runtime/vocabulary.hpp"
#include "runtime/worker_pool.hpp"

namespace actr::runtime {

// What the network may ask of the node.
class LocalActors {
 public:
  virtual ~LocalActors() = default;
  virtual const NodeConfig& config() const = 0;
  virtual std::shared_ptr<Actor> find(const ActrId& id) const = 0;
  virtual std::shared_ptr<Actor> find(uint64_t serial) const = 0;
  // The serial number of the actor that registered data stream `stream_id`, if any.
  virtual std::optional<uint64_t> stream_owner(const std::string& stream_id) const = 0;
  // Queues an observation hook on every running actor.
  virtual void notify_all(const std::string& request_id, const Actor::HookFn& hook) = 0;
};

// What the node asks of its network.
class Network {
 public:
  // One actor instance of the node, in the order the node creates them.
  struct Member {
    std::string key;  // its mailbox key, "<name>#<index>"
    ActrType type;
    std::vector<std::string> acl;  // the rules of its ActorConfig
  };

  virtual ~Network() = default;
  // The members' ids, index-aligned with the members the network was started with.
  virtual std::vector<ActrId> ids() const = 0;
  // The node's actors exist: inbound requests reach them from now on.
  virtual void serve() = 0;
  // The node's actors have started: from now on they hear every transition through their hooks.
  virtual void announce() = 0;
  // Closes connections (callers in flight get unavailable). Idempotent.
  virtual void stop() = 0;
  // An endpoint for an actor of another node.
  virtual std::shared_ptr<Endpoint> endpoint(const ActrId& id) = 0;
  // Discovery on behalf of `caller` (its ACL view) among other nodes; `done` runs once.
  virtual void discover(const ActrType& type, const ActrId& caller,
                        std::function<void(wit::Result<ActrId, ActrError>)> done) = 0;
  // The credential of this node's actor `serial` has lapsed (not renewed in time).
  virtual bool lapsed(uint64_t serial) const = 0;
  virtual std::string listen_address() const = 0;
  virtual bool signaling_connected() const = 0;
  virtual net::Transport::Stats transport_stats() const = 0;
  // What the node's idle workers poll (its connections, read on the worker's own thread), if
  // anything; it outlives the workers' threads (the network lives as long as the node).
  virtual IdlePoller* idle_poller() { return nullptr; }
};

// Starts a network for `actors` with `members`: registered, ids assigned, not yet serving.
using NetworkFactory = std::function<Result<std::shared_ptr<Network>>(
    LocalActors& actors, std::vector<Network::Member> members)>;

// The WebSocket network of [network] (runtime/network/node_network.cpp).
Result<std::shared_ptr<Network>> start_websocket_network(LocalActors& actors,
                                                         std::vector<Network::Member> members);

}  // namespace actr::runtime
