#include "workload/acl.hpp"

#include <charconv>
#include <sstream>

namespace actr::workload {

namespace {

bool field_matches(const std::string& pattern, const std::string& value) {
  return pattern.empty() || pattern == "*" || pattern == value;
}

}  // namespace

bool AccessRule::matches(const ActrType& caller_type, uint32_t caller_realm) const {
  return field_matches(manufacturer, caller_type.manufacturer) &&
         field_matches(name, caller_type.name) && (!realm || *realm == caller_realm);
}

actr::Result<AccessRule> parse_access_rule(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string effect, pattern, keyword, realm_text, extra;
  in >> effect >> pattern >> keyword >> realm_text >> extra;
  auto fail = [&](const std::string& why) {
    return actr::make_error("ACL rule `" + std::string(text) + "`: " + why);
  };
  AccessRule rule;
  if (effect == "allow") {
    rule.effect = AccessRule::Effect::Allow;
  } else if (effect == "deny") {
    rule.effect = AccessRule::Effect::Deny;
  } else {
    return fail("expected `allow` or `deny` first");
  }
  if (pattern.empty()) return fail("expected a caller pattern ([MANUFACTURER/]NAME or *)");
  if (size_t slash = pattern.find('/'); slash != std::string::npos) {
    rule.manufacturer = pattern.substr(0, slash);
    rule.name = pattern.substr(slash + 1);
    if (rule.manufacturer.empty() || rule.name.empty()) return fail("empty part around `/`");
    if (rule.name.find('/') != std::string::npos) return fail("more than one `/`");
  } else {
    rule.name = pattern;
  }
  if (!keyword.empty()) {
    if (keyword != "realm") return fail("expected `realm N` after the pattern");
    uint32_t realm = 0;
    auto [p, ec] = std::from_chars(realm_text.data(), realm_text.data() + realm_text.size(), realm);
    if (realm_text.empty() || ec != std::errc{} || p != realm_text.data() + realm_text.size()) {
      return fail("realm must be a number");
    }
    rule.realm = realm;
  }
  if (!extra.empty()) return fail("unexpected `" + extra + "`");
  return rule;
}

std::string to_string(const AccessRule& rule) {
  std::string out = rule.effect == AccessRule::Effect::Allow ? "allow " : "deny ";
  out += (rule.manufacturer.empty() ? "*" : rule.manufacturer) + "/" +
         (rule.name.empty() ? "*" : rule.name);
  if (rule.realm) out += " realm " + std::to_string(*rule.realm);
  return out;
}

bool Acl::allows(const ActrType& caller_type, uint32_t caller_realm) const {
  if (rules_.empty()) return true;
  for (const AccessRule& rule : rules_) {
    if (rule.matches(caller_type, caller_realm)) return rule.effect == AccessRule::Effect::Allow;
  }
  return false;
}

}  // namespace actr::workload
