// Two peer connections of this process on 127.0.0.1: offer and answer, ICE, DTLS and SCTP come
// up, data channels carry messages both ways; a description whose fingerprint is not the
// peer's certificate ends the connection; malformed descriptions are refused.
#include "webrtc/peer_connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace actr::webrtc {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::string description, closed;
  PeerState state = PeerState::New;
  std::optional<bool> relayed;
  std::vector<Channel> channels;
  std::vector<std::pair<uint16_t, std::string>> messages;

  template <typename F>
  void update(F f) {
    {
      std::lock_guard lock(mu);
      f();
    }
    cv.notify_all();
  }
  template <typename P>
  bool wait(P predicate) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 20s, predicate);
  }
  PeerEvents events() {
    PeerEvents e;
    e.on_description = [this](std::string d) { update([&] { description = d; }); };
    e.on_state = [this](PeerState s) { update([&] { state = s; }); };
    e.on_selected_pair = [this](bool r) { update([&] { relayed = r; }); };
    e.on_channel = [this](const Channel& c) { update([&] { channels.push_back(c); }); };
    e.on_message = [this](uint16_t s, std::span<const uint8_t> m, bool) {
      update([&] { messages.emplace_back(s, std::string(m.begin(), m.end())); });
    };
    e.on_closed = [this](std::string why) { update([&] { closed = why; }); };
    return e;
  }
};

PeerOptions loopback(bool offerer) {
  PeerOptions o;
  o.offerer = offerer;
  o.ice.local_addresses = {"127.0.0.1"};
  o.certificate = *Certificate::generate();
  return o;
}

TEST(PeerConnection, OfferAnswerThenDataChannelsBothWays) {
  GlibLoop loop;
  Seen os, as;
  auto offerer = PeerConnection::create(loop, loopback(true), os.events());
  auto answerer = PeerConnection::create(loop, loopback(false), as.events());
  ASSERT_TRUE(offerer) << offerer.error().message;
  ASSERT_TRUE(answerer) << answerer.error().message;
  ASSERT_TRUE((*offerer)->start());
  ASSERT_TRUE(os.wait([&] { return !os.description.empty(); }));
  EXPECT_NE(os.description.find("a=setup:actpass"), std::string::npos);
  EXPECT_NE(os.description.find("a=fingerprint:sha-256 "), std::string::npos);
  ASSERT_TRUE((*answerer)->set_remote_description(os.description));
  ASSERT_TRUE((*answerer)->start());
  ASSERT_TRUE(as.wait([&] { return !as.description.empty(); }));
  EXPECT_NE(as.description.find("a=setup:active"), std::string::npos);
  ASSERT_TRUE((*offerer)->set_remote_description(as.description));

  auto connected = [](Seen& s) {
    return s.wait([&] { return s.state == PeerState::Connected || !s.closed.empty(); });
  };
  ASSERT_TRUE(connected(os));
  ASSERT_TRUE(connected(as));
  ASSERT_EQ(os.state, PeerState::Connected) << os.closed;
  ASSERT_EQ(as.state, PeerState::Connected) << as.closed;
  EXPECT_EQ((*offerer)->relayed(), std::optional<bool>(false));

  auto rpc = (*answerer)->open_channel("rpc-reliable", {});
  ASSERT_TRUE(rpc) << rpc.error().message;
  ASSERT_TRUE((*answerer)->send(*rpc, bytes("call echo")));
  ASSERT_TRUE(os.wait([&] { return !os.messages.empty(); }));
  EXPECT_EQ(os.channels.at(0).label, "rpc-reliable");
  EXPECT_EQ(os.messages[0], std::make_pair(*rpc, std::string("call echo")));
  ASSERT_TRUE((*offerer)->send(*rpc, bytes("reply")));
  ASSERT_TRUE(as.wait([&] { return !as.messages.empty(); }));
  EXPECT_EQ(as.messages[0].second, "reply");
}

TEST(PeerConnection, AFingerprintThatIsNotThePeersEndsTheConnection) {
  GlibLoop loop;
  Seen os, as;
  auto offerer = PeerConnection::create(loop, loopback(true), os.events());
  auto answerer = PeerConnection::create(loop, loopback(false), as.events());
  ASSERT_TRUE(offerer && answerer);
  ASSERT_TRUE((*offerer)->start());
  ASSERT_TRUE(os.wait([&] { return !os.description.empty(); }));
  ASSERT_TRUE((*answerer)->set_remote_description(os.description));
  ASSERT_TRUE((*answerer)->start());
  ASSERT_TRUE(as.wait([&] { return !as.description.empty(); }));
  // A man in the middle rewrites the answer's fingerprint.
  auto d = parse_description(as.description);
  ASSERT_TRUE(d);
  d->fingerprint = (*Certificate::generate())->fingerprint();
  ASSERT_TRUE((*offerer)->set_remote_description(write_description(*d)));
  ASSERT_TRUE(os.wait([&] { return !os.closed.empty(); }));
  EXPECT_NE(os.closed.find("does not match the fingerprint"), std::string::npos) << os.closed;
  EXPECT_EQ((*offerer)->state(), PeerState::Failed);
  EXPECT_FALSE((*offerer)->send(0, bytes("x")));
}

TEST(PeerConnection, MalformedDescriptionsAreRefused) {
  EXPECT_FALSE(parse_description(""));
  EXPECT_FALSE(parse_description("a=setup:actpass\na=ice-ufrag:x\n")) << "no fingerprint";
  EXPECT_FALSE(parse_description("a=setup:maybe\na=fingerprint:sha-256 00\na=ice-ufrag:x\n"));
  EXPECT_FALSE(parse_description("a=setup:active\na=fingerprint:sha-256 00\n")) << "no ICE";
  GlibLoop loop;
  Seen s;
  auto offerer = PeerConnection::create(loop, loopback(true), s.events());
  ASSERT_TRUE(offerer);
  // The offerer keeps the server role: an answer that takes it too is refused.
  auto clash = (*offerer)->set_remote_description(
      "a=setup:passive\na=fingerprint:sha-256 00\na=ice-ufrag:x\na=ice-pwd:y\n");
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("a=setup:active"), std::string::npos);
}

}  // namespace
}  // namespace actr::webrtc
