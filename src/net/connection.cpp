#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/stream_base.hpp>
#include <utility>

#include "common/base64.hpp"
#include "net/upgrade.hpp"
#include "net/wire.hpp"

namespace actr::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------------------------------------
// Responder

struct Responder::State {
  std::weak_ptr<detail::Connection> connection;
  uint64_t id = 0;
  bool call = false;
  std::atomic<int> stage{0};  // 0 nothing sent, 1 accepted (call awaiting its reply), 2 done

  ~State() {
    int s = stage.load();
    if (s == 2) return;
    auto dropped = ActrError::internal("request dropped unanswered by the receiving node");
    if (s == 0)
      send_accepted(Status::Err(dropped));
    else
      send_reply(CallResult::Err(dropped));
  }

  void send_accepted(const Status& status) {
    auto c = connection.lock();
    if (!c) return;
    transport::Frame frame;
    frame.set_version(wire::kProtocolVersion);
    auto* a = frame.mutable_accepted();
    a->set_id(id);
    if (status.is_err()) *a->mutable_error() = wire::to_proto(status.error());
    c->send_answer(wire::serialize(frame));
  }

  void send_reply(const CallResult& result) {
    auto c = connection.lock();
    if (!c) return;
    transport::Frame frame;
    frame.set_version(wire::kProtocolVersion);
    auto* r = frame.mutable_reply();
    r->set_id(id);
    if (result.is_ok())
      r->set_ok(std::string(result.value().begin(), result.value().end()));
    else
      *r->mutable_error() = wire::to_proto(result.error());
    c->send_answer(wire::serialize(frame));
  }
};

bool Responder::is_call() const { return state_ && state_->call; }

void Responder::accept(Status status) const {
  if (!state_) return;
  int expected = 0;
  int next = (state_->call && status.is_ok()) ? 1 : 2;
  if (!state_->stage.compare_exchange_strong(expected, next)) return;
  state_->send_accepted(status);
}

void Responder::reply(CallResult result) const {
  if (!state_ || !state_->call) return;
  int s = state_->stage.load();
  while (s != 2) {
    if (state_->stage.compare_exchange_weak(s, 2)) {
      // Without an earlier accept the Reply alone answers: it implies acceptance.
      state_->send_reply(result);
      return;
    }
  }
}

namespace detail {

namespace {

ActrError lost(const std::string& who, const std::string& why) {
  return ActrError::unavailable("connection to " + who + " lost: " + why);
}

void fail(Pending& p, const ActrError& error) {
  if (!p.accepted) {
    if (p.on_accepted) p.on_accepted(Status::Err(error));
  } else if (p.on_reply) {
    p.on_reply(CallResult::Err(error));
  }
}

std::string_view as_view(const std::vector<uint8_t>& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string trim(beast::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\n' ||
                         text[end - 1] == '\r'))
    --end;
  return std::string(text.substr(begin, end - begin));
}

// A header value never carries control characters (no header injection through a node id).
std::string header_safe(beast::string_view text) {
  std::string out;
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  if (out.size() > 256) out.resize(256);
  return out;
}

transport::Frame make_frame() {
  transport::Frame frame;
  frame.set_version(wire::kProtocolVersion);
  return frame;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Construction and start

Connection::Connection(std::shared_ptr<Context> ctx, Strand strand, beast::tcp_stream next,
                       bool inbound, asio::ssl::context* tls)
    : ctx_(std::move(ctx)),
      strand_(strand),
      inbound_(inbound),
      resolver_(strand),
      timer_(strand),
      sweep_timer_(strand),
      bucket_(ctx_->options.limits.messages_per_second, ctx_->options.limits.burst) {
  peer_.inbound = inbound;
  if (tls)
    tls_ = std::make_unique<TlsStream>(std::move(next), *tls);
  else
    plain_ = std::make_unique<PlainStream>(std::move(next));
}

tcp::socket& Connection::socket() {
  return with_ws([](auto& ws) -> tcp::socket& { return beast::get_lowest_layer(ws).socket(); });
}

Connection::~Connection() = default;

std::shared_ptr<Connection> Connection::outbound(std::shared_ptr<Context> ctx, Address address) {
  auto strand = asio::make_strand(ctx->ioc);
  auto* tls = address.tls ? ctx->client_tls.get() : nullptr;
  auto c = std::shared_ptr<Connection>(
      new Connection(ctx, strand, beast::tcp_stream(strand), false, tls));
  c->address_ = std::move(address);
  c->peer_.remote_endpoint = c->address_->to_string();
  ctx->opened++;
  return c;
}

std::shared_ptr<Connection> Connection::inbound(std::shared_ptr<Context> ctx, Strand strand,
                                                tcp::socket socket) {
  beast::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  auto c = std::shared_ptr<Connection>(new Connection(
      ctx, strand, beast::tcp_stream(std::move(socket)), true, ctx->server_tls.get()));
  if (!ec)
    c->peer_.remote_endpoint = remote.address().to_string() + ":" + std::to_string(remote.port());
  ctx->accepted++;
  return c;
}

void Connection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_) return;
    if (self->inbound_)
      self->start_inbound();
    else
      self->start_outbound();
  });
}

std::string Connection::describe() const {
  std::string who = peer_.node_id.empty() ? std::string("peer") : "node " + peer_.node_id;
  return who + " (" + peer_.remote_endpoint + (inbound_ ? ", inbound)" : ")");
}

void Connection::arm_timer(std::chrono::milliseconds after, const char* what) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this(), what](beast::error_code ec) {
    if (ec || self->finished_) return;
    if (self->stage_ == Stage::Open && !self->closed_flag_) return;
    spdlog::warn("net: {}: {} timed out", self->describe(), what);
    if (self->closed_flag_) {  // a closing connection whose peer does not hang up
      self->finish();
      return;
    }
    self->close_with(
        transport::CLOSE_PROTOCOL_ERROR, std::string(what) + " timed out",
        ActrError::unavailable("connection to " + self->describe() + ": " + what + " timed out"));
  });
}

void Connection::start_outbound() {
  if (ctx_->options.events.connecting) ctx_->options.events.connecting(address_->to_string());
  events_started_ = true;
  arm_timer(ctx_->options.connect_timeout, "connecting");
  resolver_.async_resolve(
      address_->host, std::to_string(address_->port),
      [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
        if (self->finished_ || self->closed_flag_) return;
        if (ec) {
          self->stop_taking(lost(self->describe(), "resolve: " + ec.message()));
          self->finish();
          return;
        }
        auto& lowest = self->with_ws(
            [](auto& ws) -> beast::tcp_stream& { return beast::get_lowest_layer(ws); });
        lowest.async_connect(results, [self](beast::error_code ec, const tcp::endpoint&) {
          if (self->finished_ || self->closed_flag_) return;
          if (ec) {
            self->stop_taking(lost(self->describe(), "connect: " + ec.message()));
            self->finish();
            return;
          }
          self->socket().set_option(tcp::no_delay(true), ec);
          if (!self->tls_) {
            self->start_websocket();
            return;
          }
          auto& ssl = self->tls_->next_layer();
          const std::string& host = self->address_->host;
          // SNI, and the certificate must name the host we meant to reach.
          SSL_set_tlsext_host_name(ssl.native_handle(), host.c_str());
          if (self->ctx_->options.tls.verify_server) {
            ssl.set_verify_mode(asio::ssl::verify_peer);
            ssl.set_verify_callback(asio::ssl::host_name_verification(host));
          }
          ssl.async_handshake(asio::ssl::stream_base::client, [self](beast::error_code ec) {
            if (self->finished_ || self->closed_flag_) return;
            if (ec) {
              self->stop_taking(lost(self->describe(), "TLS handshake: " + ec.message()));
              self->finish();
              return;
            }
            self->start_websocket();
          });
        });
      });
}

void Connection::start_websocket() {
  websocket::stream_base::timeout t{};
  t.handshake_timeout = ctx_->options.connect_timeout;
  t.idle_timeout = ctx_->options.idle_timeout;
  t.keep_alive_pings = true;
  with_ws([&](auto& ws) {
    ws.set_option(t);
    ws.read_message_max(ctx_->options.limits.max_frame_bytes);
    ws.binary(true);
  });
  if (inbound_) {
    read_upgrade_request();
    return;
  }
  std::string credential = encode_base64(own_credential());
  if (credential.size() > kMaxRequestCredentialBytes && ctx_->options.upgrade_credential) {
    Bytes proof = ctx_->options.upgrade_credential();
    credential = encode_base64(as_view(proof));
    full_credential_pending_ = true;  // sent as the first frame once open (open_now)
  }
  if (credential.size() > kMaxRequestCredentialBytes) {
    spdlog::error(
        "net: this node's credential ({} bytes of base64) exceeds the upgrade's {}-byte "
        "limit",
        credential.size(), kMaxRequestCredentialBytes);
    stop_taking(
        ActrError::invalid_argument("this node's credential is too large for the upgrade (" +
                                    std::to_string(credential.size()) + " bytes)"));
    finish();
    return;
  }
  std::string node = header_safe(ctx_->options.node_id);
  std::string listen = header_safe(ctx_->advertised_address);
  with_ws([&](auto& ws) {
    ws.set_option(
        websocket::stream_base::decorator([credential, node, listen](websocket::request_type& req) {
          req.set(kCredentialHeader, credential);
          if (!node.empty()) req.set(kNodeHeader, node);
          if (!listen.empty()) req.set(kListenHeader, listen);
        }));
    ws.async_handshake(
        upgrade_response_, address_->to_string(), address_->path,
        [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  });
}

void Connection::on_handshake(beast::error_code ec) {
  if (finished_ || closed_flag_) return;
  if (ec == websocket::error::upgrade_declined) {
    on_upgrade_declined();
    return;
  }
  if (ec) {
    stop_taking(lost(describe(), "WebSocket handshake: " + ec.message()));
    finish();
    return;
  }
  ws_up_ = true;
  peer_.node_id = header_safe(upgrade_response_[kNodeHeader]);
  peer_.listen_address = header_safe(upgrade_response_[kListenHeader]);
  auto header = upgrade_response_.find(kCredentialHeader);
  if (header == upgrade_response_.end()) {
    // Too large for a header: the peer's first frame carries it.
    stage_ = Stage::AwaitCredentials;
    upgrade_response_ = {};
    do_read();
    return;
  }
  auto credential = decode_base64(trim(header->value()));
  upgrade_response_ = {};
  if (!credential) {
    spdlog::warn("net: refusing {}: its credential is not base64", describe());
    close_with(transport::CLOSE_PERMISSION_DENIED, "credential is not base64",
               ActrError::permission_denied("peer " + describe() +
                                            " refused: its credential is not base64"));
    return;
  }
  if (!adopt_credential(credential.value())) return;
  open_now();
  do_read();
}

void Connection::on_upgrade_declined() {
  unsigned status = upgrade_response_.result_int();
  std::string reason = trim(upgrade_response_.body());
  if (reason.size() > 300) reason = reason.substr(0, 300) + "...";
  upgrade_response_ = {};
  std::string what = "HTTP " + std::to_string(status) + (reason.empty() ? "" : ": " + reason);
  if (status == 401 || status == 403) {
    spdlog::warn("net: {} refused this node's credential ({})", describe(), what);
    stop_taking(ActrError::permission_denied("peer " + describe() +
                                             " refused this node's credential (" + what + ")"));
  } else {
    stop_taking(lost(describe(), "WebSocket upgrade declined (" + what + ")"));
  }
  finish();
}

void Connection::read_upgrade_request() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(kMaxUpgradeHeaderBytes));
  parser_->body_limit(0);
  with_ws([&](auto& ws) {
    http::async_read(ws.next_layer(), buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_upgrade_request(ec);
                     });
  });
}

void Connection::on_upgrade_request(beast::error_code ec) {
  if (finished_ || closed_flag_) return;
  if (ec) {
    spdlog::info("net: {}: reading the upgrade request failed: {}", describe(), ec.message());
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      refuse_upgrade(http::status::request_header_fields_too_large, "upgrade request too large");
      return;
    }
    stop_taking(lost(describe(), "upgrade request: " + ec.message()));
    finish();
    return;
  }
  upgrade_request_ = parser_->release();
  parser_.reset();
  if (!websocket::is_upgrade(upgrade_request_)) {
    refuse_upgrade(http::status::bad_request, "expected a WebSocket upgrade");
    return;
  }
  peer_.node_id = header_safe(upgrade_request_[kNodeHeader]);
  peer_.listen_address = header_safe(upgrade_request_[kListenHeader]);
  auto header = upgrade_request_.find(kCredentialHeader);
  if (header == upgrade_request_.end()) {
    refuse_upgrade(http::status::unauthorized,
                   std::string("no credential (") + kCredentialHeader + " header)");
    return;
  }
  auto credential = decode_base64(trim(header->value()));
  if (!credential) {
    refuse_upgrade(http::status::unauthorized, "the credential is not base64");
    return;
  }
  auto verified = verify(credential.value());
  if (!verified) {
    refuse_upgrade(http::status::forbidden, "credential refused: " + verified.error().message);
    return;
  }
  PeerInfo info = std::move(verified.value());
  info.node_id = std::move(peer_.node_id);
  info.listen_address = std::move(peer_.listen_address);
  info.remote_endpoint = std::move(peer_.remote_endpoint);
  info.inbound = true;
  peer_ = std::move(info);
  accept_upgrade();
}

void Connection::refuse_upgrade(http::status status, const std::string& reason) {
  spdlog::warn("net: refusing the upgrade of {}: {} (HTTP {})", describe(), reason,
               static_cast<unsigned>(status));
  stop_taking(ActrError::permission_denied("upgrade refused: " + reason));
  auto response = std::make_shared<http::response<http::string_body>>(status, 11);
  response->set(http::field::server, "actr");
  response->set(http::field::content_type, "text/plain; charset=utf-8");
  response->keep_alive(false);
  response->body() = reason + "\n";
  response->prepare_payload();
  with_ws([&](auto& ws) {
    http::async_write(ws.next_layer(), *response,
                      [self = shared_from_this(), response](beast::error_code, size_t) {
                        beast::error_code ignored;
                        self->socket().shutdown(tcp::socket::shutdown_send, ignored);
                        self->finish();
                      });
  });
}

void Connection::accept_upgrade() {
  std::string credential = encode_base64(own_credential());
  bool in_header = credential.size() <= kMaxCredentialHeaderBytes;
  std::string node = header_safe(ctx_->options.node_id);
  std::string listen = header_safe(ctx_->advertised_address);
  with_ws([&](auto& ws) {
    ws.set_option(websocket::stream_base::decorator(
        [in_header, credential, node, listen](websocket::response_type& res) {
          if (in_header) res.set(kCredentialHeader, credential);
          if (!node.empty()) res.set(kNodeHeader, node);
          if (!listen.empty()) res.set(kListenHeader, listen);
        }));
    ws.async_accept(upgrade_request_, [self = shared_from_this(), in_header](beast::error_code ec) {
      self->upgrade_request_ = {};
      if (self->finished_ || self->closed_flag_) return;
      if (ec) {
        spdlog::info("net: {}: WebSocket accept failed: {}", self->describe(), ec.message());
        self->stop_taking(lost(self->describe(), "WebSocket accept: " + ec.message()));
        self->finish();
        return;
      }
      self->ws_up_ = true;
      // Our credential did not fit a header: it is the first frame.
      if (!in_header) self->send_credentials();
      self->open_now();
      self->do_read();
    });
  });
}

std::string Connection::own_credential() {
  credential_generation_ = ctx_->credential_generation.load();
  if (!ctx_->options.credential) return {};
  Bytes credential = ctx_->options.credential();
  return std::string(credential.begin(), credential.end());
}

Result<PeerInfo> Connection::verify(std::string_view credential) {
  if (!ctx_->options.verify) return make_error("no verifier configured");
  return ctx_->options.verify(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(credential.data()), credential.size()));
}

bool Connection::adopt_credential(std::string_view credential) {
  auto verified = verify(credential);
  if (!verified) {
    spdlog::warn("net: refusing {}: credential {}", describe(), verified.error().message);
    close_with(transport::CLOSE_PERMISSION_DENIED,
               "credential refused: " + verified.error().message,
               ActrError::permission_denied("peer " + describe() + " refused: credential " +
                                            verified.error().message));
    return false;
  }
  PeerInfo info = std::move(verified.value());
  info.node_id = std::move(peer_.node_id);
  info.listen_address = std::move(peer_.listen_address);
  info.remote_endpoint = std::move(peer_.remote_endpoint);
  info.inbound = inbound_;
  peer_ = std::move(info);
  return true;
}

void Connection::send_credentials() {
  auto frame = make_frame();
  frame.mutable_credentials()->set_credential(own_credential());
  enqueue(wire::serialize(frame));
}

void Connection::refresh() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->stage_ != Stage::Open || self->closed_flag_) return;
    if (self->ctx_->credential_generation.load() > self->credential_generation_)
      self->send_credentials();
  });
}

void Connection::open_now() {
  if (admission_id_) ctx_->admission.set_idle(admission_id_, false);  // authenticated: kept
  stage_ = Stage::Open;
  open_flag_ = true;
  timer_.cancel();
  events_started_ = true;
  spdlog::debug("net: connected to {}", describe());
  // A refresh while the connection was opening: present the credential it announced.
  if (ctx_->credential_generation.load() > credential_generation_ || full_credential_pending_) {
    full_credential_pending_ = false;
    send_credentials();
  }
  if (ctx_->options.events.connected) ctx_->options.events.connected(peer_);
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& [request, pending] : waiting) {
    if (closed_flag_)
      fail(pending, *closed_error_);
    else
      transmit(request, std::move(pending));
  }
}

void Connection::start_inbound() {
  beast::error_code ec;
  socket().set_option(tcp::no_delay(true), ec);
  arm_timer(ctx_->options.connect_timeout, "the upgrade");
  if (!tls_) {
    start_websocket();
    return;
  }
  tls_->next_layer().async_handshake(
      asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
        if (self->finished_ || self->closed_flag_) return;
        if (ec) {
          spdlog::info("net: {}: TLS handshake failed: {}", self->describe(), ec.message());
          self->stop_taking(lost(self->describe(), "TLS handshake: " + ec.message()));
          self->finish();
          return;
        }
        self->start_websocket();
      });
}

// ---------------------------------------------------------------------------------------------
// Reading

void Connection::do_read() {
  with_ws([&](auto& ws) {
    ws.async_read(buffer_,
                  [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  });
}

void Connection::on_read(beast::error_code ec) {
  if (finished_) return;
  if (ec) {
    if (closed_flag_) {  // we were closing: the peer hung up, or our own shutdown completed
      finish();
      return;
    }
    std::string why = ec.message();
    if (ec == websocket::error::message_too_big) {
      spdlog::warn("net: {} sent a frame over the {}-byte limit; closing the connection",
                   describe(), ctx_->options.limits.max_frame_bytes);
      why = "the peer sent a frame over the size limit";
    } else if (ec == websocket::error::closed) {
      why = "closed by the peer";
      auto reason = with_ws([](auto& ws) { return ws.reason().reason; });
      if (!reason.empty()) why += " (" + std::string(reason.data(), reason.size()) + ")";
    }
    stop_taking(lost(describe(), why));
    finish();
    return;
  }
  if (closed_flag_) {  // closing: drain what the peer still sends until it hangs up
    buffer_.consume(buffer_.size());
    do_read();
    return;
  }
  if (!bucket_.take()) {
    rate_limited();
    if (!finished_) do_read();
    return;
  }
  if (!with_ws([](auto& ws) { return ws.got_binary(); })) {
    buffer_.consume(buffer_.size());
    protocol_error("text WebSocket message (frames are binary)");
    if (!finished_) do_read();
    return;
  }
  auto data = buffer_.cdata();
  auto frame = wire::parse_frame(
      std::span<const uint8_t>(static_cast<const uint8_t*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  if (!frame) {
    protocol_error(frame.error().message);
  } else if (frame->has_batch()) {
    handle_batch(frame->batch());
  } else {
    handle(frame.value());
  }
  if (!finished_) do_read();
}

void Connection::handle_batch(const transport::Batch& batch) {
  auto frames = wire::unpack_batch(batch);
  if (!frames) {
    protocol_error(frames.error().message);
    return;
  }
  // The message took one token for the first frame; every further frame takes its own.
  bool first = true;
  for (auto& frame : frames.value()) {
    if (closed_flag_) return;  // an earlier frame closed the connection
    if (!first && !bucket_.take()) {
      rate_limited();
      return;
    }
    first = false;
    handle(frame);
  }
}

void Connection::rate_limited() {
  spdlog::warn("net: {} exceeded {} messages/s; closing the connection", describe(),
               ctx_->options.limits.messages_per_second);
  close_with(transport::CLOSE_RATE_LIMITED, "message rate limit exceeded",
             ActrError::unavailable("connection to " + describe() +
                                    " closed: message rate limit exceeded"));
}

void Connection::handle(transport::Frame& frame) {
  using B = transport::Frame;
  if (stage_ == Stage::AwaitCredentials && frame.body_case() != B::kCredentials &&
      frame.body_case() != B::kClose) {
    protocol_error("a frame before the peer's credential");
    return;
  }
  switch (frame.body_case()) {
    case B::kCredentials:
      on_credentials(frame.credentials());
      break;
    case B::kRequest:
      on_request(frame.request());
      break;
    case B::kReply:
      on_reply(*frame.mutable_reply());
      break;
    case B::kAccepted:
      on_accepted(frame.accepted());
      break;
    case B::kPing: {
      auto pong = make_frame();
      pong.mutable_pong()->set_nonce(frame.ping().nonce());
      enqueue(wire::serialize(pong));
      break;
    }
    case B::kPong:
      break;
    case B::kClose:
      on_close_frame(frame.close());
      break;
    case B::kBatch:  // unpacked by on_read; wire::unpack_batch refuses nested ones
      protocol_error("a batch inside a batch");
      break;
    case B::BODY_NOT_SET:
      protocol_error("frame without a body");
      break;
  }
}

void Connection::on_credentials(const transport::Credentials& credentials) {
  bool initial = stage_ == Stage::AwaitCredentials;
  if (!adopt_credential(credentials.credential())) return;
  if (initial) {
    open_now();
    return;
  }
  spdlog::debug("net: {} refreshed its credential", describe());
  if (ctx_->options.events.refreshed) ctx_->options.events.refreshed(peer_);
}

void Connection::on_request(const transport::Request& in) {
  auto request = wire::from_proto(in);
  if (!request) {
    protocol_error(request.error().message);
    return;
  }
  auto state = std::make_shared<Responder::State>();
  state->connection = weak_from_this();
  state->id = in.id();
  state->call = request->message.kind == workload::Message::Kind::Call;
  Responder responder(std::move(state));
  if (!ctx_->options.on_request) {
    responder.accept(Status::Err(ActrError::unavailable("this node serves no remote requests")));
    return;
  }
  ctx_->options.on_request(peer_, std::move(request.value()), std::move(responder));
}

void Connection::on_accepted(const transport::Accepted& accepted) {
  auto it = pending_.find(accepted.id());
  if (it == pending_.end() || it->second.accepted) {
    if (accepted.id() == 0 || accepted.id() > next_id_)
      protocol_error("Accepted for unknown request " + std::to_string(accepted.id()));
    return;  // else: the answer to a request that already timed out
  }
  Status status = Status::Ok();
  if (accepted.has_error()) {
    auto error = wire::from_proto(accepted.error());
    if (!error) {
      protocol_error(error.error().message);
      return;
    }
    status = Status::Err(std::move(error.value()));
  }
  if (it->second.call && status.is_ok()) {  // the reply follows
    it->second.accepted = true;
    auto on_accepted = std::move(it->second.on_accepted);
    it->second.on_accepted = nullptr;
    if (on_accepted) on_accepted(Status::Ok());
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.on_accepted) p.on_accepted(std::move(status));
}

void Connection::on_reply(transport::Reply& reply) {
  auto it = pending_.find(reply.id());
  if (it == pending_.end() || !it->second.call) {
    if (reply.id() == 0 || reply.id() > next_id_)
      protocol_error("Reply for unknown request " + std::to_string(reply.id()));
    return;  // else: the answer to a request that already timed out
  }
  CallResult result;
  switch (reply.result_case()) {
    case transport::Reply::kOk: {
      const std::string& ok = reply.ok();
      result = CallResult::Ok(Bytes(ok.begin(), ok.end()));
      break;
    }
    case transport::Reply::kError: {
      auto error = wire::from_proto(reply.error());
      if (!error) {
        protocol_error(error.error().message);
        return;
      }
      result = CallResult::Err(std::move(error.value()));
      break;
    }
    case transport::Reply::RESULT_NOT_SET:
      protocol_error("Reply without a result");
      return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  // A reply implies acceptance: a receiver that answers at once sends no Accepted frame.
  if (!p.accepted && p.on_accepted) p.on_accepted(Status::Ok());
  if (p.on_reply) p.on_reply(std::move(result));
}

void Connection::on_close_frame(const transport::Close& close) {
  spdlog::info("net: {} closed the connection: {}", describe(), close.reason());
  std::string why = "closed by the peer: " + close.reason();
  ActrError error = close.code() == transport::CLOSE_PERMISSION_DENIED
                        ? ActrError::permission_denied("peer " + describe() +
                                                       " refused this node: " + close.reason())
                        : lost(describe(), why);
  stop_taking(std::move(error));
  shutdown_after_writes();
}

// ---------------------------------------------------------------------------------------------
// Sending

void Connection::send(Request request, Pending pending) {
  asio::post(strand_, [self = shared_from_this(), request = std::move(request),
                       pending = std::move(pending)]() mutable {
    if (self->closed_flag_) {
      fail(pending, self->closed_error_ ? *self->closed_error_
                                        : ActrError::unavailable("connection closed"));
      return;
    }
    if (self->stage_ != Stage::Open) {
      self->waiting_.emplace_back(std::move(request), std::move(pending));
      return;
    }
    self->transmit(request, std::move(pending));
  });
}

void Connection::transmit(Request& request, Pending pending) {
  uint64_t id = ++next_id_;
  auto frame = make_frame();
  wire::to_proto(request, id, frame.mutable_request());
  std::string bytes = wire::serialize(frame);
  if (bytes.size() > ctx_->options.limits.max_frame_bytes) {
    fail(pending, ActrError::invalid_argument(
                      "request of " + std::to_string(bytes.size()) + " bytes exceeds the " +
                      std::to_string(ctx_->options.limits.max_frame_bytes) + "-byte frame limit"));
    return;
  }
  if (ctx_->options.request_timeout.count() > 0) {
    pending.deadline = std::chrono::steady_clock::now() + ctx_->options.request_timeout;
    if (!sweeping_) arm_sweep();
  }
  pending_.emplace(id, std::move(pending));
  enqueue(std::move(bytes));
}

void Connection::arm_sweep() {
  sweeping_ = true;
  auto period = std::max(std::chrono::milliseconds(10), ctx_->options.request_timeout / 4);
  sweep_timer_.expires_after(period);
  sweep_timer_.async_wait([self = shared_from_this()](beast::error_code) {
    self->sweeping_ = false;
    if (self->finished_ || self->closed_flag_) return;
    auto now = std::chrono::steady_clock::now();
    std::vector<Pending> expired;
    for (auto it = self->pending_.begin(); it != self->pending_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second));
        it = self->pending_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& p : expired) fail(p, ActrError::timed_out());
    if (!self->pending_.empty()) self->arm_sweep();
  });
}

void Connection::send_answer(std::string frame) {
  asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    if (self->closed_flag_ || self->stage_ != Stage::Open) return;
    if (frame.size() > self->ctx_->options.limits.max_frame_bytes) {
      // Too large for this side's limit, so probably for the peer's: answer with the error.
      transport::Frame original;
      if (!original.ParseFromString(frame)) return;
      auto error = ActrError::invalid_argument("reply of " + std::to_string(frame.size()) +
                                               " bytes exceeds the frame limit");
      if (original.has_reply()) {
        *original.mutable_reply()->mutable_error() = wire::to_proto(error);
      }
      frame = wire::serialize(original);
    }
    self->enqueue(std::move(frame));
  });
}

void Connection::enqueue(std::string bytes) {
  if (finished_) return;
  writes_.push_back(std::move(bytes));
  if (!writing_ && ws_up_) do_write();
}

size_t Connection::batch_limit() const {
  // Well under the frame limit, which the peer most likely shares: a batch never comes near it.
  return std::min<size_t>(ctx_->options.limits.max_frame_bytes / 2, 256 * 1024);
}

void Connection::do_write() {
  writing_ = true;
  // Everything already queued goes out as one message (one send, one wake-up of the peer); a
  // lone frame, or one too large to share a message, goes out as it is.
  size_t count = writes_.size() < 2 ? 1 : wire::frames_per_batch(writes_, batch_limit());
  if (count == 1) {
    in_flight_ = std::move(writes_.front());
    writes_.pop_front();
  } else {
    in_flight_ = wire::serialize_batch(writes_, count);
    ctx_->batches.fetch_add(1, std::memory_order_relaxed);
    ctx_->batched.fetch_add(count, std::memory_order_relaxed);
  }
  with_ws([&](auto& ws) {
    ws.async_write(
        asio::buffer(in_flight_),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
  });
}

void Connection::on_write(beast::error_code ec) {
  writing_ = false;
  if (finished_) return;
  if (ec) {
    if (!closed_flag_) stop_taking(lost(describe(), "write: " + ec.message()));
    finish();
    return;
  }
  in_flight_.clear();
  if (!writes_.empty()) {
    do_write();
  } else if (close_after_writes_) {
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

// ---------------------------------------------------------------------------------------------
// Closing

void Connection::stop_taking(ActrError reason) {
  if (closed_flag_) return;
  closed_error_ = reason;
  closed_flag_ = true;
  open_flag_ = false;
  auto pending = std::move(pending_);
  pending_.clear();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& [id, p] : pending) fail(p, reason);
  for (auto& [request, p] : waiting) fail(p, reason);
}

void Connection::close_with(transport::CloseCode code, const std::string& reason,
                            ActrError fail_with) {
  if (closed_flag_) return;
  stop_taking(std::move(fail_with));
  if (!ws_up_) {
    finish();
    return;
  }
  auto frame = make_frame();
  frame.mutable_close()->set_code(code);
  frame.mutable_close()->set_reason(reason);
  enqueue(wire::serialize(frame));
  shutdown_after_writes();
}

void Connection::shutdown_after_writes() {
  close_after_writes_ = true;
  if (!writing_ && writes_.empty()) {
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  // The peer answers our shutdown by closing; do not wait for it for long.
  arm_timer(std::chrono::milliseconds(1000), "closing");
}

void Connection::protocol_error(const std::string& reason) {
  spdlog::warn("net: {} broke the protocol: {}; closing the connection", describe(), reason);
  close_with(transport::CLOSE_PROTOCOL_ERROR, reason,
             ActrError::unavailable("connection to " + describe() + " closed: " + reason));
}

void Connection::abort(ActrError reason, std::function<void()> done) {
  asio::post(strand_, [self = shared_from_this(), reason = std::move(reason),
                       done = std::move(done)]() mutable {
    self->stop_taking(std::move(reason));
    self->finish();
    if (done) done();
  });
}

void Connection::finish() {
  if (finished_) return;
  finished_ = true;
  if (!closed_flag_) stop_taking(ActrError::unavailable("connection to " + describe() + " closed"));
  stage_ = Stage::Closed;
  timer_.cancel();
  sweep_timer_.cancel();
  resolver_.cancel();
  beast::error_code ignored;
  socket().close(ignored);
  auto self = shared_from_this();
  ctx_->remove(self);
  if (admission_id_) ctx_->admission.remove(admission_id_);
  if (events_started_ && ctx_->options.events.disconnected) {
    ctx_->options.events.disconnected(peer_, *closed_error_);
  }
}

}  // namespace detail
}  // namespace actr::net
