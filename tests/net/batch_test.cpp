// Frame batching: frames queued for one connection travel as one Batch message. Order is kept, a
// batch never reaches the frame size limit, a bad inner frame breaks the protocol like a bad
// frame, and every inner frame counts toward the rate limit.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <random>
#include <vector>

#include "net/wire.hpp"
#include "net_fixture.hpp"
#include "raw_client.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;

std::string ping_bytes(uint64_t nonce) {
  transport::Frame ping;
  ping.set_version(wire::kProtocolVersion);
  ping.mutable_ping()->set_nonce(nonce);
  return wire::serialize(ping);
}

std::string batch_of(std::vector<std::string> frames) {
  transport::Frame frame;
  frame.set_version(wire::kProtocolVersion);
  auto* batch = frame.mutable_batch();
  for (auto& f : frames) batch->add_frames(std::move(f));
  return wire::serialize(frame);
}

Result<transport::Frame> parse(const std::string& raw) {
  return wire::parse_frame(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
}

void expect_closed_with(RawClient& raw, transport::CloseCode code) {
  std::optional<transport::Frame> frame = raw.read();
  ASSERT_TRUE(frame.has_value()) << "expected a Close frame before the connection ended";
  ASSERT_TRUE(frame->has_close()) << frame->DebugString();
  EXPECT_EQ(frame->close().code(), code);
  EXPECT_FALSE(raw.read().has_value()) << "the connection must end after the Close frame";
}

TEST(NetBatch, BatchesStayUnderTheirLimitAndKeepOrder) {
  std::mt19937 rng(7);
  for (size_t limit : {64u, 300u, 1000u, 4096u, 70000u}) {
    for (int round = 0; round < 50; ++round) {
      std::deque<std::string> queue;
      std::uniform_int_distribution<size_t> size(0, limit / 3 + 200);
      for (int i = 0; i < 40; ++i) queue.push_back(ping_bytes(i) + std::string(size(rng), 'p'));
      std::deque<std::string> expected = queue;
      while (!queue.empty()) {
        size_t count = wire::frames_per_batch(queue, limit);
        ASSERT_GE(count, 1u);
        ASSERT_LE(count, queue.size());
        if (count == 1) {  // alone: unwrapped, whatever its size
          EXPECT_EQ(queue.front(), expected.front());
          queue.pop_front();
          expected.pop_front();
          continue;
        }
        std::string message = wire::serialize_batch(queue, count);
        EXPECT_LE(message.size(), limit) << "a batch of " << count << " frames";
        auto frame = parse(message);
        ASSERT_TRUE(frame.ok()) << frame.error().message;
        ASSERT_TRUE(frame->has_batch());
        ASSERT_EQ(static_cast<size_t>(frame->batch().frames_size()), count);
        for (const auto& inner : frame->batch().frames()) {
          EXPECT_EQ(inner, expected.front());
          expected.pop_front();
        }
      }
    }
  }
}

TEST(NetBatch, ALoneOrLargeFrameIsNotBatched) {
  std::deque<std::string> one{ping_bytes(1)};
  EXPECT_EQ(wire::frames_per_batch(one, 1000), 1u);
  std::deque<std::string> big_first{std::string(980, 'x'), ping_bytes(1), ping_bytes(2)};
  EXPECT_EQ(wire::frames_per_batch(big_first, 1000), 2u);  // 980 + one ping still fit
  big_first.front().resize(1000);
  EXPECT_EQ(wire::frames_per_batch(big_first, 1000), 1u);
  std::deque<std::string> big_second{ping_bytes(1), std::string(1000, 'x'), ping_bytes(2)};
  EXPECT_EQ(wire::frames_per_batch(big_second, 1000), 1u);
}

TEST(NetBatch, UnpackRefusesBadInnerFrames) {
  auto unpack = [](const std::string& raw) {
    auto frame = parse(raw);
    EXPECT_TRUE(frame.ok());
    return wire::unpack_batch(frame->batch());
  };
  auto good = unpack(batch_of({ping_bytes(1), ping_bytes(2)}));
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(good->size(), 2u);
  EXPECT_EQ((*good)[1].ping().nonce(), 2u);

  EXPECT_FALSE(unpack(batch_of({})).ok());
  EXPECT_FALSE(unpack(batch_of({ping_bytes(1), "\xff\xff garbage"})).ok());
  EXPECT_FALSE(unpack(batch_of({batch_of({ping_bytes(1)})})).ok());
  transport::Frame old;
  old.set_version(2);
  old.mutable_ping()->set_nonce(1);
  EXPECT_FALSE(unpack(batch_of({wire::serialize(old)})).ok());
}

TEST(NetBatch, ManyConcurrentCallsAndTellsKeepTheirOrder) {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> arrived;
  auto so = options("b", "node:2");
  auto echo = echo_handler();
  so.on_request = [&](const PeerInfo& peer, Request request, Responder responder) {
    {
      std::lock_guard lock(m);
      arrived.push_back(text(request.message.payload));
    }
    echo(peer, std::move(request), std::move(responder));
  };
  auto server = start(std::move(so));
  auto client = start(options("a", "node:1"));
  auto peer = client->peer(server->listen_address()).value();

  constexpr int kRequests = 4000;
  std::vector<std::string> replies(kRequests);
  int done = 0, failed = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto finished = [&, i](bool ok, std::string reply) {
      std::lock_guard lock(m);
      if (!ok) failed++;
      replies[i] = std::move(reply);
      done++;
      cv.notify_all();
    };
    if (i % 3 == 2) {
      peer->tell(make_request(Kind::Tell, "note", std::to_string(i)),
                 [finished](Status s) { finished(s.is_ok(), "accepted"); });
    } else {
      peer->call(make_request(Kind::Call, "echo", std::to_string(i)), [finished](CallResult r) {
        finished(r.is_ok(), r.is_ok() ? text(r.value()) : std::string("failed"));
      });
    }
  }
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return done == kRequests; })) << done;
  EXPECT_EQ(failed, 0);
  ASSERT_EQ(arrived.size(), static_cast<size_t>(kRequests));
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(arrived[i], std::to_string(i)) << "request " << i << " arrived out of order";
    EXPECT_EQ(replies[i], i % 3 == 2 ? "accepted" : "echo:" + std::to_string(i));
  }
  lock.unlock();
  auto stats = client->stats();
  EXPECT_GT(stats.batches_sent, 0u) << "4000 requests sent at once never shared a message";
  EXPECT_GE(stats.frames_batched, 2 * stats.batches_sent);
  EXPECT_EQ(stats.outbound_opened, 1u);
}

TEST(NetBatch, BatchesNeverExceedTheFrameLimit) {
  ConnectionLimits limits;
  limits.max_frame_bytes = 64 * 1024;
  auto so = options("b", "node:2");
  so.on_request = echo_handler();
  so.limits = limits;
  auto server = start(std::move(so));
  auto co = options("a", "node:1");
  co.limits = limits;
  auto client = start(std::move(co));
  auto peer = client->peer(server->listen_address()).value();

  // Sizes from a few bytes to near the limit, sent at once: any batch over the limit would make
  // the receiver close the connection and fail what is in flight.
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> size(1, 20 * 1024);
  constexpr int kCalls = 300;
  std::mutex m;
  std::condition_variable cv;
  int done = 0, ok = 0;
  for (int i = 0; i < kCalls; ++i) {
    size_t n = i % 25 == 0 ? 60 * 1024 : size(rng);
    std::string payload(n, static_cast<char>('a' + i % 26));
    peer->call(make_request(Kind::Call, "echo", payload), [&, payload](CallResult r) {
      std::lock_guard lock(m);
      if (r.is_ok() && text(r.value()) == "echo:" + payload) ok++;
      done++;
      cv.notify_all();
    });
  }
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return done == kCalls; })) << done;
  EXPECT_EQ(ok, kCalls);
  lock.unlock();
  EXPECT_GT(client->stats().batches_sent, 0u);
  EXPECT_EQ(client->stats().outbound_opened, 1u);
  EXPECT_EQ(server->stats().inbound_accepted, 1u);
}

TEST(NetBatch, MalformedInnerFrameClosesOnlyThatConnection) {
  auto so = options("b", "node:2");
  so.on_request = echo_handler();
  auto server = start(std::move(so));
  auto bystander = start(options("c", "node:3"));
  auto peer = bystander->peer(server->listen_address()).value();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "echo", "x")).has_value());

  RawClient garbage(server->port());
  garbage.write(batch_of({ping_bytes(1), "\xff\xff\xff\xff garbage"}));
  expect_closed_with(garbage, transport::CLOSE_PROTOCOL_ERROR);

  RawClient nested(server->port());
  nested.write(batch_of({batch_of({ping_bytes(1), ping_bytes(2)})}));
  expect_closed_with(nested, transport::CLOSE_PROTOCOL_ERROR);

  RawClient empty(server->port());
  empty.write(batch_of({}));
  expect_closed_with(empty, transport::CLOSE_PROTOCOL_ERROR);

  // A well-formed batch is answered frame by frame.
  RawClient good(server->port());
  good.write(batch_of({ping_bytes(1), ping_bytes(2), ping_bytes(3)}));
  for (uint64_t nonce = 1; nonce <= 3; ++nonce) {
    auto pong = good.read();
    ASSERT_TRUE(pong && pong->has_pong());
    EXPECT_EQ(pong->pong().nonce(), nonce);
  }

  auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "still here"));
  ASSERT_TRUE(r.has_value() && r->is_ok());
  EXPECT_EQ(text(r->value()), "echo:still here");
  EXPECT_EQ(bystander->stats().outbound_opened, 1u);
}

TEST(NetBatch, EveryInnerFrameCountsTowardTheRateLimit) {
  auto so = options("b", "node:2");
  so.limits.messages_per_second = 1;
  so.limits.burst = 10;
  auto server = start(std::move(so));

  RawClient raw(server->port());
  std::vector<std::string> eight;
  for (uint64_t i = 0; i < 8; ++i) eight.push_back(ping_bytes(i));
  raw.write(batch_of(eight));  // 8 of the 10 tokens, in one message
  for (int i = 0; i < 8; ++i) {
    auto pong = raw.read();
    ASSERT_TRUE(pong && pong->has_pong()) << i;
  }
  raw.write(batch_of(eight));  // 8 more: over the burst
  int pongs = 0;
  std::optional<transport::Frame> frame;
  while ((frame = raw.read()) && frame->has_pong()) pongs++;
  ASSERT_TRUE(frame.has_value()) << "expected a Close frame";
  ASSERT_TRUE(frame->has_close());
  EXPECT_EQ(frame->close().code(), transport::CLOSE_RATE_LIMITED);
  EXPECT_GE(pongs, 2);
  EXPECT_LE(pongs, 4);  // about two tokens were left (plus what refilled meanwhile)
}

}  // namespace
}  // namespace actr::net::test
