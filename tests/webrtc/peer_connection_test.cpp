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
  EXPECT_NE(os.description.find("a=end-of-candidates"), std::string::npos) << "complete";

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

TEST(PeerConnection, WithTrickleTheDescriptionGoesFirstAndTheCandidatesFollow) {
  GlibLoop loop;
  PeerPair p;
  PeerOptions o = loopback(), a = loopback();
  o.trickle = a.trickle = true;
  ASSERT_TRUE(p.exchange(loop, o, a));
  auto& os = p.offerer_seen;
  ASSERT_TRUE(os.connected_or_closed());
  ASSERT_EQ(os.state, PeerState::Connected) << os.closed;
  std::lock_guard lock(os.mutex());
  // Not complete: the end of the candidates came on its own.
  EXPECT_EQ(os.description.find("a=end-of-candidates"), std::string::npos) << os.description;
  ASSERT_FALSE(os.candidates.empty());
  EXPECT_EQ(os.candidates.back(), "");
  EXPECT_FALSE(p.offerer->add_remote_candidate("m=audio 9"));  // not a candidate line
  EXPECT_FALSE(p.offerer->add_remote_candidate("a=candidate:garbage"));
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

// An ICE restart: new credentials and candidates under the same certificates; the data channel
// opened before carries messages both ways after it, and a restart description with another
// certificate is refused.
TEST(PeerConnection, AnIceRestartKeepsTheDataChannels) {
  GlibLoop loop;
  PeerPair p;
  ASSERT_TRUE(p.exchange(loop, loopback(), loopback()));
  ASSERT_TRUE(p.offerer_seen.connected_or_closed());
  ASSERT_TRUE(p.answerer_seen.connected_or_closed());
  ASSERT_EQ(p.offerer_seen.state, PeerState::Connected) << p.offerer_seen.closed;
  auto rpc = p.offerer->open_channel("rpc-reliable", {});
  ASSERT_TRUE(rpc) << rpc.error().message;
  ASSERT_TRUE(p.offerer->send(*rpc, bytes("before")));
  ASSERT_TRUE(p.answerer_seen.wait([&] { return p.answerer_seen.messages.size() == 1; }));

  auto ufrag = [](const std::string& d) {
    auto at = d.find("a=ice-ufrag:");
    return at == std::string::npos ? std::string() : d.substr(at + 12, d.find('\n', at) - at - 12);
  };
  std::string first_offer, first_answer;
  {
    std::lock_guard lock(p.offerer_seen.mutex());
    first_offer = p.offerer_seen.description;
  }
  {
    std::lock_guard lock(p.answerer_seen.mutex());
    first_answer = p.answerer_seen.description;
  }
  EXPECT_FALSE(p.answerer->restart_ice()) << "only the offerer restarts";
  ASSERT_TRUE(p.offerer->restart_ice());
  ASSERT_TRUE(p.offerer_seen.wait([&] { return p.offerer_seen.description != first_offer; }));
  std::string offer;
  {
    std::lock_guard lock(p.offerer_seen.mutex());
    offer = p.offerer_seen.description;
  }
  EXPECT_NE(ufrag(offer), ufrag(first_offer));
  // The same description under another certificate is refused.
  std::string forged = offer;
  auto fp = forged.find("a=fingerprint:sha-256 ");
  forged[fp + 22] = forged[fp + 22] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(p.answerer->set_remote_description(forged));
  ASSERT_TRUE(p.answerer->set_remote_description(offer));
  ASSERT_TRUE(p.answerer_seen.wait([&] { return p.answerer_seen.description != first_answer; }));
  std::string answer;
  {
    std::lock_guard lock(p.answerer_seen.mutex());
    answer = p.answerer_seen.description;
  }
  EXPECT_NE(ufrag(answer), ufrag(first_answer));
  ASSERT_TRUE(p.offerer->set_remote_description(answer));

  // Messages both ways after the restart, on the channel of before.
  for (int i = 0; i < 50; ++i) {
    auto r = p.offerer->send(*rpc, bytes("after " + std::to_string(i)));
    ASSERT_TRUE(r) << r.error().message;
  }
  ASSERT_TRUE(p.answerer_seen.wait([&] { return p.answerer_seen.messages.size() == 51; }))
      << p.answerer_seen.messages.size();
  ASSERT_TRUE(p.answerer->send(*rpc, bytes("back")));
  ASSERT_TRUE(p.offerer_seen.wait([&] { return !p.offerer_seen.messages.empty(); }));
  EXPECT_EQ(p.offerer_seen.state, PeerState::Connected) << p.offerer_seen.closed;
  EXPECT_EQ(p.answerer_seen.state, PeerState::Connected) << p.answerer_seen.closed;
}

}  // namespace
}  // namespace actr::webrtc
