// Access control of one actor type: who may discover and call it. Ordered allow/deny rules
// matched against the caller's type (manufacturer and name; "*" or empty matches any) and realm
// (unset matches any). The first matching rule decides; no rules admit everyone; rules of which
// none matches admit nobody.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "workload/ids.hpp"

namespace actr::workload {

struct AccessRule {
  enum class Effect { Allow, Deny };
  Effect effect = Effect::Allow;
  std::string manufacturer = "*";
  std::string name = "*";
  std::optional<uint32_t> realm;

  bool matches(const ActrType& caller_type, uint32_t caller_realm) const;
  bool operator==(const AccessRule&) const = default;
};

// Text form for configuration files: "allow|deny [MANUFACTURER/]NAME [realm N]", e.g.
// "allow acme/*", "deny */greeter realm 2", "allow *". A bare NAME means any manufacturer.
Result<AccessRule> parse_access_rule(std::string_view text);
std::string to_string(const AccessRule& rule);

class Acl {
 public:
  Acl() = default;
  explicit Acl(std::vector<AccessRule> rules) : rules_(std::move(rules)) {}

  bool allows(const ActrType& caller_type, uint32_t caller_realm) const;
  const std::vector<AccessRule>& rules() const { return rules_; }

 private:
  std::vector<AccessRule> rules_;
};

}  // namespace actr::workload
