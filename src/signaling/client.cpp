#include "signaling/client.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "signaling/upgrade.hpp"

namespace actr::signaling {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

actr::Error unavailable(std::string why) {
  return actr::make_error("signaling: " + std::move(why), ErrorCategory::Signaling,
                          kSignalingUnavailable);
}

actr::Error server_error(const proto::Error& e) {
  return actr::make_error(
      "signaling server: " + e.message() + " (" + proto::Error::Code_Name(e.code()) + ")",
      ErrorCategory::SignalingRefused, e.code());
}

actr::Error unexpected_reply(const char* wanted) {
  return actr::make_error(std::string("signaling: expected ") + wanted + " in reply",
                          ErrorCategory::Signaling, kSignalingProtocol);
}

Candidate candidate_from(const proto::Candidate& c) {
  return Candidate{from_proto(c.id()), c.advertised_address()};
}

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions o) : options(o) {}

  ClientOptions options;
  net::io_context io{1};
  net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
  websocket::stream<beast::tcp_stream> ws{io};
  tcp::resolver resolver{io};
  net::steady_timer heartbeat_timer{io};
  beast::flat_buffer buffer;
  websocket::response_type upgrade_response;
  std::thread thread;

  void decorate_upgrade() {
    std::string token = options.enroll_token;
    std::string credentials;
    for (const auto& c : options.credentials) {
      if (!credentials.empty()) credentials += ',';
      credentials += encode_base64(c);
    }
    ws.set_option(
        websocket::stream_base::decorator([token, credentials](websocket::request_type& req) {
          if (!token.empty()) req.set(beast::http::field::authorization, "Bearer " + token);
          if (!credentials.empty()) req.set(kCredentialHeader, credentials);
        }));
  }

  // The error of a refused upgrade, with the server's reason.
  actr::Error refusal() {
    unsigned status = upgrade_response.result_int();
    std::string reason = upgrade_response.body();
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r')) reason.pop_back();
    if (reason.size() > 300) reason.resize(300);
    std::string message = "signaling: upgrade refused (HTTP " + std::to_string(status) +
                          (reason.empty() ? "" : ": " + reason) + ")";
    if (status == 401)
      return actr::make_error(message, ErrorCategory::Signaling, kSignalingUnauthorized);
    if (status == 403)
      return actr::make_error(message, ErrorCategory::Signaling, kSignalingForbidden);
    return unavailable(message.substr(std::string("signaling: ").size()));
  }

  // I/O thread only.
  std::deque<std::pair<std::string, bool>> outbox;  // (bytes, binary)
  bool writing = false;
  bool close_requested = false;

  mutable std::mutex mutex;
  std::condition_variable changed;
  bool open = false;
  bool closed = false;
  uint64_t next_id = 1;
  std::map<uint64_t, std::promise<actr::Result<proto::Envelope>>> pending;
  std::deque<Push> pushes;
  std::optional<proto::Error> last_error;

  void do_read() {
    ws.async_read(buffer, [this](beast::error_code ec, size_t) {
      if (ec) return on_closed(ec.message());
      proto::Envelope env;
      bool parsed = env.ParseFromArray(buffer.data().data(), static_cast<int>(buffer.size()));
      buffer.consume(buffer.size());
      if (parsed) on_envelope(std::move(env));
      do_read();
    });
  }

  void on_envelope(proto::Envelope env) {
    std::optional<Push> push;
    if (env.reply_to() == 0 && env.has_actor_event()) {
      const auto& e = env.actor_event();
      push = ActorEvent{
          e.kind() == proto::ActorEvent::UP ? ActorEvent::Kind::Up : ActorEvent::Kind::Down,
          candidate_from(e.actor())};
    } else if (env.reply_to() == 0 && env.has_relay_delivery()) {
      const auto& d = env.relay_delivery();
      push = RelayedPayload{from_proto(d.from()), from_proto(d.to()), d.payload()};
    }
    if (push && options.on_push) return options.on_push(std::move(*push));

    std::lock_guard lock(mutex);
    if (push) {
      pushes.push_back(std::move(*push));
    } else if (env.reply_to() != 0) {
      auto it = pending.find(env.reply_to());
      if (it != pending.end()) {
        it->second.set_value(std::move(env));
        pending.erase(it);
      } else if (env.has_error()) {
        last_error = env.error();  // about a raw frame, or a request that timed out
      }
      // Pongs of automatic heartbeats end here too.
    } else if (env.has_error()) {
      last_error = env.error();
    }
    changed.notify_all();
  }

  void on_closed(const std::string& why) {
    heartbeat_timer.cancel();
    {
      std::lock_guard lock(mutex);
      if (closed) return;
      closed = true;
      open = false;
      for (auto& [id, promise] : pending) {
        promise.set_value(unavailable("connection closed: " + why));
      }
      pending.clear();
      changed.notify_all();
    }
    if (options.on_closed) options.on_closed(why);
  }

  // I/O thread.
  void enqueue(std::string bytes, bool binary) {
    if (close_requested) return;
    outbox.emplace_back(std::move(bytes), binary);
    if (!writing) do_write();
  }

  void do_write() {
    if (outbox.empty()) {
      writing = false;
      if (close_requested) start_close();
      return;
    }
    writing = true;
    ws.binary(outbox.front().second);
    ws.async_write(net::buffer(outbox.front().first), [this](beast::error_code ec, size_t) {
      outbox.pop_front();
      if (ec) {
        outbox.clear();
        writing = false;
        beast::error_code ignored;
        beast::get_lowest_layer(ws).socket().close(ignored);
        return;  // the pending read reports the loss
      }
      do_write();
    });
  }

  void schedule_heartbeat() {
    heartbeat_timer.expires_after(options.heartbeat);
    heartbeat_timer.async_wait([this](beast::error_code ec) {
      if (ec || close_requested) return;
      proto::Envelope ping;
      ping.set_version(kProtocolVersion);
      {
        std::lock_guard lock(mutex);
        ping.set_id(next_id++);
      }
      ping.mutable_ping();
      enqueue(ping.SerializeAsString(), true);
      schedule_heartbeat();
    });
  }

  actr::Result<proto::Envelope> request(proto::Envelope env) {
    std::future<actr::Result<proto::Envelope>> reply;
    uint64_t id = 0;
    {
      std::lock_guard lock(mutex);
      if (closed || !open) return unavailable("not connected");
      id = next_id++;
      reply = pending[id].get_future();
    }
    env.set_version(kProtocolVersion);
    env.set_id(id);
    env.set_reply_to(0);
    net::post(
        io, [this, bytes = env.SerializeAsString()]() mutable { enqueue(std::move(bytes), true); });
    if (reply.wait_for(options.request_timeout) != std::future_status::ready) {
      std::lock_guard lock(mutex);
      pending.erase(id);
      return actr::make_error(
          "signaling: no reply within " + std::to_string(options.request_timeout.count()) + " ms",
          ErrorCategory::Signaling, kSignalingTimeout);
    }
    actr::Result<proto::Envelope> result = reply.get();
    if (result && result->has_error()) return server_error(result->error());
    return result;
  }

  // I/O thread: the close handshake, once the frames already queued are written.
  void start_close() {
    ws.async_close(websocket::close_code::normal,
                   [this](beast::error_code) { on_closed("closed by the client"); });
  }

  void shut_down() {
    if (thread.joinable()) {
      bool was_open;
      {
        std::lock_guard lock(mutex);
        was_open = open && !closed;
      }
      net::post(io, [this] {
        close_requested = true;
        heartbeat_timer.cancel();
        std::unique_lock lock(mutex);
        bool still_open = open && !closed;
        lock.unlock();
        if (still_open && !writing) start_close();
      });
      if (was_open) {
        std::unique_lock lock(mutex);
        changed.wait_for(lock, std::chrono::seconds(2), [this] { return closed; });
      }
      work.reset();
      io.stop();
      thread.join();
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
    bool ended_here = false;
    {
      std::lock_guard lock(mutex);
      ended_here = open && !closed;  // the close handshake did not finish in time
      closed = true;
      open = false;
      for (auto& [id, promise] : pending) promise.set_value(unavailable("client closed"));
      pending.clear();
      changed.notify_all();
    }
    if (ended_here && options.on_closed) options.on_closed("closed by the client");
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { close(); }

actr::Result<std::unique_ptr<Client>> Client::connect(std::string_view url, ClientOptions options) {
  std::string rest(url);
  if (rest.starts_with("ws://")) rest = rest.substr(5);
  if (size_t slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    return actr::make_error("signaling: expected ws://HOST:PORT, got `" + std::string(url) + "`");
  }
  std::string host = rest.substr(0, colon);
  std::string port = rest.substr(colon + 1);

  auto impl = std::make_unique<Impl>(options);
  Impl* self = impl.get();
  std::promise<actr::Result<void>> connected;
  auto connected_future = connected.get_future();
  self->resolver.async_resolve(
      host, port,
      [self, &connected, host](beast::error_code ec, tcp::resolver::results_type results) {
        if (ec)
          return connected.set_value(unavailable("cannot resolve " + host + ": " + ec.message()));
        beast::get_lowest_layer(self->ws).expires_after(self->options.connect_timeout);
        beast::get_lowest_layer(self->ws).async_connect(
            results, [self, &connected, host](beast::error_code ec, const tcp::endpoint& endpoint) {
              if (ec) return connected.set_value(unavailable("cannot connect: " + ec.message()));
              beast::get_lowest_layer(self->ws).expires_never();
              beast::error_code ignored;
              beast::get_lowest_layer(self->ws).socket().set_option(tcp::no_delay(true), ignored);
              websocket::stream_base::timeout timeouts{};
              timeouts.handshake_timeout = self->options.connect_timeout;
              timeouts.idle_timeout = websocket::stream_base::none();
              timeouts.keep_alive_pings = false;
              self->ws.set_option(timeouts);
              self->ws.read_message_max(self->options.max_frame_bytes);
              std::string authority = host + ":" + std::to_string(endpoint.port());
              self->decorate_upgrade();
              self->ws.async_handshake(self->upgrade_response, authority, "/",
                                       [self, &connected](beast::error_code ec) {
                                         if (ec == websocket::error::upgrade_declined) {
                                           return connected.set_value(self->refusal());
                                         }
                                         if (ec) {
                                           return connected.set_value(
                                               unavailable("WebSocket handshake: " + ec.message()));
                                         }
                                         self->upgrade_response = {};
                                         {
                                           std::lock_guard lock(self->mutex);
                                           self->open = true;
                                         }
                                         connected.set_value({});
                                         self->do_read();
                                         if (self->options.heartbeat.count() > 0)
                                           self->schedule_heartbeat();
                                       });
            });
      });
  self->thread = std::thread([self] { self->io.run(); });
  // The handlers above own no copy of `connected`: wait for them even past the timeout (the
  // stream's own timeouts bound them).
  actr::Result<void> outcome = connected_future.get();
  if (!outcome) {
    self->shut_down();
    return outcome.take_error();
  }
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

namespace {

actr::Result<std::vector<TurnGrant>> turn_grants_from(
    const google::protobuf::RepeatedPtrField<proto::TurnGrant>& grants) {
  std::vector<TurnGrant> out;
  for (const proto::TurnGrant& g : grants) {
    if (g.host().empty() || g.port() == 0 || g.port() > 65535) {
      return actr::make_error("the signaling server sent a TURN grant without a host or port");
    }
    out.push_back(TurnGrant{g.host(), static_cast<uint16_t>(g.port()), g.username(), g.password(),
                            g.expires_at()});
  }
  return out;
}

}  // namespace

actr::Result<Registration> Client::register_actor(const RegisterParams& params) {
  proto::Envelope env;
  auto* req = env.mutable_register_request();
  *req->mutable_type() = to_proto(params.type);
  req->set_realm(params.realm);
  acl_to_proto(Acl(params.acl), *req->mutable_acl());
  req->set_advertised_address(params.advertised_address);
  if (params.previous_serial) req->set_previous_serial(*params.previous_serial);
  req->set_previous_credential(params.previous_credential);
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_register_reply()) return unexpected_reply("RegisterReply");
  const auto& r = reply.register_reply();
  Registration out;
  out.id = from_proto(r.id());
  out.credential = r.credential();
  out.expires_at = r.credential_expires_at();
  out.heartbeat_interval = std::chrono::milliseconds(r.heartbeat_interval_ms());
  if (r.server_public_key().size() != out.server_public_key.size()) {
    return unexpected_reply("a 32-byte server public key");
  }
  std::copy(r.server_public_key().begin(), r.server_public_key().end(),
            out.server_public_key.begin());
  for (const std::string& key : r.accepted_public_keys()) {
    PublicKey k{};
    if (key.size() != k.size()) return unexpected_reply("32-byte accepted public keys");
    std::copy(key.begin(), key.end(), k.begin());
    out.accepted_public_keys.push_back(k);
  }
  ACTR_TRY(out.turn, turn_grants_from(r.turn()));
  return out;
}

actr::Result<void> Client::unregister(uint64_t serial) {
  proto::Envelope env;
  env.mutable_unregister()->set_serial(serial);
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_ack()) return unexpected_reply("Ack");
  return {};
}

actr::Result<std::vector<Candidate>> Client::discover(const ActrType& type, uint64_t caller_serial,
                                                      std::optional<uint32_t> realm) {
  proto::Envelope env;
  auto* req = env.mutable_discover_request();
  *req->mutable_type() = to_proto(type);
  req->set_caller_serial(caller_serial);
  if (realm) req->set_realm(*realm);
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_discover_reply()) return unexpected_reply("DiscoverReply");
  std::vector<Candidate> out;
  for (const auto& c : reply.discover_reply().candidates()) out.push_back(candidate_from(c));
  return out;
}

actr::Result<std::optional<Candidate>> Client::lookup(const ActrId& id, uint64_t caller_serial) {
  proto::Envelope env;
  auto* req = env.mutable_lookup_request();
  *req->mutable_id() = to_proto(id);
  req->set_caller_serial(caller_serial);
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_discover_reply() || reply.discover_reply().candidates_size() > 1)
    return unexpected_reply("DiscoverReply with at most one candidate");
  if (reply.discover_reply().candidates_size() == 0) return std::optional<Candidate>();
  return std::optional<Candidate>(candidate_from(reply.discover_reply().candidates(0)));
}

actr::Result<void> Client::subscribe(const std::vector<ActrType>& types, uint64_t caller_serial) {
  proto::Envelope env;
  auto* req = env.mutable_subscribe();
  for (const auto& t : types) *req->add_types() = to_proto(t);
  req->set_caller_serial(caller_serial);
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_ack()) return unexpected_reply("Ack");
  return {};
}

actr::Result<Renewal> Client::renew(std::string_view credential) {
  proto::Envelope env;
  env.mutable_renew_credential()->set_credential(std::string(credential));
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_renew_reply()) return unexpected_reply("RenewReply");
  const proto::RenewReply& r = reply.renew_reply();
  ACTR_TRY(std::vector<TurnGrant> turn, turn_grants_from(r.turn()));
  return Renewal{r.credential(), r.credential_expires_at(), std::move(turn)};
}

actr::Result<void> Client::ping() {
  proto::Envelope env;
  env.mutable_ping();
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_pong()) return unexpected_reply("Pong");
  return {};
}

actr::Result<void> Client::relay(const ActrId& to, std::string_view payload, uint64_t from_serial) {
  proto::Envelope env;
  auto* req = env.mutable_relay();
  *req->mutable_to() = to_proto(to);
  req->set_from_serial(from_serial);
  req->set_payload(std::string(payload));
  ACTR_TRY(proto::Envelope reply, impl_->request(std::move(env)));
  if (!reply.has_ack()) return unexpected_reply("Ack");
  return {};
}

std::optional<Push> Client::next_push(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  if (!impl_->changed.wait_for(lock, timeout, [this] { return !impl_->pushes.empty(); })) {
    return std::nullopt;
  }
  Push push = std::move(impl_->pushes.front());
  impl_->pushes.pop_front();
  return push;
}

actr::Result<proto::Envelope> Client::request(proto::Envelope envelope) {
  return impl_->request(std::move(envelope));
}

void Client::send_frame(std::string bytes, bool binary) {
  Impl* self = impl_.get();
  net::post(self->io, [self, bytes = std::move(bytes), binary]() mutable {
    self->enqueue(std::move(bytes), binary);
  });
}

bool Client::is_open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open && !impl_->closed;
}

bool Client::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [this] { return impl_->closed; });
}

std::optional<proto::Error> Client::last_server_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_error;
}

void Client::close() {
  if (impl_) impl_->shut_down();
}

}  // namespace actr::signaling
