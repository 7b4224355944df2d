// Connections over a carrier (Transport::attach), with an in-memory carrier pair standing in
// for a WebRTC peer connection: credentials both ways first, then requests move off the
// WebSocket; a refused credential or a closed carrier sends them back to it.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "net/message_carrier.hpp"
#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;
using Lane = workload::PayloadType::Tag;

// One end of an in-memory pair: what one end sends, the other's sink gets, in order.
class MemoryCarrier final : public MessageCarrier {
 public:
  static std::pair<std::shared_ptr<MemoryCarrier>, std::shared_ptr<MemoryCarrier>> pair() {
    auto a = std::make_shared<MemoryCarrier>(), b = std::make_shared<MemoryCarrier>();
    a->peer_ = b;
    b->peer_ = a;
    return {a, b};
  }

  void bind(CarrierSink sink) override {
    std::lock_guard lock(mu_);
    sink_ = std::move(sink);
    for (auto& f : early_) sink_->on_frame(std::move(f));
    early_.clear();
    if (closed_ && sink_->on_closed) sink_->on_closed("closed before bind");
  }
  bool send(std::span<const uint8_t> frame, std::optional<Lane> lane) override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
      lanes_.push_back(lane);
      if (mute_) return true;  // a path that died without a word
    }
    if (auto peer = peer_.lock()) peer->receive(std::vector<uint8_t>(frame.begin(), frame.end()));
    return true;
  }
  void close() override {
    end("closed by this end");
    if (auto peer = peer_.lock()) peer->end("closed by the peer");
  }
  std::string describe() const override { return "memory carrier"; }
  bool relayed() const override { return false; }

  void mute() {
    std::lock_guard lock(mu_);
    mute_ = true;
  }
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  std::vector<std::optional<Lane>> lanes() const {
    std::lock_guard lock(mu_);
    return lanes_;
  }

 private:
  void receive(std::vector<uint8_t> frame) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    if (sink_)
      sink_->on_frame(std::move(frame));
    else
      early_.push_back(std::move(frame));
  }
  void end(const std::string& why) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    if (sink_ && sink_->on_closed) sink_->on_closed(why);
  }

  mutable std::mutex mu_;
  std::weak_ptr<MemoryCarrier> peer_;
  std::optional<CarrierSink> sink_;
  std::vector<std::vector<uint8_t>> early_;
  std::vector<std::optional<Lane>> lanes_;
  bool closed_ = false;
  bool mute_ = false;
};

struct Events {
  std::mutex mu;
  std::vector<PeerInfo> connected, disconnected;
  void install(TransportOptions& o) {
    o.events.connected = [this](const PeerInfo& p) {
      std::lock_guard lock(mu);
      connected.push_back(p);
    };
    o.events.disconnected = [this](const PeerInfo& p, const ActrError&) {
      std::lock_guard lock(mu);
      disconnected.push_back(p);
    };
  }
  size_t carried(const std::vector<PeerInfo>& list) {
    std::lock_guard lock(mu);
    return std::count_if(list.begin(), list.end(),
                         [](const PeerInfo& p) { return p.path == PeerInfo::Path::WebRtc; });
  }
};

bool eventually(const std::function<bool()>& condition) {
  for (int i = 0; i < 250 && !condition(); ++i) std::this_thread::sleep_for(20ms);
  return condition();
}

struct Nodes {
  Events a_events, b_events;
  std::unique_ptr<Transport> a, b;
  std::shared_ptr<MemoryCarrier> a_end, b_end;

  std::atomic<int> b_requests{0};  // requests b's handler saw

  explicit Nodes(std::string b_credential = "node:2",
                 std::chrono::milliseconds idle = std::chrono::milliseconds(15000)) {
    auto ao = options("a", "node:1");
    auto bo = options("b", b_credential);
    ao.idle_timeout = bo.idle_timeout = idle;
    ao.on_request = echo_handler();
    bo.on_request = [this, echo = echo_handler()](const PeerInfo& p, Request r, Responder s) {
      ++b_requests;
      echo(p, std::move(r), std::move(s));
    };
    a_events.install(ao);
    b_events.install(bo);
    a = start(std::move(ao));
    b = start(std::move(bo));
    std::tie(a_end, b_end) = MemoryCarrier::pair();
  }
  // Both ends attach, as the offerer and the answerer of a WebRTC path do.
  void attach() {
    ASSERT_TRUE(a->attach(b->listen_address(), a_end, false));
    ASSERT_TRUE(b->attach(a->listen_address(), b_end, true));
  }
  std::shared_ptr<Peer> a_to_b() { return a->peer(b->listen_address()).value(); }
};

TEST(NetCarrier, RequestsMoveToTheCarrierOnceBothEndsVerifiedEachOther) {
  Nodes n;
  auto peer = n.a_to_b();
  // Before any carrier: the WebSocket.
  auto r = call_and_wait(*peer, make_request(Kind::Call, "x", "first"));
  ASSERT_TRUE(r && r->is_ok());
  EXPECT_EQ(n.a->stats().outbound_opened, 1u);
  n.attach();
  ASSERT_TRUE(eventually([&] { return peer->carried(); }));
  ASSERT_TRUE(eventually([&] { return n.b_events.carried(n.b_events.connected) == 1; }));
  for (int i = 0; i < 20; ++i) {
    auto reply = call_and_wait(*peer, make_request(Kind::Call, "x", std::to_string(i)));
    ASSERT_TRUE(reply && reply->is_ok());
    EXPECT_EQ(text(reply->value()), "echo:" + std::to_string(i));
  }
  auto tell = make_request(Kind::Tell, "t", "told");
  tell.message.payload_type = workload::PayloadType::rpc_signal();
  auto told = tell_and_wait(*peer, tell);
  ASSERT_TRUE(told && told->is_ok());
  EXPECT_EQ(n.a->stats().carried_requests, 21u);
  EXPECT_EQ(n.a->stats().outbound_opened, 1u);  // no second WebSocket
  // The other direction takes the same carrier.
  auto back = n.b->peer(n.a->listen_address()).value();
  auto reply = call_and_wait(*back, make_request(Kind::Call, "y", "back"));
  ASSERT_TRUE(reply && reply->is_ok());
  EXPECT_EQ(n.b->stats().carried_requests, 1u);
  EXPECT_EQ(n.b->stats().outbound_opened, 0u);
  // The events say which path: the carrier's, with its relayed flag.
  std::lock_guard lock(n.b_events.mu);
  auto it = std::find_if(n.b_events.connected.begin(), n.b_events.connected.end(),
                         [](const PeerInfo& p) { return p.path == PeerInfo::Path::WebRtc; });
  ASSERT_NE(it, n.b_events.connected.end());
  EXPECT_EQ(it->id, actor(1, "node"));
  EXPECT_EQ(it->relayed, std::optional<bool>(false));
  EXPECT_EQ(it->remote_endpoint, "memory carrier");
  // Control frames take the rpc-reliable channel (no lane); the tell its own lane.
  auto lanes = n.a_end->lanes();
  EXPECT_EQ(lanes.front(), std::nullopt);  // the credential first
  EXPECT_NE(std::find(lanes.begin(), lanes.end(), std::optional<Lane>(Lane::RpcSignal)),
            lanes.end());
}

TEST(NetCarrier, AClosedCarrierSendsTrafficBackToTheWebSocket) {
  Nodes n;
  n.attach();
  auto peer = n.a_to_b();
  ASSERT_TRUE(eventually([&] { return peer->carried(); }));
  auto r = call_and_wait(*peer, make_request(Kind::Call, "x", "carried"));
  ASSERT_TRUE(r && r->is_ok());
  EXPECT_EQ(n.a->stats().outbound_opened, 0u);
  n.a_end->close();
  ASSERT_TRUE(eventually([&] { return !peer->carried(); }));
  ASSERT_TRUE(eventually([&] { return n.a_events.carried(n.a_events.disconnected) == 1; }));
  r = call_and_wait(*peer, make_request(Kind::Call, "x", "websocket"));
  ASSERT_TRUE(r && r->is_ok());
  EXPECT_EQ(text(r->value()), "echo:websocket");
  EXPECT_EQ(n.a->stats().outbound_opened, 1u);
  EXPECT_EQ(n.a->stats().carried_requests, 1u);
}

TEST(NetCarrier, APeerWhoseCredentialIsRefusedNeverGetsTheCarrier) {
  Nodes n("forged");
  n.attach();
  auto peer = n.a_to_b();
  // a refuses b's credential and closes the carrier; nothing is sent on it.
  ASSERT_TRUE(eventually([&] { return n.a_end->closed(); }));
  EXPECT_FALSE(peer->carried());
  EXPECT_EQ(n.a->stats().carried_requests, 0u);
  EXPECT_EQ(n.a_events.carried(n.a_events.connected), 0u);
}

TEST(NetCarrier, GarbageOnACarrierClosesOnlyThatConnection) {
  Nodes n;
  n.attach();
  auto peer = n.a_to_b();
  ASSERT_TRUE(eventually([&] { return peer->carried(); }));
  // b's end sends bytes that are no frame: a closes the carried connection...
  const uint8_t junk[] = {0xff, 0x00, 0x13, 0x37};
  n.b_end->send(junk, std::nullopt);
  ASSERT_TRUE(eventually([&] { return !peer->carried(); }));
  // ...and the traffic goes on over WebSocket.
  auto r = call_and_wait(*peer, make_request(Kind::Call, "x", "after"));
  ASSERT_TRUE(r && r->is_ok());
  EXPECT_EQ(text(r->value()), "echo:after");
}

TEST(NetCarrier, APeerThatFallsSilentIsDroppedWithinTheIdleTimeout) {
  Nodes n("node:2", 400ms);
  n.attach();
  auto peer = n.a_to_b();
  ASSERT_TRUE(eventually([&] { return peer->carried(); }));
  // Quiet but alive: pings keep the path (well past the idle timeout).
  std::this_thread::sleep_for(900ms);
  EXPECT_TRUE(peer->carried());
  // b's frames stop arriving (a path that died without an ABORT): a gives up on it.
  auto since = std::chrono::steady_clock::now();
  n.b_end->mute();
  ASSERT_TRUE(eventually([&] { return !peer->carried(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - since, 2s);
  auto r = call_and_wait(*peer, make_request(Kind::Call, "x", "fallback"));
  ASSERT_TRUE(r && r->is_ok());
  EXPECT_EQ(text(r->value()), "echo:fallback");
}

TEST(NetCarrier, RequestsInFlightWhenThePathDiesAreSentAgainOnTheWebSocket) {
  Nodes n("node:2", 400ms);
  n.attach();
  auto peer = n.a_to_b();
  ASSERT_TRUE(eventually([&] { return peer->carried(); }));
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "x", "before")));
  int before = n.b_requests;
  // The path dies without a word, both ways: what a sends now is lost on it.
  n.a_end->mute();
  n.b_end->mute();
  auto call = std::async(std::launch::async, [&] {
    return call_and_wait(*peer, make_request(Kind::Call, "x", "in flight"), 5s);
  });
  auto tell = std::async(std::launch::async, [&] {
    return tell_and_wait(*peer, make_request(Kind::Tell, "t", "told"), 5s);
  });
  // Latency-first chunks are not sent again: they fail with the path.
  auto latency = make_request(Kind::Stream, "s", "chunk");
  latency.message.payload_type = workload::PayloadType::stream_latency_first();
  latency.message.chunk = workload::types::DataStream{};
  auto lost = std::async(std::launch::async, [&] { return tell_and_wait(*peer, latency, 5s); });
  auto r = call.get();
  ASSERT_TRUE(r && r->is_ok()) << (r ? workload::describe(r->error()) : "no answer");
  EXPECT_EQ(text(r->value()), "echo:in flight");
  auto t = tell.get();
  ASSERT_TRUE(t && t->is_ok());
  auto l = lost.get();
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->is_err());
  // Each reached b once, on the WebSocket.
  EXPECT_EQ(n.b_requests - before, 2);
  EXPECT_EQ(n.a->stats().outbound_opened, 1u);
  EXPECT_FALSE(peer->carried());
}

}  // namespace
}  // namespace actr::net::test
