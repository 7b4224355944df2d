// Actor identities as the signaling layer uses them: the workload contract's ActrId/ActrType,
// converted to and from their protobuf forms, and the discovery match of a type.
#pragma once

#include <cstdint>
#include <functional>

#include "actr_workload_guest_types.hpp"
#include "signaling/protocol.hpp"

namespace actr::signaling {

using ActrId = workload::types::ActrId;
using ActrType = workload::types::ActrType;

ActrType from_proto(const proto::ActorType& type);
ActrId from_proto(const proto::ActorId& id);
proto::ActorType to_proto(const ActrType& type);
proto::ActorId to_proto(const ActrId& id);

// True when an actor of type `offered` answers a discovery for `wanted`. The node passes
// workload::type_matches (semver-compatible versions); the default compares the name, the
// manufacturer unless `wanted` leaves it empty, and the version likewise.
using TypeMatcher = std::function<bool(const ActrType& offered, const ActrType& wanted)>;
bool exact_type_match(const ActrType& offered, const ActrType& wanted);

}  // namespace actr::signaling
