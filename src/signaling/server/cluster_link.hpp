// ClusterLink: what the registry tells the other signaling servers of its realm, and how it
// reaches actors connected to them. NatsCluster is the implementation (`actr signal --nats`); a
// server alone has none. The other direction (actors up or down at other servers, relays for this
// server's actors) arrives as calls of Registry::remote_up / remote_down / deliver_relay.
#pragma once

#include <cstdint>
#include <string>

#include "signaling/protocol.hpp"
#include "signaling/server/registry_store.hpp"

namespace actr::signaling::server {

class ClusterLink {
 public:
  virtual ~ClusterLink() = default;

  // An actor connected to this server went up, or down. Called on the server's I/O thread, so
  // implementations hand the work on instead of waiting for the network.
  virtual void actor_up(const StoredRegistration& registration) = 0;
  virtual void actor_down(uint32_t realm, uint64_t serial) = 0;

  // Hands `delivery` (an Envelope holding a RelayDelivery) to server `server_id`, which gives it
  // to its connection of the target. Fire and forget, as relays on one server are.
  virtual void forward_relay(const std::string& server_id, const proto::Envelope& delivery) = 0;
};

}  // namespace actr::signaling::server
