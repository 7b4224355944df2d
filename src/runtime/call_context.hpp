// The context of the export call running in an actor: what get-self-id, get-caller-id and
// get-request-id answer, and the call chain that outgoing calls extend.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

struct CallContext {
  const ActrId* self;  // the actor's own id, which outlives its calls (not copied per call)
  std::optional<ActrId> caller;
  // Text that outlives the export call (the envelope's id, a hook's name): not copied per call.
  std::string_view request_id;
  CallChain chain;  // the incoming message's chain; outgoing calls add self
  Lane lane = Lane::Reliable;
};

}  // namespace actr::runtime
