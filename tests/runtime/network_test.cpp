// Nodes on a network: a signaling server and several nodes in this process, each node with its
// own transport listener on loopback. What crosses: discovery, calls both ways, tell, call-raw,
// data streams, ACLs, credentials (forged, lapsed, renewed) and the network hooks.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <random>
#include <thread>

#include "common/unicode.hpp"
#include "net/transport.hpp"
#include "node_fixture.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "runtime/network/credential_set.hpp"
#include "runtime/network/node_network.hpp"
#include "signaling/client.hpp"
#include "signaling/server/server.hpp"
#include "signaling/server/signing_key_file.hpp"
#include "support/coturn.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// The test server's enrollment token; nodes read it from a file, as deployments do.
constexpr const char* kToken = "network-test-token-0123";

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(guest_path("runtime_probe"))) {
      ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
    }
    dir_ = fresh_dir(std::string("net-") +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    for (auto& n : nodes_) {
      if (n) n->stop();
    }
    nodes_.clear();
    for (auto& c : clients_) c->close();
    clients_.clear();
    if (server_) server_->stop();
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void start_server(std::chrono::seconds ttl = std::chrono::seconds(3600), uint16_t port = 0,
                    const Coturn* turn = nullptr) {
    signaling::server::ServerOptions options;
    if (turn) {
      options.turn_servers = {{"127.0.0.1", turn->port()}};
      options.turn_secret = turn->secret();
    }
    options.port = port;
    options.data_dir = dir_ / "signaling";
    options.enrollment.tokens.push_back({kToken, {}});
    options.credential_ttl = ttl;
    options.heartbeat_interval = 200ms;
    if (server_options_) server_options_(options);
    auto server = signaling::server::Server::start(options);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
  }

  // A node named `name` with `actors` (TOML), registered at the test's server.
  runtime::Node* start_member(const std::string& name, const std::string& actors,
                              std::string network_extra = "") {
    if (network_extra.find("enroll_token") == std::string::npos) {
      std::ofstream(dir_ / "enroll-token") << kToken << "\n";
      network_extra += "\nenroll_token_file = \"enroll-token\"";
    }
    std::string toml = "data_dir = \"" + name + "\"\nworkers = 1\ncall_timeout_ms = 5000\n" +
                       "[network]\nsignaling = \"" + server_->listen_address() +
                       "\"\nnode_id = \"" + name + "\"\n" + network_extra + "\n" + actors;
    nodes_.push_back(start_node(toml, dir_));
    return nodes_.back().get();
  }

  static std::string call(runtime::Node* node, const std::string& target, const std::string& route,
                          const std::string& payload = "") {
    return text(node->call_sync(target, route, bytes(payload)));
  }
  // "call-id REALM SERIAL ROUTE DATA" from `from`'s first actor to `to`'s first actor.
  static std::string call_id(runtime::Node* from, runtime::Node* to, const std::string& route,
                             const std::string& data = "") {
    auto id = to->actors()[0]->id();
    return call(from, from->actors()[0]->config().name, "call-id",
                std::to_string(id.realm.realm_id) + " " + std::to_string(id.serial_number) + " " +
                    route + " " + data);
  }
  static std::string id_text(const workload::ActrId& id) {
    return std::to_string(id.realm.realm_id) + ":" + std::to_string(id.serial_number);
  }

  // A call to `node`'s first actor straight over a transport of our own: as a fresh actor of
  // `type` registered at the server (its genuine credential), or with `credential` as given;
  // `caller` overrides the caller the request names.
  std::string raw_call(runtime::Node& node, const std::string& type, const std::string& route,
                       std::string credential = "",
                       std::optional<workload::ActrId> caller = std::nullopt,
                       std::vector<std::pair<std::string, std::string>> more = {},
                       std::vector<std::string>* more_answers = nullptr) {
    workload::ActrId me;
    if (credential.empty()) {
      signaling::ClientOptions options;
      options.enroll_token = kToken;
      auto client = signaling::Client::connect(server_->listen_address(), options);
      if (!client) return "connect: " + client.error().message;
      signaling::RegisterParams params;
      params.type = *workload::parse_type(type);
      params.realm = 1;
      auto reg = (*client)->register_actor(params);
      if (!reg) return "register: " + reg.error().message;
      credential = reg->credential;
      me = reg->id;
      raw_caller_serial_ = me.serial_number;
      clients_.push_back(std::move(*client));
    }
    net::TransportOptions options;
    options.credential = [credential] { return runtime::encode_credential_set({credential}); };
    options.verify = [](std::span<const uint8_t>) -> Result<net::PeerInfo> {
      return net::PeerInfo{};
    };
    auto transport = net::Transport::start(options, "");
    if (!transport) return "transport: " + transport.error().message;
    auto peer = (*transport)->peer(node.network()->listen_address());
    if (!peer) return "peer: " + peer.error().message;
    auto send = [&](std::string route_key, std::string request_id) {
      net::Request request;
      request.target = node.actors()[0]->id();
      request.message.kind = workload::Message::Kind::Call;
      request.message.request_id = std::move(request_id);
      request.message.route_key = std::move(route_key);
      request.message.caller = caller.value_or(me);
      std::promise<workload::CallResult> reply;
      (*peer)->call(std::move(request),
                    [&](workload::CallResult r) { reply.set_value(std::move(r)); });
      return text(reply.get_future().get());
    };
    std::string first = send(route, "raw-" + std::to_string(++raw_calls_));
    // Further (route key, request id) pairs over the same connection.
    for (auto& [r, id] : more) {
      std::string answer = send(r, id);
      if (more_answers) more_answers->push_back(std::move(answer));
    }
    (*transport)->stop();
    return first;
  }

  std::filesystem::path dir_;
  std::function<void(signaling::server::ServerOptions&)> server_options_;  // applied last
  std::unique_ptr<signaling::server::Server> server_;
  std::vector<std::unique_ptr<signaling::Client>> clients_;
  uint64_t raw_caller_serial_ = 0;
  int raw_calls_ = 0;

  std::vector<std::unique_ptr<runtime::Node>> nodes_;
};

TEST_F(NetworkTest, ActorsOnThreeNodesDiscoverAndCallEachOther) {
  start_server();
  auto* a = start_member("a", probe_actor("alpha"));
  auto* b = start_member("b", probe_actor("beta"));
  auto* c = start_member("c", probe_actor("gamma"));
  ASSERT_TRUE(a && b && c);
  // Serials come from the server: unique in the realm across the nodes.
  std::set<uint64_t> serials;
  for (auto* n : {a, b, c}) serials.insert(n->actors()[0]->id().serial_number);
  EXPECT_EQ(serials.size(), 3u);

  EXPECT_EQ(call(a, "alpha", "call", "beta echo from-a"), "from-a");
  EXPECT_EQ(call(b, "beta", "call", "alpha echo from-b"), "from-b");
  EXPECT_EQ(call(c, "gamma", "call", "alpha echo from-c"), "from-c");
  EXPECT_EQ(call(a, "alpha", "call-raw", "gamma echo raw"), "raw");
  // The callee sees the remote caller's id and the caller's request id.
  std::string ids = call(a, "alpha", "call", "beta ids");
  EXPECT_NE(ids.find("self=" + id_text(b->actors()[0]->id()) +
                     " caller=" + id_text(a->actors()[0]->id())),
            std::string::npos)
      << ids;
  // Errors keep their case across the network.
  EXPECT_EQ(call(a, "alpha", "call", "beta err x"), "invalid-argument: bad input: x");
  EXPECT_EQ(call(a, "alpha", "call", "beta nope"), "unknown-route: nope");
  EXPECT_EQ(call(a, "alpha", "call", "delta echo"),
            "dependency-not-found: delta: no actor of this type in realm 1 that the caller may "
            "call");
  // Tell across nodes reaches the mailbox.
  EXPECT_EQ(call(a, "alpha", "tell", "beta count"), "told");
  EXPECT_TRUE(eventually([&] { return call(b, "beta", "get") == "1"; }));
}

TEST_F(NetworkTest, DataStreamsCrossNodesInOrder) {
  start_server();
  auto* a = start_member("a", probe_actor("alpha"));
  auto* b = start_member("b", probe_actor("beta"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(call(b, "beta", "stream-register", "s1"), "ok");
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(call(a, "alpha", "stream-send",
                   "beta s1 " + std::to_string(i) + " rpc chunk" + std::to_string(i)),
              "ok");
  }
  std::string chunks;
  ASSERT_TRUE(eventually([&] {
    chunks = call(b, "beta", "streams");
    return chunks.find("s1:19:") != std::string::npos;
  })) << chunks;
  size_t at = 0;
  for (int i = 0; i < 20; ++i) {
    size_t next = chunks.find("s1:" + std::to_string(i) + ":chunk" + std::to_string(i), at);
    ASSERT_NE(next, std::string::npos) << "chunk " << i << " missing or out of order:\n" << chunks;
    at = next;
  }
  EXPECT_NE(chunks.find("from=" + id_text(a->actors()[0]->id())), std::string::npos) << chunks;
  // An unregistered stream is refused by the receiving node.
  EXPECT_EQ(call(a, "alpha", "stream-send", "beta nope 0 rpc x").substr(0, 10), "not-found:");
}

TEST_F(NetworkTest, AclHidesAndRefusesForbiddenCallers) {
  start_server();
  auto* b = start_member("b", probe_actor("beta", "acl = [\"allow test/gamma\"]"));
  auto* a = start_member("a", probe_actor("alpha"));
  auto* c = start_member("c", probe_actor("gamma"));
  ASSERT_TRUE(a && b && c);
  // gamma may: discovery finds beta and the call goes through.
  EXPECT_EQ(call(c, "gamma", "call", "beta echo ok"), "ok");
  // alpha may not: discovery does not show beta.
  EXPECT_EQ(call(a, "alpha", "call", "beta echo").substr(0, 26), "dependency-not-found: beta");
  // A caller with a genuine credential that goes straight to beta's node is refused there, and
  // beta's workload never sees the call; an admitted type gets through the same way.
  std::string refused = raw_call(*b, "test/alpha", "count");
  EXPECT_EQ(refused, "permission-denied: actor 1:" + std::to_string(raw_caller_serial_) +
                         " may not call actor beta#0 (" + id_text(b->actors()[0]->id()) +
                         ") (ACL)");
  EXPECT_EQ(call(b, "beta", "get"), "0");
  EXPECT_EQ(raw_call(*b, "test/gamma", "count"), "1");
}

TEST_F(NetworkTest, ForgedAndUnauthenticatedCallersAreRefused) {
  start_server();
  auto* b = start_member("b", probe_actor("beta"));
  ASSERT_TRUE(b);
  // Signed by another key: the claims look right, the signature is not the server's.
  auto forger = signaling::CredentialIssuer::generate();
  signaling::CredentialClaims claims{b->actors()[0]->id(), signaling::system_unix_seconds() + 3600,
                                     signaling::system_unix_seconds()};
  claims.id.serial_number = 999;
  std::string r = raw_call(*b, "", "count", forger.issue(claims).encode(), claims.id);
  EXPECT_EQ(r.substr(0, 18), "permission-denied:") << r;
  // A genuine credential, but the request names another caller than the credential does.
  r = raw_call(*b, "test/alpha", "count", "", b->actors()[0]->id());
  EXPECT_NE(r.find("not authenticated on this connection"), std::string::npos) << r;
  EXPECT_EQ(call(b, "beta", "get"), "0");
}

TEST_F(NetworkTest, HooksReportSignalingAndWebSocketTransitions) {
  start_server();
  auto* a = start_member("a", probe_actor("alpha"));
  auto* b = start_member("b", probe_actor("beta"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(call(a, "alpha", "call", "beta echo x"), "x");
  std::string beta = id_text(b->actors()[0]->id());
  std::string alpha = id_text(a->actors()[0]->id());
  std::string hooks;
  ASSERT_TRUE(eventually([&] {
    hooks = call(a, "alpha", "hooks");
    return hooks.find("on_websocket_connected " + beta) != std::string::npos;
  })) << hooks;
  EXPECT_NE(hooks.find("on_signaling_connecting | "), std::string::npos) << hooks;
  EXPECT_NE(hooks.find("on_signaling_connected | self=" + alpha +
                       " caller=none req=hook:on_signaling_connected"),
            std::string::npos)
      << hooks;
  EXPECT_NE(hooks.find("on_websocket_connecting " + beta + " relayed=none"), std::string::npos)
      << hooks;
  // The other side saw the connection too, with the caller's node's id.
  ASSERT_TRUE(eventually([&] {
    hooks = call(b, "beta", "hooks");
    return hooks.find("on_websocket_connected " + alpha + " relayed=none") != std::string::npos;
  })) << hooks;
  // The signaling server goes away: every actor hears it.
  server_->stop();
  ASSERT_TRUE(eventually([&] {
    hooks = call(a, "alpha", "hooks");
    return hooks.find("on_signaling_disconnected") != std::string::npos;
  })) << hooks;
  // Nodes already connected keep talking meanwhile.
  EXPECT_EQ(call_id(a, b, "echo", "still"), "still");
  // A peer node stops: its connection ends and the caller's actors hear it.
  b->stop();
  ASSERT_TRUE(eventually([&] {
    hooks = call(a, "alpha", "hooks");
    return hooks.find("on_websocket_disconnected " + beta) != std::string::npos;
  })) << hooks;
  EXPECT_EQ(call_id(a, b, "echo", "x").substr(0, 12), "unavailable:");
}

// Both nodes take WebRTC (data channels on 127.0.0.1): the first call goes over WebSocket and
// offers a path through the signaling relay; once it is open, calls, tells, call-raw and stream
// chunks take it, and the hooks say so with relayed = no.
constexpr const char* kWebRtc =
    "transports = [\"websocket\", \"webrtc\"]\nice_addresses = [\"127.0.0.1\"]";

TEST_F(NetworkTest, WebRtcCarriesTheTrafficOnceOpenAndTheHooksSaySo) {
  start_server();
  auto* a = start_member("a", probe_actor("alpha"), kWebRtc);
  auto* b = start_member("b", probe_actor("beta"), kWebRtc);
  ASSERT_TRUE(a && b);
  std::string beta = id_text(b->actors()[0]->id());
  std::string alpha = id_text(a->actors()[0]->id());
  EXPECT_EQ(call(a, "alpha", "call", "beta echo first"), "first");
  std::string hooks;
  ASSERT_TRUE(eventually([&] {
    hooks = call(a, "alpha", "hooks");
    return hooks.find("on_webrtc_connected " + beta + " relayed=no") != std::string::npos;
  })) << hooks;
  EXPECT_NE(hooks.find("on_webrtc_connecting " + beta + " relayed=none"), std::string::npos)
      << hooks;
  ASSERT_TRUE(eventually([&] {
    hooks = call(b, "beta", "hooks");
    return hooks.find("on_webrtc_connected " + alpha + " relayed=no") != std::string::npos;
  })) << hooks;
  EXPECT_NE(hooks.find("on_webrtc_connecting " + alpha), std::string::npos) << hooks;

  auto before = a->network()->transport_stats();
  EXPECT_EQ(before.carried, 1u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(call(a, "alpha", "call", "beta echo w" + std::to_string(i)), "w" + std::to_string(i));
  }
  EXPECT_EQ(call(a, "alpha", "call-raw", "beta echo raw"), "raw");
  EXPECT_EQ(call(a, "alpha", "tell", "beta count"), "told");
  EXPECT_TRUE(eventually([&] { return call(b, "beta", "get") == "1"; }));
  // Both stream lanes, in order on the reliable one.
  EXPECT_EQ(call(b, "beta", "stream-register", "s1"), "ok");
  EXPECT_EQ(call(b, "beta", "stream-register", "s2"), "ok");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(call(a, "alpha", "stream-send",
                   "beta s1 " + std::to_string(i) + " reliable c" + std::to_string(i)),
              "ok");
    EXPECT_EQ(call(a, "alpha", "stream-send",
                   "beta s2 " + std::to_string(i) + " latency l" + std::to_string(i)),
              "ok");
  }
  std::string chunks;
  ASSERT_TRUE(eventually([&] {
    chunks = call(b, "beta", "streams");
    return chunks.find("s1:9:c9") != std::string::npos;
  })) << chunks;
  // Latency-first chunks may come out of order; on loopback none is lost.
  for (int i = 0; i < 10; ++i) {
    EXPECT_NE(chunks.find("s2:" + std::to_string(i) + ":l" + std::to_string(i)), std::string::npos)
        << chunks;
  }
  // A frame larger than a data-channel message travels in pieces.
  std::string large(300 * 1024, 'z');
  large[1234] = 'q';
  EXPECT_EQ(call(a, "alpha", "call", "beta echo " + large), large);
  for (int i = 1; i < 10; ++i) {
    EXPECT_LT(chunks.find("s1:" + std::to_string(i - 1) + ":"),
              chunks.find("s1:" + std::to_string(i) + ":"))
        << chunks;
  }
  auto after = a->network()->transport_stats();
  // Every request after the path opened took it: 10 calls, call-raw, tell, 20 chunks, 1 large.
  EXPECT_GE(after.carried_requests - before.carried_requests, 33u);
  EXPECT_EQ(after.outbound_opened, before.outbound_opened);  // no new WebSocket
  // The other way takes the same path.
  auto b_before = b->network()->transport_stats().carried_requests;
  EXPECT_EQ(call(b, "beta", "call", "alpha echo back"), "back");
  EXPECT_GT(b->network()->transport_stats().carried_requests, b_before);

  // A node that stops: its path ends, and the peer's actors hear it.
  b->stop();
  ASSERT_TRUE(eventually([&] {
    hooks = call(a, "alpha", "hooks");
    return hooks.find("on_webrtc_disconnected " + beta + " relayed=no") != std::string::npos;
  })) << hooks;
}

// Nodes that may only use relayed candidates reach each other through the coturn whose
// credentials the signaling server handed out at registration.
TEST_F(NetworkTest, WebRtcThroughTurnWithGrantsFromTheSignalingServer) {
  if (!std::filesystem::exists(Coturn::kBinary)) {
    ACTR_SKIP_MISSING("coturn is not installed (Debian package coturn)");
  }
  Coturn turn(dir_ / "turn", "network-test-turn-secret");
  if (!turn.ready()) {
    std::cerr << "coturn did not answer STUN on 127.0.0.1:\n" << turn.diagnosis() << std::endl;
    GTEST_SKIP() << "coturn could not serve on this machine:\n" << turn.diagnosis();
  }
  start_server(std::chrono::seconds(3600), 0, &turn);
  std::string relay_only = std::string(kWebRtc) + "\nice_relay_only = true";
  auto* a = start_member("a", probe_actor("alpha"), relay_only);
  auto* b = start_member("b", probe_actor("beta"), relay_only);
  ASSERT_TRUE(a && b);
  std::string beta = id_text(b->actors()[0]->id());
  EXPECT_EQ(call(a, "alpha", "call", "beta echo first"), "first");
  std::string hooks;
  ASSERT_TRUE(eventually([&] {
    hooks = call(a, "alpha", "hooks");
    return hooks.find("on_webrtc_connected " + beta + " relayed=yes") != std::string::npos;
  })) << hooks;
  auto before = a->network()->transport_stats().carried_requests;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(a, "alpha", "call", "beta echo t" + std::to_string(i)), "t" + std::to_string(i));
  }
  EXPECT_GE(a->network()->transport_stats().carried_requests - before, 5u);
}

TEST_F(NetworkTest, APeerWithoutWebRtcKeepsTheTrafficOnWebSocket) {
  start_server();
  auto* a =
      start_member("a", probe_actor("alpha"), std::string(kWebRtc) + "\nwebrtc_timeout_ms = 300");
  auto* b = start_member("b", probe_actor("beta"));
  ASSERT_TRUE(a && b);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(call(a, "alpha", "call", "beta echo x" + std::to_string(i)), "x" + std::to_string(i));
    std::this_thread::sleep_for(100ms);
  }
  std::string hooks = call(a, "alpha", "hooks");
  EXPECT_NE(hooks.find("on_webrtc_connecting"), std::string::npos) << hooks;
  EXPECT_EQ(hooks.find("on_webrtc_connected"), std::string::npos) << hooks;
  EXPECT_EQ(a->network()->transport_stats().carried, 0u);
}

TEST_F(NetworkTest, NodesReRegisterWithTheirIdsAfterAServerRestart) {
  start_server();
  uint16_t port = server_->port();
  auto* a = start_member("a", probe_actor("alpha"));
  auto* b = start_member("b", probe_actor("beta"));
  ASSERT_TRUE(a && b);
  auto alpha = a->actors()[0]->id();
  server_->stop();
  server_.reset();
  ASSERT_TRUE(eventually([&] { return !a->network()->signaling_connected(); }));
  start_server(std::chrono::seconds(3600), port);
  ASSERT_TRUE(eventually(
      [&] { return a->network()->signaling_connected() && b->network()->signaling_connected(); }));
  EXPECT_EQ(a->network()->ids()[0].serial_number, alpha.serial_number);
  // Discovery works again (beta was registered anew on the restarted server).
  EXPECT_TRUE(eventually([&] { return call(a, "alpha", "call", "beta echo back") == "back"; }));
  std::string hooks = call(a, "alpha", "hooks");
  size_t down = hooks.find("on_signaling_disconnected");
  ASSERT_NE(down, std::string::npos) << hooks;
  EXPECT_NE(hooks.find("on_signaling_connected", down), std::string::npos) << hooks;
}

// The realm's signing key is rotated (docs/NETWORK.md "Rotating the signing key"): the server
// restarts signing with the new key and accepting the old one, then with the new key alone. The
// nodes keep their ids and call each other at every step, over the connection they had: each
// takes the keys its registration names for its peers' credentials, old and new.
TEST_F(NetworkTest, NodesKeepTheirIdsAndCallEachOtherAcrossASigningKeyRotation) {
  auto old_key = dir_ / "realm.key", new_key = dir_ / "new.key";
  ASSERT_TRUE(signaling::server::create_signing_key_file(old_key));
  ASSERT_TRUE(signaling::server::create_signing_key_file(new_key));
  auto use_keys = [&](std::filesystem::path signing, std::vector<std::filesystem::path> accepted) {
    server_options_ = [=](signaling::server::ServerOptions& o) {
      o.signing_key_file = signing;
      o.accepted_signing_key_files = accepted;
    };
  };
  use_keys(old_key, {});
  start_server();
  uint16_t port = server_->port();
  auto* a = start_member("a", probe_actor("alpha"));
  auto* b = start_member("b", probe_actor("beta"));
  ASSERT_TRUE(a && b);
  auto alpha = a->actors()[0]->id(), beta = b->actors()[0]->id();
  ASSERT_EQ(call_id(a, b, "echo", "before"), "before");
  auto restart = [&] {
    server_->stop();
    server_.reset();
    ASSERT_TRUE(eventually([&] {
      return !a->network()->signaling_connected() && !b->network()->signaling_connected();
    }));
    start_server(std::chrono::seconds(3600), port);
    ASSERT_TRUE(eventually([&] {
      return a->network()->signaling_connected() && b->network()->signaling_connected();
    }));
  };
  for (int step = 0; step < 2; ++step) {
    if (step == 0) use_keys(new_key, {old_key});
    if (step == 1) use_keys(new_key, {});
    restart();
    EXPECT_EQ(a->network()->ids()[0].serial_number, alpha.serial_number) << "step " << step;
    EXPECT_EQ(b->network()->ids()[0].serial_number, beta.serial_number) << "step " << step;
    EXPECT_TRUE(eventually([&] { return call_id(a, b, "echo", "by-id") == "by-id"; }))
        << "step " << step << ": " << call_id(a, b, "echo", "by-id");
    EXPECT_TRUE(eventually([&] { return call_id(b, a, "echo", "back") == "back"; }))
        << "step " << step << ": " << call_id(b, a, "echo", "back");
    EXPECT_TRUE(eventually([&] { return call(a, "alpha", "call", "beta echo found") == "found"; }));
  }
}

TEST_F(NetworkTest, CredentialsAreRenewedBeforeExpiryAndALapsedOneStopsTraffic) {
  // Credentials live 4 s; nodes renew 2 s before expiry.
  start_server(std::chrono::seconds(4));
  auto* a = start_member("a", probe_actor("alpha"), "renew_margin_s = 2");
  auto* b = start_member("b", probe_actor("beta"), "renew_margin_s = 2");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(call(a, "alpha", "call", "beta echo x"), "x");
  std::string hooks;
  ASSERT_TRUE(eventually(
      [&] {
        hooks = call(a, "alpha", "hooks");
        return hooks.find("on_credential_renewed") != std::string::npos;
      },
      std::chrono::seconds(8)))
      << hooks;
  EXPECT_NE(hooks.find("on_credential_expiring"), std::string::npos) << hooks;
  EXPECT_LT(hooks.find("on_credential_expiring"), hooks.find("on_credential_renewed")) << hooks;
  // Past the first credential's expiry the connection made with it still carries calls: the
  // renewed credentials were sent to the peer, which checks expiry on every request.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(call_id(a, b, "echo", "renewed"), "renewed");
  EXPECT_EQ(a->network()->transport_stats().outbound_opened, 1u);
  // Without the server nothing is renewed: once alpha's credential lapses it sends nothing.
  server_->stop();
  std::string r;
  ASSERT_TRUE(eventually(
      [&] {
        r = call_id(a, b, "echo", "x");
        return r.find("lapsed") != std::string::npos;
      },
      std::chrono::seconds(8)))
      << r;
  EXPECT_EQ(r.substr(0, 12), "unavailable:") << r;
}

TEST_F(NetworkTest, IdsFromPayloadsAreLookedUpAndANodeThatMovedIsFoundAgain) {
  start_server();
  auto* a = start_member("a", probe_actor("alpha"));
  auto* b = start_member("b", probe_actor("beta", "mailbox = \"durable\""));
  auto* c = start_member("c", probe_actor("gamma", "acl = [\"allow test/beta\"]"));
  ASSERT_TRUE(a && b && c);
  // alpha never discovered beta: the id alone is enough (the server tells where it lives).
  EXPECT_EQ(call_id(a, b, "echo", "by-id"), "by-id");
  // ...but not for an actor whose ACL hides it from alpha.
  EXPECT_EQ(call_id(a, c, "echo", "x").substr(0, 10), "not-found:");
  // beta's node stops and comes back on another port with its data: same id, new address.
  auto beta = b->actors()[0]->id();
  std::string old_address = b->network()->listen_address();
  b->stop();
  EXPECT_EQ(call_id(a, b, "echo", "x").substr(0, 12), "unavailable:");
  nodes_[1].reset();
  auto* b2 = start_member("b", probe_actor("beta", "mailbox = \"durable\""));
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->actors()[0]->id().serial_number, beta.serial_number);
  EXPECT_NE(b2->network()->listen_address(), old_address);
  std::string r;
  EXPECT_TRUE(eventually([&] {
    r = call_id(a, b2, "echo", "moved");
    return r == "moved";
  })) << r;
}

TEST_F(NetworkTest, ANodeWithHundredsOfActorsPresentsAllTheirCredentials) {
  start_server();
  // 600 credentials (~110 bytes each) do not fit in the upgrade's headers: a part goes there, all
  // follow as the connection's first frame. Every instance can call, the last registered one too.
  auto* a = start_member("a", probe_actor("alpha", "instances = 600\nmailbox = \"memory\""),
                         "register_timeout_ms = 120000");
  auto* b = start_member("b", probe_actor("beta"));
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->actors().size(), 600u);
  ASSERT_EQ(b->actors().size(), 1u);
  auto last = a->actors().back()->id();
  auto beta = b->actors()[0]->id();
  std::string args = "1 " + std::to_string(beta.serial_number) + " echo many";
  EXPECT_EQ(text(a->call_sync(std::to_string(last.serial_number), "call-id", bytes(args))), "many");
  EXPECT_EQ(text(a->call_sync(std::to_string(a->actors()[0]->id().serial_number), "call-id",
                              bytes(args))),
            "many");
  EXPECT_EQ(a->network()->transport_stats().outbound_opened, 1u);
}

// Route keys and request ids of every byte value and random bytes, over the WebSocket transport:
// what is not UTF-8 is refused with invalid-argument, nothing reaches the guest, no actor restarts.
TEST_F(NetworkTest, RequestBytesThatAreNotUtf8AreRefusedAndRestartNothing) {
  start_server();
  auto* b = start_member("b", probe_actor("beta", "mailbox = \"durable\""));
  ASSERT_TRUE(b);
  std::vector<std::pair<std::string, std::string>> requests;
  for (int byte = 0; byte < 256; ++byte) {
    std::string one(1, static_cast<char>(byte));
    requests.push_back({one, "byte-route-" + std::to_string(byte)});
    requests.push_back({"echo", "byte-id-" + std::to_string(byte) + one});
  }
  std::mt19937 rng(20261206);
  for (int i = 0; i < 300; ++i) {
    std::string random(1 + rng() % 12, '\0');
    for (auto& c : random) c = static_cast<char>(rng());
    requests.push_back({random, "random-" + std::to_string(i)});
  }
  std::vector<std::string> answers;
  EXPECT_EQ(raw_call(*b, "test/alpha", "echo", "", std::nullopt, requests, &answers), "");
  ASSERT_EQ(answers.size(), requests.size());
  size_t refused = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    bool valid =
        unicode::validate_utf8(requests[i].first) && unicode::validate_utf8(requests[i].second);
    if (!valid) {
      EXPECT_EQ(answers[i].rfind("invalid-argument: the ", 0), 0u) << i << ": " << answers[i];
      EXPECT_NE(answers[i].find("is not valid UTF-8"), std::string::npos) << answers[i];
      ++refused;
    } else {
      EXPECT_EQ(answers[i].rfind("internal", 0), std::string::npos) << i << ": " << answers[i];
    }
  }
  EXPECT_GT(refused, 250u);
  auto beta = b->actors()[0];
  EXPECT_EQ(beta->restarts(), 0u);
  EXPECT_EQ(beta->stats().traps.load(), 0u);
  EXPECT_EQ(beta->state(), runtime::Actor::State::Running);
  EXPECT_TRUE(b->store()->dead_letters()->empty());
}

TEST_F(NetworkTest, AnEnrollmentTokenKeepsStrangersOut) {
  signaling::server::ServerOptions options;
  options.data_dir = dir_ / "signaling";
  options.enrollment.tokens.push_back({"s3cret-token-0123", {}});
  auto server = signaling::server::Server::start(options);
  ASSERT_TRUE(server) << server.error().message;
  server_ = std::move(*server);
  std::string toml = "data_dir = \"x\"\n[network]\nsignaling = \"" + server_->listen_address() +
                     "\"\nregister_timeout_ms = 1000\n" + probe_actor("alpha");
  std::string probe = guest_path("runtime_probe").string();
  for (size_t at; (at = toml.find("$PROBE")) != std::string::npos;) toml.replace(at, 6, probe);
  auto config = runtime::parse_config(toml, dir_);
  ASSERT_TRUE(config) << config.error().message;
  auto node = runtime::Node::create(*config);
  ASSERT_TRUE(node);
  auto started = (*node)->start();
  ASSERT_FALSE(started);
  EXPECT_NE(started.error().message.find("did not register"), std::string::npos)
      << started.error().message;
  (*node)->stop();
  EXPECT_EQ(server_->live_actor_count(), 0u);
  auto* member = start_member("a", probe_actor("alpha"), "enroll_token = \"s3cret-token-0123\"");
  ASSERT_TRUE(member);
  EXPECT_EQ(server_->live_actor_count(), 1u);
}

TEST(NetworkConfig, ReadsTheNetworkTableAndAcls) {
  auto c = runtime::parse_config(
      "[network]\nsignaling = \"ws://127.0.0.1:7300\"\nlisten = \"0.0.0.0:7400\"\n"
      "renew_margin_s = 30\n[[actors]]\ncomponent = \"x.wasm\"\nacl = [\"allow acme/*\", "
      "\"deny *\"]\n",
      "/tmp");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->network.enabled());
  EXPECT_EQ(c->network.listen, "0.0.0.0:7400");
  EXPECT_EQ(c->network.renew_margin, std::chrono::seconds(30));
  EXPECT_EQ(c->actors[0].acl.size(), 2u);
  auto bad = runtime::parse_config("[[actors]]\ncomponent = \"x.wasm\"\nacl = [\"maybe *\"]\n",
                                   "/tmp", "n.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("n.toml:3:"), std::string::npos) << bad.error().message;
  auto missing = runtime::parse_config("[network]\nlisten = \"x:1\"\n", "/tmp", "n.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("network.signaling"), std::string::npos);
}

TEST(NetworkConfig, SeveralSignalingServersAreTriedInTurn) {
  auto c = runtime::parse_config(
      "[network]\nsignaling = [\"ws://10.0.0.1:7450\", \"ws://10.0.0.2:7450\", "
      "\"ws://10.0.0.3:7450\"]\n",
      "/tmp");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->network.signaling, "ws://10.0.0.1:7450");
  EXPECT_EQ(c->network.signaling_fallbacks,
            (std::vector<std::string>{"ws://10.0.0.2:7450", "ws://10.0.0.3:7450"}));
  auto empty = runtime::parse_config("[network]\nsignaling = []\n", "/tmp", "n.toml");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("empty list"), std::string::npos) << empty.error().message;
}

TEST(NetworkConfig, ReadsTheTransportsAndRefusesOnesThatCannotWork) {
  const std::string head = "[network]\nsignaling = \"ws://127.0.0.1:7300\"\n";
  auto c = runtime::parse_config(head +
                                     "transports = [\"websocket\", \"webrtc\"]\n"
                                     "webrtc_timeout_ms = 900\nice_addresses = [\"10.0.0.2\"]\n"
                                     "ice_relay_only = true\nidle_timeout_ms = 2500\n",
                                 "/tmp");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_TRUE(c->network.webrtc());
  EXPECT_EQ(c->network.webrtc_timeout, std::chrono::milliseconds(900));
  EXPECT_EQ(c->network.ice_addresses, std::vector<std::string>{"10.0.0.2"});
  EXPECT_TRUE(c->network.ice_relay_only);
  EXPECT_EQ(c->network.idle_timeout, std::chrono::milliseconds(2500));
  EXPECT_FALSE(runtime::parse_config(head + "idle_timeout_ms = 10\n", "/tmp"));
  auto plain = runtime::parse_config(head, "/tmp");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->network.webrtc());  // WebSocket only unless asked
  auto unknown =
      runtime::parse_config(head + "transports = [\"websocket\", \"quic\"]\n", "/tmp", "n.toml");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown `quic`"), std::string::npos)
      << unknown.error().message;
  auto alone = runtime::parse_config(head + "transports = [\"webrtc\"]\n", "/tmp", "n.toml");
  ASSERT_FALSE(alone);
  EXPECT_NE(alone.error().message.find("must include \"websocket\""), std::string::npos)
      << alone.error().message;
  auto wrong = runtime::parse_config(head + "transports = \"webrtc\"\n", "/tmp", "n.toml");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("array of strings"), std::string::npos);
}

TEST(CredentialSet, RoundTripsAndRefusesDamagedInput) {
  auto bytes = runtime::encode_credential_set({"one", std::string(300, 'x'), ""});
  auto back = runtime::decode_credential_set(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, (std::vector<std::string>{"one", std::string(300, 'x'), ""}));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(runtime::decode_credential_set(std::span(bytes.data(), cut))) << cut;
  }
  bytes.push_back(0);
  EXPECT_FALSE(runtime::decode_credential_set(bytes));
  EXPECT_FALSE(runtime::decode_credential_set(runtime::encode_credential_set({})));
}

}  // namespace
}  // namespace actr::test
