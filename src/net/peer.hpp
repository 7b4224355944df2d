// The link to one peer address. A Peer opens its connection on first use and shares it with every
// caller; after the connection is lost, the next request opens a new one. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net/address.hpp"
#include "net/request.hpp"

namespace actr::net {

namespace detail {
class Connection;
struct Context;
struct Pending;
}  // namespace detail

class Peer {
 public:
  const std::string& address() const { return key_; }
  // A connection is open (credentials verified both ways) right now.
  bool connected() const;
  // Requests take a carrier's connection (WebRTC) now, not the WebSocket one.
  bool carried() const;

  // A call (message.kind Call). `on_accepted` runs once: ok when the message reached the target's
  // mailbox, otherwise the refusal; after an ok, `on_reply` runs once with the callee's answer.
  // A connection lost before the answer gives unavailable at once (permission-denied when the
  // peer refused this node's credential). Callbacks run on a transport thread.
  void call(Request request, std::function<void(Status)> on_accepted,
            std::function<void(CallResult)> on_reply);
  // The same, with a refusal delivered to `on_reply`.
  void call(Request request, std::function<void(CallResult)> on_reply);
  // A tell or data-stream chunk (message.kind Tell or Stream): `on_accepted` runs once.
  void tell(Request request, std::function<void(Status)> on_accepted);

 private:
  friend class Transport;
  Peer(std::shared_ptr<detail::Context> ctx, Address address);
  void send(Request request, detail::Pending pending);
  // Requests a carried connection could not finish: sent again on the WebSocket (or a newer
  // carrier), keeping their callbacks.
  void resend(std::vector<std::pair<Request, detail::Pending>> requests, const ActrError& why);

  std::shared_ptr<detail::Context> ctx_;
  Address address_;
  std::string key_;
  std::shared_ptr<detail::Connection> connection_;  // guarded by ctx_->mutex
  // A connection over a carrier (Transport::attach): preferred from its attachment until it
  // closes (requests wait for its credential exchange).
  std::shared_ptr<detail::Connection> carried_;  // guarded by ctx_->mutex
};

}  // namespace actr::net
