// The context of the export call running in an actor: what get-self-id, get-caller-id and
// get-request-id answer, and the call chain that outgoing calls extend.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

struct CallContext {
  ActrId self;
  std::optional<ActrId> caller;
  std::string request_id;
  std::vector<uint64_t> chain;  // the incoming message's chain; outgoing calls add self
  Lane lane = Lane::Reliable;
};

}  // namespace actr::runtime
