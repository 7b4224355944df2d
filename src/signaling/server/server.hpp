// The signaling server (`actr signal`): a WebSocket endpoint where nodes register their actors,
// discover each other and look each other up by id (filtered by the targets' ACLs), subscribe to
// up/down events, renew their credentials and relay opaque payloads to each other. Protocol:
// proto/signaling.proto, one binary frame per Envelope.
//
// The protocol itself (registrations, discovery, events, credentials, relays) is the socket-free
// Registry (registry.hpp); the server is its WebSocket transport: upgrades, limits, heartbeats.
//
// Threads: one I/O thread owns all state (sessions, live registrations, the store); start()
// launches it and stop() (or the destructor) joins it. Public methods are thread-safe.
//
// State: alone, a server keeps its registrations, serial counters and signing key in
// DATA_DIR/signaling.db. With `nats_urls`, several servers share a realm: registrations and
// serial counters in NATS JetStream key-value buckets (nats_registry_store.hpp), each other's
// live actors, presence and relays through NATS (nats_cluster.hpp), and one signing key that the
// operator gives each of them as a file (`signing_key_file`). See docs/NETWORK.md "Several
// signaling servers".
//
// Upgrades: checked before the WebSocket exists (signaling/upgrade.hpp): the enrollment token
// (closed by default, signaling/enrollment.hpp), and any credentials the client presents; a refused
// client gets HTTP 400/401/403 with a reason and is never registered. A token limited to some
// actor types registers only those (PERMISSION_DENIED otherwise).
//
// Connections: each enforces a maximum frame size and a message rate (token bucket). A client
// that exceeds either, sends a text or undecodable frame, or stays silent past the heartbeat
// timeout is logged and disconnected; other connections are unaffected. When a connection ends
// its actors go down (subscribers are told) but stay known to the store, so a node that comes
// back may keep their serials by presenting their previous credentials.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "common/connection_admission.hpp"
#include "signaling/credential.hpp"
#include "signaling/enrollment.hpp"
#include "signaling/ids.hpp"
#include "signaling/turn_credentials.hpp"

namespace actr::signaling::server {

struct ServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port (see Server::port())
  // Holds signaling.db (registrations, serial counters, signing key; not with NATS) and
  // server-id. Created if missing. Each server has its own.
  std::filesystem::path data_dir = "signaling-data";
  // NATS servers (nats://HOST:PORT) holding the state this server shares with the other servers
  // of its realm; empty: this server alone (SQLite). Needs a build with libnats.
  std::vector<std::string> nats_urls;
  // The realm's signing key (signing_key_file.hpp), the same file at every server of the realm;
  // required with NATS. Empty: the key kept in signaling.db.
  std::filesystem::path signing_key_file;
  // Other signing key files of the realm whose credentials this server still accepts as proof of
  // an actor's identity (in the upgrade, to keep a serial, to renew) while the realm's key is
  // rotated; it signs with `signing_key_file` (or its own key) only. docs/NETWORK.md "Rotating
  // the signing key".
  std::vector<std::filesystem::path> accepted_signing_key_files;
  // Serials reserved at a time per realm (registry_store.hpp).
  uint64_t serial_block_size = 1000;
  // The limit of each NATS request (the I/O thread waits for those a registration makes).
  std::chrono::milliseconds nats_timeout{2000};
  std::chrono::seconds credential_ttl{3600};
  // Told to clients at registration; a connection silent for `heartbeat_timeout` (default three
  // intervals) is considered gone.
  std::chrono::milliseconds heartbeat_interval{10000};
  std::chrono::milliseconds heartbeat_timeout{0};  // 0: 3 x heartbeat_interval
  size_t max_frame_bytes = 64 * 1024;
  double messages_per_second = 1000;  // token bucket refill rate per connection
  double message_burst = 2000;        // token bucket capacity (a node registering many actors)
  // Connections open at once, in all and per client address. The upgrade must complete within
  // 5 s; at a limit the connection idle longest in its upgrade is closed to make room, and a
  // newcomer is refused only when every connection is registered (common/connection_admission.hpp).
  ConnectionAdmission::Limits connection_limits{4096, 256};
  // Who may connect and register (signaling/enrollment.hpp). Closed by default: every upgrade must
  // carry one of `enrollment.tokens` ("Authorization: Bearer TOKEN", HTTP 401 otherwise), and
  // start() refuses a server with no token unless `enrollment.open` is set. Credentials presented
  // in the upgrade are always checked (signaling/upgrade.hpp).
  Enrollment enrollment;
  // TURN servers to hand out, with credentials by the REST API scheme (turn_credentials.hpp)
  // under `turn_secret` (shared with coturn's --static-auth-secret), valid as long as the actor's
  // credential and renewed with it. No servers or no secret: none are handed out.
  std::vector<TurnServerAddress> turn_servers;
  std::string turn_secret;
  // Must only match types of the wanted name (discovery looks among the actors of that name).
  TypeMatcher type_matches = exact_type_match;
  UnixClock clock = system_unix_seconds;
};

class Server {
 public:
  // Opens the store, binds the listening socket and starts the I/O thread.
  static actr::Result<std::unique_ptr<Server>> start(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Closes every connection and joins the I/O thread. Idempotent.
  void stop();

  uint16_t port() const;
  std::string listen_address() const;  // "ws://ADDRESS:PORT"
  const PublicKey& public_key() const;

  // Counters for tests and logs.
  size_t connection_count() const;
  size_t live_actor_count() const;

  // The I/O thread's state; public only so the connection class in server.cpp can name it.
  struct Core;

 private:
  explicit Server(std::unique_ptr<Core> core);
  std::unique_ptr<Core> core_;
};

}  // namespace actr::signaling::server
