#include "signaling/server/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "signaling/acl_proto.hpp"
#include "signaling/server/discovery_index.hpp"
#include "signaling/server/registry_store.hpp"
#include "signaling/upgrade.hpp"

namespace actr::signaling::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

using ActorKey = std::pair<uint32_t, uint64_t>;  // (realm, serial)

ActorKey key_of(const ActrId& id) { return {id.realm.realm_id, id.serial_number}; }

std::string type_text(const ActrType& type) {
  return type.manufacturer + "/" + type.name + "@" + type.version;
}

std::string id_text(const ActrId& id) {
  return std::to_string(id.realm.realm_id) + ":" + std::to_string(id.serial_number) + " (" +
         type_text(id.type) + ")";
}

proto::Envelope error_envelope(uint64_t reply_to, proto::Error::Code code, std::string message) {
  proto::Envelope env;
  env.set_reply_to(reply_to);
  env.mutable_error()->set_code(code);
  env.mutable_error()->set_message(std::move(message));
  return env;
}

}  // namespace

struct Session;

struct LiveActor {
  ActrId id;
  std::string address;
  Acl acl;
  Session* session = nullptr;
};

struct Server::Core {
  explicit Core(ServerOptions o, RegistryStore s, CredentialIssuer i)
      : options(std::move(o)),
        store(std::move(s)),
        issuer(std::move(i)),
        verifier(issuer.public_key(), options.clock),
        admission(options.connection_limits) {}

  // Declared first, destroyed last: everything below holds handles on it.
  net::io_context io{1};
  ServerOptions options;
  RegistryStore store;
  CredentialIssuer issuer;
  CredentialVerifier verifier;
  tcp::acceptor acceptor{io};
  net::steady_timer sweep_timer{io};
  std::set<std::shared_ptr<Session>> sessions;
  ConnectionAdmission admission;       // idle: connections still in their upgrade
  std::map<ActorKey, LiveActor> live;  // node-based: by_type points into it
  DiscoveryIndex<LiveActor> by_type;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connection_count{0};
  std::atomic<size_t> live_count{0};
  uint16_t port = 0;

  std::chrono::milliseconds heartbeat_timeout() const {
    return options.heartbeat_timeout.count() > 0 ? options.heartbeat_timeout
                                                 : 3 * options.heartbeat_interval;
  }

  void do_accept();
  void schedule_sweep();
  void sweep();
  void shut_down();

  void dispatch(Session& session, const proto::Envelope& env);
  void on_register(Session& session, const proto::Envelope& env);
  void on_unregister(Session& session, const proto::Envelope& env);
  void on_discover(Session& session, const proto::Envelope& env);
  void on_lookup(Session& session, const proto::Envelope& env);
  void on_subscribe(Session& session, const proto::Envelope& env);
  void on_renew(Session& session, const proto::Envelope& env);
  void on_relay(Session& session, const proto::Envelope& env);

  // The session's actor a request speaks for: `serial`, or its only actor when 0.
  const LiveActor* caller_of(Session& session, uint64_t serial, uint64_t reply_to);
  std::optional<uint64_t> keepable_serial(Session& session, const proto::RegisterRequest& req);
  void take_down(const ActorKey& key, bool forget);
  // Removes the actor from `live` and the discovery index; returns it.
  LiveActor remove_live(std::map<ActorKey, LiveActor>::iterator it);
  void batch_writes();
  void publish(proto::ActorEvent::Kind kind, const LiveActor& actor);
  void session_ended(Session& session);
  int64_t now() const { return options.clock(); }
};

// One WebSocket connection. All members are touched only on the I/O thread.
struct Session : std::enable_shared_from_this<Session> {
  struct Subscription {
    std::vector<ActrType> types;
    ActrId caller;
  };

  Session(Server::Core& c, tcp::socket socket) : core(c), ws(std::move(socket)) {
    beast::error_code ec;
    // Replies spanning several segments would otherwise wait for the peer's delayed ACK.
    beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true), ec);
    auto endpoint = beast::get_lowest_layer(ws).socket().remote_endpoint(ec);
    peer = ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    tokens = core.options.message_burst;
    last_refill = last_seen = SteadyClock::now();
  }

  Server::Core& core;
  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::optional<http::request_parser<http::empty_body>> parser;
  http::request<http::empty_body> upgrade;
  std::deque<std::string> outbox;
  bool writing = false;
  bool closing = false;
  bool ended = false;
  std::string peer;
  SteadyClock::time_point last_seen;
  SteadyClock::time_point last_refill;
  double tokens = 0;
  std::vector<ActorKey> actors;
  std::optional<Subscription> subscription;
  ConnectionAdmission::Id admission_id = 0;
  // The enrollment token the upgrade carried (null for open enrollment): what it may register.
  const EnrollToken* token = nullptr;

  void start() {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::seconds(5);    // also bounds the close handshake
    timeouts.idle_timeout = websocket::stream_base::none();  // heartbeats are ours
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    ws.read_message_max(core.options.max_frame_bytes);
    ws.binary(true);
    // The upgrade request is read here, so its credentials are checked before any WebSocket.
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(kMaxUpgradeHeaderBytes));
    parser->body_limit(0);
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(5));
    http::async_read(ws.next_layer(), buffer, *parser,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_upgrade_request(ec);
                     });
  }

  void on_upgrade_request(beast::error_code ec) {
    if (ended) return;
    beast::get_lowest_layer(ws).expires_never();
    if (ec) {
      spdlog::info("signal: {}: reading the upgrade request failed: {}", peer, ec.message());
      if (ec == http::error::header_limit || ec == http::error::body_limit)
        return refuse(http::status::request_header_fields_too_large, "upgrade request too large");
      return end();
    }
    upgrade = parser->release();
    parser.reset();
    buffer.consume(buffer.size());
    if (!websocket::is_upgrade(upgrade))
      return refuse(http::status::bad_request, "expected a WebSocket upgrade");
    if (!core.options.enrollment.open) {
      auto field = upgrade[http::field::authorization];
      std::string_view authorization(field.data(), field.size());
      if (authorization.empty())
        return refuse(http::status::unauthorized, "an enrollment token is required");
      token = core.options.enrollment.match(authorization);
      if (!token) return refuse(http::status::unauthorized, "wrong enrollment token");
    }
    if (auto it = upgrade.find(kCredentialHeader); it != upgrade.end()) {
      if (auto refused =
              check_credentials(std::string_view(it->value().data(), it->value().size()));
          !refused.empty())
        return refuse(http::status::forbidden, refused);
    }
    ws.async_accept(upgrade, [self = shared_from_this()](beast::error_code ec) {
      self->upgrade = {};
      if (self->ended) return;
      if (ec) {
        spdlog::info("signal: {}: WebSocket handshake failed: {}", self->peer, ec.message());
        return self->end();
      }
      spdlog::debug("signal: {} connected", self->peer);
      self->core.admission.set_idle(self->admission_id, false);
      self->do_read();
    });
  }

  // The credentials of a comma-separated list: "" when each is signed by this server, else why
  // not.
  std::string check_credentials(std::string_view list) {
    size_t count = 0;
    for (size_t start = 0; start <= list.size();) {
      size_t comma = std::min(list.find(',', start), list.size());
      std::string_view item = list.substr(start, comma - start);
      start = comma + 1;
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (item.empty()) continue;
      ++count;
      auto bytes = decode_base64(item);
      if (!bytes) return "a credential is not base64";
      auto credential = Credential::decode(*bytes);
      if (!credential) return "a credential is malformed";
      if (auto claims = core.verifier.verify_signature(*credential); !claims)
        return "a credential is not signed by this server";
    }
    if (count == 0) return "empty credential header";
    return "";
  }

  // Answers the upgrade request with `status` and `reason`, then ends the connection.
  void refuse(http::status status, const std::string& reason) {
    spdlog::warn("signal: {}: upgrade refused: {} (HTTP {})", peer, reason,
                 static_cast<unsigned>(status));
    closing = true;
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::server, "actr-signal");
    response->set(http::field::content_type, "text/plain; charset=utf-8");
    if (status == http::status::unauthorized)
      response->set(http::field::www_authenticate, "Bearer");
    response->keep_alive(false);
    response->body() = reason + "\n";
    response->prepare_payload();
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(5));
    http::async_write(ws.next_layer(), *response,
                      [self = shared_from_this(), response](beast::error_code, size_t) {
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->ws).socket().shutdown(
                            tcp::socket::shutdown_send, ignored);
                        self->end();
                      });
  }

  void do_read() {
    if (closing || ended) return;
    ws.async_read(buffer,
                  [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  bool take_token() {
    auto now = SteadyClock::now();
    double elapsed = std::chrono::duration<double>(now - last_refill).count();
    last_refill = now;
    tokens =
        std::min(core.options.message_burst, tokens + elapsed * core.options.messages_per_second);
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  void on_read(beast::error_code ec) {
    if (ended) return;
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        spdlog::warn("signal: {}: frame larger than {} bytes; disconnecting", peer,
                     core.options.max_frame_bytes);
      } else if (ec != websocket::error::closed && ec != net::error::operation_aborted) {
        spdlog::info("signal: {}: connection lost: {}", peer, ec.message());
      }
      return end();
    }
    last_seen = SteadyClock::now();
    size_t size = buffer.size();
    proto::Envelope env;
    bool parsed = env.ParseFromArray(buffer.data().data(), static_cast<int>(size));
    buffer.consume(size);
    if (!take_token()) {
      spdlog::warn("signal: {}: more than {} messages/s; disconnecting", peer,
                   core.options.messages_per_second);
      return fail(error_envelope(0, proto::Error::RATE_LIMITED, "message rate limit exceeded"));
    }
    if (!ws.got_binary()) {
      spdlog::warn("signal: {}: text frame; disconnecting", peer);
      return fail(error_envelope(0, proto::Error::MALFORMED, "frames must be binary"));
    }
    if (!parsed || env.payload_case() == proto::Envelope::PAYLOAD_NOT_SET) {
      spdlog::warn("signal: {}: malformed frame ({} bytes); disconnecting", peer, size);
      return fail(error_envelope(0, proto::Error::MALFORMED, "not a signaling Envelope"));
    }
    if (env.version() != kProtocolVersion) {
      spdlog::warn("signal: {}: protocol version {}; disconnecting", peer, env.version());
      return fail(error_envelope(
          env.id(), proto::Error::UNSUPPORTED_VERSION,
          "this server speaks protocol version " + std::to_string(kProtocolVersion)));
    }
    core.dispatch(*this, env);
    do_read();
  }

  void send(proto::Envelope env) {
    if (closing || ended) return;
    env.set_version(kProtocolVersion);
    outbox.push_back(env.SerializeAsString());
    if (!writing) do_write();
  }

  // Sends `env` (an Error), then closes the connection.
  void fail(proto::Envelope env) {
    send(std::move(env));
    closing = true;
    if (!writing) do_close();
  }

  void do_write() {
    if (outbox.empty()) {
      writing = false;
      if (closing) do_close();
      return;
    }
    writing = true;
    ws.async_write(net::buffer(outbox.front()),
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     if (self->ended) return;
                     if (ec) {
                       spdlog::info("signal: {}: write failed: {}", self->peer, ec.message());
                       return self->end();
                     }
                     self->outbox.pop_front();
                     self->do_write();
                   });
  }

  void do_close() {
    ws.async_close(websocket::close_code::policy_error,
                   [self = shared_from_this()](beast::error_code) { self->end(); });
  }

  // Hard close: for silent peers and server shutdown. Pending operations complete with errors.
  void abort() {
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws).socket().close(ec);
    end();
  }

  void end() {
    if (ended) return;
    ended = true;
    closing = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().close(ec);
    core.admission.remove(admission_id);
    core.session_ended(*this);
  }
};

void Server::Core::do_accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec) {
      beast::error_code ignored;
      auto remote = socket.remote_endpoint(ignored);
      auto decision = admission.admit(ignored ? std::string("?") : remote.address().to_string());
      for (auto id : decision.evicted) {
        std::shared_ptr<Session> victim;
        for (const auto& s : sessions) {
          if (s->admission_id == id) victim = s;
        }
        if (!victim) continue;
        spdlog::info("signal: {}: closed to make room (idle longest in its upgrade)", victim->peer);
        victim->end();  // ends its pending reads; session_ended() forgets it
      }
      if (decision.admitted) {
        auto session = std::make_shared<Session>(*this, std::move(socket));
        session->admission_id = decision.id;
        sessions.insert(session);
        connection_count = sessions.size();
        session->start();
      } else {
        spdlog::warn("signal: refusing a connection: {} are open and none is idle",
                     admission.size());
      }
    } else if (ec != net::error::operation_aborted) {
      spdlog::warn("signal: accept failed: {}", ec.message());
    }
    if (acceptor.is_open()) do_accept();
  });
}

void Server::Core::schedule_sweep() {
  auto period =
      std::max<std::chrono::milliseconds>(heartbeat_timeout() / 4, std::chrono::milliseconds(10));
  sweep_timer.expires_after(period);
  sweep_timer.async_wait([this](beast::error_code ec) {
    if (ec || stopping) return;
    sweep();
    schedule_sweep();
  });
}

void Server::Core::sweep() {
  auto deadline = SteadyClock::now() - heartbeat_timeout();
  std::vector<std::shared_ptr<Session>> silent;
  for (const auto& s : sessions) {
    if (s->last_seen < deadline) silent.push_back(s);
  }
  for (const auto& s : silent) {
    spdlog::warn("signal: {}: no heartbeat for {} ms; its {} actors are down", s->peer,
                 heartbeat_timeout().count(), s->actors.size());
    s->abort();
  }
}

void Server::Core::shut_down() {
  stopping = true;
  beast::error_code ec;
  acceptor.close(ec);
  sweep_timer.cancel();
  auto all = sessions;
  for (const auto& s : all) s->abort();
}

void Server::Core::session_ended(Session& session) {
  for (const ActorKey& key : std::vector<ActorKey>(session.actors)) take_down(key, false);
  session.actors.clear();
  session.subscription.reset();
  spdlog::debug("signal: {} disconnected", session.peer);
  // Erasing may drop the last reference: nothing may touch `session` afterwards.
  auto it = std::find_if(sessions.begin(), sessions.end(),
                         [&](const auto& s) { return s.get() == &session; });
  if (it != sessions.end()) {
    std::shared_ptr<Session> keep = *it;
    sessions.erase(it);
    connection_count = sessions.size();
  }
}

void Server::Core::take_down(const ActorKey& key, bool forget) {
  auto it = live.find(key);
  if (it == live.end()) return;
  LiveActor actor = remove_live(it);
  if (actor.session) std::erase(actor.session->actors, key);
  if (forget) {
    batch_writes();
    if (auto removed = store.remove(key.first, key.second); !removed) {
      spdlog::error("signal: cannot forget {}: {}", id_text(actor.id), removed.error().message);
    }
  }
  spdlog::info("signal: {} down", id_text(actor.id));
  publish(proto::ActorEvent::DOWN, actor);
}

LiveActor Server::Core::remove_live(std::map<ActorKey, LiveActor>::iterator it) {
  by_type.remove(it->first.first, it->second.id.type.name, it->first.second);
  LiveActor actor = std::move(it->second);
  live.erase(it);
  live_count = live.size();
  return actor;
}

// The registration rows written while the handlers of one turn of the event loop run share a
// transaction, committed (without fsync: see registry_store.hpp) after them.
void Server::Core::batch_writes() {
  if (store.batch_open()) return;
  if (auto begun = store.begin_batch(); !begun) {
    spdlog::warn("signal: cannot group registration writes: {}", begun.error().message);
    return;  // each write commits on its own
  }
  net::post(io, [this] {
    if (auto committed = store.commit_batch(); !committed) {
      spdlog::error("signal: committing registrations failed: {}", committed.error().message);
    }
  });
}

void Server::Core::publish(proto::ActorEvent::Kind kind, const LiveActor& actor) {
  if (stopping) return;
  for (const auto& s : sessions) {
    if (!s->subscription || s->closing) continue;
    const auto& sub = *s->subscription;
    if (sub.caller.realm.realm_id != actor.id.realm.realm_id) continue;
    bool wanted = std::any_of(sub.types.begin(), sub.types.end(), [&](const ActrType& t) {
      return options.type_matches(actor.id.type, t);
    });
    if (!wanted || !actor.acl.allows(sub.caller.type, sub.caller.realm.realm_id)) continue;
    proto::Envelope env;
    auto* event = env.mutable_actor_event();
    event->set_kind(kind);
    *event->mutable_actor()->mutable_id() = to_proto(actor.id);
    event->mutable_actor()->set_advertised_address(actor.address);
    s->send(std::move(env));
  }
}

const LiveActor* Server::Core::caller_of(Session& session, uint64_t serial, uint64_t reply_to) {
  const LiveActor* found = nullptr;
  for (const ActorKey& key : session.actors) {
    if (serial != 0 && key.second != serial) continue;
    if (found) {
      session.send(error_envelope(reply_to, proto::Error::INVALID_ARGUMENT,
                                  serial == 0 ? "several actors on this connection: name the caller"
                                              : "serial is ambiguous across realms"));
      return nullptr;
    }
    found = &live.at(key);
  }
  if (!found) {
    session.send(error_envelope(
        reply_to, proto::Error::NOT_REGISTERED,
        serial == 0 ? "no actor is registered on this connection"
                    : "actor " + std::to_string(serial) + " is not registered on this connection"));
  }
  return found;
}

void Server::Core::dispatch(Session& session, const proto::Envelope& env) {
  switch (env.payload_case()) {
    case proto::Envelope::kRegisterRequest:
      return on_register(session, env);
    case proto::Envelope::kUnregister:
      return on_unregister(session, env);
    case proto::Envelope::kPing: {
      proto::Envelope pong;
      pong.set_reply_to(env.id());
      pong.mutable_pong();
      return session.send(std::move(pong));
    }
    case proto::Envelope::kDiscoverRequest:
      return on_discover(session, env);
    case proto::Envelope::kLookupRequest:
      return on_lookup(session, env);
    case proto::Envelope::kSubscribe:
      return on_subscribe(session, env);
    case proto::Envelope::kRenewCredential:
      return on_renew(session, env);
    case proto::Envelope::kRelay:
      return on_relay(session, env);
    default:
      return session.send(error_envelope(env.id(), proto::Error::INVALID_ARGUMENT,
                                         "not a request the server accepts"));
  }
}

std::optional<uint64_t> Server::Core::keepable_serial(Session& session,
                                                      const proto::RegisterRequest& req) {
  if (!req.has_previous_serial()) return std::nullopt;
  uint64_t serial = req.previous_serial();
  auto credential = Credential::decode(req.previous_credential());
  if (!credential) {
    spdlog::info("signal: {}: cannot keep serial {}: {}", session.peer, serial,
                 credential.error().message);
    return std::nullopt;
  }
  auto claims = verifier.verify_signature(*credential);
  const ActrId& id = credential->claims.id;
  if (!claims || id.realm.realm_id != req.realm() || id.serial_number != serial ||
      id.type.manufacturer != req.type().manufacturer() || id.type.name != req.type().name()) {
    spdlog::info("signal: {}: previous credential does not prove serial {}", session.peer, serial);
    return std::nullopt;
  }
  auto known = store.find(req.realm(), serial);
  if (!known || !*known) return std::nullopt;
  return serial;
}

void Server::Core::on_register(Session& session, const proto::Envelope& env) {
  const proto::RegisterRequest& req = env.register_request();
  if (req.type().name().empty()) {
    return session.send(
        error_envelope(env.id(), proto::Error::INVALID_ARGUMENT, "the actor type needs a name"));
  }
  if (ActrType type = from_proto(req.type()); session.token && !session.token->admits(type)) {
    spdlog::warn("signal: {}: its enrollment token may not register type {}", session.peer,
                 type_text(type));
    return session.send(
        error_envelope(env.id(), proto::Error::PERMISSION_DENIED,
                       "this enrollment token may not register actors of type " + type_text(type)));
  }
  std::optional<uint64_t> serial = keepable_serial(session, req);
  if (serial) {
    // The proof of identity wins over a stale connection that still holds the id (a node that
    // reconnected before the server noticed the old connection was gone).
    auto old = live.find({req.realm(), *serial});
    if (old != live.end() && old->second.session)
      std::erase(old->second.session->actors, old->first);
    if (old != live.end()) remove_live(old);
  } else {
    auto allocated = store.allocate_serial(req.realm());
    if (!allocated) {
      spdlog::error("signal: serial allocation failed: {}", allocated.error().message);
      return session.send(error_envelope(env.id(), proto::Error::INTERNAL, "storage failure"));
    }
    serial = *allocated;
  }
  StoredRegistration reg;
  reg.id.realm.realm_id = req.realm();
  reg.id.serial_number = *serial;
  reg.id.type = from_proto(req.type());
  reg.advertised_address = req.advertised_address();
  reg.acl = acl_from_proto(req.acl());
  reg.registered_at = now();
  batch_writes();
  if (auto stored = store.put(reg); !stored) {
    spdlog::error("signal: cannot store {}: {}", id_text(reg.id), stored.error().message);
    return session.send(error_envelope(env.id(), proto::Error::INTERNAL, "storage failure"));
  }
  ActorKey key = key_of(reg.id);
  LiveActor& actor = live[key];
  actor = LiveActor{reg.id, reg.advertised_address, reg.acl, &session};
  by_type.add(key.first, actor.id.type.name, key.second, &actor);
  live_count = live.size();
  session.actors.push_back(key);

  int64_t issued = now();
  Credential credential = issuer.issue({reg.id, issued + options.credential_ttl.count(), issued});
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  auto* r = reply.mutable_register_reply();
  *r->mutable_id() = to_proto(reg.id);
  r->set_credential(credential.encode());
  r->set_credential_expires_at(credential.claims.expires_at);
  r->set_heartbeat_interval_ms(static_cast<uint32_t>(options.heartbeat_interval.count()));
  r->set_server_public_key(std::string(issuer.public_key().begin(), issuer.public_key().end()));
  session.send(std::move(reply));
  spdlog::info("signal: {} up at {} from {}", id_text(reg.id), reg.advertised_address,
               session.peer);
  publish(proto::ActorEvent::UP, actor);
}

void Server::Core::on_unregister(Session& session, const proto::Envelope& env) {
  const LiveActor* actor = caller_of(session, env.unregister().serial(), env.id());
  if (!actor) return;
  take_down(key_of(actor->id), /*forget=*/true);
  proto::Envelope ack;
  ack.set_reply_to(env.id());
  ack.mutable_ack();
  session.send(std::move(ack));
}

void Server::Core::on_discover(Session& session, const proto::Envelope& env) {
  const proto::DiscoverRequest& req = env.discover_request();
  const LiveActor* caller = caller_of(session, req.caller_serial(), env.id());
  if (!caller) return;
  uint32_t realm = req.has_realm() ? req.realm() : caller->id.realm.realm_id;
  ActrType wanted = from_proto(req.type());
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  auto* candidates = reply.mutable_discover_reply()->mutable_candidates();
  for (const auto& entry : by_type.candidates(realm, wanted.name)) {
    const LiveActor& actor = *entry.actor;
    if (!options.type_matches(actor.id.type, wanted)) continue;
    if (!actor.acl.allows(caller->id.type, caller->id.realm.realm_id)) continue;
    auto* c = candidates->Add();
    *c->mutable_id() = to_proto(actor.id);
    c->set_advertised_address(actor.address);
  }
  session.send(std::move(reply));
}

void Server::Core::on_lookup(Session& session, const proto::Envelope& env) {
  const proto::LookupRequest& req = env.lookup_request();
  const LiveActor* caller = caller_of(session, req.caller_serial(), env.id());
  if (!caller) return;
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  auto* candidates = reply.mutable_discover_reply()->mutable_candidates();
  auto it = live.find({req.id().realm(), req.id().serial()});
  if (it != live.end()) {
    const LiveActor& actor = it->second;
    const proto::ActorType& type = req.id().type();
    bool same_type =
        type.name().empty() ||
        (type.name() == actor.id.type.name &&
         (type.manufacturer().empty() || type.manufacturer() == actor.id.type.manufacturer));
    if (same_type && actor.acl.allows(caller->id.type, caller->id.realm.realm_id)) {
      auto* c = candidates->Add();
      *c->mutable_id() = to_proto(actor.id);
      c->set_advertised_address(actor.address);
    }
  }
  session.send(std::move(reply));
}

void Server::Core::on_subscribe(Session& session, const proto::Envelope& env) {
  const proto::Subscribe& req = env.subscribe();
  const LiveActor* caller = caller_of(session, req.caller_serial(), env.id());
  if (!caller) return;
  Session::Subscription sub;
  sub.caller = caller->id;
  for (const auto& t : req.types()) sub.types.push_back(from_proto(t));
  session.subscription = std::move(sub);
  proto::Envelope ack;
  ack.set_reply_to(env.id());
  ack.mutable_ack();
  session.send(std::move(ack));
}

void Server::Core::on_renew(Session& session, const proto::Envelope& env) {
  auto credential = Credential::decode(env.renew_credential().credential());
  if (!credential) {
    return session.send(
        error_envelope(env.id(), proto::Error::INVALID_ARGUMENT, credential.error().message));
  }
  // Expiry is not checked: the connection still holds the registration, and a node whose
  // credential lapsed must be able to get a new one.
  if (auto claims = verifier.verify_signature(*credential); !claims) {
    spdlog::warn("signal: {}: renewal refused: {}", session.peer, claims.error().message);
    return session.send(
        error_envelope(env.id(), proto::Error::PERMISSION_DENIED, claims.error().message));
  }
  ActorKey key = key_of(credential->claims.id);
  auto it = live.find(key);
  if (it == live.end() || it->second.session != &session) {
    return session.send(error_envelope(env.id(), proto::Error::NOT_REGISTERED,
                                       "the credential's actor is not registered on this "
                                       "connection"));
  }
  int64_t issued = now();
  Credential renewed =
      issuer.issue({it->second.id, issued + options.credential_ttl.count(), issued});
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  reply.mutable_renew_reply()->set_credential(renewed.encode());
  reply.mutable_renew_reply()->set_credential_expires_at(renewed.claims.expires_at);
  session.send(std::move(reply));
}

void Server::Core::on_relay(Session& session, const proto::Envelope& env) {
  const proto::Relay& req = env.relay();
  const LiveActor* from = caller_of(session, req.from_serial(), env.id());
  if (!from) return;
  auto target = live.find({req.to().realm(), req.to().serial()});
  if (target == live.end()) {
    return session.send(error_envelope(env.id(), proto::Error::NOT_FOUND,
                                       "actor " + std::to_string(req.to().realm()) + ":" +
                                           std::to_string(req.to().serial()) +
                                           " is not registered"));
  }
  if (!target->second.acl.allows(from->id.type, from->id.realm.realm_id)) {
    return session.send(error_envelope(env.id(), proto::Error::PERMISSION_DENIED,
                                       "the target's ACL refuses " + id_text(from->id)));
  }
  proto::Envelope delivery;
  auto* d = delivery.mutable_relay_delivery();
  *d->mutable_from() = to_proto(from->id);
  *d->mutable_to() = to_proto(target->second.id);
  d->set_payload(req.payload());
  target->second.session->send(std::move(delivery));
  proto::Envelope ack;
  ack.set_reply_to(env.id());
  ack.mutable_ack();
  session.send(std::move(ack));
}

Server::Server(std::unique_ptr<Core> core) : core_(std::move(core)) {}

Server::~Server() { stop(); }

actr::Result<std::unique_ptr<Server>> Server::start(ServerOptions options) {
  std::error_code fs_ec;
  std::filesystem::create_directories(options.data_dir, fs_ec);
  if (fs_ec) {
    return actr::make_error("cannot create " + options.data_dir.string() + ": " + fs_ec.message());
  }
  if (options.max_frame_bytes == 0 || options.messages_per_second <= 0 ||
      options.message_burst < 1 || options.heartbeat_interval.count() <= 0 ||
      options.credential_ttl.count() <= 0) {
    return actr::make_error("signaling server: limits, heartbeat and credential TTL must be > 0");
  }
  if (!options.enrollment.open && options.enrollment.tokens.empty()) {
    return actr::make_error(
        "signaling server: no enrollment token (the server is closed by default: give it a token "
        "file, or allow open enrollment explicitly for development)");
  }
  if (!options.type_matches) options.type_matches = exact_type_match;
  if (!options.clock) options.clock = system_unix_seconds;
  ACTR_TRY(RegistryStore store, RegistryStore::open(options.data_dir / kRegistryFileName));
  ACTR_TRY(CredentialIssuer issuer, store.signing_key());
  auto core = std::make_unique<Core>(std::move(options), std::move(store), std::move(issuer));

  beast::error_code ec;
  auto address = net::ip::make_address(core->options.address, ec);
  if (ec) return actr::make_error("--listen: bad address `" + core->options.address + "`");
  tcp::endpoint endpoint(address, core->options.port);
  core->acceptor.open(endpoint.protocol(), ec);
  if (!ec) core->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) core->acceptor.bind(endpoint, ec);
  if (!ec) core->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return actr::make_error("cannot listen on " + core->options.address + ":" +
                            std::to_string(core->options.port) + ": " + ec.message());
  }
  core->port = core->acceptor.local_endpoint().port();
  core->do_accept();
  core->schedule_sweep();
  Core* raw = core.get();
  core->thread = std::thread([raw] { raw->io.run(); });
  spdlog::info("signal: listening on ws://{}:{}", raw->options.address, raw->port);
  return std::unique_ptr<Server>(new Server(std::move(core)));
}

void Server::stop() {
  if (!core_ || !core_->thread.joinable()) return;
  Core* core = core_.get();
  net::post(core->io, [core] { core->shut_down(); });
  // Aborted sockets finish their operations at once; the deadline only guards against a peer
  // stuck in a close handshake.
  auto deadline = SteadyClock::now() + std::chrono::seconds(2);
  while (core->connection_count > 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  core->io.stop();
  core->thread.join();
}

uint16_t Server::port() const { return core_->port; }

std::string Server::listen_address() const {
  return "ws://" + core_->options.address + ":" + std::to_string(core_->port);
}

const PublicKey& Server::public_key() const { return core_->issuer.public_key(); }

size_t Server::connection_count() const { return core_->connection_count; }

size_t Server::live_actor_count() const { return core_->live_count; }

}  // namespace actr::signaling::server
