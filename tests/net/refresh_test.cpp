// Credential refresh on open connections: the receiver verifies the new credential and later
// requests see the new PeerInfo; a refused refresh closes the connection with permission-denied.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;

// A credential the test changes while the transport runs.
struct Mutable {
  std::mutex m;
  std::string value;
  void set(std::string v) {
    std::lock_guard lock(m);
    value = std::move(v);
  }
  std::function<Bytes()> reader() {
    return [this] {
      std::lock_guard lock(m);
      return bytes(value);
    };
  }
};

struct Seen {
  std::mutex m;
  std::vector<PeerInfo> peers;
  RequestHandler handler() {
    return [this](const PeerInfo& peer, Request, Responder r) {
      {
        std::lock_guard lock(m);
        peers.push_back(peer);
      }
      r.reply(CallResult::Ok({}));
    };
  }
  PeerInfo last() {
    std::lock_guard lock(m);
    return peers.back();
  }
};

TEST(NetRefresh, RefreshUpdatesWhatOnRequestSees) {
  Seen seen;
  std::atomic<int> refreshed{0};
  auto server_options = options("b", "node:2");
  server_options.on_request = seen.handler();
  server_options.events.refreshed = [&](const PeerInfo&) { refreshed++; };
  auto server = start(std::move(server_options));
  Mutable credential;
  credential.set("node:1@1000");
  auto client_options = options("a", "");
  client_options.credential = credential.reader();
  auto client = start(std::move(client_options));
  auto peer = client->peer(server->listen_address()).value();

  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "x", ""))->is_ok());
  EXPECT_EQ(seen.last().actors, std::vector<ActrId>{actor(1, "node")});
  EXPECT_EQ(seen.last().expires_at, 1000);

  // Renewed, and a second actor joined the node.
  credential.set("node:1,4@2000");
  client->refresh_credentials();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "x", ""))->is_ok());
  PeerInfo after = seen.last();
  EXPECT_EQ(after.actors, (std::vector<ActrId>{actor(1, "node"), actor(4, "node")}));
  EXPECT_EQ(after.expires_at, 2000);
  EXPECT_EQ(after.node_id, "a");  // the transport's part stays
  EXPECT_TRUE(after.inbound);
  EXPECT_EQ(refreshed.load(), 1);
  EXPECT_EQ(client->stats().outbound_opened, 1u);  // the same connection

  // Without a change, a refresh sends the credential again; nothing else happens.
  client->refresh_credentials();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "x", ""))->is_ok());
  EXPECT_EQ(refreshed.load(), 2);
  EXPECT_EQ(client->stats().outbound_opened, 1u);
}

TEST(NetRefresh, AcceptingSideRefreshesToo) {
  Mutable credential;
  credential.set("node:2@1000");
  auto server_options = options("b", "");
  server_options.credential = credential.reader();
  server_options.on_request = echo_handler();
  auto server = start(std::move(server_options));
  std::mutex m;
  std::vector<PeerInfo> refreshes;
  auto client_options = options("a", "node:1");
  client_options.events.refreshed = [&](const PeerInfo& peer) {
    std::lock_guard lock(m);
    refreshes.push_back(peer);
  };
  auto client = start(std::move(client_options));
  auto peer = client->peer(server->listen_address()).value();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "x", ""))->is_ok());

  credential.set("node:2,3@3000");
  server->refresh_credentials();
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(m);
      if (!refreshes.empty()) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  std::lock_guard lock(m);
  ASSERT_EQ(refreshes.size(), 1u);
  EXPECT_EQ(refreshes[0].actors, (std::vector<ActrId>{actor(2, "node"), actor(3, "node")}));
  EXPECT_EQ(refreshes[0].expires_at, 3000);
  EXPECT_FALSE(refreshes[0].inbound);
}

TEST(NetRefresh, ForgedRefreshClosesTheConnection) {
  Seen seen;
  auto server_options = options("b", "node:2");
  server_options.on_request = seen.handler();
  auto server = start(std::move(server_options));
  Mutable credential;
  credential.set("node:1");
  std::promise<ActrError> closed;
  auto client_options = options("a", "");
  client_options.credential = credential.reader();
  std::atomic<bool> first{true};
  client_options.events.disconnected = [&](const PeerInfo&, const ActrError& reason) {
    if (first.exchange(false)) closed.set_value(reason);
  };
  auto client = start(std::move(client_options));
  auto peer = client->peer(server->listen_address()).value();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "x", ""))->is_ok());

  credential.set("forged");
  client->refresh_credentials();
  auto future = closed.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  ActrError reason = future.get();
  EXPECT_EQ(reason.tag(), ActrError::Tag::PermissionDenied);
  EXPECT_FALSE(peer->connected());
  // The next call reconnects with the forged credential and is refused at the upgrade.
  auto r = call_and_wait(*peer, make_request(Kind::Call, "x", ""));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::PermissionDenied);
  std::lock_guard lock(seen.m);
  EXPECT_EQ(seen.peers.size(), 1u);
}

}  // namespace
}  // namespace actr::net::test
