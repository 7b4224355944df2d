// Full SDP as browsers write it: what a node reads from a Chromium offer and what it answers.
#include "webrtc/session_description.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace actr::webrtc
