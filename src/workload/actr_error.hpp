// Helpers on the contract's `actr-error` (actr::types::ActrError): its case name as
// WIT spells it, its message, and the results the host imports answer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "actr_wit_runtime.hpp"
#include "actr_workload_guest_types.hpp"

namespace actr::workload {

using ActrError = types::ActrError;
using Bytes = std::vector<uint8_t>;
// The outcome of a call: the reply bytes or the error, exactly as the callee or the host gave it.
using CallResult = wit::Result<Bytes, ActrError>;
using Status = wit::Result<void, ActrError>;

// "unavailable", "timed-out", "not-found", ... (the WIT case name).
std::string_view case_name(const ActrError& error);
// The case's text; for dependency-not-found "service: message"; empty for timed-out.
std::string message_of(const ActrError& error);
// The error of case `name` (as case_name spells it) with `message`; a name that is no case gives
// `internal` with "<name>: <message>". dependency-not-found reads "service: message" back.
ActrError error_named(std::string_view name, std::string message);
// "not-found: no actor 1:9".
std::string describe(const ActrError& error);
// `error` with every string made valid UTF-8 (invalid bytes become U+FFFD): for errors the host
// builds from text it does not control before they cross into a guest.
ActrError with_valid_text(ActrError error);

}  // namespace actr::workload
