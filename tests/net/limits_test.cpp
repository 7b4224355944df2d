// Misbehaving peers: oversized frames, garbage and text frames, message floods. Each closes only
// the offending connection; the server keeps serving its other peers.
#include <gtest/gtest.h>
#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <mutex>

#include "common/base64.hpp"
#include "net/upgrade.hpp"
#include "net/wire.hpp"
#include "net_fixture.hpp"
#include "raw_client.hpp"

namespace actr::net::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Kind = workload::Message::Kind;

std::unique_ptr<Transport> echo_server(ConnectionLimits limits) {
  auto o = options("b", "node:2");
  o.on_request = echo_handler();
  o.limits = limits;
  return start(std::move(o));
}

void expect_echo_works(Transport& client, const std::string& address) {
  auto peer = client.peer(address).value();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "still here"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_ok());
  EXPECT_EQ(text(r->value()), "echo:still here");
}

void expect_closed_with(RawClient& raw, transport::CloseCode code) {
  std::optional<transport::Frame> frame = raw.read();
  ASSERT_TRUE(frame.has_value()) << "expected a Close frame before the connection ended";
  ASSERT_TRUE(frame->has_close());
  EXPECT_EQ(frame->close().code(), code);
  EXPECT_FALSE(frame->close().reason().empty());
  EXPECT_FALSE(raw.read().has_value()) << "the connection must end after the Close frame";
}

TEST(NetLimits, GarbageFrameClosesThatConnectionWithACloseFrame) {
  auto server = echo_server({});
  auto client = start(options("a", "node:1"));
  expect_echo_works(*client, server->listen_address());

  RawClient garbage(server->port());
  garbage.write("\xff\xff\xff\xff garbage");
  expect_closed_with(garbage, transport::CLOSE_PROTOCOL_ERROR);

  RawClient truncated(server->port());
  truncated.write(std::string("\x08\x02\x1a\x03\xff\xff\xff", 7));  // a truncated Request
  expect_closed_with(truncated, transport::CLOSE_PROTOCOL_ERROR);

  RawClient text_frame(server->port());
  text_frame.ws.text(true);
  text_frame.write("{\"hello\": 1}");
  expect_closed_with(text_frame, transport::CLOSE_PROTOCOL_ERROR);

  RawClient old_hello(server->port());
  old_hello.write(std::string("\x08\x01\x12\x00", 4));  // version 1 with its Hello (field 2)
  expect_closed_with(old_hello, transport::CLOSE_PROTOCOL_ERROR);

  RawClient forged_refresh(server->port());
  transport::Frame refresh;
  refresh.set_version(wire::kProtocolVersion);
  refresh.mutable_credentials()->set_credential("forged");
  forged_refresh.write(wire::serialize(refresh));
  expect_closed_with(forged_refresh, transport::CLOSE_PERMISSION_DENIED);

  // The well-behaved client's connection was never disturbed.
  expect_echo_works(*client, server->listen_address());
  EXPECT_EQ(client->stats().outbound_opened, 1u);
}

TEST(NetLimits, PingIsAnsweredWithPong) {
  auto server = echo_server({});
  RawClient raw(server->port());
  transport::Frame ping;
  ping.set_version(wire::kProtocolVersion);
  ping.mutable_ping()->set_nonce(77);
  raw.write(wire::serialize(ping));
  auto pong = raw.read();
  ASSERT_TRUE(pong && pong->has_pong());
  EXPECT_EQ(pong->pong().nonce(), 77u);
}

TEST(NetLimits, OversizedFrameClosesOnlyThatConnection) {
  ConnectionLimits limits;
  limits.max_frame_bytes = 64 * 1024;
  auto server = echo_server(limits);
  auto offender = start(options("a", "node:1"));  // its own limit is the 4 MiB default
  auto bystander = start(options("c", "node:3"));
  expect_echo_works(*bystander, server->listen_address());

  auto peer = offender->peer(server->listen_address()).value();
  auto big = call_and_wait(*peer, make_request(Kind::Call, "echo", std::string(100 * 1024, 'x')));
  ASSERT_TRUE(big.has_value());
  ASSERT_TRUE(big->is_err());
  EXPECT_EQ(big->error().tag(), ActrError::Tag::Unavailable);

  expect_echo_works(*bystander, server->listen_address());
  EXPECT_EQ(bystander->stats().outbound_opened, 1u);
  // The offender's next, reasonable call reconnects.
  expect_echo_works(*offender, server->listen_address());
  EXPECT_EQ(offender->stats().outbound_opened, 2u);
}

TEST(NetLimits, OversizedRequestIsRefusedBeforeSending) {
  auto server = echo_server({});
  auto o = options("a", "node:1");
  o.limits.max_frame_bytes = 1024;
  auto client = start(std::move(o));
  auto peer = client->peer(server->listen_address()).value();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", std::string(2048, 'x')));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::InvalidArgument);
  expect_echo_works(*client, server->listen_address());
  EXPECT_EQ(client->stats().outbound_opened, 1u);  // the connection stayed up
}

TEST(NetLimits, MessageFloodIsCutOffOthersAreNot) {
  ConnectionLimits limits;
  limits.messages_per_second = 50;
  limits.burst = 20;
  auto server = echo_server(limits);
  auto flooder = start(options("a", "node:1"));
  auto bystander = start(options("c", "node:3"));
  expect_echo_works(*bystander, server->listen_address());

  auto peer = flooder->peer(server->listen_address()).value();
  constexpr int kTells = 200;
  std::mutex m;
  std::condition_variable cv;
  int done = 0, ok = 0, unavailable = 0;
  for (int i = 0; i < kTells; ++i) {
    peer->tell(make_request(Kind::Tell, "note", ""), [&](Status s) {
      std::lock_guard lock(m);
      done++;
      if (s.is_ok())
        ok++;
      else if (s.error().tag() == ActrError::Tag::Unavailable)
        unavailable++;
      cv.notify_all();
    });
  }
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return done == kTells; })) << done;
  // The flood is cut off: each connection takes about its burst (plus what the rate refills
  // meanwhile) before it is closed, the rest fails. The peer reconnects for the tells it sends
  // after a close, so how many connections that takes depends on how fast its loop runs.
  uint64_t connections = flooder->stats().outbound_opened;
  EXPECT_GT(ok, 0);
  EXPECT_LE(static_cast<uint64_t>(ok), connections * (20 + 10)) << connections << " connections";
  EXPECT_GT(unavailable, 0);
  EXPECT_EQ(ok + unavailable, kTells);
  lock.unlock();
  expect_echo_works(*bystander, server->listen_address());
  EXPECT_EQ(bystander->stats().outbound_opened, 1u);
}

// Idle TCP connections that never upgrade fill the listener; a node that connects for real still
// gets in (the connection idle longest makes room), and one that holds its upgrade open is cut
// off at connect_timeout.
TEST(NetLimits, IdleConnectionsDoNotLockOutANode) {
  auto o = options("b", "node:2");
  o.on_request = echo_handler();
  o.inbound_limits = {16, 16};
  o.connect_timeout = 1500ms;
  auto server = start(std::move(o));
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> idle;
  for (int i = 0; i < 40; ++i) {
    auto socket = std::make_unique<tcp::socket>(io);
    boost::system::error_code ec;
    socket->connect({asio::ip::make_address("127.0.0.1"), server->port()}, ec);
    ASSERT_FALSE(ec) << ec.message();
    idle.push_back(std::move(socket));
  }
  auto client = start(options("a", "node:1"));
  auto began = std::chrono::steady_clock::now();
  expect_echo_works(*client, server->listen_address());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1s);
  // The listener holds at most its limit: the others were closed at once, long before the
  // upgrade deadline; the rest go at that deadline.
  int closed_at_once = 0;
  for (auto& socket : idle) {
    pollfd p{socket->native_handle(), POLLIN, 0};
    closed_at_once += ::poll(&p, 1, 0) == 1;
  }
  EXPECT_GE(closed_at_once, 40 - 16 + 1);
  char byte;
  for (auto& socket : idle) {
    boost::system::error_code ec;
    socket->read_some(asio::buffer(&byte, 1), ec);  // blocks until the server closes it
    EXPECT_TRUE(ec) << "the server kept an idle connection open";
  }
  EXPECT_LT(std::chrono::steady_clock::now() - began, 4s);
  expect_echo_works(*client, server->listen_address());  // authenticated: never evicted
}

}  // namespace
}  // namespace actr::net::test
