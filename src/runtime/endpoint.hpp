// Something messages can be delivered to: a local actor, the shell, or (with a transport) an
// actor on another node. The router hands out Endpoints; actors never see which kind they got.
#pragma once

#include <functional>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Thread-safe. `accepted` runs exactly once, from any thread: ok once the message is accepted
  // (for a durable mailbox: committed to disk), or the refusal (unavailable when the mailbox is
  // full or the actor is not running, invalid-argument when the payload is too large, ...).
  // A refused call's reply slot is not settled by the endpoint: the caller does that.
  virtual void deliver(Message message, std::function<void(Status)> accepted) = 0;
  // A call (message.reply set): a refusal settles the reply slot. What Node::send_call uses; an
  // endpoint that can refuse without a callback (a local actor) saves allocating one per call.
  virtual void deliver_call(Message&& message) {
    auto slot = message.reply;
    deliver(std::move(message), [slot = std::move(slot)](Status s) {
      if (s.is_err()) slot->settle(CallResult::Err(s.error()));
    });
  }
};

}  // namespace actr::runtime
