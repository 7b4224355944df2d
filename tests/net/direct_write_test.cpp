// Frames written by the sending thread itself (Connection::send_now / push): several threads
// sending at once keep each thread's order, a write the socket does not take whole goes on from
// the transport thread with nothing lost or reordered, and a connection closing while threads
// write answers every request exactly once; a thread that owns a common::TurnEnd (a node's worker)
// sends what it queued in one message when its turn ends. Also the WebSocket framing those writes
// use.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/turn_end.hpp"
#include "net/websocket_frame.hpp"
#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;
using detail::apply_mask;
using detail::binary_frame_header;

// Counts callbacks until `expected` of them ran.
class Countdown {
 public:
  explicit Countdown(size_t expected) : expected_(expected) {}
  void done() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  // True when all ran within `timeout` (a hang, not a speed limit).
  bool wait(std::chrono::seconds timeout = 60s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_ >= expected_; });
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t count_ = 0;
  size_t expected_;
};

// A payload that says who sent it and which of theirs it is, padded to `size` with bytes that
// depend on both (so a lost, doubled or shifted byte shows).
std::string payload(int sender, int seq, size_t size = 0) {
  std::string p = std::to_string(sender) + ":" + std::to_string(seq) + ":";
  for (size_t i = p.size(); i < size; ++i)
    p += static_cast<char>('a' + (i * 7 + sender + seq) % 26);
  return p;
}

// A server started with `server_options` and a client whose peer for it has an open connection
// (so that later sends may go from the sender's thread).
struct ConnectedPair {
  std::unique_ptr<Transport> server, client;
  std::shared_ptr<Peer> peer;
};
ConnectedPair connected_pair(TransportOptions server_options) {
  ConnectedPair pair;
  pair.server = start(std::move(server_options));
  pair.client = start(options("a", "node:1"));
  pair.peer = pair.client->peer(pair.server->listen_address()).value();
  auto r = call_and_wait(*pair.peer, make_request(Kind::Call, "open", "x"));
  EXPECT_TRUE(r.has_value() && r->is_ok()) << "the connection did not open";
  return pair;
}

TEST(NetDirectWrite, FrameHeadersFollowRfc6455) {
  auto small = binary_frame_header(125);
  ASSERT_EQ(small.size, 2u);
  EXPECT_EQ(small.bytes[0], 0x82);  // FIN + binary
  EXPECT_EQ(small.bytes[1], 125);
  auto medium = binary_frame_header(126);
  ASSERT_EQ(medium.size, 4u);
  EXPECT_EQ(medium.bytes[1], 126);
  EXPECT_EQ(medium.bytes[2], 0);
  EXPECT_EQ(medium.bytes[3], 126);
  auto edge = binary_frame_header(65535);
  ASSERT_EQ(edge.size, 4u);
  EXPECT_EQ(edge.bytes[2], 0xff);
  EXPECT_EQ(edge.bytes[3], 0xff);
  auto large = binary_frame_header(65536);
  ASSERT_EQ(large.size, 10u);
  EXPECT_EQ(large.bytes[1], 127);
  EXPECT_EQ(large.bytes[7], 1);  // 0x10000, big-endian
  EXPECT_EQ(large.bytes[8], 0);
  EXPECT_EQ(large.bytes[9], 0);

  std::array<uint8_t, 4> mask{0x12, 0x34, 0x56, 0x78};
  auto masked = binary_frame_header(3, &mask);
  ASSERT_EQ(masked.size, 6u);
  EXPECT_EQ(masked.bytes[1], 0x80 | 3);
  EXPECT_EQ(masked.bytes[2], 0x12);
  EXPECT_EQ(masked.bytes[5], 0x78);
  // Every length around the 8-byte steps: byte i is XORed with mask[i % 4], and twice is a no-op.
  for (size_t n = 0; n < 20; ++n) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 31);
    auto original = data;
    apply_mask(data, mask);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(data[i], original[i] ^ mask[i % 4]) << n << " " << i;
    apply_mask(data, mask);
    EXPECT_EQ(data, original);
  }
}

TEST(NetDirectWrite, SeveralThreadsSendingAtOnceKeepEachThreadsOrder) {
  constexpr int kThreads = 4, kPerThread = 400;
  std::mutex m;
  std::map<int, std::vector<int>> received;  // sender -> sequence numbers, in arrival order
  auto server_options = options("b", "node:2");
  server_options.on_request = [&](const PeerInfo&, Request request, Responder responder) {
    std::string p = text(request.message.payload);
    if (request.message.route_key == "seq") {
      int sender = std::stoi(p);
      int seq = std::stoi(p.substr(p.find(':') + 1));
      std::lock_guard lock(m);
      received[sender].push_back(seq);
    }
    // Large answers too, so that the server's direct writes carry more than one segment.
    if (responder.is_call())
      responder.reply(CallResult::Ok(bytes(p + std::string(100 * 1024, 'r'))));
    else
      responder.accept(Status::Ok());
  };
  auto [server, client, peer] = connected_pair(std::move(server_options));

  Countdown answered(kThreads * kPerThread);
  std::atomic<int> failures{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto p = payload(t, i, 64 + (i % 7) * 3000);
        if (i % 2 == 0) {
          peer->tell(make_request(Kind::Tell, "seq", p), [&](Status s) {
            if (s.is_err()) failures++;
            answered.done();
          });
        } else {
          peer->call(make_request(Kind::Call, "seq", p), [&, p](CallResult r) {
            if (r.is_err() || text(r.value()) != p + std::string(100 * 1024, 'r')) failures++;
            answered.done();
          });
        }
      }
    });
  }
  for (auto& s : senders) s.join();
  ASSERT_TRUE(answered.wait()) << answered.count() << " answered";
  EXPECT_EQ(failures.load(), 0);
  std::lock_guard lock(m);
  for (int t = 0; t < kThreads; ++t) {
    std::vector<int> expected(kPerThread);
    for (int i = 0; i < kPerThread; ++i) expected[i] = i;
    EXPECT_EQ(received[t], expected) << "sender " << t;
  }
  // The path under test was taken, both ways.
  EXPECT_GT(client->stats().direct_writes, 0u);
  EXPECT_GT(server->stats().direct_writes, 0u);
}

// A worker's turn: the frames its tasks send go out when the turn ends, all in one message, in
// the order they were sent; the first answer can only come after that. Run by another thread
// (the balancer, for a worker that guest code holds), the same. A call stays in flight meanwhile
// (`hold`, answered at the end): a frame alone on its connection would go out at once.
constexpr int kTurnBatch = 4;  // Connection::kTurnBatch

// Answers every call at once but `hold`, which waits for answer_held().
struct HoldingServer {
  std::mutex m;
  std::vector<std::string> received;  // payloads of the calls but `hold`, in order
  std::vector<Responder> held;
  TransportOptions options() {
    auto o = net::test::options("b", "node:2");
    o.on_request = [this](const PeerInfo&, Request request, Responder responder) {
      std::lock_guard lock(m);
      if (request.message.route_key == "hold") {
        held.push_back(responder);
        return;
      }
      received.push_back(text(request.message.payload));
      responder.reply(CallResult::Ok(request.message.payload));
    };
    return o;
  }
  void answer_held() {
    std::lock_guard lock(m);
    for (auto& r : held) r.reply(CallResult::Ok({}));
    held.clear();
  }
};
TEST(NetDirectWrite, FramesSentInOneTurnGoOutTogetherWhenItEnds) {
  constexpr int kFrames = kTurnBatch - 1;
  HoldingServer holding;
  auto [server, client, peer] = connected_pair(holding.options());
  auto& m = holding.m;
  auto& received = holding.received;
  Countdown held(1);
  peer->call(make_request(Kind::Call, "hold", ""), [&](CallResult) { held.done(); });

  for (bool by_another_thread : {false, true}) {
    SCOPED_TRACE(by_another_thread ? "run by another thread" : "run by the owner");
    {
      std::lock_guard lock(m);
      received.clear();
    }
    auto before = client->stats();
    common::TurnEnd turn_end;
    Countdown answered(kFrames);
    std::atomic<int> wrong{0};
    std::thread worker([&] {
      common::TurnEnd::bind_to_this_thread(&turn_end);
      for (int i = 0; i < kFrames; ++i) {
        auto p = payload(0, i, 100);
        peer->call(make_request(Kind::Call, "seq", p), [&, p](CallResult r) {
          if (r.is_err() || text(r.value()) != p) wrong++;
          answered.done();
        });
      }
      // Queued, not written: nothing can have been answered yet.
      EXPECT_EQ(answered.count(), 0u);
      EXPECT_TRUE(turn_end.pending());
      if (!by_another_thread) {
        EXPECT_TRUE(turn_end.run());
      }
      common::TurnEnd::bind_to_this_thread(nullptr);
    });
    worker.join();
    if (by_another_thread) {
      EXPECT_TRUE(turn_end.run());
    }
    ASSERT_TRUE(answered.wait()) << answered.count() << " answered";
    EXPECT_EQ(wrong.load(), 0);
    auto after = client->stats();
    EXPECT_EQ(after.batches_sent - before.batches_sent, 1u)
        << "the turn's frames did not share a message";
    EXPECT_EQ(after.frames_batched - before.frames_batched, static_cast<uint64_t>(kFrames));
    std::lock_guard lock(m);
    ASSERT_EQ(received.size(), static_cast<size_t>(kFrames));
    for (int i = 0; i < kFrames; ++i) EXPECT_EQ(received[i], payload(0, i, 100)) << "frame " << i;
  }
  holding.answer_held();
  EXPECT_TRUE(held.wait());
}

// Every kTurnBatch frames go out at once, before the turn ends (so that the peer starts on them
// while this side makes more).
TEST(NetDirectWrite, AFullBatchGoesOutBeforeTheTurnEnds) {
  HoldingServer holding;
  auto [server, client, peer] = connected_pair(holding.options());
  Countdown held(1);
  peer->call(make_request(Kind::Call, "hold", ""), [&](CallResult) { held.done(); });
  auto before = client->stats();
  common::TurnEnd turn_end;
  Countdown answered(kTurnBatch);
  std::thread worker([&] {
    common::TurnEnd::bind_to_this_thread(&turn_end);
    for (int i = 0; i < kTurnBatch; ++i)
      peer->call(make_request(Kind::Call, "seq", payload(0, i)),
                 [&](CallResult) { answered.done(); });
    // The turn goes on (it never ends here): the batch went out all the same.
    EXPECT_TRUE(answered.wait()) << answered.count() << " answered before the turn ended";
    common::TurnEnd::bind_to_this_thread(nullptr);
  });
  worker.join();
  auto after = client->stats();
  EXPECT_EQ(after.batches_sent - before.batches_sent, 1u);
  EXPECT_EQ(after.frames_batched - before.frames_batched, static_cast<uint64_t>(kTurnBatch));
  turn_end.run();  // nothing left to write
  EXPECT_EQ(client->stats().batches_sent, after.batches_sent);
  holding.answer_held();
  EXPECT_TRUE(held.wait());
}

// A frame alone on its connection (no other call in flight either way) has nothing to share a
// message with: it goes out at once, as from a thread that owns no turn, and its answer comes
// while the turn still goes on.
TEST(NetDirectWrite, AFrameAloneOnItsConnectionGoesOutAtOnce) {
  HoldingServer holding;
  auto [server, client, peer] = connected_pair(holding.options());
  auto before = client->stats();
  common::TurnEnd turn_end;
  std::thread worker([&] {
    common::TurnEnd::bind_to_this_thread(&turn_end);
    for (int i = 0; i < 3; ++i) {
      Countdown answered(1);
      peer->call(make_request(Kind::Call, "seq", payload(0, i)),
                 [&](CallResult) { answered.done(); });
      EXPECT_TRUE(answered.wait(10s)) << "call " << i << " waited for the turn to end";
    }
    EXPECT_FALSE(turn_end.pending());
    common::TurnEnd::bind_to_this_thread(nullptr);
  });
  worker.join();
  auto after = client->stats();
  EXPECT_EQ(after.batches_sent, before.batches_sent);
  EXPECT_EQ(after.direct_writes - before.direct_writes, 3u);
}

TEST(NetDirectWrite, AWriteTheSocketDoesNotTakeGoesOnFromTheTransportThread) {
  // The server's only transport thread waits in the first request's handler, so it reads
  // nothing: the socket buffers fill, and a later direct write finds the socket full.
  constexpr int kFrames = 48;
  constexpr size_t kSize = 1024 * 1024;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::mutex m;
  std::vector<std::string> received;
  auto server_options = options("b", "node:2");
  server_options.on_request = [&](const PeerInfo&, Request request, Responder responder) {
    if (request.message.route_key == "gate") released.wait();
    if (request.message.route_key == "big") {
      std::lock_guard lock(m);
      received.push_back(text(request.message.payload));
    }
    if (responder.is_call())
      responder.reply(CallResult::Ok({}));
    else
      responder.accept(Status::Ok());
  };
  auto [server, client, peer] = connected_pair(std::move(server_options));

  Countdown accepted(kFrames + 1);
  std::atomic<int> failures{0};
  auto count = [&](Status s) {
    if (s.is_err()) failures++;
    accepted.done();
  };
  peer->tell(make_request(Kind::Tell, "gate", ""), count);
  for (int i = 0; i < kFrames; ++i)
    peer->tell(make_request(Kind::Tell, "big", payload(0, i, kSize)), count);
  // One sender and nothing else writing: every tell was tried directly until one did not fit.
  EXPECT_GE(client->stats().deferred_writes, 1u);
  EXPECT_GT(client->stats().direct_writes, 0u);
  release.set_value();
  ASSERT_TRUE(accepted.wait()) << accepted.count() << " accepted";
  EXPECT_EQ(failures.load(), 0);
  std::lock_guard lock(m);
  ASSERT_EQ(received.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i)
    EXPECT_TRUE(received[i] == payload(0, i, kSize)) << "frame " << i;
  // The connection carries on: later sends are direct again.
  auto again = call_and_wait(*peer, make_request(Kind::Call, "after", "x"));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->is_ok());
}

// Threads keep calling while the transport of `stopping` stops: every call is answered exactly
// once (ok, or unavailable), whichever side closed.
void every_call_answered_once_while(bool stop_client) {
  constexpr int kThreads = 4, kPerThread = 1500;
  auto server_options = options("b", "node:2");
  server_options.on_request = echo_handler();
  auto [server, client, peer] = connected_pair(std::move(server_options));

  Countdown answered(kThreads * kPerThread);
  std::atomic<int> ok{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        peer->call(make_request(Kind::Call, "x", payload(t, i)), [&](CallResult r) {
          if (r.is_ok()) {
            ok++;
          } else {
            EXPECT_EQ(r.error().tag(), ActrError::Tag::Unavailable)
                << workload::describe(r.error());
          }
          answered.done();
        });
      }
    });
  }
  // Stopped once calls are answered, i.e. while threads write to the open connection.
  while (ok.load() < 100) std::this_thread::yield();
  if (stop_client)
    client->stop();
  else
    server->stop();
  for (auto& s : senders) s.join();
  ASSERT_TRUE(answered.wait()) << answered.count() << " answered";
  server->stop();
  client->stop();
  // Exactly once: nothing more came after all had come and the threads were joined.
  EXPECT_EQ(answered.count(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(NetDirectWrite, EveryCallIsAnsweredOnceWhenTheCallersTransportStopsMidWrite) {
  every_call_answered_once_while(true);
}

TEST(NetDirectWrite, EveryCallIsAnsweredOnceWhenThePeerGoesAwayMidWrite) {
  every_call_answered_once_while(false);
}

}  // namespace
}  // namespace actr::net::test
