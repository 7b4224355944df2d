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

#include "signaling/server/registry.hpp"
#include "signaling/server/server_id.hpp"
#include "signaling/server/signing_key_file.hpp"
#include "signaling/server/sqlite_registry_store.hpp"
#include "signaling/upgrade.hpp"

#ifdef ACTR_HAVE_NATS
#include "signaling/server/nats_cluster.hpp"
#include "signaling/server/nats_registry_store.hpp"
#endif

namespace actr::signaling::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

struct Session;

struct Server::Core {
  explicit Core(ServerOptions o, std::unique_ptr<RegistryStore> s, CredentialIssuer i,
                std::vector<PublicKey> accepted_keys)
      : options(std::move(o)),
        registry({options.credential_ttl, options.heartbeat_interval, options.type_matches,
                  options.clock, options.turn_servers, options.turn_secret, accepted_keys},
                 std::move(s), std::move(i),
                 [this](std::function<void()> fn) { net::post(io, std::move(fn)); }),
        admission(options.connection_limits) {}

  // Declared first, destroyed last: everything below holds handles on it.
  net::io_context io{1};
  ServerOptions options;
  Registry registry;
  // The other servers of the realm (NATS); null for a server alone. Stopped after the I/O
  // thread, before the registry goes.
  std::unique_ptr<ClusterLink> cluster;
  tcp::acceptor acceptor{io};
  net::steady_timer sweep_timer{io};
  std::set<std::shared_ptr<Session>> sessions;
  ConnectionAdmission admission;  // idle: connections still in their upgrade
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connection_count{0};
  uint16_t port = 0;

  std::chrono::milliseconds heartbeat_timeout() const {
    return options.heartbeat_timeout.count() > 0 ? options.heartbeat_timeout
                                                 : 3 * options.heartbeat_interval;
  }

  void do_accept();
  void schedule_sweep();
  void sweep();
  void shut_down();

  void session_ended(Session& session);
};

// One WebSocket connection. All members are touched only on the I/O thread.
struct Session : RegistryPeer, std::enable_shared_from_this<Session> {
  Session(Server::Core& c, tcp::socket socket) : core(c), ws(std::move(socket)) {
    beast::error_code ec;
    // Replies spanning several segments would otherwise wait for the peer's delayed ACK.
    beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true), ec);
    auto endpoint = beast::get_lowest_layer(ws).socket().remote_endpoint(ec);
    address = ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
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
  std::string subprotocol;  // the accepted Sec-WebSocket-Protocol (a browser's token), or empty
  bool ended = false;
  SteadyClock::time_point last_seen;
  SteadyClock::time_point last_refill;
  double tokens = 0;
  ConnectionAdmission::Id admission_id = 0;

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
      spdlog::info("signal: {}: reading the upgrade request failed: {}", address, ec.message());
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
      std::string authorization(field.data(), field.size());
      if (authorization.empty()) {
        // Browsers cannot set headers on a WebSocket: they offer the token as a subprotocol,
        // which the accepted upgrade names back (docs/NETWORK.md "Enrollment").
        auto offered = upgrade[http::field::sec_websocket_protocol];
        if (auto t = enroll_subprotocol(std::string_view(offered.data(), offered.size()))) {
          authorization = "Bearer " + *t;
          subprotocol = std::string(kEnrollSubprotocol) + *t;
        }
      }
      if (authorization.empty())
        return refuse(http::status::unauthorized, "an enrollment token is required");
      token = core.options.enrollment.match(authorization);
      if (!token) return refuse(http::status::unauthorized, "wrong enrollment token");
    }
    if (!subprotocol.empty()) {
      ws.set_option(
          websocket::stream_base::decorator([p = subprotocol](websocket::response_type& res) {
            res.set(http::field::sec_websocket_protocol, p);
          }));
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
        spdlog::info("signal: {}: WebSocket handshake failed: {}", self->address, ec.message());
        return self->end();
      }
      spdlog::debug("signal: {} connected", self->address);
      self->core.admission.set_idle(self->admission_id, false);
      self->core.registry.joined(*self);
      self->do_read();
    });
  }

  // The credentials of a comma-separated list: "" when each is signed by this server, else why
  // not.
  std::string check_credentials(std::string_view list) {
    size_t count = 0;
    for (std::string_view item : header_list(list)) {
      ++count;
      auto bytes = decode_base64(item);
      if (!bytes) return "a credential is not base64";
      auto credential = Credential::decode(*bytes);
      if (!credential) return "a credential is malformed";
      if (auto claims = core.registry.verifier().verify_signature(*credential); !claims)
        return "a credential is not signed by this server";
    }
    if (count == 0) return "empty credential header";
    return "";
  }

  // Answers the upgrade request with `status` and `reason`, then ends the connection.
  void refuse(http::status status, const std::string& reason) {
    spdlog::warn("signal: {}: upgrade refused: {} (HTTP {})", address, reason,
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
        spdlog::warn("signal: {}: frame larger than {} bytes; disconnecting", address,
                     core.options.max_frame_bytes);
      } else if (ec != websocket::error::closed && ec != net::error::operation_aborted) {
        spdlog::info("signal: {}: connection lost: {}", address, ec.message());
      }
      return end();
    }
    last_seen = SteadyClock::now();
    size_t size = buffer.size();
    proto::Envelope env;
    bool parsed = env.ParseFromArray(buffer.data().data(), static_cast<int>(size));
    buffer.consume(size);
    if (!take_token()) {
      spdlog::warn("signal: {}: more than {} messages/s; disconnecting", address,
                   core.options.messages_per_second);
      return fail(error_envelope(0, proto::Error::RATE_LIMITED, "message rate limit exceeded"));
    }
    if (!ws.got_binary()) {
      spdlog::warn("signal: {}: text frame; disconnecting", address);
      return fail(error_envelope(0, proto::Error::MALFORMED, "frames must be binary"));
    }
    if (!parsed || env.payload_case() == proto::Envelope::PAYLOAD_NOT_SET) {
      spdlog::warn("signal: {}: malformed frame ({} bytes); disconnecting", address, size);
      return fail(error_envelope(0, proto::Error::MALFORMED, "not a signaling Envelope"));
    }
    if (env.version() != kProtocolVersion) {
      spdlog::warn("signal: {}: protocol version {}; disconnecting", address, env.version());
      return fail(error_envelope(
          env.id(), proto::Error::UNSUPPORTED_VERSION,
          "this server speaks protocol version " + std::to_string(kProtocolVersion)));
    }
    core.registry.handle(*this, env);
    do_read();
  }

  bool open() const override { return !closing && !ended; }

  void send(proto::Envelope env) override {
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
                       spdlog::info("signal: {}: write failed: {}", self->address, ec.message());
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
        spdlog::info("signal: {}: closed to make room (idle longest in its upgrade)",
                     victim->address);
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
    spdlog::warn("signal: {}: no heartbeat for {} ms; its {} actors are down", s->address,
                 heartbeat_timeout().count(), s->actors.size());
    s->abort();
  }
}

void Server::Core::shut_down() {
  stopping = true;
  registry.stop_publishing();
  beast::error_code ec;
  acceptor.close(ec);
  sweep_timer.cancel();
  auto all = sessions;
  for (const auto& s : all) s->abort();
}

void Server::Core::session_ended(Session& session) {
  registry.left(session);
  spdlog::debug("signal: {} disconnected", session.address);
  // Erasing may drop the last reference: nothing may touch `session` afterwards.
  auto it = std::find_if(sessions.begin(), sessions.end(),
                         [&](const auto& s) { return s.get() == &session; });
  if (it != sessions.end()) {
    std::shared_ptr<Session> keep = *it;
    sessions.erase(it);
    connection_count = sessions.size();
  }
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
  if (options.turn_servers.empty() != options.turn_secret.empty()) {
    return actr::make_error(
        "signaling server: TURN needs both servers and the secret they share with the signaling "
        "server");
  }
  for (const TurnServerAddress& turn : options.turn_servers) {
    if (turn.host.empty() || turn.port == 0) {
      return actr::make_error("signaling server: a TURN server needs a host and a port");
    }
  }
  if (!options.type_matches) options.type_matches = exact_type_match;
  if (!options.clock) options.clock = system_unix_seconds;
  std::optional<CredentialIssuer> issuer;
  if (!options.signing_key_file.empty()) {
    ACTR_TRY(issuer, read_signing_key_file(options.signing_key_file));
  }
  std::unique_ptr<RegistryStore> store;
#ifdef ACTR_HAVE_NATS
  std::shared_ptr<NatsConnection> nats;
#endif
  if (options.nats_urls.empty()) {
    ACTR_TRY(
        SqliteRegistryStore sqlite,
        SqliteRegistryStore::open(options.data_dir / kRegistryFileName, options.serial_block_size));
    if (!issuer) {
      ACTR_TRY(issuer, sqlite.signing_key());
    }
    store = std::make_unique<SqliteRegistryStore>(std::move(sqlite));
  } else {
#ifdef ACTR_HAVE_NATS
    if (!issuer) {
      return actr::make_error(
          "signaling server: with NATS every server of the realm must sign with the same key: "
          "give each the same --signing-key-file (create it with `actr signal keygen FILE`)");
    }
    ACTR_TRY(nats, NatsConnection::connect({options.nats_urls, options.nats_timeout,
                                            "actr-signal " + options.data_dir.string()}));
    ACTR_TRY(store, NatsRegistryStore::open(nats, options.serial_block_size));
#else
    return actr::make_error(
        "signaling server: this actr was built without libnats (Debian libnats-dev), so it "
        "cannot share a realm through NATS; run it without --nats or rebuild with libnats");
#endif
  }
  std::vector<PublicKey> accepted_keys;
  for (const auto& file : options.accepted_signing_key_files) {
    ACTR_TRY(CredentialIssuer other, read_signing_key_file(file));
    if (other.public_key() != issuer->public_key()) accepted_keys.push_back(other.public_key());
  }
  auto core = std::make_unique<Core>(std::move(options), std::move(store), std::move(*issuer),
                                     std::move(accepted_keys));

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
#ifdef ACTR_HAVE_NATS
  if (nats) {
    ACTR_TRY(std::string server_id, ensure_server_id(core->options.data_dir));
    Core* c = core.get();
    // From the cluster's threads to the I/O thread, which owns the registry.
    ClusterEvents events;
    events.actor_up = [c](const std::string& server, const StoredRegistration& r,
                          uint64_t revision) {
      net::post(c->io, [c, server, r, revision] { c->registry.remote_up(server, r, revision); });
    };
    events.actor_down = [c](const std::string& server, uint32_t realm, uint64_t serial) {
      net::post(c->io,
                [c, server, realm, serial] { c->registry.remote_down(server, realm, serial); });
    };
    events.relay = [c](proto::Envelope delivery) {
      net::post(c->io, [c, d = std::move(delivery)]() mutable {
        c->registry.deliver_relay(std::move(d));
      });
    };
    events.written = [c](uint32_t realm, uint64_t serial, uint64_t revision) {
      net::post(c->io, [c, realm, serial, revision] {
        c->registry.live_written(realm, serial, revision);
      });
    };
    NatsCluster::Options cluster_options{
        server_id, "ws://" + core->options.address + ":" + std::to_string(core->port),
        core->options.heartbeat_interval, core->heartbeat_timeout(), core->registry.public_key(),
        core->registry.verifier().also_accepted()};
    ACTR_TRY(core->cluster,
             NatsCluster::start(std::move(nats), std::move(cluster_options), std::move(events)));
    core->registry.set_cluster(core->cluster.get());
  }
#endif
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
  while ((!core->stopping || core->connection_count > 0) && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  core->io.stop();
  core->thread.join();
  // Closed by shut_down() unless the I/O thread stopped first: the port is free once stop()
  // returns (a server started again on it at once must be able to bind it).
  beast::error_code ignored;
  core->acceptor.close(ignored);
  // The I/O thread no longer runs: nothing calls the cluster link from now on. Stopping it
  // writes the down of the actors the shutdown closed and withdraws this server's presence.
  core->registry.set_cluster(nullptr);
  core->cluster.reset();
}

uint16_t Server::port() const { return core_->port; }

std::string Server::listen_address() const {
  return "ws://" + core_->options.address + ":" + std::to_string(core_->port);
}

const PublicKey& Server::public_key() const { return core_->registry.public_key(); }

size_t Server::connection_count() const { return core_->connection_count; }

size_t Server::live_actor_count() const { return core_->registry.live_count(); }

}  // namespace actr::signaling::server
