// Text forms of actor identities and types, and matching of types for discovery.
//
//   type:   manufacturer/name@version   ("acme/echo@0.1.0"; the version may be omitted)
//   id:     realm:serial                ("1:7")
//   target: what the gateway and `actr call` accept: an id ("1:7"), a bare serial number of the
//           node's realm ("7"), or a type pattern ("echo", "acme/echo", "acme/echo@0.1").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"
#include "actr_workload_guest_types.hpp"

namespace actr::workload {

using ActrId = types::ActrId;
using ActrType = types::ActrType;

std::string to_string(const ActrType& type);
std::string to_string(const ActrId& id);

// "manufacturer/name@version" with both optional parts; the name is required.
Result<ActrType> parse_type(std::string_view text);

// A version requirement is met by an offered version with the same major number, or for 0.x
// with the same minor number too, and not older (semver compatibility, as Cargo reads "^req").
// An empty requirement is met by every version.
bool version_satisfies(std::string_view offered, std::string_view required);

// True when `offered` serves requests for `wanted`: same name, same manufacturer unless wanted
// leaves it empty, compatible version.
bool type_matches(const ActrType& offered, const ActrType& wanted);

struct Target {
  std::optional<uint32_t> realm;   // set for "realm:serial"
  std::optional<uint64_t> serial;  // set for ids and bare serial numbers
  std::optional<ActrType> type;    // set for type patterns
};
Result<Target> parse_target(std::string_view text);

}  // namespace actr::workload
