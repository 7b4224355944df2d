// The workload vocabulary (src/workload: identities, actr-error, messages, lanes, ACLs) by the
// names the runtime's code uses unqualified.
#pragma once

#include "workload/acl.hpp"
#include "workload/actr_error.hpp"
#include "workload/ids.hpp"
#include "workload/message.hpp"

namespace actr::runtime {

using workload::AccessRule;
using workload::Acl;
using workload::ActrError;
using workload::ActrId;
using workload::ActrType;
using workload::Bytes;
using workload::CallChain;
using workload::CallerId;
using workload::CallResult;
using workload::DataStream;
using workload::Lane;
using workload::Message;
using workload::PayloadType;
using workload::ReplySlot;
using workload::Status;
using workload::Target;

using workload::case_name;
using workload::describe;
using workload::message_of;
using workload::parse_access_rule;
using workload::parse_target;
using workload::parse_type;
using workload::to_string;
using workload::type_matches;
using workload::version_satisfies;
using workload::with_valid_text;

}  // namespace actr::runtime
