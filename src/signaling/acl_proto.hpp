// The wire form of an ACL (proto/signaling.proto AclRule): what a registration carries and the
// server stores.
#pragma once

#include "signaling/protocol.hpp"
#include "workload/acl.hpp"

namespace actr::signaling {

using workload::AccessRule;
using workload::Acl;

Acl acl_from_proto(const google::protobuf::RepeatedPtrField<proto::AclRule>& rules);
void acl_to_proto(const Acl& acl, google::protobuf::RepeatedPtrField<proto::AclRule>& out);

}  // namespace actr::signaling
