// How actr-errors cross HTTP: the case name, the status code, and the JSON error body
// {"error":"<case>","message":"..."} (plus "service" for dependency-not-found). docs/GATEWAY.md
// has the table.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actr_workload_guest_types.hpp"

namespace actr::gateway {

using actr::workload::types::ActrError;

// The WIT case name: "unavailable", "timed-out", "not-found", ...
std::string_view error_case(const ActrError& error);
// The human-readable text an error carries ("" for timed-out; the message of
// dependency-not-found).
std::string error_message(const ActrError& error);
// 400, 403, 404, 500, 501, 503 or 504.
unsigned http_status(const ActrError& error);

// The JSON body of an error response.
std::string error_body(const ActrError& error);
// A JSON error body for failures of the HTTP layer itself (not actr-errors), e.g.
// {"error":"payload-too-large","message":"..."}.
std::string protocol_error_body(std::string_view code, std::string_view message);

// The ActrError named by `case_name` with `message` (and `service`, for dependency-not-found);
// nullopt for an unknown case.
std::optional<ActrError> make_actr_error(std::string_view case_name, std::string message,
                                         std::string service = {});
// Parses an error body back (the client side); nullopt when `body` is not one.
std::optional<ActrError> parse_error_body(std::string_view body);

}  // namespace actr::gateway
