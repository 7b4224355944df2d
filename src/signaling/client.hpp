// A signaling client: one WebSocket connection to `actr signal`, used by tests and by the node.
//
// Synchronous API over an asynchronous connection: every request blocks the calling thread until
// its reply (matched by envelope id) or the request timeout; a background I/O thread reads
// frames, so pushes (actor events, relayed payloads) are queued as they arrive and handed out by
// next_push(). All methods are thread-safe; several threads may have requests in flight at once.
// Server errors come back as actr::Error with `code` = the proto::Error code; a lost connection
// or a timeout as kSignalingUnavailable / kSignalingTimeout; a refused upgrade (see
// signaling/upgrade.hpp) as kSignalingUnauthorized / kSignalingForbidden.
//
// Optional heartbeats: with ClientOptions::heartbeat set, the I/O thread pings at that period
// (use the interval RegisterReply announces). Without them the server drops the connection after
// its heartbeat timeout, which tests use to simulate a node that went silent.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actr/common/result.hpp"
#include "signaling/acl_proto.hpp"
#include "signaling/credential.hpp"
#include "signaling/ids.hpp"

namespace actr::signaling {

// Error::code of the client's own failures (ErrorCategory::Signaling); the server's refusals are
// ErrorCategory::SignalingRefused with its proto::Error::Code.
enum SignalingErrorCode : int {
  kSignalingUnavailable = 100,   // not connected, or the connection was lost
  kSignalingTimeout = 101,       // no reply within the request timeout
  kSignalingProtocol = 102,      // the server answered with an unexpected message
  kSignalingUnauthorized = 103,  // upgrade refused: enrollment token missing or wrong (HTTP 401)
  kSignalingForbidden = 104,     // upgrade refused: a presented credential is not valid (403)
};

struct RegisterParams {
  ActrType type;
  uint32_t realm = 0;
  std::vector<AccessRule> acl;
  std::string advertised_address;
  // To keep an earlier id: its serial and credential (see RegisterRequest).
  std::optional<uint64_t> previous_serial;
  std::string previous_credential;
};

// A TURN server and a short-lived credential for it, issued with the actor's credential.
struct TurnGrant {
  std::string host;
  uint16_t port = 0;
  std::string username;
  std::string password;
  int64_t expires_at = 0;  // Unix seconds
};

struct Registration {
  ActrId id;
  std::string credential;  // encoded; Credential::decode reads it
  int64_t expires_at = 0;
  std::chrono::milliseconds heartbeat_interval{0};
  PublicKey server_public_key{};
  std::vector<PublicKey> accepted_public_keys;  // RegisterReply.accepted_public_keys
  std::vector<TurnGrant> turn;
};

struct Renewal {
  std::string credential;
  int64_t expires_at = 0;
  std::vector<TurnGrant> turn;
};

struct Candidate {
  ActrId id;
  std::string advertised_address;
};

struct ActorEvent {
  enum class Kind { Up, Down };
  Kind kind = Kind::Up;
  Candidate actor;
};

struct RelayedPayload {
  ActrId from;
  ActrId to;
  std::string payload;
};

using Push = std::variant<ActorEvent, RelayedPayload>;

struct ClientOptions {
  // Sent in the upgrade ("Authorization: Bearer ..."), for servers started with an enrollment
  // token; empty: none.
  std::string enroll_token;
  // Credentials (Credential::encode() bytes) presented in the upgrade: a node coming back shows
  // what the server issued to it. Each must carry the server's signature, else the upgrade is
  // refused (kSignalingForbidden). Empty: none.
  std::vector<std::string> credentials;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{5000};
  std::chrono::milliseconds heartbeat{0};  // 0: no automatic pings
  size_t max_frame_bytes = 16 * 1024 * 1024;
  // Optional callbacks on the I/O thread, for owners that react instead of polling. They must
  // not wait for a request of this client (its replies arrive on that same thread): hand work
  // to another thread instead. With on_push set, next_push() sees nothing.
  std::function<void(Push)> on_push;
  // Once, when an established connection ends (from close() if its handshake timed out).
  std::function<void(const std::string& why)> on_closed;
};

class Client {
 public:
  // `url`: "ws://HOST:PORT" or "HOST:PORT".
  static actr::Result<std::unique_ptr<Client>> connect(std::string_view url,
                                                       ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  actr::Result<Registration> register_actor(const RegisterParams& params);
  actr::Result<void> unregister(uint64_t serial);
  // `caller_serial` 0: the connection's only actor. `realm` unset: the caller's realm.
  actr::Result<std::vector<Candidate>> discover(const ActrType& type, uint64_t caller_serial = 0,
                                                std::optional<uint32_t> realm = std::nullopt);
  // The live actor with this id (realm and serial; its type, when named, must match), or nullopt
  // when it is not registered or its ACL refuses the caller (the same filter as discovery: the
  // caller cannot tell the two apart). `caller_serial` 0: the connection's only actor.
  actr::Result<std::optional<Candidate>> lookup(const ActrId& id, uint64_t caller_serial = 0);
  actr::Result<void> subscribe(const std::vector<ActrType>& types, uint64_t caller_serial = 0);
  actr::Result<Renewal> renew(std::string_view credential);
  actr::Result<void> ping();
  actr::Result<void> relay(const ActrId& to, std::string_view payload, uint64_t from_serial = 0);

  // The next queued push, waiting up to `timeout`; nullopt when none arrived.
  std::optional<Push> next_push(std::chrono::milliseconds timeout);

  // Raw access for tests of the server's defences: one request envelope (id and version filled
  // in), and one frame of arbitrary bytes.
  actr::Result<proto::Envelope> request(proto::Envelope envelope);
  void send_frame(std::string bytes, bool binary = true);

  bool is_open() const;
  // Waits until the connection is closed (by either side); true if it is.
  bool wait_closed(std::chrono::milliseconds timeout);
  // The last Error envelope no waiting request took (e.g. the one sent before the server closes
  // the connection on a bad frame), if any.
  std::optional<proto::Error> last_server_error() const;
  // Closes the connection (WebSocket close handshake) and joins the I/O thread. Idempotent.
  void close();

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace actr::signaling
