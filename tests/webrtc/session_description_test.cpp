// Full SDP as browsers write it: what a node reads from a Chromium offer and what it answers,
// and the full SDP offer a node makes to a browser (two peer connections of this process stand in
// for the node and the browser).
#include "webrtc/session_description.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "webrtc/peer_pair.hpp"

namespace actr::webrtc {
namespace {

// The shape of a Chromium 156 data-channel offer after gathering (addresses from a test netns).
constexpr const char* kChromiumOffer =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS\r\n"
    "m=application 50432 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 10.77.0.1\r\n"
    "a=candidate:3170421283 1 udp 2113937151 10.77.0.1 50432 typ host generation 0 "
    "network-cost 999\r\n"
    "a=candidate:1803052471 1 udp 2113939711 8d1c6d2e-4c0f-4b8a-9e41-3f7c2b8b9d10.local 50433 "
    "typ host generation 0 network-cost 999\r\n"
    "a=candidate:2954343539 1 tcp 1518157567 10.77.0.1 9 typ host tcptype active generation 0 "
    "network-cost 999\r\n"
    "a=ice-ufrag:Zx+7\r\n"
    "a=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 "
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:"
    "67:89\r\n"
    "a=setup:actpass\r\n"
    "a=mid:0\r\n"
    "a=sctp-port:5000\r\n"
    "a=max-message-size:262144\r\n";

TEST(SessionDescription, ReadsTheDataSectionOfABrowserOffer) {
  EXPECT_TRUE(is_full_sdp(kChromiumOffer));
  EXPECT_FALSE(is_full_sdp("a=setup:actpass\na=fingerprint:sha-256 AB\n"));
  auto s = parse_sdp(kChromiumOffer);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->mid, "0");
  EXPECT_EQ(s->sctp_port, 5000);
  EXPECT_EQ(s->max_message_size, 262144u);
  EXPECT_EQ(s->description.setup, "actpass");
  EXPECT_EQ(s->description.fingerprint.substr(0, 14), "sha-256 AB:CD:");
  // libnice's form: one stream, the credentials, and only the UDP candidate with an address
  // (the mDNS name and the TCP candidate would make libnice stop reading).
  EXPECT_EQ(
      s->description.ice,
      "m=- 0 ICE/SDP\nc=IN IP4 0.0.0.0\na=ice-ufrag:Zx+7\na=ice-pwd:0123456789abcdefghijklmn\n"
      "a=candidate:3170421283 1 udp 2113937151 10.77.0.1 50432 typ host generation 0 "
      "network-cost 999\n");
}

TEST(SessionDescription, RefusesWhatANodeCannotAnswer) {
  auto err = [](std::string sdp) {
    auto r = parse_sdp(sdp);
    return r ? std::string("<ok>") : r.error().message;
  };
  std::string offer = kChromiumOffer;
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = offer;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_EQ(err(replace("a=sctp-port:5000", "a=sctp-port:5001")),
            "sdp: SCTP port 5001 (only 5000 is supported)");
  EXPECT_NE(err(replace("m=application 50432 UDP/DTLS/SCTP webrtc-datachannel",
                        "m=audio 9 UDP/TLS/RTP/SAVPF 111"))
                .find("only a data channel section"),
            std::string::npos);
  EXPECT_EQ(err(replace("a=ice-pwd:0123456789abcdefghijklmn\r\n", "")),
            "sdp: no ICE credentials (a=ice-ufrag/pwd)");
  EXPECT_EQ(err(replace("a=fingerprint:sha-256", "a=fingerprint:sha-1")),
            "sdp: no sha-256 a=fingerprint");
  EXPECT_EQ(err("v=0\r\ns=-\r\n"), "sdp: no data channel section (m=application)");
  EXPECT_NE(
      err(offer + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n").find("more than one"),
      std::string::npos);
}

TEST(SessionDescription, AnswersWithOneDataSectionAndOurCandidates) {
  Description ours{
      "sha-256 01:02", "active",
      "m=- 0 ICE/SDP\nc=IN IP4 0.0.0.0\na=ice-ufrag:abcd\na=ice-pwd:secretsecretsecret\n"
      "a=candidate:1 1 UDP 2015363327 10.77.0.1 40000 typ host\n"};
  std::string a = write_sdp_answer(ours, "data", 42);
  EXPECT_TRUE(is_full_sdp(a));
  for (const char* line :
       {"o=- 42 2 IN IP4 127.0.0.1\r\n", "a=group:BUNDLE data\r\n",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "a=mid:data\r\n",
        "a=ice-ufrag:abcd\r\n", "a=ice-pwd:secretsecretsecret\r\n",
        "a=fingerprint:sha-256 01:02\r\n", "a=setup:active\r\n", "a=sctp-port:5000\r\n",
        "a=max-message-size:262144\r\n",
        "a=candidate:1 1 UDP 2015363327 10.77.0.1 40000 typ host\r\n", "a=end-of-candidates\r\n"}) {
    EXPECT_NE(a.find(line), std::string::npos) << line << "\n" << a;
  }
  // What we answer, we read back the same way.
  auto back = parse_sdp(a);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->description.fingerprint, ours.fingerprint);
  EXPECT_EQ(back->mid, "data");
}

TEST(SessionDescription, AnOfferToABrowserReadsBackWithEverything) {
  Description ours{
      "sha-256 01:02", "actpass",
      "m=- 0 ICE/SDP\nc=IN IP4 0.0.0.0\na=ice-ufrag:abcd\na=ice-pwd:secretsecretsecret\n"
      "a=candidate:1 1 UDP 2015363327 10.77.0.1 40000 typ host\n"
      "a=candidate:2 1 UDP 1679819007 198.51.100.7 40001 typ srflx raddr 10.77.0.1 rport 40000\n"};
  std::string offer = write_sdp_offer(ours, 4242, 3);
  EXPECT_TRUE(is_full_sdp(offer));
  for (const char* line :
       {"o=- 4242 3 IN IP4 127.0.0.1\r\n", "a=group:BUNDLE 0\r\n",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", "a=mid:0\r\n",
        "a=setup:actpass\r\n", "a=sctp-port:5000\r\n", "a=max-message-size:262144\r\n",
        "a=ice-options:trickle\r\n", "a=end-of-candidates\r\n"}) {
    EXPECT_NE(offer.find(line), std::string::npos) << line << "\n" << offer;
  }
  auto back = parse_sdp(offer);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->mid, kOfferMid);
  EXPECT_EQ(back->sctp_port, 5000);
  EXPECT_EQ(back->max_message_size, 262144u);
  EXPECT_EQ(back->description.fingerprint, ours.fingerprint);
  EXPECT_EQ(back->description.setup, "actpass");
  EXPECT_TRUE(back->description.complete) << "every candidate is in it";
  EXPECT_EQ(back->description.ice, ours.ice) << "credentials and both candidates, as libnice's";
  // A description without a=end-of-candidates has candidates to follow (a browser's answer).
  std::string open_ended = offer;
  open_ended.erase(open_ended.find("a=end-of-candidates\r\n"));
  EXPECT_FALSE(parse_sdp(open_ended)->description.complete);
}

TEST(SessionDescription, CandidatesLibniceCannotUseAreKnown) {
  EXPECT_TRUE(tcp_or_mdns_candidate(
      "candidate:2954343539 1 tcp 1518157567 10.77.0.1 9 typ host tcptype active"));
  EXPECT_TRUE(tcp_or_mdns_candidate(
      "a=candidate:1803052471 1 udp 2113939711 8d1c6d2e-4c0f.local 50433 typ host"));
  EXPECT_FALSE(
      tcp_or_mdns_candidate("candidate:3170421283 1 udp 2113937151 10.77.0.1 50432 "
                            "typ host generation 0 ufrag Zx+7 network-id 1"));
  EXPECT_FALSE(tcp_or_mdns_candidate("a=candidate:garbage"));
  EXPECT_FALSE(tcp_or_mdns_candidate(""));
}

PeerOptions loopback() {
  PeerOptions o;
  o.ice.local_addresses = {"127.0.0.1"};
  o.certificate = *Certificate::generate();
  return o;
}

// The answer without its candidates, and those candidates as a browser trickles them
// ("candidate:..." without the "a=", a TCP one among them, "" at the end).
std::pair<std::string, std::vector<std::string>> as_browser_answers(const std::string& answer) {
  std::string bare;
  std::vector<std::string> trickled;
  std::istringstream in(answer);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("a=candidate:")) {
      trickled.push_back(line.substr(2, line.size() - 3));  // without "a=" and "\r"
    } else if (!line.starts_with("a=end-of-candidates")) {
      bare += line + "\n";
    }
  }
  trickled.push_back("candidate:9 1 tcp 1518157567 127.0.0.1 9 typ host tcptype active");
  trickled.push_back("");
  return {bare, trickled};
}

// A node offers to a browser: with full_sdp the offer is full SDP and complete, the answerer (a
// PeerConnection answers full SDP to it, as a browser does) answers full SDP with a=setup:active,
// and the offerer takes it and the candidates that trickle after it. Data channel messages go
// both ways; an ICE restart keeps the offer's o= session with a higher version.
TEST(SessionDescription, ANodeOffersFullSdpToABrowserAndConnects) {
  GlibLoop loop;
  test::PeerPair p;
  PeerOptions offer = loopback(), answer = loopback();
  offer.full_sdp = true;
  offer.trickle = true;  // as the runtime sets it: full SDP wins, the offer is complete
  std::vector<std::string> trickled;
  ASSERT_TRUE(p.exchange(loop, offer, answer, [&](std::string full_answer) {
    auto [bare, candidates] = as_browser_answers(full_answer);
    trickled = candidates;
    return bare;
  }));
  auto& os = p.offerer_seen;
  auto& as = p.answerer_seen;
  std::string first_offer, first_answer;
  {
    std::lock_guard lock(os.mutex());
    first_offer = os.description;
    EXPECT_TRUE(os.candidates.empty()) << "nothing trickles from a complete offer";
  }
  {
    std::lock_guard lock(as.mutex());
    first_answer = as.description;
  }
  ASSERT_TRUE(is_full_sdp(first_offer)) << first_offer;
  auto parsed = parse_sdp(first_offer);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->description.complete);
  EXPECT_EQ(parsed->description.setup, "actpass");
  EXPECT_NE(parsed->description.ice.find("a=candidate:"), std::string::npos) << first_offer;
  ASSERT_TRUE(is_full_sdp(first_answer)) << first_answer;
  EXPECT_NE(first_answer.find("a=setup:active"), std::string::npos);
  EXPECT_NE(first_answer.find("a=mid:0"), std::string::npos);
  ASSERT_GE(trickled.size(), 3u) << "a UDP candidate, the TCP one and the end";
  for (const std::string& c : trickled) {
    auto added = p.offerer->add_remote_candidate(c);
    ASSERT_TRUE(added) << c << ": " << added.error().message;
  }

  ASSERT_TRUE(os.connected_or_closed());
  ASSERT_TRUE(as.connected_or_closed());
  ASSERT_EQ(os.state, PeerState::Connected) << os.closed;
  ASSERT_EQ(as.state, PeerState::Connected) << as.closed;
  // The offerer opens the channels (as the node does); the browser side learns them.
  auto rpc = p.offerer->open_channel("actr/rpc-reliable", {});
  ASSERT_TRUE(rpc) << rpc.error().message;
  ASSERT_TRUE(p.offerer->send(*rpc, test::bytes("request")));
  ASSERT_TRUE(as.wait([&] { return !as.messages.empty(); }));
  EXPECT_EQ(as.channels.at(0).label, "actr/rpc-reliable");
  EXPECT_EQ(as.messages[0], std::make_pair(*rpc, std::string("request")));
  ASSERT_TRUE(p.answerer->send(*rpc, test::bytes("reply")));
  ASSERT_TRUE(os.wait([&] { return !os.messages.empty(); }));
  EXPECT_EQ(os.messages[0].second, "reply");

  // An ICE restart towards a browser is a full SDP offer of the same session, one version up.
  auto origin = [](const std::string& sdp) {
    std::istringstream in(sdp.substr(sdp.find("o=- ") + 4));
    uint64_t session = 0, version = 0;
    in >> session >> version;
    return std::make_pair(session, version);
  };
  ASSERT_TRUE(p.offerer->restart_ice());
  ASSERT_TRUE(os.wait([&] { return os.description != first_offer; }));
  std::string restart;
  {
    std::lock_guard lock(os.mutex());
    restart = os.description;
  }
  ASSERT_TRUE(is_full_sdp(restart)) << restart;
  EXPECT_EQ(origin(restart).first, origin(first_offer).first);
  EXPECT_EQ(origin(restart).second, origin(first_offer).second + 1);
  ASSERT_TRUE(p.answerer->set_remote_description(restart));
  ASSERT_TRUE(as.wait([&] { return as.description != first_answer; }));
  std::string restart_answer;
  {
    std::lock_guard lock(as.mutex());
    restart_answer = as.description;
  }
  ASSERT_TRUE(p.offerer->set_remote_description(restart_answer));
  ASSERT_TRUE(p.offerer->send(*rpc, test::bytes("after the restart")));
  ASSERT_TRUE(as.wait([&] { return as.messages.size() == 2; }));
  EXPECT_EQ(as.messages[1].second, "after the restart");
}

TEST(SessionDescription, AnOffererRefusesABrowserAnswerThatDoesNotFit) {
  GlibLoop loop;
  test::PeerSeen seen;
  PeerOptions o = loopback();
  o.offerer = true;
  o.full_sdp = true;
  auto offerer = PeerConnection::create(loop, o, seen.events());
  ASSERT_TRUE(offerer) << offerer.error().message;
  Description theirs{(*Certificate::generate())->fingerprint(), "active",
                     "m=- 0 ICE/SDP\nc=IN IP4 0.0.0.0\na=ice-ufrag:abcd\na=ice-pwd:"
                     "secretsecretsecretsecret\n"};
  // Another data section than the offer's.
  auto other_mid = (*offerer)->set_remote_description(write_sdp_answer(theirs, "data", 1));
  ASSERT_FALSE(other_mid);
  EXPECT_NE(other_mid.error().message.find("`data`"), std::string::npos)
      << other_mid.error().message;
  // The browser must be the DTLS client.
  theirs.setup = "actpass";
  auto clash = (*offerer)->set_remote_description(write_sdp_answer(theirs, "0", 1));
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("a=setup:active"), std::string::npos);
}

}  // namespace
}  // namespace actr::webrtc
