#include "net/peer.hpp"

#include "net/connection.hpp"
#include "net/connection_internal.hpp"

namespace actr::net {

Peer::Peer(std::shared_ptr<detail::Context> ctx, Address address)
    : ctx_(std::move(ctx)), address_(std::move(address)), key_(address_.key()) {}

bool Peer::connected() const {
  std::lock_guard lock(ctx_->mutex);
  return (connection_ && connection_->open()) || (carried_ && carried_->open());
}

bool Peer::carried() const {
  std::lock_guard lock(ctx_->mutex);
  return carried_ && carried_->open();
}

void Peer::call(Request request, std::function<void(Status)> on_accepted,
                std::function<void(CallResult)> on_reply) {
  detail::Pending p;
  p.call = true;
  p.on_accepted = std::move(on_accepted);
  p.on_reply = std::move(on_reply);
  if (request.message.kind != workload::Message::Kind::Call) {
    if (p.on_accepted)
      p.on_accepted(
          Status::Err(ActrError::invalid_argument("call of a message that is not a call")));
    return;
  }
  send(std::move(request), std::move(p));
}

void Peer::call(Request request, std::function<void(CallResult)> on_reply) {
  auto shared = std::make_shared<std::function<void(CallResult)>>(std::move(on_reply));
  call(
      std::move(request),
      [shared](Status s) {
        if (s.is_err()) (*shared)(CallResult::Err(std::move(s.error())));
      },
      [shared](CallResult r) { (*shared)(std::move(r)); });
}

void Peer::tell(Request request, std::function<void(Status)> on_accepted) {
  detail::Pending p;
  p.on_accepted = std::move(on_accepted);
  if (request.message.kind == workload::Message::Kind::Call) {
    if (p.on_accepted)
      p.on_accepted(Status::Err(ActrError::invalid_argument("tell of a call message")));
    return;
  }
  send(std::move(request), std::move(p));
}

void Peer::send(Request request, detail::Pending pending) {
  std::unique_lock lock(ctx_->mutex);
  if (ctx_->stopped) {
    lock.unlock();
    auto error = ActrError::unavailable("the transport is stopped");
    if (pending.on_accepted) pending.on_accepted(Status::Err(error));
    return;
  }
  // A carried connection takes requests from its attachment on: they wait for its credential
  // exchange (a request it cannot finish goes back to the WebSocket, Connection::set_resend).
  if (carried_ && !carried_->closed()) {
    carried_->send(std::move(request), std::move(pending));
    return;
  }
  if (!connection_ || connection_->closed()) {
    connection_ = detail::Connection::outbound(ctx_, address_);
    ctx_->connections.insert(connection_);
    connection_->start();
  }
  if (connection_->open()) {
    // From this thread, without the lock (other peers' senders do not wait for this one's
    // syscall): nothing is posted, so a concurrent stop() cannot drop it; the connection fails
    // it if it closes first.
    auto connection = connection_;
    lock.unlock();
    if (connection->send_now(request, pending)) return;
    lock.lock();
    if (ctx_->stopped) {
      lock.unlock();
      detail::fail(pending, ActrError::unavailable("the transport is stopped"));
      return;
    }
    if (connection != connection_) {  // replaced meanwhile: take the same way as the others
      lock.unlock();
      send(std::move(request), std::move(pending));
      return;
    }
  }
  // Posted under the lock, so a concurrent stop() aborts the connection after this request
  // reached its queue (and fails it) rather than before.
  connection_->send(std::move(request), std::move(pending));
}

}  // namespace actr::net

namespace actr::net {

void Peer::resend(std::vector<std::pair<Request, detail::Pending>> requests, const ActrError& why) {
  // A node without a listener has no WebSocket to take them: they fail with what ended the path.
  if (address_.has_no_listener()) {
    for (auto& [request, pending] : requests) detail::fail(pending, why);
    return;
  }
  for (auto& [request, pending] : requests) send(std::move(request), std::move(pending));
}

}  // namespace actr::net
