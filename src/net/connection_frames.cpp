// Connection (connection.hpp): the open connection's frames: reading and handling them (requests,
// acceptances, replies, credential refreshes), sending (from the sender's thread or the strand,
// with batching), deadlines and rate limits.

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/stream_base.hpp>
#include <utility>

#include "common/base64.hpp"
#include "common/turn_end.hpp"
#include "net/connection.hpp"
#include "net/connection_internal.hpp"
#include "net/upgrade.hpp"
#include "net/websocket_frame.hpp"
#include "net/wire.hpp"

namespace actr::net::detail {

// ---------------------------------------------------------------------------------------------
// Reading

void Connection::do_read() {
  if (raw_) {
    strand_read();
    return;
  }
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
  if (!closed_flag_ && !with_ws([](auto& ws) { return ws.got_binary(); })) {
    buffer_.consume(buffer_.size());
    protocol_error("text WebSocket message (frames are binary)");
    if (!finished_) do_read();
    return;
  }
  auto data = buffer_.cdata();
  on_message(std::span<const uint8_t>(static_cast<const uint8_t*>(data.data()), data.size()));
  buffer_.consume(buffer_.size());
  if (!finished_) do_read();
}

void Connection::on_message(std::span<const uint8_t> bytes) {
  auto now = std::chrono::steady_clock::now();
  last_heard_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  if (carrier_) quiet_reported_ = false;
  if (closed_flag_) return;  // closing: drain what the peer still sends until it hangs up
  if (!bucket_.take(now)) {
    if (on_worker_) {
      draining_ = true;
      hand_off([this] { rate_limited(); });
      return;
    }
    rate_limited();
    return;
  }
  if (bytes.size() > ctx_->options.limits.max_frame_bytes) {  // a carrier's reassembly bounds it
    broke("a frame over the size limit");
    return;
  }
  auto frame = wire::parse_frame(bytes);
  if (!frame) {
    broke(frame.error().message);
  } else if (frame->has_batch()) {
    handle_batch(frame->batch());
  } else {
    handle(frame.value());
  }
}

void Connection::handle_batch(const transport::Batch& batch) {
  auto frames = wire::unpack_batch(batch);
  if (!frames) {
    broke(frames.error().message);
    return;
  }
  // The message took one token for the first frame; every further frame takes its own.
  bool first = true;
  for (auto& frame : frames.value()) {
    if (closed_flag_ || draining_) return;  // an earlier frame closed the connection
    if (!first && !bucket_.take()) {
      if (on_worker_) {
        draining_ = true;
        hand_off([this] { rate_limited(); });
        return;
      }
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
  if (on_worker_) {
    // A worker read it (raw mode): requests and answers are handled here, on its thread; every
    // other frame (and all after it) on the strand, in order.
    auto kind = frame.body_case();
    bool here = handed_off_ == 0 && stage_ == Stage::Open &&
                (kind == B::kRequest || kind == B::kReply || kind == B::kAccepted);
    if (!here) {
      hand_off([this, frame = std::move(frame)]() mutable { handle(frame); });
      return;
    }
  }
  if (stage_ == Stage::AwaitCredentials && frame.body_case() != B::kCredentials &&
      frame.body_case() != B::kClose) {
    // On a carrier the peer's first request may take another channel than its credential and
    // overtake it: held until the credential is there (a few at most, from a peer that is open).
    if (carrier_ && early_.size() < kMaxEarlyFrames) {
      early_.push_back(std::move(frame));
      return;
    }
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
    auto early = std::move(early_);
    early_.clear();
    for (auto& frame : early) {
      if (closed_flag_) break;
      handle(frame);
    }
    return;
  }
  spdlog::debug("net: {} refreshed its credential", describe());
  if (ctx_->options.events.refreshed) ctx_->options.events.refreshed(peer_);
}

void Connection::on_request(const transport::Request& in) {
  auto request = wire::from_proto(in);
  if (!request) {
    broke(request.error().message);
    return;
  }
  unanswered_.fetch_add(1);
  Responder responder = Responder::for_request(
      weak_from_this(), in.id(), request->message.kind == workload::Message::Kind::Call);
  if (!ctx_->options.on_request) {
    responder.accept(Status::Err(ActrError::unavailable("this node serves no remote requests")));
    return;
  }
  ctx_->options.on_request(peer_, std::move(request.value()), std::move(responder));
}

void Connection::on_accepted(const transport::Accepted& accepted) {
  Status status = Status::Ok();
  if (accepted.has_error()) {
    auto error = wire::from_proto(accepted.error());
    if (!error) {
      broke(error.error().message);
      return;
    }
    status = Status::Err(std::move(error.value()));
  }
  std::unique_lock lock(pending_mu_);
  auto it = pending_.find(accepted.id());
  if (it == pending_.end() || it->second.accepted) {
    lock.unlock();
    if (accepted.id() == 0 || accepted.id() > next_id_.load())
      broke("Accepted for unknown request " + std::to_string(accepted.id()));
    return;  // else: the answer to a request that already timed out
  }
  if (it->second.call && status.is_ok()) {  // the reply follows
    it->second.accepted = true;
    auto on_accepted = std::move(it->second.on_accepted);
    it->second.on_accepted = nullptr;
    lock.unlock();
    if (on_accepted) on_accepted(Status::Ok());
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  lock.unlock();
  if (p.on_accepted) p.on_accepted(std::move(status));
}

void Connection::on_reply(transport::Reply& reply) {
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
        broke(error.error().message);
        return;
      }
      result = CallResult::Err(std::move(error.value()));
      break;
    }
    case transport::Reply::RESULT_NOT_SET:
      broke("Reply without a result");
      return;
  }
  std::unique_lock lock(pending_mu_);
  auto it = pending_.find(reply.id());
  if (it == pending_.end() || !it->second.call) {
    lock.unlock();
    if (reply.id() == 0 || reply.id() > next_id_.load())
      broke("Reply for unknown request " + std::to_string(reply.id()));
    return;  // else: the answer to a request that already timed out
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  lock.unlock();
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
  if (carrier_) {  // nothing to drain: the carrier closes both ways at once
    finish();
    return;
  }
  shutdown_after_writes();
}

// ---------------------------------------------------------------------------------------------
// Sending

void Connection::send(Request request, Pending pending) {
  {
    std::lock_guard lock(pending_mu_);
    ++posted_;
  }
  asio::post(strand_, [self = shared_from_this(), request = std::move(request),
                       pending = std::move(pending)]() mutable {
    PostedDone done{self->pending_mu_, self->posted_};
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

bool Connection::send_now(Request& request, Pending& pending) {
  auto closed = [&](std::unique_lock<std::mutex>& lock) {
    ActrError why = closed_error_ ? *closed_error_ : ActrError::unavailable("connection closed");
    lock.unlock();
    fail(pending, why);
    return true;
  };
  {
    std::unique_lock lock(pending_mu_);
    if (closed_flag_) return closed(lock);
    if (!direct_now()) return false;
  }
  uint64_t id = next_id_.fetch_add(1) + 1;
  std::string bytes = request_frame(request, id, pending);
  if (bytes.empty()) return true;
  if (ctx_->options.request_timeout.count() > 0) {
    pending.deadline = std::chrono::steady_clock::now() + ctx_->options.request_timeout;
  }
  bool alone;
  {
    std::unique_lock lock(pending_mu_);
    if (closed_flag_) return closed(lock);
    // Checked again: a send posted meanwhile stays ahead of this one (the id is merely skipped).
    if (!direct_now()) return false;
    pending_.emplace(id, std::move(pending));
    alone = pending_.size() + unanswered_.load() == 1;
  }
  if (ctx_->options.request_timeout.count() > 0) want_sweep();
  push(std::move(bytes), alone);
  return true;
}

std::string Connection::request_frame(const Request& request, uint64_t id, Pending& pending) const {
  auto frame = make_frame();
  wire::to_proto(request, id, frame.mutable_request());
  std::string bytes = wire::serialize(frame);
  if (bytes.size() > ctx_->options.limits.max_frame_bytes) {
    fail(pending, ActrError::invalid_argument(
                      "request of " + std::to_string(bytes.size()) + " bytes exceeds the " +
                      std::to_string(ctx_->options.limits.max_frame_bytes) + "-byte frame limit"));
    return {};
  }
  return bytes;
}

void Connection::transmit(Request& request, Pending pending) {
  uint64_t id = next_id_.fetch_add(1) + 1;
  std::string bytes = request_frame(request, id, pending);
  if (bytes.empty()) return;
  if (ctx_->options.request_timeout.count() > 0) {
    pending.deadline = std::chrono::steady_clock::now() + ctx_->options.request_timeout;
  }
  auto lane = request.message.payload_type.tag();
  if (carrier_) {
    ctx_->carried_requests.fetch_add(1, std::memory_order_relaxed);
    // Kept for a resend should the path die before the answer (latency-first may be lost).
    if (resend_ && lane != workload::PayloadType::Tag::StreamLatencyFirst &&
        lane != workload::PayloadType::Tag::MediaRtp) {
      pending.request = std::move(request);
    }
  }
  {
    std::lock_guard lock(pending_mu_);
    pending_.emplace(id, std::move(pending));
  }
  if (ctx_->options.request_timeout.count() > 0 && !sweeping_.exchange(true)) arm_sweep();
  enqueue(std::move(bytes), lane);
}

void Connection::want_sweep() {
  if (sweeping_.exchange(true)) return;
  asio::post(strand_, [self = shared_from_this()] {
    if (!self->finished_) self->arm_sweep();
  });
}

void Connection::arm_sweep() {
  auto period = std::max(std::chrono::milliseconds(10), ctx_->options.request_timeout / 4);
  sweep_timer_.expires_after(period);
  sweep_timer_.async_wait([self = shared_from_this()](beast::error_code) {
    self->sweeping_ = false;
    if (self->finished_ || self->closed_flag_) return;
    auto now = std::chrono::steady_clock::now();
    std::vector<Pending> expired;
    bool more;
    {
      std::lock_guard lock(self->pending_mu_);
      for (auto it = self->pending_.begin(); it != self->pending_.end();) {
        if (it->second.deadline <= now) {
          expired.push_back(std::move(it->second));
          it = self->pending_.erase(it);
        } else {
          ++it;
        }
      }
      more = !self->pending_.empty();
    }
    for (auto& p : expired) fail(p, ActrError::timed_out());
    // A sender that added an entry after the check above arms the sweep itself (want_sweep).
    if (more && !self->sweeping_.exchange(true)) self->arm_sweep();
  });
}

void Connection::send_answer(std::string frame, bool last) {
  if (last) unanswered_.fetch_sub(1);
  if (frame.size() > ctx_->options.limits.max_frame_bytes) {
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
  bool direct, alone;
  {
    std::lock_guard lock(pending_mu_);
    if (closed_flag_) return;
    direct = direct_now();
    if (!direct) ++posted_;
    alone = pending_.empty() && unanswered_.load() == 0;
  }
  if (direct) {
    push(std::move(frame), alone);
    return;
  }
  asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    PostedDone done{self->pending_mu_, self->posted_};
    if (self->closed_flag_ || self->stage_ != Stage::Open) return;
    self->enqueue(std::move(frame));
  });
}

void Connection::enqueue(std::string bytes, std::optional<workload::PayloadType::Tag> lane) {
  if (finished_) return;
  if (carrier_) {
    // The carrier keeps the order per channel and buffers what the path cannot take yet.
    auto view =
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!carrier_->send(view, lane)) {
      if (!closed_flag_) stop_taking(lost(describe(), "the WebRTC path closed"));
      finish();
    }
    return;
  }
  std::unique_lock lock(write_mu_);
  writes_.push_back(std::move(bytes));
  if (writing_ || !ws_up_) return;
  writing_ = true;
  lock.unlock();
  if (raw_) {
    // Written after the strand's jobs already queued (as an async write's completion would be):
    // the frames they queue meanwhile go out in the same message.
    asio::post(strand_, [self = shared_from_this()] { self->do_write(); });
    return;
  }
  do_write();
}

void Connection::push(std::string frame, bool alone) {
  std::unique_lock lock(write_mu_);
  if (write_closed_) return;  // closing: answers are dropped, requests were failed
  if (!writing_ && direct_fd_ >= 0 && (writes_.empty() || flush_deferred_)) {
    if (auto* turn_end = common::TurnEnd::current()) {
      writes_.push_back(std::move(frame));
      if (alone || writes_.size() >= kTurnBatch) {
        write_queued(lock);
        return;
      }
      if (flush_deferred_) return;
      flush_deferred_ = true;
      lock.unlock();
      turn_end->defer([](void* self) { static_cast<Connection*>(self)->flush_turn(); },
                      shared_from_this());
      return;
    }
    write_direct(frame, lock);
    return;
  }
  writes_.push_back(std::move(frame));
  if (writing_) return;  // the writer takes it with what is queued
  writing_ = true;
  lock.unlock();
  asio::post(strand_, [self = shared_from_this()] { self->do_write(); });
}

void Connection::flush_turn() {
  std::unique_lock lock(write_mu_);
  flush_deferred_ = false;
  write_queued(lock);
}

void Connection::write_queued(std::unique_lock<std::mutex>& lock) {
  // Writing: the strand's writer takes what is queued. Closing: the queue is the closer's.
  while (!writing_ && !write_closed_ && !writes_.empty()) {
    if (direct_fd_ < 0) {
      writing_ = true;
      lock.unlock();
      asio::post(strand_, [self = shared_from_this()] { self->do_write(); });
      return;
    }
    std::string message = take_next_message();
    write_direct(message, lock);
    if (!lock.owns_lock()) return;  // the socket did not take it all: the strand goes on
  }
}

void Connection::write_direct(std::string& frame, std::unique_lock<std::mutex>& lock) {
  // A client masks what it sends (RFC 6455); the frame is ours to change.
  std::optional<std::array<uint8_t, 4>> mask;
  if (!inbound_) mask = fresh_mask();
  auto header = binary_frame_header(frame.size(), mask ? &*mask : nullptr);
  auto payload = std::span<uint8_t>(reinterpret_cast<uint8_t*>(frame.data()), frame.size());
  if (mask) apply_mask(payload, *mask);
  iovec parts[2] = {{header.bytes.data(), header.size}, {frame.data(), frame.size()}};
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = 2;
  ssize_t sent;
  do {
    sent = ::sendmsg(direct_fd_, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  size_t total = header.size + frame.size();
  if (sent >= 0 && static_cast<size_t>(sent) == total) {
    ctx_->direct_writes.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The socket would block (or failed: the strand's write then fails the same way and closes the
  // connection): the rest goes through the strand before anything queued after it.
  size_t done = sent > 0 ? static_cast<size_t>(sent) : 0;
  raw_rest_.clear();
  raw_rest_.reserve(total - done);
  if (done < header.size) {
    raw_rest_.append(reinterpret_cast<const char*>(header.bytes.data()) + done, header.size - done);
    raw_rest_.append(frame);
  } else {
    raw_rest_.append(frame, done - header.size);
  }
  ctx_->deferred_writes.fetch_add(1, std::memory_order_relaxed);
  writing_ = true;
  lock.unlock();
  asio::post(strand_, [self = shared_from_this()] { self->do_write(); });
}

size_t Connection::batch_limit() const {
  // Well under the frame limit, which the peer most likely shares: a batch never comes near it.
  return std::min<size_t>(ctx_->options.limits.max_frame_bytes / 2, 256 * 1024);
}

void Connection::do_write() {
  if (raw_) {
    raw_write_loop();
    return;
  }
  std::unique_lock lock(write_mu_);
  if (!raw_rest_.empty()) {  // a direct write's rest: already framed, so past the WebSocket
    in_flight_ = std::move(raw_rest_);
    raw_rest_.clear();
    lock.unlock();
    asio::async_write(
        plain_->next_layer(), asio::buffer(in_flight_),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
    return;
  }
  if (writes_.empty()) {  // posted after the connection finished and dropped its queue
    writing_ = false;
    return;
  }
  in_flight_ = take_next_message();
  lock.unlock();
  with_ws([&](auto& ws) {
    ws.async_write(
        asio::buffer(in_flight_),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
  });
}

void Connection::on_write(beast::error_code ec) {
  std::unique_lock lock(write_mu_);
  if (finished_ || ec) {
    writing_ = false;
    lock.unlock();
    if (finished_) return;
    if (!closed_flag_) stop_taking(lost(describe(), "write: " + ec.message()));
    finish();
    return;
  }
  in_flight_.clear();
  if (!writes_.empty() || !raw_rest_.empty()) {
    lock.unlock();
    do_write();
    return;
  }
  writing_ = false;
  lock.unlock();
  if (close_after_writes_) shutdown_send();
}

void Connection::end_direct_writes() {
  {
    std::lock_guard lock(pending_mu_);
    direct_ok_ = false;
  }
  std::lock_guard lock(write_mu_);
  write_closed_ = true;
  direct_fd_ = -1;
}

std::string Connection::take_next_message() {
  size_t count = writes_.size() < 2 ? 1 : wire::frames_per_batch(writes_, batch_limit());
  if (count == 1) {
    std::string message = std::move(writes_.front());
    writes_.pop_front();
    return message;
  }
  ctx_->batches.fetch_add(1, std::memory_order_relaxed);
  ctx_->batched.fetch_add(count, std::memory_order_relaxed);
  return wire::serialize_batch(writes_, count);
}

}  // namespace actr::net::detail
