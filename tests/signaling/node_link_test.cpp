// NodeLink against a real server: registration, reconnect after a server restart with the same
// ids, and credential renewal before expiry.
#include "signaling/node_link.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "signaling/server/server.hpp"
#include "temp_dir.hpp"

namespace actr::signaling {
namespace {

using server::Server;
using server::ServerOptions;

using namespace std::chrono_literals;

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

RegisterParams actor(const char* name) {
  RegisterParams p;
  p.type = ActrType{"acme", name, "0.1.0"};
  p.realm = 1;
  p.advertised_address = "ws://127.0.0.1:9100";
  return p;
}

TEST(NodeLink, ReconnectsAfterAServerRestartAndKeepsIds) {
  testing::TempDir dir;
  ServerOptions server_options;
  server_options.data_dir = dir.path();
  server_options.enrollment.open = true;
  server_options.heartbeat_interval = 200ms;
  auto server = std::move(*Server::start(server_options));
  server_options.port = server->port();

  std::atomic<int> connecting{0}, connected{0}, disconnected{0};
  NodeLinkHooks hooks;
  hooks.on_connecting = [&] { ++connecting; };
  hooks.on_connected = [&] { ++connected; };
  hooks.on_disconnected = [&] { ++disconnected; };
  NodeLinkOptions options;
  options.server_url = server->listen_address();
  options.initial_backoff = 20ms;
  options.max_backoff = 200ms;
  auto link = NodeLink::start(options, hooks);
  size_t echo = link->add_actor(actor("echo"));
  ASSERT_TRUE(eventually([&] { return connected == 1 && link->registration(echo); }));
  size_t greeter = link->add_actor(actor("greeter"));  // while connected
  ASSERT_TRUE(eventually([&] { return link->registration(greeter).has_value(); }));
  ActrId echo_id = link->registration(echo)->id;
  ActrId greeter_id = link->registration(greeter)->id;
  EXPECT_NE(echo_id.serial_number, greeter_id.serial_number);

  // Heartbeats keep the actors up past the server's timeout (3 x 200 ms).
  std::this_thread::sleep_for(900ms);
  EXPECT_EQ(server->live_actor_count(), 2u);
  EXPECT_EQ(disconnected, 0);

  server->stop();
  server.reset();
  ASSERT_TRUE(eventually([&] { return disconnected == 1 && !link->connected(); }));
  std::this_thread::sleep_for(300ms);  // a few failed attempts, with backoff
  EXPECT_GE(connecting, 2);

  server = std::move(*Server::start(server_options));
  ASSERT_TRUE(eventually([&] { return connected == 2; }));
  EXPECT_EQ(link->registration(echo)->id, echo_id);
  EXPECT_EQ(link->registration(greeter)->id, greeter_id);
  ASSERT_TRUE(eventually([&] { return server->live_actor_count() == 2; }));

  auto client = link->client();
  ASSERT_TRUE(client);
  auto found = client->discover(ActrType{"", "greeter", ""}, echo_id.serial_number);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, greeter_id);
  link->stop();
  EXPECT_TRUE(eventually([&] { return server->live_actor_count() == 0; }));
}

TEST(NodeLink, RenewsCredentialsBeforeTheyExpire) {
  testing::TempDir dir;
  ServerOptions server_options;
  server_options.data_dir = dir.path();
  server_options.enrollment.open = true;
  server_options.credential_ttl = 3s;
  auto server = std::move(*Server::start(server_options));

  std::mutex mutex;
  std::vector<std::pair<ActrId, int64_t>> expiring, renewed;
  NodeLinkHooks hooks;
  hooks.on_credential_expiring = [&](const ActrId& id, int64_t at) {
    std::lock_guard lock(mutex);
    expiring.emplace_back(id, at);
  };
  hooks.on_credential_renewed = [&](const ActrId& id, int64_t at) {
    std::lock_guard lock(mutex);
    renewed.emplace_back(id, at);
  };
  NodeLinkOptions options;
  options.server_url = server->listen_address();
  options.renew_margin = 2s;
  auto link = NodeLink::start(options, hooks);
  size_t echo = link->add_actor(actor("echo"));
  ASSERT_TRUE(eventually([&] { return link->registration(echo).has_value(); }));
  Registration first = *link->registration(echo);

  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return !renewed.empty();
      },
      5s));
  std::lock_guard lock(mutex);
  ASSERT_FALSE(expiring.empty());
  EXPECT_EQ(expiring[0].first, first.id);
  EXPECT_EQ(expiring[0].second, first.expires_at);
  EXPECT_EQ(renewed[0].first, first.id);
  EXPECT_GE(renewed[0].second, first.expires_at);
  Registration now = *link->registration(echo);
  CredentialVerifier verifier(now.server_public_key);
  EXPECT_TRUE(verifier.verify(now.credential, 1));
}

}  // namespace
}  // namespace actr::signaling
