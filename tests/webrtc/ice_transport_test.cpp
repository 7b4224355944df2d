// ICE between two agents of this process on 127.0.0.1 (nothing is gathered elsewhere): gathering,
// the exchange of descriptions, connectivity checks, datagrams both ways; bad input refused.
#include "webrtc/ice_transport.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "support/waiter.hpp"
#include "webrtc/glib_loop.hpp"

namespace actr::webrtc {
namespace {

using namespace std::chrono_literals;

// What one agent's events reported, for the test thread to wait on.
struct Seen : actr::test::Waiter {
  std::string description;
  bool gathered = false;
  IceState state = IceState::New;
  std::optional<bool> relayed;
  std::vector<std::string> datagrams;

  IceEvents events() {
    IceEvents e;
    e.on_gathered = [this](std::string d, bool) {
      update([&] { description = d, gathered = true; });
    };
    e.on_state = [this](IceState s) { update([&] { state = s; }); };
    e.on_selected_pair = [this](bool r) { update([&] { relayed = r; }); };
    e.on_datagram = [this](std::span<const uint8_t> d) {
      update([&] { datagrams.emplace_back(d.begin(), d.end()); });
    };
    return e;
  }
};

IceOptions loopback(bool controlling) {
  IceOptions o;
  o.controlling = controlling;
  o.local_addresses = {"127.0.0.1"};
  return o;
}

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(IceTransport, TwoAgentsOnLoopbackConnectAndCarryDatagramsBothWays) {
  GlibLoop loop;
  Seen a_seen, b_seen;
  auto a = IceTransport::create(loop, loopback(true), a_seen.events());
  auto b = IceTransport::create(loop, loopback(false), b_seen.events());
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_FALSE((*a)->send(bytes("too early"))) << "sent before any path exists";

  ASSERT_TRUE((*a)->gather(false));
  ASSERT_TRUE((*b)->gather(false));
  ASSERT_TRUE(a_seen.wait([&] { return a_seen.gathered; }));
  ASSERT_TRUE(b_seen.wait([&] { return b_seen.gathered; }));
  EXPECT_NE(a_seen.description.find("a=ice-ufrag:"), std::string::npos) << a_seen.description;
  EXPECT_NE(a_seen.description.find("127.0.0.1"), std::string::npos) << a_seen.description;

  ASSERT_TRUE((*a)->set_remote_description(b_seen.description, true));
  ASSERT_TRUE((*b)->set_remote_description(a_seen.description, true));
  auto ready = [](Seen& s) {
    return s.wait([&] { return s.state == IceState::Ready || s.state == IceState::Failed; });
  };
  ASSERT_TRUE(ready(a_seen));
  ASSERT_TRUE(ready(b_seen));
  ASSERT_EQ(a_seen.state, IceState::Ready);
  ASSERT_EQ(b_seen.state, IceState::Ready);
  EXPECT_EQ((*a)->relayed(), std::optional<bool>(false)) << "a host pair on loopback";

  ASSERT_TRUE((*a)->send(bytes("from a")));
  ASSERT_TRUE((*b)->send(bytes("from b")));
  ASSERT_TRUE(b_seen.wait([&] { return !b_seen.datagrams.empty(); }));
  ASSERT_TRUE(a_seen.wait([&] { return !a_seen.datagrams.empty(); }));
  EXPECT_EQ(b_seen.datagrams.front(), "from a");
  EXPECT_EQ(a_seen.datagrams.front(), "from b");
}

TEST(IceTransport, BadInputIsRefusedClearly) {
  GlibLoop loop;
  Seen seen;
  IceOptions bad = loopback(true);
  bad.local_addresses = {"not-an-address"};
  auto refused = IceTransport::create(loop, bad, seen.events());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not an IP address"), std::string::npos);

  auto agent = IceTransport::create(loop, loopback(true), seen.events());
  ASSERT_TRUE(agent);
  auto garbage = (*agent)->set_remote_description("m=nonsense\na=candidate:garbage\n", true);
  EXPECT_FALSE(garbage);
  EXPECT_EQ((*agent)->state(), IceState::New);
}

}  // namespace
}  // namespace actr::webrtc
