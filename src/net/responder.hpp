// The answer channel of one inbound request: `accept` sends the Accepted frame (the message
// reached the target's mailbox, or the refusal); for a call, `reply` sends the Reply (and implies
// acceptance when `accept` was not called). Copyable; callable from any thread; answers after the
// connection is gone are dropped. When the last copy goes without an answer the peer receives
// internal("request dropped unanswered"), so no caller waits forever.
#pragma once

#include <cstdint>
#include <memory>

#include "net/request.hpp"

namespace actr::net {

namespace detail {
class Connection;
}

class Responder {
 public:
  Responder() = default;  // answers nowhere

  bool is_call() const;
  void accept(Status status) const;
  void reply(CallResult result) const;

  struct State;

 private:
  friend class detail::Connection;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  // The answer to request `id` received on `connection` (responder.cpp).
  static Responder for_request(std::weak_ptr<detail::Connection> connection, uint64_t id,
                               bool call);
  std::shared_ptr<State> state_;
};

}  // namespace actr::net
