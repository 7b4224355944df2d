// Connection (connection.hpp): the WebSocket upgrade both ways, with the credentials each side
// presents and verifies, up to the open connection.

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
#include "net/connection.hpp"
#include "net/connection_internal.hpp"
#include "net/upgrade.hpp"
#include "net/wire.hpp"

namespace actr::net::detail {

void Connection::start_outbound() {
  if (ctx_->options.events.connecting) ctx_->options.events.connecting(address_->to_string());
  events_started_ = true;
  arm_timer(ctx_->options.connect_timeout, "connecting");
  if (address_->has_no_listener()) {
    // No lookup, no connect: such a node is reached on a path it attached (resends after a
    // lost path end here too, unavailable, instead of asking DNS for a name that cannot exist).
    boost::asio::post(resolver_.get_executor(), [self = shared_from_this()] {
      if (self->finished_ || self->closed_flag_) return;
      self->stop_taking(lost(self->describe(), "a node without a WebSocket listener (.invalid)"));
      self->finish();
    });
    return;
  }
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
  // Silence is watched by arm_keepalive with Ping frames once open, not by Beast's WebSocket
  // pings: Beast would write them (and pongs) while senders write to the socket themselves.
  websocket::stream_base::timeout t{};
  t.handshake_timeout = ctx_->options.connect_timeout;
  t.idle_timeout = websocket::stream_base::none();
  t.keep_alive_pings = false;
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
  if (raw_wanted()) {
    raw_handshake(credential, node, listen);
    return;
  }
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
  upgraded();
}

void Connection::upgraded() {
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
      if (self->raw_wanted() && !self->enter_raw()) return;
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
  info.path = peer_.path;
  info.relayed = peer_.relayed;
  peer_ = std::move(info);
  return true;
}

void Connection::send_credentials() {
  auto frame = make_frame();
  frame.mutable_credentials()->set_credential(own_credential());
  enqueue(wire::serialize(frame));
}

void Connection::refresh() {
  {
    std::lock_guard lock(pending_mu_);
    ++posted_;  // requests sent after the refresh follow the Credentials frame
  }
  asio::post(strand_, [self = shared_from_this()] {
    PostedDone done{self->pending_mu_, self->posted_};
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
  if (carrier_ || closed_flag_) return;
  last_heard_ = std::chrono::steady_clock::now().time_since_epoch().count();
  arm_keepalive();
  // TLS keeps every write on this strand: OpenSSL's stream state is not shared across threads.
  if (tls_ || !ctx_->options.sender_writes) return;
  {
    std::lock_guard lock(write_mu_);
    direct_fd_ = raw_ ? raw_fd_ : socket().native_handle();
  }
  if (raw_ && ctx_->worker_reads) {
    std::lock_guard lock(read_mu_);
    if (read_fd_ >= 0) {
      reads_id_ = ctx_->worker_reads->add(shared_from_this(), read_fd_);
      worker_reads_ok_ = true;
      worker_readable_ = true;
    }
  }
  std::lock_guard lock(pending_mu_);
  direct_ok_ = !closed_flag_;  // frames queued above (waiting requests) stay ahead: see push()
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

}  // namespace actr::net::detail
