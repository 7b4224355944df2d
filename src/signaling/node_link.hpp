// NodeLink: a node's lasting presence at the signaling server. It keeps one Client connected
// (reconnecting with exponential backoff; with several servers of one realm, the next one in
// turn when its server dies or cannot be reached), registers the node's actors and registers them
// again after every reconnect with their previous serials and credentials (so they keep their ids
// while the server still knows them, across server restarts too), sends heartbeats at the
// interval the server announced, and renews each credential `renew_margin` before it expires.
//
// Threads: one link thread does all of this and calls the hooks; keep hooks short and do not
// call NodeLink's blocking methods from them. Public methods are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signaling/client.hpp"

namespace actr::signaling {

struct NodeLinkOptions {
  std::string server_url;  // "ws://HOST:PORT"
  // More servers of the same realm (sharing its state, `actr signal --nats`), tried in turn after
  // server_url: a lost connection moves on to the next one, and a whole round of failed
  // attempts waits the backoff before the next round.
  std::vector<std::string> fallback_urls;
  // Its heartbeat and callbacks are NodeLink's. `client.enroll_token` goes with every upgrade;
  // the actors' current credentials are added to `client.credentials` on every reconnect (and
  // left out once after the server refused them, e.g. after it got a new signing key).
  ClientOptions client;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::seconds renew_margin{60};
  UnixClock clock = system_unix_seconds;
};

// Called on the link thread. on_connecting precedes every attempt; on_connected follows a
// successful connection and registration of every actor; on_disconnected follows the end of a
// connection that was reported connected.
struct NodeLinkHooks {
  std::function<void()> on_connecting;
  std::function<void()> on_connected;
  std::function<void()> on_disconnected;
  std::function<void(const Registration&)> on_registered;  // each (re-)registration
  std::function<void(const ActrId&, int64_t expires_at)> on_credential_expiring;
  std::function<void(const ActrId&, int64_t expires_at)> on_credential_renewed;
  std::function<void(const Push&)> on_push;  // actor events and relayed payloads
};

class NodeLink {
 public:
  static std::unique_ptr<NodeLink> start(NodeLinkOptions options, NodeLinkHooks hooks = {});
  ~NodeLink();
  NodeLink(const NodeLink&) = delete;
  NodeLink& operator=(const NodeLink&) = delete;

  // Stops the link thread and closes the connection (actors are not unregistered: the server
  // marks them down). Idempotent.
  void stop();

  // Adds an actor: registered at once when connected, otherwise on the next connection. Returns
  // its handle for registration().
  size_t add_actor(RegisterParams params);
  // The actor's current registration (id, credential, expiry); nullopt before the first one.
  std::optional<Registration> registration(size_t actor) const;

  bool connected() const;
  // The connected client for requests (discover, relay, subscribe), or null while
  // disconnected. Requests fail with kSignalingUnavailable if the connection drops meanwhile.
  std::shared_ptr<Client> client() const;

  struct State;

 private:
  explicit NodeLink(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace actr::signaling
