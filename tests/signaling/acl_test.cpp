#include <gtest/gtest.h>

#include "signaling/acl_proto.hpp"

namespace actr::signaling {
namespace {

using workload::ActrType;
using workload::parse_access_rule;

const ActrType kGreeter{"acme", "greeter", "1.0.0"};
const ActrType kIntruder{"evil", "greeter", "1.0.0"};
const ActrType kEcho{"acme", "echo", "1.0.0"};

AccessRule rule(const char* text) {
  auto r = parse_access_rule(text);
  EXPECT_TRUE(r) << r.error().message;
  return r ? *r : AccessRule{};
}

TEST(Acl, NoRulesAllowEveryone) {
  Acl acl;
  EXPECT_TRUE(acl.allows(kGreeter, 1));
  EXPECT_TRUE(acl.allows(kIntruder, 9));
}

TEST(Acl, RulesWithoutMatchDeny) {
  Acl acl({rule("allow acme/greeter")});
  EXPECT_TRUE(acl.allows(kGreeter, 1));
  EXPECT_FALSE(acl.allows(kIntruder, 1));
  EXPECT_FALSE(acl.allows(kEcho, 1));
}

TEST(Acl, FirstMatchWins) {
  Acl deny_first({rule("deny evil/*"), rule("allow *")});
  EXPECT_FALSE(deny_first.allows(kIntruder, 1));
  EXPECT_TRUE(deny_first.allows(kGreeter, 1));
  Acl allow_first({rule("allow *"), rule("deny evil/*")});
  EXPECT_TRUE(allow_first.allows(kIntruder, 1));
}

TEST(Acl, WildcardsOnManufacturerAndName) {
  Acl by_manufacturer({rule("allow acme/*")});
  EXPECT_TRUE(by_manufacturer.allows(kGreeter, 1));
  EXPECT_TRUE(by_manufacturer.allows(kEcho, 1));
  EXPECT_FALSE(by_manufacturer.allows(kIntruder, 1));
  Acl by_name({rule("allow greeter")});  // any manufacturer
  EXPECT_TRUE(by_name.allows(kGreeter, 1));
  EXPECT_TRUE(by_name.allows(kIntruder, 1));
  EXPECT_FALSE(by_name.allows(kEcho, 1));
}

TEST(Acl, RealmRestrictsARule) {
  Acl acl({rule("allow acme/* realm 1"), rule("deny * realm 2"), rule("allow */greeter")});
  EXPECT_TRUE(acl.allows(kEcho, 1));
  EXPECT_FALSE(acl.allows(kEcho, 3));     // no rule matches
  EXPECT_FALSE(acl.allows(kGreeter, 2));  // the realm-2 deny comes before the allow
  EXPECT_TRUE(acl.allows(kIntruder, 3));  // the last rule
}

TEST(Acl, ParseRejectsBadRules) {
  for (const char* bad : {"", "permit *", "allow", "allow /x", "allow a/ ", "allow * realm",
                          "allow * realm x", "allow * zone 1", "allow * realm 1 extra"}) {
    EXPECT_FALSE(parse_access_rule(bad)) << bad;
  }
  EXPECT_EQ(to_string(rule("deny acme/echo realm 3")), "deny acme/echo realm 3");
  EXPECT_EQ(to_string(rule("allow *")), "allow */*");
}

TEST(Acl, ProtoRoundTrip) {
  Acl acl({rule("deny evil/* realm 2"), rule("allow *")});
  proto::RegisterRequest holder;
  acl_to_proto(acl, *holder.mutable_acl());
  Acl back = acl_from_proto(holder.acl());
  EXPECT_EQ(back.rules(), acl.rules());
}

}  // namespace
}  // namespace actr::signaling
