// Two peer connections of this process on 127.0.0.1: offer and answer, ICE, DTLS and SCTP come
// up, data channels carry messages both ways; a description whose fingerprint is not the
// peer's certificate ends the connection; malformed descriptions are refused.
#include <gtest/gtest.h>

#include <string>

#include "webrtc/peer_pair.hpp"

namespace actr::webrtc {
namespace {

using test::bytes;
using test::PeerPair;

PeerOptions loopback() {
  PeerOptions o;
  o.ice.local_addresses = {"127.0.0.1"};
  o.certificate = *Certificate::generate();
  return o;
}

TEST(PeerConnection, OfferAnswerThenDataChannelsBothWays) {
  GlibLoop loop;
  PeerPair p;
  ASSERT_TRUE(p.exchange(loop, loopback(), loopback()));
  auto& os = p.offerer_seen;
  auto& as = p.answerer_seen;
  EXPECT_NE(os.description.find("a=setup:actpass"), std::string::npos);
  EXPECT_NE(os.description.find("a=fingerprint:sha-256 "), std::string::npos);
  EXPECT_NE(as.description.find("a=setup:active"), std::string::npos);
  ASSERT_TRUE(os.connected_or_closed());
  ASSERT_TRUE(as.connected_or_closed());
  ASSERT_EQ(os.state, PeerState::Connected) << os.closed;
  ASSERT_EQ(as.state, PeerState::Connected) << as.closed;
  EXPECT_EQ(p.offerer->relayed(), std::optional<bool>(false));

  auto rpc = p.answerer->open_channel("rpc-reliable", {});
  ASSERT_TRUE(rpc) << rpc.error().message;
  ASSERT_TRUE(p.answerer->send(*rpc, bytes("call echo")));
  ASSERT_TRUE(os.wait([&] { return !os.messages.empty(); }));
  EXPECT_EQ(os.channels.at(0).label, "rpc-reliable");
  EXPECT_EQ(os.messages[0], std::make_pair(*rpc, std::string("call echo")));
  ASSERT_TRUE(p.offerer->send(*rpc, bytes("reply")));
  ASSERT_TRUE(as.wait([&] { return !as.messages.empty(); }));
  EXPECT_EQ(as.messages[0].second, "reply");
}

TEST(PeerConnection, AFingerprintThatIsNotThePeersEndsTheConnection) {
  GlibLoop loop;
  PeerPair p;
  // A man in the middle rewrites the answer's fingerprint.
  ASSERT_TRUE(p.exchange(loop, loopback(), loopback(), [](std::string answer) {
    auto d = parse_description(answer);
    d->fingerprint = (*Certificate::generate())->fingerprint();
    return write_description(*d);
  }));
  auto& os = p.offerer_seen;
  ASSERT_TRUE(os.wait([&] { return !os.closed.empty(); }));
  EXPECT_NE(os.closed.find("does not match the fingerprint"), std::string::npos) << os.closed;
  EXPECT_EQ(p.offerer->state(), PeerState::Failed);
  EXPECT_FALSE(p.offerer->send(0, bytes("x")));
}

TEST(PeerConnection, MalformedDescriptionsAreRefused) {
  EXPECT_FALSE(parse_description(""));
  EXPECT_FALSE(parse_description("a=setup:actpass\na=ice-ufrag:x\n")) << "no fingerprint";
  EXPECT_FALSE(parse_description("a=setup:maybe\na=fingerprint:sha-256 00\na=ice-ufrag:x\n"));
  EXPECT_FALSE(parse_description("a=setup:active\na=fingerprint:sha-256 00\n")) << "no ICE";
  GlibLoop loop;
  test::PeerSeen s;
  PeerOptions o = loopback();
  o.offerer = true;
  auto offerer = PeerConnection::create(loop, o, s.events());
  ASSERT_TRUE(offerer);
  // The offerer keeps the server role: an answer that takes it too is refused.
  auto clash = (*offerer)->set_remote_description(
      "a=setup:passive\na=fingerprint:sha-256 00\na=ice-ufrag:x\na=ice-pwd:y\n");
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("a=setup:active"), std::string::npos);
}

}  // namespace
}  // namespace actr::webrtc
