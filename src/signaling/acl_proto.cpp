#include "signaling/acl_proto.hpp"

namespace actr::signaling {

Acl acl_from_proto(const google::protobuf::RepeatedPtrField<proto::AclRule>& rules) {
  std::vector<AccessRule> out;
  out.reserve(rules.size());
  for (const proto::AclRule& r : rules) {
    AccessRule rule;
    rule.effect =
        r.effect() == proto::AclRule::ALLOW ? AccessRule::Effect::Allow : AccessRule::Effect::Deny;
    rule.manufacturer = r.manufacturer();
    rule.name = r.name();
    if (r.has_realm()) rule.realm = r.realm();
    out.push_back(std::move(rule));
  }
  return Acl(std::move(out));
}

void acl_to_proto(const Acl& acl, google::protobuf::RepeatedPtrField<proto::AclRule>& out) {
  out.Clear();
  for (const AccessRule& rule : acl.rules()) {
    proto::AclRule& r = *out.Add();
    r.set_effect(rule.effect == AccessRule::Effect::Allow ? proto::AclRule::ALLOW
                                                          : proto::AclRule::DENY);
    r.set_manufacturer(rule.manufacturer);
    r.set_name(rule.name);
    if (rule.realm) r.set_realm(*rule.realm);
  }
}

}  // namespace actr::signaling
