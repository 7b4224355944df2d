// Connection (connection.hpp): construction, start, timers and closing. The handshake is in
// connection_handshake.cpp, frames in and out in connection_frames.cpp.

#include "net/connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

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
#include "net/connection_internal.hpp"
#include "net/upgrade.hpp"
#include "net/wire.hpp"

namespace actr::net::detail {

// ---------------------------------------------------------------------------------------------
// Construction and start

Connection::Connection(std::shared_ptr<Context> ctx, Strand strand, bool inbound)
    : ctx_(std::move(ctx)),
      strand_(strand),
      inbound_(inbound),
      resolver_(strand),
      timer_(strand),
      sweep_timer_(strand),
      keepalive_timer_(strand),
      bucket_(ctx_->options.limits.messages_per_second, ctx_->options.limits.burst) {
  peer_.inbound = inbound;
}

Connection::Connection(std::shared_ptr<Context> ctx, Strand strand, beast::tcp_stream next,
                       bool inbound, asio::ssl::context* tls)
    : Connection(std::move(ctx), strand, inbound) {
  if (tls)
    tls_ = std::make_unique<TlsStream>(std::move(next), *tls);
  else
    plain_ = std::make_unique<PlainStream>(std::move(next));
}

tcp::socket& Connection::socket() {
  return with_ws([](auto& ws) -> tcp::socket& { return beast::get_lowest_layer(ws).socket(); });
}

Connection::~Connection() {
  if (raw_fd_ >= 0) ::close(raw_fd_);  // never finished (a transport torn down without stop())
}

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

std::shared_ptr<Connection> Connection::over(std::shared_ptr<Context> ctx,
                                             std::shared_ptr<MessageCarrier> carrier,
                                             std::string peer_address, bool inbound) {
  auto strand = asio::make_strand(ctx->ioc);
  auto c = std::shared_ptr<Connection>(new Connection(ctx, strand, inbound));
  c->peer_.remote_endpoint = carrier->describe();
  c->peer_.listen_address = std::move(peer_address);
  c->peer_.path = carrier->path();
  if (c->peer_.path == PeerInfo::Path::WebRtc) c->peer_.relayed = carrier->relayed();
  c->carrier_ = std::move(carrier);
  return c;
}

void Connection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->finished_) return;
    if (self->carrier_)
      self->start_carrier();
    else if (self->inbound_)
      self->start_inbound();
    else
      self->start_outbound();
  });
}

void Connection::start_carrier() {
  stage_ = Stage::AwaitCredentials;
  ws_up_ = true;  // frames may be written at once
  std::weak_ptr<Connection> weak = weak_from_this();
  CarrierSink sink;
  sink.on_frame = [weak](std::vector<uint8_t> frame) {
    auto self = weak.lock();
    if (!self) return;
    asio::post(self->strand_, [self, frame = std::move(frame)] {
      if (!self->finished_) self->on_message(frame);
    });
  };
  sink.on_closed = [weak](std::string reason) {
    auto self = weak.lock();
    if (!self) return;
    asio::post(self->strand_, [self, reason = std::move(reason)] {
      if (self->finished_) return;
      if (!self->closed_flag_) self->stop_taking(lost(self->describe(), reason));
      self->finish();
    });
  };
  carrier_->bind(std::move(sink));
  // Each end proves itself first; requests wait for the peer's proof (AwaitCredentials).
  send_credentials();
  arm_timer(ctx_->options.connect_timeout, "the credential exchange");
  last_heard_ = std::chrono::steady_clock::now().time_since_epoch().count();
  arm_keepalive();
}

void Connection::arm_keepalive() {
  auto idle = ctx_->options.idle_timeout;
  if (idle.count() <= 0) return;
  // Every eighth of the timeout: silence is seen within an eighth past half of it.
  keepalive_timer_.expires_after(idle / 8);
  keepalive_timer_.async_wait([self = shared_from_this(), idle](beast::error_code ec) {
    if (ec || self->finished_ || self->closed_flag_) return;
    auto silent = std::chrono::steady_clock::now().time_since_epoch() -
                  std::chrono::steady_clock::duration(self->last_heard_.load());
    if (silent >= idle) {
      spdlog::warn("net: {}: nothing heard for {} ms; closing", self->describe(), idle.count());
      self->stop_taking(lost(self->describe(), "the peer stopped answering"));
      self->finish();
      return;
    }
    if (silent >= idle / 2 && !self->quiet_reported_ && self->carrier_) {
      self->quiet_reported_ = true;
      self->carrier_->quiet();
    }
    if (silent >= idle / 2 && self->stage_ == Stage::Open) {
      auto ping = make_frame();
      ping.mutable_ping()->set_nonce(1);
      self->enqueue(wire::serialize(ping));
    }
    self->arm_keepalive();
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

// ---------------------------------------------------------------------------------------------
// Closing

void Connection::stop_taking(ActrError reason) {
  if (closed_flag_) return;
  std::unordered_map<uint64_t, Pending> pending;
  {
    // Under the lock senders take to add requests: each is either here or sees the flag.
    std::lock_guard lock(pending_mu_);
    closed_error_ = reason;
    closed_flag_ = true;
    pending = std::move(pending_);
    pending_.clear();
  }
  open_flag_ = false;
  end_direct_writes();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  std::vector<std::pair<Request, Pending>> again;
  for (auto& [id, p] : pending) {
    if (resend_ && p.request) {
      Request r = std::move(*p.request);
      p.request.reset();
      again.emplace_back(std::move(r), std::move(p));
    } else {
      fail(p, reason);
    }
  }
  for (auto& [request, p] : waiting) {
    if (resend_) {
      again.emplace_back(std::move(request), std::move(p));
    } else {
      fail(p, reason);
    }
  }
  if (!again.empty()) {
    spdlog::info("net: {} closed with {} request(s) unanswered; sending them on another path",
                 describe(), again.size());
    // At once, not posted: a stopping transport would drop a posted job with the callbacks in
    // it. The other path only posts to its own strand (under the transport's lock, which no one
    // holds while waiting for a strand), or fails them when the transport is stopped.
    auto resend = std::move(resend_);
    resend(std::move(again), reason);
  }
  resend_ = nullptr;
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

void Connection::shutdown_send() {
  if (carrier_) return;  // the carrier took every frame already; the peer closes it
  if (raw_) {
    if (raw_fd_ >= 0) ::shutdown(raw_fd_, SHUT_WR);
    return;
  }
  beast::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_send, ignored);
}

void Connection::close_path() {
  if (carrier_) {
    carrier_->close();
    return;
  }
  if (raw_) {
    raw_close();
    return;
  }
  end_direct_writes();  // no sender writes to the descriptor from now on (it may be reused)
  beast::error_code ignored;
  socket().close(ignored);
}

void Connection::shutdown_after_writes() {
  close_after_writes_ = true;
  bool idle;
  {
    std::lock_guard lock(write_mu_);
    idle = !writing_ && writes_.empty() && raw_rest_.empty();
  }
  if (idle) shutdown_send();
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
  keepalive_timer_.cancel();
  resolver_.cancel();
  close_path();
  auto self = shared_from_this();
  ctx_->remove(self);
  if (admission_id_) ctx_->admission.remove(admission_id_);
  if (events_started_ && ctx_->options.events.disconnected) {
    ctx_->options.events.disconnected(peer_, *closed_error_);
  }
}

}  // namespace actr::net::detail
