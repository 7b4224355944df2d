// ConnectionAdmission: limits in all and per address, eviction of the longest-idle connection,
// refusal only when nothing is idle.
#include "common/connection_admission.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace actr {
namespace {

using namespace std::chrono_literals;

TEST(ConnectionAdmission, AdmitsUpToTheLimitsThenEvictsTheLongestIdle) {
  ConnectionAdmission a({3, 10});
  auto first = a.admit("10.0.0.1");
  std::this_thread::sleep_for(1ms);
  auto second = a.admit("10.0.0.2");
  std::this_thread::sleep_for(1ms);
  auto third = a.admit("10.0.0.3");
  ASSERT_TRUE(first.admitted && second.admitted && third.admitted);
  EXPECT_TRUE(first.evicted.empty());
  EXPECT_EQ(a.size(), 3u);
  a.set_idle(first.id, false);  // serving a request: never evicted
  auto fourth = a.admit("10.0.0.4");
  ASSERT_TRUE(fourth.admitted);
  EXPECT_EQ(fourth.evicted, std::vector<ConnectionAdmission::Id>{second.id});
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.count("10.0.0.2"), 0u);
}

TEST(ConnectionAdmission, ANewcomerIsRefusedWhenEveryConnectionIsBusy) {
  ConnectionAdmission a({2, 10});
  auto x = a.admit("h");
  auto y = a.admit("h");
  a.set_idle(x.id, false);
  a.set_idle(y.id, false);
  auto z = a.admit("h");
  EXPECT_FALSE(z.admitted);
  EXPECT_TRUE(z.evicted.empty());
  a.set_idle(y.id, true);  // y waits for its next request again
  auto w = a.admit("h");
  EXPECT_TRUE(w.admitted);
  EXPECT_EQ(w.evicted, std::vector<ConnectionAdmission::Id>{y.id});
}

TEST(ConnectionAdmission, ThePerAddressLimitEvictsOnlyThatAddressesConnections) {
  ConnectionAdmission a({100, 2});
  auto other = a.admit("b");
  std::this_thread::sleep_for(1ms);
  auto a1 = a.admit("a");
  std::this_thread::sleep_for(1ms);
  auto a2 = a.admit("a");
  auto a3 = a.admit("a");
  ASSERT_TRUE(a3.admitted);
  EXPECT_EQ(a3.evicted, std::vector<ConnectionAdmission::Id>{a1.id});  // not `other`, older
  EXPECT_EQ(a.count("a"), 2u);
  EXPECT_EQ(a.count("b"), 1u);
  a.set_idle(a2.id, false);
  a.set_idle(a3.id, false);
  EXPECT_FALSE(a.admit("a").admitted);  // its own connections are all busy
  EXPECT_TRUE(a.admit("c").admitted);   // others are not affected
  (void)other;
}

TEST(ConnectionAdmission, RemovedConnectionsFreeTheirPlace) {
  ConnectionAdmission a({1, 1});
  auto x = a.admit("h");
  a.set_idle(x.id, false);
  EXPECT_FALSE(a.admit("h").admitted);
  a.remove(x.id);
  a.remove(x.id);  // twice: harmless
  EXPECT_EQ(a.size(), 0u);
  EXPECT_TRUE(a.admit("h").admitted);
}

}  // namespace
}  // namespace actr
