// Connection (connection.hpp): the open connection's frames: reading and handling them (requests,
// acceptances, replies, credential refreshes), sending with batching, deadlines and rate limits.

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
  last_heard_ = std::chrono::steady_clock::now();
  quiet_reported_ = false;
  if (closed_flag_) return;  // closing: drain what the peer still sends until it hangs up
  if (!bucket_.take()) {
    rate_limited();
    return;
  }
  if (bytes.size() > ctx_->options.limits.max_frame_bytes) {  // a carrier's reassembly bounds it
    protocol_error("a frame over the size limit");
    return;
  }
  auto frame = wire::parse_frame(bytes);
  if (!frame) {
    protocol_error(frame.error().message);
  } else if (frame->has_batch()) {
    handle_batch(frame->batch());
  } else {
    handle(frame.value());
  }
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
    protocol_error(request.error().message);
    return;
  }
  Responder responder = Responder::for_request(
      weak_from_this(), in.id(), request->message.kind == workload::Message::Kind::Call);
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
  if (carrier_) {  // nothing to drain: the carrier closes both ways at once
    finish();
    return;
  }
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
  auto lane = request.message.payload_type.tag();
  if (carrier_) {
    ctx_->carried_requests.fetch_add(1, std::memory_order_relaxed);
    // Kept for a resend should the path die before the answer (latency-first may be lost).
    if (resend_ && lane != workload::PayloadType::Tag::StreamLatencyFirst &&
        lane != workload::PayloadType::Tag::MediaRtp) {
      pending.request = std::move(request);
    }
  }
  pending_.emplace(id, std::move(pending));
  enqueue(std::move(bytes), lane);
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
    shutdown_send();
  }
}

}  // namespace actr::net::detail
