// A node calls an actor of a browser node without a browser: the test registers the browser's
// actor at the signaling server under a `.invalid` node address (a browser has no listener) and
// plays the page with what this process has: a signaling client that receives the node's offer,
// a webrtc::PeerConnection that answers it (full SDP, as a browser does) and a transport over
// the data channels that answers the node's requests. Without an answer the call fails with
// unavailable after webrtc_timeout_ms; without WebRTC at once; never is the address dialed.
// BrowserInterop.ANodeCallsAnActorOfABrowserOverWebRtc does the same with Chromium.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "net/transport.hpp"
#include "node_fixture.hpp"
#include "proto/transport.pb.h"
#include "runtime/network/credential_set.hpp"
#include "runtime/network/data_channel_carrier.hpp"
#include "runtime/network/node_network.hpp"
#include "signaling/client.hpp"
#include "signaling/server/server.hpp"
#include "support/missing.hpp"
#include "webrtc/peer_connection.hpp"
#include "webrtc/session_description.hpp"

namespace actr::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "browser-node-test-token-0123";
constexpr const char* kBrowserAddress = "ws://browser-0c0ffee0.invalid:9";
constexpr const char* kWebRtc =
    "transports = [\"websocket\", \"webrtc\"]\nice_addresses = [\"127.0.0.1\"]\n";

std::string id_text(const workload::ActrId& id) {
  return std::to_string(id.realm.realm_id) + ":" + std::to_string(id.serial_number);
}

// The browser's side: its registration, and the PeerSignals the node relays to it.
struct Page {
  std::unique_ptr<signaling::Client> client;
  signaling::Registration registration;

  // The next PeerSignal relayed to the page, if one comes within `limit`.
  std::optional<std::pair<workload::ActrId, transport::PeerSignal>> next_signal(
      std::chrono::milliseconds limit = 10s) {
    auto push = client->next_push(limit);
    if (!push) return std::nullopt;
    auto* relayed = std::get_if<signaling::RelayedPayload>(&*push);
    if (!relayed) return next_signal(limit);
    transport::PeerSignal s;
    if (!s.ParseFromString(relayed->payload)) return std::nullopt;
    return std::make_pair(relayed->from, s);
  }

  Result<void> send(const workload::ActrId& to, const transport::PeerSignal& offer,
                    transport::PeerSignal::Kind kind, const std::string& description) {
    transport::PeerSignal s;
    s.set_version(offer.version());
    s.set_kind(kind);
    s.set_session(offer.session());
    s.set_description(description);
    s.set_node_address(kBrowserAddress);
    return client->relay(to, s.SerializeAsString(), registration.id.serial_number);
  }
};

class BrowserNode : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(guest_path("runtime_probe"))) {
      ACTR_SKIP_MISSING("runtime_probe.wasm was not built (no wasm32 toolchain)");
    }
    dir_ = fresh_dir(std::string("browser-node-") +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    signaling::server::ServerOptions options;
    options.data_dir = dir_ / "signaling";
    options.enrollment.tokens.push_back({kToken, {}});
    options.heartbeat_interval = 200ms;
    auto server = signaling::server::Server::start(options);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(*server);
    std::ofstream(dir_ / "enroll-token") << kToken << "\n";
  }
  void TearDown() override {
    if (node_) node_->stop();
    node_.reset();
    if (page_.client) page_.client->close();
    if (server_) server_->stop();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The node with the probe `alpha`; `network_extra` adds to its [network] table.
  runtime::Node* start_alpha(const std::string& network_extra) {
    std::string toml = "data_dir = \"alpha\"\nworkers = 1\ncall_timeout_ms = 8000\n[network]\n" +
                       std::string("signaling = \"") + server_->listen_address() +
                       "\"\nnode_id = \"alpha\"\nenroll_token_file = \"enroll-token\"\n" +
                       network_extra + "\n" + probe_actor("alpha");
    node_ = start_node(toml, dir_);
    return node_.get();
  }

  // The browser's actor, test/pager, registered under the `.invalid` address.
  ::testing::AssertionResult register_page() {
    signaling::ClientOptions options;
    options.enroll_token = kToken;
    options.heartbeat = 100ms;  // the server's timeout is 600 ms: a page that lives through a call
    auto client = signaling::Client::connect(server_->listen_address(), options);
    if (!client) return ::testing::AssertionFailure() << client.error().message;
    signaling::RegisterParams params;
    params.type = *workload::parse_type("test/pager@0.1.0");
    params.realm = 1;
    params.advertised_address = kBrowserAddress;
    auto registered = (*client)->register_actor(params);
    if (!registered) return ::testing::AssertionFailure() << registered.error().message;
    page_.client = std::move(*client);
    page_.registration = *registered;
    return ::testing::AssertionSuccess();
  }

  std::string call(const std::string& route, const std::string& payload) {
    return text(node_->call_sync("alpha", route, bytes(payload)));
  }

  std::filesystem::path dir_;
  std::unique_ptr<signaling::server::Server> server_;
  std::unique_ptr<runtime::Node> node_;
  Page page_;
};

// The page: answers the node's full SDP offer with a webrtc::PeerConnection and answers its
// requests on the data channels through a transport of its own ("page got ROUTE: PAYLOAD").
TEST_F(BrowserNode, ANodeOffersFullSdpToABrowserNodeAndTheCallTakesThePath) {
  auto* node = start_alpha(kWebRtc);
  ASSERT_TRUE(node);
  ASSERT_TRUE(register_page());
  std::string pager = id_text(page_.registration.id);

  // Declared first, so gone last: the transport closes the carrier, which uses the connection.
  webrtc::GlibLoop loop;
  std::unique_ptr<webrtc::PeerConnection> pc;
  std::shared_ptr<runtime::DataChannelCarrier> carrier;
  net::TransportOptions options;
  options.credential = [this] {
    return runtime::encode_credential_set({page_.registration.credential});
  };
  options.verify = [](std::span<const uint8_t>) -> Result<net::PeerInfo> {
    return net::PeerInfo{};
  };
  std::mutex mu;
  std::vector<std::string> requests;
  options.on_request = [&](const net::PeerInfo&, net::Request request, net::Responder responder) {
    const auto& m = request.message;
    std::string payload(m.payload.begin(), m.payload.end());
    {
      std::lock_guard lock(mu);
      requests.push_back(m.route_key + " " + payload + " from " +
                         (m.caller ? id_text(*m.caller) : "none"));
    }
    std::string answer = "page got " + m.route_key + ": " + payload;
    responder.reply(workload::CallResult::Ok(workload::Bytes(answer.begin(), answer.end())));
  };
  auto transport = net::Transport::start(options, "");
  ASSERT_TRUE(transport) << transport.error().message;

  // The call runs while the test thread plays the page.
  std::string answer;
  std::jthread caller([&] { answer = call("call", "pager greet hello page"); });
  auto offer = page_.next_signal();
  ASSERT_TRUE(offer) << "no offer reached the browser's actor";
  auto [node_actor, signal] = *offer;
  ASSERT_EQ(signal.kind(), transport::PeerSignal::OFFER);
  const std::string& sdp = signal.description();
  ASSERT_TRUE(webrtc::is_full_sdp(sdp)) << sdp;
  auto parsed = webrtc::parse_sdp(sdp);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->description.setup, "actpass");
  EXPECT_TRUE(parsed->description.complete) << sdp;
  EXPECT_NE(parsed->description.ice.find("a=candidate:"), std::string::npos) << sdp;

  std::string node_address = signal.node_address();
  webrtc::PeerEvents events;
  events.on_description = [&, to = node_actor, offer_signal = signal](std::string answer_sdp) {
    auto sent = page_.send(to, offer_signal, transport::PeerSignal::ANSWER, answer_sdp);
    EXPECT_TRUE(sent) << sent.error().message;
  };
  events.on_channel = [&](const webrtc::Channel& c) {
    carrier->channel_opened(c);
    if (!carrier->ready()) return;
    auto attached = (*transport)->attach(node_address, carrier, true);
    EXPECT_TRUE(attached) << attached.error().message;
  };
  events.on_message = [&](uint16_t stream, std::span<const uint8_t> m, bool) {
    carrier->deliver(stream, m);
  };
  events.on_writable = [&] { carrier->writable(); };
  webrtc::PeerOptions peer_options;
  peer_options.ice.local_addresses = {"127.0.0.1"};
  peer_options.certificate = *webrtc::Certificate::generate();
  auto created = webrtc::PeerConnection::create(loop, peer_options, events);
  ASSERT_TRUE(created) << created.error().message;
  pc = std::move(*created);
  carrier = std::make_shared<runtime::DataChannelCarrier>(
      pc.get(), net::TransportOptions{}.limits.max_frame_bytes, "page to node");
  ASSERT_TRUE(pc->set_remote_description(sdp));
  ASSERT_TRUE(pc->start());

  caller.join();
  EXPECT_EQ(answer, "page got greet: hello page");
  // The path stays: a second call takes it, and nothing more is offered.
  EXPECT_EQ(call("call", "pager greet again"), "page got greet: again");
  EXPECT_FALSE(page_.next_signal(200ms)) << "a complete offer: no candidate trickles after it";
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0], "greet hello page from " + id_text(node->actors()[0]->id()));
  }
  auto stats = node->network()->transport_stats();
  EXPECT_EQ(stats.outbound_opened, 0u) << "no WebSocket to a browser node";
  EXPECT_GE(stats.carried_requests, 2u);
  std::string hooks = call("hooks", "");
  EXPECT_NE(hooks.find("on_webrtc_connected " + pager + " relayed=no"), std::string::npos) << hooks;
  EXPECT_EQ(hooks.find("on_websocket_connecting"), std::string::npos) << hooks;

  node->stop();
  (*transport)->stop();
  carrier->detach("the test ends");
}

// A browser that does not answer: the call waits for the path the node offered; once
// webrtc_timeout_ms passed, the node tries the signaling relay, and when nothing answers there
// within the same time either, the call fails unavailable; the next one, within the retry
// delay, at once.
TEST_F(BrowserNode, WithoutAnAnswerTheCallFailsUnavailableAfterTheWebRtcTimeout) {
  auto* node = start_alpha(std::string(kWebRtc) + "webrtc_timeout_ms = 600\n");
  ASSERT_TRUE(node);
  ASSERT_TRUE(register_page());
  auto started = std::chrono::steady_clock::now();
  std::string answer = call("call", "pager greet hello");
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(answer.substr(0, 12), "unavailable:") << answer;
  EXPECT_NE(answer.find("no answer on the signaling relay within 600 ms either"), std::string::npos)
      << answer;
  EXPECT_GE(took, 1150ms);
  EXPECT_LT(took, 5s);
  // The offer reached the browser's actor (full SDP), then the node gave it up, tried the relay
  // (its credentials in the first frame) and gave that up too.
  auto offer = page_.next_signal();
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->second.kind(), transport::PeerSignal::OFFER);
  EXPECT_TRUE(webrtc::is_full_sdp(offer->second.description()));
  auto close = page_.next_signal();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->second.kind(), transport::PeerSignal::CLOSE);
  auto frame = page_.next_signal();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->second.kind(), transport::PeerSignal::FRAME);
  EXPECT_NE(frame->second.session(), offer->second.session());
  std::optional<std::pair<workload::ActrId, transport::PeerSignal>> relay_close;
  while ((relay_close = page_.next_signal()) &&
         relay_close->second.kind() == transport::PeerSignal::FRAME) {
  }
  ASSERT_TRUE(relay_close);
  EXPECT_EQ(relay_close->second.kind(), transport::PeerSignal::CLOSE);
  EXPECT_EQ(relay_close->second.session(), frame->second.session());

  started = std::chrono::steady_clock::now();
  answer = call("call", "pager greet again");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
  EXPECT_EQ(answer.substr(0, 12), "unavailable:") << answer;
  EXPECT_NE(answer.find("the last attempt failed less than"), std::string::npos) << answer;
  EXPECT_EQ(node->network()->transport_stats().outbound_opened, 0u);
}

TEST_F(BrowserNode, ANodeWithoutWebRtcCannotReachABrowserNode) {
  auto* node = start_alpha("");
  ASSERT_TRUE(node);
  ASSERT_TRUE(register_page());
  std::string answer = call("call", "pager greet hello");
  EXPECT_EQ(answer.substr(0, 12), "unavailable:") << answer;
  EXPECT_NE(answer.find("reachable over WebRTC only): this node's [network] transports has no "
                        "\"webrtc\""),
            std::string::npos)
      << answer;
  EXPECT_EQ(node->network()->transport_stats().outbound_opened, 0u);
}

}  // namespace
}  // namespace actr::test
