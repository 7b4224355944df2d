// The context of the export call running in an actor: what get-self-id, get-caller-id and
// get-request-id answer, and the call chain that outgoing calls extend.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

// Every member borrows what outlives the export call (the actor's id, the running message's
// fields, a hook's name): a call's context costs no copies or moves of ids, strings and chains.
struct CallContext {
  const ActrId* self;           // the actor's own id
  const CallerId* caller;       // none for shell, gateway and hook calls
  std::string_view request_id;  // the envelope's id, a hook's name
  const CallChain* chain;       // the incoming message's chain; outgoing calls add self
  Lane lane = Lane::Reliable;

  // What hooks and lifecycle calls borrow: no caller, an empty chain.
  static inline const CallerId kNoCaller;
  static inline const CallChain kNoChain;
};

}  // namespace actr::runtime
