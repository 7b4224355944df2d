// The node's implementation of the `actr:workload/host` imports. One object serves every actor
// of a node: each import finds the calling actor (Actor::current()) and the context of its
// running export call; used outside an export call, the context getters and the messaging
// imports trap, as the contract says.
#pragma once

#include <memory>

#include "actr_workload_guest_host.hpp"

namespace actr::runtime {

std::shared_ptr<workload::host::Host> make_host_imports();

}  // namespace actr::runtime
