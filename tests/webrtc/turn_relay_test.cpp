// TURN: two peer connections forced onto relayed candidates through a coturn the test starts on
// 127.0.0.1 (Debian package `coturn`), with credentials by the REST-API scheme it checks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include "signaling/client.hpp"
#include "signaling/server/server.hpp"
#include "support/coturn.hpp"
#include "support/missing.hpp"
#include "webrtc/peer_pair.hpp"

namespace actr::webrtc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using actr::test::Coturn;

TEST(TurnRelay, PeersWithCredentialsFromSignalingConnectThroughCoturnOnly) {
  if (!fs::exists("/usr/bin/turnserver")) {
    ACTR_SKIP_MISSING("coturn is not installed (Debian package coturn)");
  }
  fs::path dir = fs::temp_directory_path() / ("actr-turn-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    Coturn turn(dir, "test-secret-shared-with-coturn");
    if (!turn.ready()) {
      // coturn itself could not serve here (three starts, each given 30 s): a limit of the
      // machine, not of actr, whose part starts only once coturn answers. Skipped loudly, with
      // what coturn said, rather than failed: the CI run that first met this (2026-12-06) showed
      // nothing else, and a skip keeps the reason in the log for whoever reads it next.
      std::cerr << "coturn did not answer STUN on 127.0.0.1:\n" << turn.diagnosis() << std::endl;
      fs::remove_all(dir);
      GTEST_SKIP() << "coturn could not serve on this machine:\n" << turn.diagnosis();
    }
    // The credentials come from a signaling server that shares coturn's secret, as in production
    // (`actr signal --turn 127.0.0.1:PORT --turn-secret-file ...`).
    signaling::server::ServerOptions signal_options;
    signal_options.data_dir = dir / "signaling";
    signal_options.enrollment.open = true;
    signal_options.turn_servers = {{"127.0.0.1", turn.port()}};
    signal_options.turn_secret = turn.secret();
    auto signal = signaling::server::Server::start(signal_options);
    ASSERT_TRUE(signal) << signal.error().message;
    auto grant_for = [&](const char* name) -> signaling::TurnGrant {
      auto client = signaling::Client::connect((*signal)->listen_address());
      EXPECT_TRUE(client) << client.error().message;
      if (!client) return {};
      signaling::RegisterParams params;
      params.type = signaling::ActrType{"acme", name, "1.0.0"};
      params.realm = 1;
      auto reg = (*client)->register_actor(params);
      EXPECT_TRUE(reg && reg->turn.size() == 1) << (reg ? "no grant" : reg.error().message);
      return reg && !reg->turn.empty() ? reg->turn[0] : signaling::TurnGrant{};
    };
    const signaling::TurnGrant offerer_grant = grant_for("offerer");
    const signaling::TurnGrant answerer_grant = grant_for("answerer");
    auto options = [&](bool offerer, const signaling::TurnGrant& grant) {
      PeerOptions o;
      o.offerer = offerer;
      o.trickle = true;  // as nodes do: relayed candidates come after the description
      o.ice.local_addresses = {"127.0.0.1"};
      o.ice.relay_only = true;
      o.ice.turn = TurnServer{grant.host, grant.port, grant.username, grant.password};
      o.certificate = *Certificate::generate();
      return o;
    };
    GlibLoop loop;
    test::PeerPair p;
    ASSERT_TRUE(p.exchange(loop, options(true, offerer_grant), options(false, answerer_grant)));
    auto& os = p.offerer_seen;
    auto& as = p.answerer_seen;
    // The description went out before the allocation; the relayed candidate trickled after it.
    EXPECT_EQ(os.description.find("a=end-of-candidates"), std::string::npos) << os.description;
    std::string trickled;
    for (const auto& c : os.candidates) trickled += c + "\n";
    EXPECT_NE((os.description + trickled).find("typ relay"), std::string::npos) << trickled;
    EXPECT_EQ((os.description + trickled).find("typ host"), std::string::npos) << "relay only";
    ASSERT_TRUE(os.connected_or_closed());
    ASSERT_TRUE(as.connected_or_closed());
    ASSERT_EQ(os.state, PeerState::Connected) << os.closed;
    EXPECT_EQ(os.relayed, std::optional<bool>(true));
    EXPECT_EQ(p.answerer->relayed(), std::optional<bool>(true));

    auto ch = p.answerer->open_channel("rpc-reliable", {});
    ASSERT_TRUE(ch);
    ASSERT_TRUE(p.answerer->send(*ch, test::bytes("through the relay")));
    ASSERT_TRUE(os.wait([&] { return !os.messages.empty(); }));
    EXPECT_EQ(os.messages[0].second, "through the relay");
    p.offerer.reset();
    p.answerer.reset();
    (*signal)->stop();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace actr::webrtc
