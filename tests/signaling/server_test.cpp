// The signaling server end to end: real WebSocket clients over loopback.
#include "signaling/server/server.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "signaling/client.hpp"
#include "signaling/server/sqlite_registry_store.hpp"
#include "signaling/turn_credentials.hpp"
#include "temp_dir.hpp"

namespace actr::signaling::server {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

const ActrType kEcho{"acme", "echo", "0.1.0"};
const ActrType kGreeter{"acme", "greeter", "0.1.0"};
const ActrType kIntruder{"evil", "greeter", "0.1.0"};

class SignalingServerTest : public ::testing::Test {
 protected:
  ServerOptions options() {
    ServerOptions o;
    o.data_dir = dir_.path();
    o.enrollment.open = true;  // enrollment has its own tests (upgrade_test.cpp)
    o.heartbeat_interval = 10s;
    o.credential_ttl = 60s;
    o.clock = [this] { return now_.load(); };
    return o;
  }

  std::unique_ptr<Server> start(ServerOptions o) {
    auto server = Server::start(std::move(o));
    EXPECT_TRUE(server) << server.error().message;
    return server ? std::move(*server) : nullptr;
  }

  std::unique_ptr<Client> connect(const Server& server, ClientOptions o = {}) {
    auto client = Client::connect(server.listen_address(), o);
    EXPECT_TRUE(client) << client.error().message;
    return client ? std::move(*client) : nullptr;
  }

  static Registration register_actor(Client& client, ActrType type, uint32_t realm = 1,
                                     std::vector<AccessRule> acl = {}) {
    RegisterParams params;
    params.type = std::move(type);
    params.realm = realm;
    params.acl = std::move(acl);
    params.advertised_address = "ws://127.0.0.1:" + std::to_string(9000 + realm);
    auto reg = client.register_actor(params);
    EXPECT_TRUE(reg) << reg.error().message;
    return reg ? *reg : Registration{};
  }

  static AccessRule rule(const char* text) { return *workload::parse_access_rule(text); }

  // A valid Ping envelope, for raw frames.
  static std::string ping_frame(uint64_t id) {
    proto::Envelope env;
    env.set_version(kProtocolVersion);
    env.set_id(id);
    env.mutable_ping();
    return env.SerializeAsString();
  }

  TempDir dir_;
  std::atomic<int64_t> now_{1'800'000'000};
};

TEST_F(SignalingServerTest, RegistrationGivesIncreasingRealmUniqueSerials) {
  auto server = start(options());
  auto a = connect(*server);
  auto b = connect(*server);
  Registration first = register_actor(*a, kEcho);
  Registration second = register_actor(*b, kGreeter);
  Registration third = register_actor(*a, kGreeter);
  Registration other_realm = register_actor(*b, kEcho, 2);
  EXPECT_EQ(first.id.serial_number, 1u);
  EXPECT_EQ(second.id.serial_number, 2u);
  EXPECT_EQ(third.id.serial_number, 3u);
  EXPECT_EQ(other_realm.id.serial_number, 1u);
  EXPECT_EQ(other_realm.id.realm.realm_id, 2u);
  EXPECT_EQ(first.id.type, kEcho);
  EXPECT_EQ(first.heartbeat_interval, 10s);
  EXPECT_EQ(first.server_public_key, server->public_key());
  EXPECT_EQ(server->live_actor_count(), 4u);

  CredentialVerifier verifier(first.server_public_key, [this] { return now_.load(); });
  auto claims = verifier.verify(first.credential, 1);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->id, first.id);
  EXPECT_EQ(claims->expires_at, now_ + 60);
  EXPECT_EQ(first.expires_at, now_ + 60);
}

TEST_F(SignalingServerTest, RegistrationNeedsATypeName) {
  auto server = start(options());
  auto a = connect(*server);
  auto reg = a->register_actor(RegisterParams{});
  ASSERT_FALSE(reg);
  EXPECT_TRUE(reg.error().is(ErrorCategory::SignalingRefused, proto::Error::INVALID_ARGUMENT));
  EXPECT_TRUE(a->ping());
}

TEST_F(SignalingServerTest, DiscoveryIsFilteredByTheTargetsAcl) {
  auto server = start(options());
  auto target = connect(*server);
  auto open_target = connect(*server);
  auto greeter = connect(*server);
  auto intruder = connect(*server);
  auto stranger = connect(*server);
  Registration echo = register_actor(*target, kEcho, 1, {rule("allow acme/greeter")});
  register_actor(*open_target, ActrType{"acme", "echo", "0.2.0"});
  register_actor(*greeter, kGreeter);
  register_actor(*intruder, kIntruder);
  register_actor(*stranger, kGreeter, 2);

  auto found = greeter->discover(ActrType{"", "echo", ""});
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, echo.id);
  EXPECT_EQ((*found)[0].advertised_address, "ws://127.0.0.1:9001");

  auto versioned = greeter->discover(kEcho);
  ASSERT_TRUE(versioned);
  ASSERT_EQ(versioned->size(), 1u);
  EXPECT_EQ((*versioned)[0].id, echo.id);

  // The ACL admits only acme/greeter: the intruder sees only the unrestricted echo.
  auto denied = intruder->discover(ActrType{"", "echo", ""});
  ASSERT_TRUE(denied);
  ASSERT_EQ(denied->size(), 1u);
  EXPECT_EQ((*denied)[0].id.type.version, "0.2.0");

  // Another realm sees nothing by default; asking for realm 1 explicitly goes through the ACL
  // (which has no realm restriction for acme/greeter).
  auto elsewhere = stranger->discover(ActrType{"", "echo", ""});
  ASSERT_TRUE(elsewhere);
  EXPECT_TRUE(elsewhere->empty());
  auto cross = stranger->discover(ActrType{"", "echo", ""}, 0, 1u);
  ASSERT_TRUE(cross);
  EXPECT_EQ(cross->size(), 2u);

  // An unregistered connection cannot discover.
  auto anonymous = connect(*server);
  auto refused = anonymous->discover(kEcho);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_REGISTERED));
}

// Semver-style matching (as `actr signal` configures it) among the actors of the wanted name;
// actors that go down, come back or change version move in and out of the answers.
TEST_F(SignalingServerTest, DiscoveryMatchesVersionsAmongTheActorsOfTheWantedName) {
  ServerOptions o = options();
  o.type_matches = [](const ActrType& offered, const ActrType& wanted) {
    return offered.name == wanted.name &&
           (wanted.manufacturer.empty() || offered.manufacturer == wanted.manufacturer) &&
           (wanted.version.empty() || offered.version.substr(0, 2) == wanted.version.substr(0, 2));
  };
  auto server = start(std::move(o));
  auto caller = connect(*server);
  register_actor(*caller, kGreeter);
  auto owner = connect(*server);
  Registration v12 = register_actor(*owner, ActrType{"acme", "echo", "1.2.0"});
  Registration v20 = register_actor(*owner, ActrType{"acme", "echo", "2.0.0"});
  register_actor(*owner, ActrType{"acme", "echoes", "1.0.0"});
  register_actor(*owner, ActrType{"other", "echo", "1.0.0"}, 1, {rule("allow other/*")});
  register_actor(*owner, ActrType{"acme", "echo", "1.0.0"}, 2);
  auto late = connect(*server);
  Registration v15 = register_actor(*late, ActrType{"acme", "echo", "1.5.0"});

  auto ids = [&](ActrType wanted) {
    std::vector<uint64_t> out;
    auto found = caller->discover(wanted);
    EXPECT_TRUE(found) << found.error().message;
    if (found)
      for (const auto& c : *found) out.push_back(c.id.serial_number);
    return out;
  };
  using Serials = std::vector<uint64_t>;
  Serials v1x{v12.id.serial_number, v15.id.serial_number};
  EXPECT_EQ(ids({"acme", "echo", "1.0.0"}), v1x);
  EXPECT_EQ(ids({"", "echo", "1.0.0"}), v1x);  // other/echo's ACL refuses the caller
  EXPECT_EQ(ids({"acme", "echo", "2.1.0"}), Serials{v20.id.serial_number});
  EXPECT_EQ(ids({"acme", "echo", ""}).size(), 3u);
  EXPECT_TRUE(ids({"acme", "ech", ""}).empty());
  EXPECT_TRUE(ids({"acme", "", ""}).empty());

  // Down: gone from the answers. Back with its credential: there again, once.
  late->close();
  for (int i = 0; i < 500 && server->live_actor_count() != 6u; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(server->live_actor_count(), 6u);
  EXPECT_EQ(ids({"acme", "echo", "1.0.0"}), Serials{v12.id.serial_number});
  auto back = connect(*server);
  RegisterParams params{v15.id.type,   1, {}, "ws://127.0.0.1:9001", v15.id.serial_number,
                        v15.credential};
  ASSERT_TRUE(back->register_actor(params));
  EXPECT_EQ(ids({"acme", "echo", "1.0.0"}), v1x);
  // Re-registered while still up elsewhere: replaced, not listed twice.
  auto again = connect(*server);
  ASSERT_TRUE(again->register_actor(params));
  EXPECT_EQ(ids({"acme", "echo", "1.0.0"}), v1x);
  EXPECT_EQ(server->live_actor_count(), 7u);
  // Unregistered: gone.
  ASSERT_TRUE(owner->unregister(v12.id.serial_number));
  EXPECT_EQ(ids({"acme", "echo", "1.0.0"}), Serials{v15.id.serial_number});
}

TEST_F(SignalingServerTest, MissedHeartbeatsMarkTheActorDownAndTellSubscribers) {
  ServerOptions o = options();
  o.heartbeat_interval = 100ms;
  o.heartbeat_timeout = 400ms;
  auto server = start(std::move(o));
  ClientOptions live;
  live.heartbeat = 50ms;
  auto watcher = connect(*server, live);
  register_actor(*watcher, kGreeter);
  ASSERT_TRUE(watcher->subscribe({ActrType{"", "echo", ""}}));

  auto silent = connect(*server);  // never pings
  Registration echo = register_actor(*silent, kEcho);

  auto up = watcher->next_push(2s);
  ASSERT_TRUE(up);
  ASSERT_TRUE(std::holds_alternative<ActorEvent>(*up));
  EXPECT_EQ(std::get<ActorEvent>(*up).kind, ActorEvent::Kind::Up);
  EXPECT_EQ(std::get<ActorEvent>(*up).actor.id, echo.id);

  auto down = watcher->next_push(3s);
  ASSERT_TRUE(down);
  ASSERT_TRUE(std::holds_alternative<ActorEvent>(*down));
  EXPECT_EQ(std::get<ActorEvent>(*down).kind, ActorEvent::Kind::Down);
  EXPECT_EQ(std::get<ActorEvent>(*down).actor.id, echo.id);
  EXPECT_TRUE(silent->wait_closed(2s));

  // The watcher kept its heartbeats and is still there; the echo is gone from discovery.
  EXPECT_TRUE(watcher->is_open());
  auto found = watcher->discover(ActrType{"", "echo", ""});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_TRUE(found->empty());
  EXPECT_EQ(server->live_actor_count(), 1u);
}

TEST_F(SignalingServerTest, EventsRespectTheAcl) {
  auto server = start(options());
  auto intruder = connect(*server);
  register_actor(*intruder, kIntruder);
  ASSERT_TRUE(intruder->subscribe({ActrType{"", "echo", ""}}));
  auto target = connect(*server);
  register_actor(*target, kEcho, 1, {rule("deny evil/*"), rule("allow *")});
  register_actor(*target, ActrType{"acme", "echo", "0.2.0"});
  auto event = intruder->next_push(2s);
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<ActorEvent>(*event).actor.id.type.version, "0.2.0");
  EXPECT_FALSE(intruder->next_push(200ms));
}

TEST_F(SignalingServerTest, RelayDeliversBetweenRegisteredActors) {
  auto server = start(options());
  auto a = connect(*server);
  auto b = connect(*server);
  auto c = connect(*server);
  Registration greeter = register_actor(*a, kGreeter);
  Registration echo = register_actor(*b, kEcho, 1, {rule("allow acme/*")});
  register_actor(*c, kIntruder);

  ASSERT_TRUE(a->relay(echo.id, "offer: sdp bytes"));
  auto push = b->next_push(2s);
  ASSERT_TRUE(push);
  ASSERT_TRUE(std::holds_alternative<RelayedPayload>(*push));
  const auto& delivered = std::get<RelayedPayload>(*push);
  EXPECT_EQ(delivered.from, greeter.id);
  EXPECT_EQ(delivered.to, echo.id);
  EXPECT_EQ(delivered.payload, "offer: sdp bytes");

  ASSERT_TRUE(b->relay(greeter.id, "answer"));
  push = a->next_push(2s);
  ASSERT_TRUE(push);
  EXPECT_EQ(std::get<RelayedPayload>(*push).payload, "answer");

  auto denied = c->relay(echo.id, "let me in");
  ASSERT_FALSE(denied);
  EXPECT_TRUE(denied.error().is(ErrorCategory::SignalingRefused, proto::Error::PERMISSION_DENIED));
  ActrId nobody = echo.id;
  nobody.serial_number = 999;
  auto missing = a->relay(nobody, "hello?");
  ASSERT_FALSE(missing);
  EXPECT_TRUE(missing.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_FOUND));
  EXPECT_FALSE(b->next_push(200ms));
}

TEST_F(SignalingServerTest, RenewIssuesAFreshCredential) {
  ServerOptions o = options();
  o.credential_ttl = 2s;
  auto server = start(std::move(o));
  auto a = connect(*server);
  Registration reg = register_actor(*a, kEcho);
  EXPECT_EQ(reg.expires_at, now_ + 2);

  now_ += 10;  // the credential has lapsed: renewal still works on the registered connection
  CredentialVerifier verifier(reg.server_public_key, [this] { return now_.load(); });
  auto old = verifier.verify(reg.credential, 1);
  ASSERT_FALSE(old);
  EXPECT_TRUE(old.error().is(ErrorCategory::Credential, kCredentialExpired));

  auto renewed = a->renew(reg.credential);
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_EQ(renewed->expires_at, now_ + 2);
  auto claims = verifier.verify(renewed->credential, 1);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->id, reg.id);
}

TEST_F(SignalingServerTest, RegistrationAndRenewalHandOutTurnCredentials) {
  ServerOptions o = options();
  o.turn_servers = {{"turn.example", 3478}, {"10.0.0.7", 5349}};
  o.turn_secret = "a secret shared with coturn";
  auto server = start(o);
  auto a = connect(*server);
  Registration reg = register_actor(*a, kEcho, 3);
  ASSERT_EQ(reg.turn.size(), 2u);
  EXPECT_EQ(reg.turn[0].host, "turn.example");
  EXPECT_EQ(reg.turn[0].port, 3478);
  EXPECT_EQ(reg.turn[1].host, "10.0.0.7");
  EXPECT_EQ(reg.turn[1].port, 5349);
  // coturn checks base64(HMAC-SHA1(secret, username)) and the expiry in the username.
  auto expected = turn_rest_credentials(
      o.turn_secret, "3-" + std::to_string(reg.id.serial_number), 60s,
      std::chrono::system_clock::time_point(std::chrono::seconds(now_.load())));
  for (const TurnGrant& grant : reg.turn) {
    EXPECT_EQ(grant.username, expected.username);
    EXPECT_EQ(grant.password, expected.password);
    EXPECT_EQ(grant.expires_at, reg.expires_at);
  }
  EXPECT_EQ(reg.turn[0].username,
            std::to_string(now_ + 60) + ":3-" + std::to_string(reg.id.serial_number))
      << "the username is <expiry>:<who>";

  now_ += 30;
  auto renewed = a->renew(reg.credential);
  ASSERT_TRUE(renewed) << renewed.error().message;
  ASSERT_EQ(renewed->turn.size(), 2u);
  EXPECT_EQ(renewed->turn[0].expires_at, renewed->expires_at);
  EXPECT_NE(renewed->turn[0].username, reg.turn[0].username) << "a later expiry";

  // Without TURN configured, none is handed out.
  auto plain = start(options());
  auto b = connect(*plain);
  EXPECT_TRUE(register_actor(*b, kEcho).turn.empty());
}

TEST_F(SignalingServerTest, TurnNeedsServersAndTheirSecretTogether) {
  ServerOptions no_secret = options();
  no_secret.turn_servers = {{"turn.example", 3478}};
  auto refused = Server::start(no_secret);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("TURN"), std::string::npos);
  ServerOptions no_servers = options();
  no_servers.turn_secret = "a secret shared with coturn";
  EXPECT_FALSE(Server::start(no_servers));
  ServerOptions no_port = options();
  no_port.turn_servers = {{"turn.example", 0}};
  no_port.turn_secret = "a secret shared with coturn";
  EXPECT_FALSE(Server::start(no_port));
}

TEST_F(SignalingServerTest, ForgedCredentialOnRenewIsRefused) {
  auto server = start(options());
  auto a = connect(*server);
  Registration reg = register_actor(*a, kEcho);
  CredentialIssuer impostor = CredentialIssuer::generate();
  Credential forged = impostor.issue({reg.id, now_ + 3600, now_});
  auto renewed = a->renew(forged.encode());
  ASSERT_FALSE(renewed);
  EXPECT_TRUE(renewed.error().is(ErrorCategory::SignalingRefused, proto::Error::PERMISSION_DENIED));
  EXPECT_NE(renewed.error().message.find("forged"), std::string::npos);

  // Someone else's genuine credential does not renew on this connection either.
  auto b = connect(*server);
  auto stolen = b->renew(reg.credential);
  ASSERT_FALSE(stolen);
  EXPECT_TRUE(stolen.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_REGISTERED));
  auto garbage = a->renew("garbage");
  ASSERT_FALSE(garbage);
  EXPECT_TRUE(garbage.error().is(ErrorCategory::SignalingRefused, proto::Error::INVALID_ARGUMENT));
  EXPECT_TRUE(a->ping());
}

TEST_F(SignalingServerTest, OversizedFrameClosesOnlyThatConnection) {
  ServerOptions o = options();
  o.max_frame_bytes = 1024;
  auto server = start(std::move(o));
  auto bystander = connect(*server);
  register_actor(*bystander, kGreeter);
  auto offender = connect(*server);
  register_actor(*offender, kEcho);
  ASSERT_TRUE(bystander->subscribe({kEcho}));

  offender->send_frame(std::string(4096, 'x'));
  EXPECT_TRUE(offender->wait_closed(2s));
  auto down = bystander->next_push(2s);
  ASSERT_TRUE(down);
  EXPECT_EQ(std::get<ActorEvent>(*down).kind, ActorEvent::Kind::Down);
  EXPECT_TRUE(bystander->ping());
  EXPECT_TRUE(bystander->is_open());
  // Frames just under the limit are fine.
  auto relay = bystander->relay(ActrId{}, std::string(900, 'y'));
  EXPECT_TRUE(relay.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_FOUND));
}

// Connections that never upgrade fill the server; a node that connects for real still gets in,
// and a registered node's connection is never evicted for an idle newcomer.
TEST_F(SignalingServerTest, IdleConnectionsDoNotLockOutNodes) {
  ServerOptions o = options();
  o.connection_limits = {8, 8};
  auto server = start(std::move(o));
  auto registered = connect(*server);
  register_actor(*registered, kGreeter);
  boost::asio::io_context io;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> idle;
  for (int i = 0; i < 30; ++i) {
    auto socket = std::make_unique<boost::asio::ip::tcp::socket>(io);
    boost::system::error_code ec;
    socket->connect({boost::asio::ip::make_address("127.0.0.1"), server->port()}, ec);
    ASSERT_FALSE(ec) << ec.message();
    idle.push_back(std::move(socket));
  }
  auto began = std::chrono::steady_clock::now();
  auto late = connect(*server);
  ASSERT_TRUE(late);
  register_actor(*late, kEcho);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  EXPECT_TRUE(registered->ping());
  EXPECT_EQ(server->live_actor_count(), 2u);
  // The server holds at most its limit: the others were closed at once, long before the 5 s
  // upgrade deadline.
  int closed = 0;
  for (auto& socket : idle) {
    pollfd p{socket->native_handle(), POLLIN, 0};
    closed += ::poll(&p, 1, 200) == 1;
  }
  EXPECT_GE(closed, 30 - 8 + 1);
}

TEST_F(SignalingServerTest, GarbageFrameGetsAnErrorThenClose) {
  auto server = start(options());
  auto bystander = connect(*server);
  auto offender = connect(*server);
  offender->send_frame(std::string("\x0a\xff\xff\xff\xff\x0f", 6));
  EXPECT_TRUE(offender->wait_closed(2s));
  auto error = offender->last_server_error();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), proto::Error::MALFORMED);

  auto texter = connect(*server);
  texter->send_frame(ping_frame(1), /*binary=*/false);
  EXPECT_TRUE(texter->wait_closed(2s));
  ASSERT_TRUE(texter->last_server_error());
  EXPECT_EQ(texter->last_server_error()->code(), proto::Error::MALFORMED);

  auto old_version = connect(*server);
  proto::Envelope env;
  env.set_version(99);
  env.set_id(1);
  env.mutable_ping();
  old_version->send_frame(env.SerializeAsString());
  EXPECT_TRUE(old_version->wait_closed(2s));
  ASSERT_TRUE(old_version->last_server_error());
  EXPECT_EQ(old_version->last_server_error()->code(), proto::Error::UNSUPPORTED_VERSION);

  EXPECT_TRUE(bystander->ping());
}

TEST_F(SignalingServerTest, RateLimitDisconnectsTheFloodingClient) {
  ServerOptions o = options();
  o.messages_per_second = 20;
  o.message_burst = 5;
  auto server = start(std::move(o));
  auto bystander = connect(*server);
  auto flooder = connect(*server);
  for (int i = 0; i < 50; ++i) flooder->send_frame(ping_frame(1000 + i));
  EXPECT_TRUE(flooder->wait_closed(2s));
  ASSERT_TRUE(flooder->last_server_error());
  EXPECT_EQ(flooder->last_server_error()->code(), proto::Error::RATE_LIMITED);
  EXPECT_TRUE(bystander->ping());
  // A client within the rate is never cut off.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(bystander->ping());
}

TEST_F(SignalingServerTest, UnregisterTakesTheActorDownAndForgetsIt) {
  auto server = start(options());
  auto watcher = connect(*server);
  register_actor(*watcher, kGreeter);
  ASSERT_TRUE(watcher->subscribe({kEcho}));
  auto a = connect(*server);
  Registration echo = register_actor(*a, kEcho);
  ASSERT_TRUE(watcher->next_push(2s));  // up
  ASSERT_TRUE(a->unregister(echo.id.serial_number));
  auto down = watcher->next_push(2s);
  ASSERT_TRUE(down);
  EXPECT_EQ(std::get<ActorEvent>(*down).kind, ActorEvent::Kind::Down);
  auto again = a->unregister(echo.id.serial_number);
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_REGISTERED));

  // Forgotten: its credential no longer keeps the serial.
  RegisterParams params{kEcho, 1, {}, "ws://x:1", echo.id.serial_number, echo.credential};
  auto fresh = a->register_actor(params);
  ASSERT_TRUE(fresh);
  EXPECT_NE(fresh->id.serial_number, echo.id.serial_number);
}

TEST_F(SignalingServerTest, ReconnectingNodeKeepsItsSerialWithItsCredential) {
  auto server = start(options());
  auto first = connect(*server);
  Registration echo = register_actor(*first, kEcho);
  first->close();

  auto second = connect(*server);
  RegisterParams params{kEcho,          1, {}, "ws://127.0.0.1:9001", echo.id.serial_number,
                        echo.credential};
  auto kept = second->register_actor(params);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->id, echo.id);

  // A claim without a valid proof gets a fresh serial instead.
  auto third = connect(*server);
  CredentialIssuer impostor = CredentialIssuer::generate();
  params.previous_credential = impostor.issue({echo.id, now_ + 60, now_}).encode();
  auto hijack = third->register_actor(params);
  ASSERT_TRUE(hijack) << hijack.error().message;
  EXPECT_NE(hijack->id.serial_number, echo.id.serial_number);
}

TEST_F(SignalingServerTest, RestartKeepsSerialsUniqueAndTheSigningKeyStable) {
  Registration echo, greeter;
  PublicKey key{};
  {
    auto server = start(options());
    key = server->public_key();
    auto a = connect(*server);
    echo = register_actor(*a, kEcho);
    greeter = register_actor(*a, kGreeter);
    EXPECT_EQ(greeter.id.serial_number, 2u);
  }
  auto server = start(options());
  EXPECT_EQ(server->public_key(), key);
  CredentialVerifier verifier(server->public_key(), [this] { return now_.load(); });
  EXPECT_TRUE(verifier.verify(echo.credential, 1));

  auto a = connect(*server);
  Registration newcomer = register_actor(*a, kGreeter);
  // The restart skipped the rest of the first block of serials.
  EXPECT_EQ(newcomer.id.serial_number, 1 + kSerialBlockSize);
  RegisterParams params{kEcho,          1, {}, "ws://127.0.0.1:9001", echo.id.serial_number,
                        echo.credential};
  auto kept = a->register_actor(params);
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_EQ(kept->id.serial_number, echo.id.serial_number);
}

TEST_F(SignalingServerTest, SeveralActorsOnOneConnectionNameTheCaller) {
  auto server = start(options());
  auto node = connect(*server);
  Registration greeter = register_actor(*node, kGreeter);
  Registration intruder = register_actor(*node, kIntruder);
  auto target = connect(*server);
  register_actor(*target, kEcho, 1, {rule("allow acme/*")});

  auto ambiguous = node->discover(kEcho);
  ASSERT_FALSE(ambiguous);
  EXPECT_TRUE(
      ambiguous.error().is(ErrorCategory::SignalingRefused, proto::Error::INVALID_ARGUMENT));
  auto as_greeter = node->discover(kEcho, greeter.id.serial_number);
  ASSERT_TRUE(as_greeter) << as_greeter.error().message;
  EXPECT_EQ(as_greeter->size(), 1u);
  auto as_intruder = node->discover(kEcho, intruder.id.serial_number);
  ASSERT_TRUE(as_intruder) << as_intruder.error().message;
  EXPECT_TRUE(as_intruder->empty());
  auto not_mine = node->discover(kEcho, 999);
  ASSERT_FALSE(not_mine);
  EXPECT_TRUE(not_mine.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_REGISTERED));
}

TEST_F(SignalingServerTest, ConcurrentRequestsOnOneClientGetTheirOwnReplies) {
  auto server = start(options());
  auto client = connect(*server);
  register_actor(*client, kGreeter);
  auto target = connect(*server);
  Registration echo = register_actor(*target, kEcho);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (t % 2 == 0) {
          auto found = client->discover(kEcho);
          ok += found && found->size() == 1 && (*found)[0].id == echo.id;
        } else {
          ok += client->ping().ok();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 100);
}

TEST_F(SignalingServerTest, CallbacksReceivePushesAndTheEndOfTheConnection) {
  auto server = start(options());
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Push> pushes;
  std::string closed_why;
  ClientOptions o;
  o.on_push = [&](Push push) {
    std::lock_guard lock(mutex);
    pushes.push_back(std::move(push));
    changed.notify_all();
  };
  o.on_closed = [&](const std::string& why) {
    std::lock_guard lock(mutex);
    closed_why = why.empty() ? "?" : why;
    changed.notify_all();
  };
  auto receiver = connect(*server, o);
  Registration echo = register_actor(*receiver, kEcho);
  auto sender = connect(*server);
  register_actor(*sender, kGreeter);
  ASSERT_TRUE(sender->relay(echo.id, "ping over relay"));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, 2s, [&] { return !pushes.empty(); }));
    EXPECT_EQ(std::get<RelayedPayload>(pushes[0]).payload, "ping over relay");
  }
  EXPECT_FALSE(receiver->next_push(50ms));  // the callback took it
  server->stop();
  std::unique_lock lock(mutex);
  EXPECT_TRUE(changed.wait_for(lock, 2s, [&] { return !closed_why.empty(); }));
}

TEST_F(SignalingServerTest, StopClosesClientsAndPendingRequestsFail) {
  auto server = start(options());
  auto a = connect(*server);
  register_actor(*a, kEcho);
  server->stop();
  EXPECT_TRUE(a->wait_closed(2s));
  auto after = a->ping();
  ASSERT_FALSE(after);
  EXPECT_TRUE(after.error().is(ErrorCategory::Signaling, kSignalingUnavailable));
  auto unreachable = Client::connect("ws://127.0.0.1:1");
  ASSERT_FALSE(unreachable);
  EXPECT_TRUE(unreachable.error().is(ErrorCategory::Signaling, kSignalingUnavailable));
  EXPECT_FALSE(Client::connect("no-port"));
}

TEST_F(SignalingServerTest, LookupByIdFindsOnlyWhatTheCallerMaySee) {
  auto server = start(options());
  auto target = connect(*server);
  auto greeter = connect(*server);
  auto intruder = connect(*server);
  Registration echo = register_actor(*target, kEcho, 1, {rule("allow acme/greeter")});
  register_actor(*greeter, kGreeter);
  register_actor(*intruder, kIntruder);

  // Found: the id and the address.
  auto found = greeter->lookup(echo.id);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, echo.id);
  EXPECT_EQ((*found)->advertised_address, "ws://127.0.0.1:9001");
  // An id learned without its type (realm and serial only) is enough.
  ActrId bare;
  bare.realm.realm_id = 1;
  bare.serial_number = echo.id.serial_number;
  auto by_serial = greeter->lookup(bare);
  ASSERT_TRUE(by_serial && by_serial->has_value());
  EXPECT_EQ((*by_serial)->id, echo.id);

  // ACL-hidden: the same empty answer as an unknown id.
  auto hidden = intruder->lookup(echo.id);
  ASSERT_TRUE(hidden) << hidden.error().message;
  EXPECT_FALSE(hidden->has_value());

  // Not found: an unknown serial, another realm, a different type under that serial.
  ActrId unknown = echo.id;
  unknown.serial_number = 999;
  auto missing = greeter->lookup(unknown);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  ActrId elsewhere = echo.id;
  elsewhere.realm.realm_id = 2;
  EXPECT_FALSE(greeter->lookup(elsewhere)->has_value());
  ActrId other_type = echo.id;
  other_type.type.name = "greeter";
  EXPECT_FALSE(greeter->lookup(other_type)->has_value());

  // Gone once its connection ends.
  target->close();
  for (int i = 0; i < 500 && server->live_actor_count() != 2; ++i)
    std::this_thread::sleep_for(10ms);
  ASSERT_EQ(server->live_actor_count(), 2u);
  auto gone = greeter->lookup(echo.id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());

  // Only registered callers may look up.
  auto anonymous = connect(*server);
  auto refused = anonymous->lookup(echo.id);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_REGISTERED));
}

}  // namespace
}  // namespace actr::signaling::server
