// The node-to-node frames on a real WebRTC peer connection (two of this process on 127.0.0.1):
// frames of any size up to the limit arrive whole and in order, a burst larger than the SCTP
// buffer goes out as room comes back, and a peer that sends malformed pieces or a frame over the
// limit gets its carrier closed, with the reason.
#include "runtime/network/data_channel_carrier.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "webrtc/certificate.hpp"
#include "webrtc/glib_loop.hpp"

namespace actr::runtime {
namespace {

using namespace std::chrono_literals;
using Lane = workload::PayloadType::Tag;

constexpr size_t kLimit = 4 * 1024 * 1024 + 64 * 1024;  // the transport's frame limit

struct Received {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::vector<uint8_t>> frames;
  std::string closed;
  bool wait(const std::function<bool()>& done, std::chrono::seconds limit = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, done);
  }
};

class CarrierPair : public ::testing::Test {
 protected:
  struct End {
    std::unique_ptr<webrtc::PeerConnection> pc;
    std::shared_ptr<DataChannelCarrier> carrier;
    std::promise<std::string> description;
    std::atomic<bool> connected{false};
    std::map<std::string, uint16_t> streams;  // label -> stream, as the peer opened them
    std::mutex mu;
    Received received;
  };

  void SetUp() override {
    for (End* e : {&o_, &a_}) {
      webrtc::PeerOptions p;
      p.offerer = e == &o_;
      p.ice.local_addresses = {"127.0.0.1"};
      p.certificate = cert_;
      webrtc::PeerEvents ev;
      ev.on_description = [e](std::string d) { e->description.set_value(std::move(d)); };
      ev.on_state = [e](webrtc::PeerState s) {
        if (s == webrtc::PeerState::Connected) e->connected = true;
      };
      ev.on_channel = [e](const webrtc::Channel& c) {
        {
          std::lock_guard lock(e->mu);
          e->streams[c.label] = c.stream;
        }
        e->carrier->channel_opened(c);
      };
      ev.on_message = [e](uint16_t stream, std::span<const uint8_t> m, bool) {
        e->carrier->deliver(stream, m);
      };
      ev.on_writable = [e] { e->carrier->writable(); };
      auto pc = webrtc::PeerConnection::create(loop_, p, ev);
      ASSERT_TRUE(pc) << pc.error().message;
      e->pc = std::move(*pc);
      e->carrier = std::make_shared<DataChannelCarrier>(e->pc.get(), kLimit, "test");
      net::CarrierSink sink;
      sink.on_frame = [e](std::vector<uint8_t> f) {
        std::lock_guard lock(e->received.mu);
        e->received.frames.push_back(std::move(f));
        e->received.cv.notify_all();
      };
      sink.on_closed = [e](std::string why) {
        std::lock_guard lock(e->received.mu);
        e->received.closed = why;
        e->received.cv.notify_all();
      };
      e->carrier->bind(std::move(sink));
    }
    ASSERT_TRUE(o_.pc->start());
    ASSERT_TRUE(a_.pc->set_remote_description(o_.description.get_future().get()));
    ASSERT_TRUE(a_.pc->start());
    ASSERT_TRUE(o_.pc->set_remote_description(a_.description.get_future().get()));
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!(o_.connected && a_.connected) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(o_.connected && a_.connected);
    ASSERT_TRUE(o_.carrier->open_channels());
    while (!a_.carrier->ready() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(a_.carrier->ready());
  }
  void TearDown() override {
    for (End* e : {&o_, &a_}) {
      if (e->carrier) e->carrier->detach("test over");
      e->pc.reset();
    }
  }

  static std::vector<uint8_t> frame(size_t n, uint8_t seed) {
    std::vector<uint8_t> f(n);
    for (size_t i = 0; i < n; ++i) f[i] = static_cast<uint8_t>(seed + i * 7);
    return f;
  }
  uint16_t answerer_stream(const std::string& label) {
    std::lock_guard lock(a_.mu);
    return a_.streams.at(label);
  }

  webrtc::GlibLoop loop_;
  std::shared_ptr<const webrtc::Certificate> cert_ = *webrtc::Certificate::generate();
  End o_, a_;
};

TEST_F(CarrierPair, FramesOfAnySizeUpToTheLimitArriveWholeAndInOrder) {
  std::vector<std::vector<uint8_t>> sent = {
      frame(0, 1),         frame(10, 2),         frame(64 * 1024 - 1, 3),
      frame(64 * 1024, 4), frame(200 * 1024, 5), frame(kLimit, 6)};
  for (const auto& f : sent) ASSERT_TRUE(o_.carrier->send(f, Lane::StreamReliable));
  // A latency-first frame larger than a piece takes the reliable stream channel: it arrives.
  auto big_latency = frame(100 * 1024, 7);
  ASSERT_TRUE(o_.carrier->send(big_latency, Lane::StreamLatencyFirst));
  sent.push_back(big_latency);
  ASSERT_TRUE(a_.received.wait([&] { return a_.received.frames.size() == sent.size(); }))
      << a_.received.frames.size() << " of " << sent.size() << "; closed: " << a_.received.closed;
  std::lock_guard lock(a_.received.mu);
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(a_.received.frames[i], sent[i]) << "frame " << i;
  }
}

TEST_F(CarrierPair, ABurstBeyondTheSctpBufferGoesOutAsRoomComesBack) {
  // 48 MiB at once: far more than the association's 4 MiB buffer; the rest waits in the
  // carrier's queue and leaves on on_writable.
  const size_t n = 48;
  for (size_t i = 0; i < n; ++i) ASSERT_TRUE(o_.carrier->send(frame(1 << 20, i), Lane::RpcSignal));
  EXPECT_GT(o_.carrier->queued(), 0u);
  ASSERT_TRUE(a_.received.wait([&] { return a_.received.frames.size() == n; }, 60s))
      << a_.received.frames.size() << " of " << n;
  std::lock_guard lock(a_.received.mu);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(a_.received.frames[i], frame(1 << 20, i)) << i;
  EXPECT_EQ(o_.carrier->queued(), 0u);
}

TEST_F(CarrierPair, AMalformedPieceClosesTheCarrierWithTheReason) {
  const uint8_t bad[] = {7, 1, 2, 3};  // piece header 7: neither "last" (0) nor "more" (1)
  ASSERT_TRUE(o_.pc->send(answerer_stream("actr/rpc-reliable"), bad));
  ASSERT_TRUE(a_.received.wait([&] { return !a_.received.closed.empty(); }));
  EXPECT_NE(a_.received.closed.find("malformed"), std::string::npos) << a_.received.closed;
  EXPECT_FALSE(a_.carrier->send(frame(4, 0), std::nullopt));  // closed for good
}

TEST_F(CarrierPair, AFrameOverTheLimitClosesTheCarrier) {
  // Pieces that never end: the receiver stops at the limit instead of buffering on.
  std::vector<uint8_t> more(64 * 1024);
  more[0] = 1;
  uint16_t stream = answerer_stream("actr/stream-reliable");
  for (size_t sent = 0; sent <= kLimit + more.size(); sent += more.size() - 1) {
    auto r = o_.pc->send(stream, more);
    if (!r) {
      std::this_thread::sleep_for(1ms);  // the SCTP buffer is full: wait for room
      sent -= more.size() - 1;
      continue;
    }
  }
  ASSERT_TRUE(a_.received.wait([&] { return !a_.received.closed.empty(); }));
  EXPECT_NE(a_.received.closed.find("over the"), std::string::npos) << a_.received.closed;
  std::lock_guard lock(a_.received.mu);
  EXPECT_TRUE(a_.received.frames.empty());
}

}  // namespace
}  // namespace actr::runtime
