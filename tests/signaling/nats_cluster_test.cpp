// Several signaling servers sharing a realm through NATS JetStream (`actr signal --nats`): a
// nats-server of the test's own, three servers in this process (and one as a process, to be
// killed), real WebSocket clients over loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "nats_server_process.hpp"
#include "signal_process.hpp"
#include "signaling/client.hpp"
#include "signaling/node_link.hpp"
#include "signaling/server/nats_connection.hpp"
#include "signaling/server/registration_record.hpp"
#include "signaling/server/server.hpp"
#include "signaling/server/server_id.hpp"
#include "signaling/server/signing_key_file.hpp"
#include "temp_dir.hpp"

namespace actr::signaling::server {
namespace {

using namespace std::chrono_literals;
using testing::NatsServerProcess;
using testing::SignalProcess;
using testing::TempDir;

const ActrType kEcho{"acme", "echo", "0.1.0"};
const ActrType kGreeter{"acme", "greeter", "0.1.0"};
const ActrType kCaller{"acme", "caller", "0.1.0"};

// Short, so that a server that is gone is noticed quickly: 3 heartbeats.
constexpr auto kHeartbeat = 300ms;

class NatsClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef ACTR_HAVE_NATS
    GTEST_SKIP() << "this build has no libnats (apt-get install libnats-dev, then reconfigure)";
#endif
    if (NatsServerProcess::binary().empty()) {
      GTEST_SKIP() << "nats-server is not installed (apt-get install nats-server)";
    }
    nats_ = std::make_unique<NatsServerProcess>(dir_.path() / "nats");
    ASSERT_TRUE(nats_->ready()) << "nats-server did not start; see " << nats_->log_file();
    key_file_ = dir_.path() / "realm.key";
    ASSERT_TRUE(create_signing_key_file(key_file_));
  }

  ServerOptions options(const std::string& name) {
    ServerOptions o;
    o.data_dir = dir_.path() / name;
    o.enrollment.open = true;  // enrollment has its own tests (upgrade_test.cpp)
    o.heartbeat_interval = kHeartbeat;
    o.nats_urls = {nats_->url()};
    o.signing_key_file = key_file_;
    return o;
  }

  std::unique_ptr<Server> start(const std::string& name, uint64_t serial_block_size = 1000) {
    ServerOptions o = options(name);
    o.serial_block_size = serial_block_size;
    auto server = Server::start(std::move(o));
    EXPECT_TRUE(server) << server.error().message;
    return server ? std::move(*server) : nullptr;
  }

  static std::unique_ptr<Client> connect(const std::string& url) {
    ClientOptions o;
    o.heartbeat = 100ms;  // the servers drop connections silent for 3 x 300 ms
    auto client = Client::connect(url, o);
    EXPECT_TRUE(client) << client.error().message;
    return client ? std::move(*client) : nullptr;
  }

  static Registration register_actor(Client& client, ActrType type) {
    RegisterParams params;
    params.type = std::move(type);
    params.realm = 1;
    params.advertised_address = "ws://127.0.0.1:9001";
    auto reg = client.register_actor(params);
    EXPECT_TRUE(reg) << reg.error().message;
    return reg ? *reg : Registration{};
  }

  // The serials `client` discovers of `type`.
  static std::set<uint64_t> discovered(Client& client, const ActrType& type) {
    std::set<uint64_t> out;
    auto found = client.discover(type);
    EXPECT_TRUE(found) << found.error().message;
    if (found) {
      for (const Candidate& c : *found) out.insert(c.id.serial_number);
    }
    return out;
  }

  // Polls `done` until it holds or `timeout` passes; true if it held.
  template <typename Predicate>
  static bool eventually(Predicate done, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  // The next actor event `client` is pushed, or nullopt.
  static std::optional<ActorEvent> next_event(Client& client, std::chrono::milliseconds timeout) {
    auto push = client.next_push(timeout);
    if (!push || !std::holds_alternative<ActorEvent>(*push)) return std::nullopt;
    return std::get<ActorEvent>(*push);
  }

  // Runs `use` on the actr_live bucket, opened through a NATS connection of the test's.
  template <typename Use>
  void with_live_bucket(Use use) {
#ifdef ACTR_HAVE_NATS
    auto nats = NatsConnection::connect({{nats_->url()}, 2000ms, "test"});
    ASSERT_TRUE(nats) << nats.error().message;
    kvConfig config;
    kvConfig_Init(&config);
    config.Bucket = "actr_live";
    auto bucket = (*nats)->open_bucket(config);
    ASSERT_TRUE(bucket) << bucket.error().message;
    use(bucket->get());
#else
    (void)use;
#endif
  }

  // The keys in actr_live (SERVER.REALM.SERIAL).
  std::set<std::string> live_keys() {
    std::set<std::string> out;
#ifdef ACTR_HAVE_NATS
    with_live_bucket([&](kvStore* bucket) {
      kvKeysList list{};
      if (kvStore_Keys(&list, bucket, nullptr) == NATS_OK) {
        for (int i = 0; i < list.Count; ++i) out.insert(list.Keys[i]);
        kvKeysList_Destroy(&list);
      }
    });
#endif
    return out;
  }

  // `actr signal --nats` as a process of its own (to be killed), and its WebSocket address.
  std::unique_ptr<SignalProcess> start_process(const std::string& name, std::string& url) {
    auto process = std::make_unique<SignalProcess>(std::vector<std::string>{
        "--listen", "127.0.0.1:0", "--data-dir", (dir_.path() / name).string(), "--insecure-open",
        "--heartbeat", "0.3", "--nats", nats_->url(), "--signing-key-file", key_file_.string(),
        "--log-level", "warn"});
    std::string line = process->read_line(20s);
    EXPECT_TRUE(line.starts_with("signaling: ws://127.0.0.1:")) << "got: `" << line << "`";
    if (!line.starts_with("signaling: ")) return nullptr;
    url = line.substr(std::string("signaling: ").size());
    return process;
  }

  // A node's link to `server_url` (then `fallback_url`) that registers one echo, and counts its
  // connections.
  struct LinkedEcho {
    std::atomic<int> connected{0}, disconnected{0};
    std::unique_ptr<NodeLink> link;
    size_t echo = 0;
    std::optional<Registration> registration() const { return link->registration(echo); }
  };
  static std::unique_ptr<LinkedEcho> link_echo(const std::string& server_url,
                                               const std::string& fallback_url) {
    auto linked = std::make_unique<LinkedEcho>();
    NodeLinkHooks hooks;
    hooks.on_connected = [l = linked.get()] { ++l->connected; };
    hooks.on_disconnected = [l = linked.get()] { ++l->disconnected; };
    NodeLinkOptions options;
    options.server_url = server_url;
    options.fallback_urls = {fallback_url};
    options.initial_backoff = 20ms;
    options.max_backoff = 200ms;
    linked->link = NodeLink::start(options, hooks);
    linked->echo = linked->link->add_actor(echo_params());
    return linked;
  }

  static RegisterParams echo_params() {
    RegisterParams params;
    params.type = kEcho;
    params.realm = 1;
    params.advertised_address = "ws://127.0.0.1:9001";
    return params;
  }

  // Registers `params` through `client` until the server refuses; the refusal.
  static std::optional<actr::Error> first_refusal(Client& client, const RegisterParams& params) {
    std::optional<actr::Error> refused;
    eventually([&] {
      auto reg = client.register_actor(params);
      if (reg) return false;
      refused = reg.error();
      return true;
    });
    return refused;
  }

  std::string server_id_of(const std::string& name) {
    auto id = ensure_server_id(dir_.path() / name);
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : std::string();
  }

  TempDir dir_;
  std::unique_ptr<NatsServerProcess> nats_;
  std::filesystem::path key_file_;
};

TEST_F(NatsClusterTest, ClientsOnDifferentServersDiscoverEachOther) {
  auto s1 = start("s1"), s2 = start("s2"), s3 = start("s3");
  ASSERT_TRUE(s1 && s2 && s3);
  auto caller = connect(s1->listen_address());
  auto echo = connect(s2->listen_address());
  auto greeter = connect(s3->listen_address());
  ASSERT_TRUE(caller && echo && greeter);
  Registration c = register_actor(*caller, kCaller);
  Registration e = register_actor(*echo, kEcho);
  Registration g = register_actor(*greeter, kGreeter);
  EXPECT_EQ(std::set<uint64_t>({c.id.serial_number, e.id.serial_number, g.id.serial_number}).size(),
            3u);

  EXPECT_TRUE(eventually([&] {
    return discovered(*caller, kEcho) == std::set<uint64_t>{e.id.serial_number} &&
           discovered(*caller, kGreeter) == std::set<uint64_t>{g.id.serial_number};
  }));
  EXPECT_TRUE(eventually([&] { return discovered(*greeter, kEcho).size() == 1; }));
  EXPECT_TRUE(eventually([&] { return discovered(*echo, kCaller).size() == 1; }));
  auto looked_up = caller->lookup(g.id);
  ASSERT_TRUE(looked_up) << looked_up.error().message;
  ASSERT_TRUE(looked_up->has_value());
  EXPECT_EQ((*looked_up)->advertised_address, "ws://127.0.0.1:9001");
  EXPECT_EQ(s1->live_actor_count(), 3u);

  // Events fan out: a subscriber on s1 hears an echo come up on s3 and go down there.
  ASSERT_TRUE(caller->subscribe({kEcho}));
  auto late = connect(s3->listen_address());
  ASSERT_TRUE(late);
  Registration l = register_actor(*late, kEcho);
  auto up = next_event(*caller, 5s);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->kind, ActorEvent::Kind::Up);
  EXPECT_EQ(up->actor.id.serial_number, l.id.serial_number);
  ASSERT_TRUE(late->unregister(l.id.serial_number));
  auto down = next_event(*caller, 5s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->kind, ActorEvent::Kind::Down);
  EXPECT_EQ(down->actor.id.serial_number, l.id.serial_number);
  EXPECT_EQ(discovered(*caller, kEcho), std::set<uint64_t>{e.id.serial_number});
}

TEST_F(NatsClusterTest, SerialsAreUniqueUnderConcurrentRegistrationThroughThreeServers) {
  // Small blocks: the servers race for the counter 1500 / 7 times.
  constexpr uint64_t kBlock = 7;
  constexpr int kPerThread = 250;
  std::vector<std::unique_ptr<Server>> servers;
  for (const char* name : {"s1", "s2", "s3"}) servers.push_back(start(name, kBlock));
  for (const auto& s : servers) ASSERT_TRUE(s);
  std::vector<std::vector<uint64_t>> serials(6);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < serials.size(); ++t) {
    threads.emplace_back([&, t] {
      auto client = connect(servers[t % servers.size()]->listen_address());
      if (!client) {
        ++failures;
        return;
      }
      RegisterParams params;
      params.type = kEcho;
      params.realm = 1;
      for (int i = 0; i < kPerThread; ++i) {
        auto reg = client->register_actor(params);
        if (!reg) {
          ++failures;
          return;
        }
        serials[t].push_back(reg->id.serial_number);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  std::set<uint64_t> distinct;
  size_t total = 0;
  for (const auto& list : serials) {
    total += list.size();
    distinct.insert(list.begin(), list.end());
  }
  EXPECT_EQ(total, serials.size() * kPerThread);
  EXPECT_EQ(distinct.size(), total) << "a serial was handed out twice";
  EXPECT_EQ(*distinct.begin(), 1u);
  // Each server skips at most the rest of its current block.
  EXPECT_LE(*distinct.rbegin(), total + servers.size() * kBlock);
}

TEST_F(NatsClusterTest, ACredentialIssuedByOneServerHoldsAtAnother) {
  auto s1 = start("s1"), s2 = start("s2");
  ASSERT_TRUE(s1 && s2);
  EXPECT_EQ(s1->public_key(), s2->public_key());
  auto first = connect(s1->listen_address());
  ASSERT_TRUE(first);
  Registration reg = register_actor(*first, kEcho);
  CredentialVerifier at_s2(s2->public_key());
  auto claims = at_s2.verify(reg.credential, 1);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->id, reg.id);
  first->close();

  // The node moves to s2: s2 accepts the credential in the upgrade and lets it keep its id.
  ClientOptions o;
  o.heartbeat = 100ms;
  o.credentials = {reg.credential};
  auto moved = Client::connect(s2->listen_address(), o);
  ASSERT_TRUE(moved) << moved.error().message;
  RegisterParams params;
  params.type = kEcho;
  params.realm = 1;
  params.previous_serial = reg.id.serial_number;
  params.previous_credential = reg.credential;
  auto again = (*moved)->register_actor(params);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, reg.id);
  auto renewed = (*moved)->renew(again->credential);
  EXPECT_TRUE(renewed) << renewed.error().message;
}

TEST_F(NatsClusterTest, AnIdRegisteredAgainAtAnotherServerMovesThere) {
  auto s1 = start("s1"), s2 = start("s2");
  ASSERT_TRUE(s1 && s2);
  auto old = connect(s1->listen_address());
  auto watcher = connect(s1->listen_address());
  ASSERT_TRUE(old && watcher);
  Registration reg = register_actor(*old, kEcho);
  register_actor(*watcher, kCaller);

  // The node reconnects to s2 before s1 noticed its old connection was gone.
  auto moved = connect(s2->listen_address());
  ASSERT_TRUE(moved);
  RegisterParams params;
  params.type = kEcho;
  params.realm = 1;
  params.advertised_address = "ws://127.0.0.1:9002";
  params.previous_serial = reg.id.serial_number;
  params.previous_credential = reg.credential;
  auto again = moved->register_actor(params);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, reg.id);

  // s1 hears of it: the old connection no longer holds the id, and s1 points callers at s2's.
  EXPECT_TRUE(eventually([&] {
    auto renewed = old->renew(reg.credential);
    return !renewed &&
           renewed.error().is(ErrorCategory::SignalingRefused, proto::Error::NOT_REGISTERED);
  }));
  auto address_at_s1 = [&] {
    auto found = watcher->lookup(reg.id);
    return found && found->has_value() ? (*found)->advertised_address : std::string();
  };
  EXPECT_TRUE(eventually([&] { return address_at_s1() == "ws://127.0.0.1:9002"; }));
  // The old connection ending takes nothing down.
  old->close();
  std::this_thread::sleep_for(2 * kHeartbeat);
  EXPECT_EQ(address_at_s1(), "ws://127.0.0.1:9002");
  EXPECT_TRUE(moved->renew(again->credential));
}

TEST_F(NatsClusterTest, AStoppedServersActorsGoDownAtTheOthersAtOnce) {
  auto s1 = start("s1"), s2 = start("s2");
  ASSERT_TRUE(s1 && s2);
  auto watcher = connect(s1->listen_address());
  auto echo = connect(s2->listen_address());
  ASSERT_TRUE(watcher && echo);
  register_actor(*watcher, kCaller);
  Registration e = register_actor(*echo, kEcho);
  ASSERT_TRUE(eventually([&] { return discovered(*watcher, kEcho).size() == 1; }));
  ASSERT_TRUE(watcher->subscribe({kEcho}));

  auto stopped_at = std::chrono::steady_clock::now();
  s2->stop();
  auto down = next_event(*watcher, 5s);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->kind, ActorEvent::Kind::Down);
  EXPECT_EQ(down->actor.id.serial_number, e.id.serial_number);
  // A clean stop withdraws the server's presence: no need to wait for its timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - stopped_at, 3 * kHeartbeat);
  EXPECT_TRUE(discovered(*watcher, kEcho).empty());
}

TEST_F(NatsClusterTest, AKilledServersActorsGoDownWithinTheHeartbeatWindow) {
  auto s1 = start("s1");
  ASSERT_TRUE(s1);
  std::string victim_url;
  auto victim = start_process("s2", victim_url);
  ASSERT_TRUE(victim);
  auto echo = connect(victim_url);
  auto watcher = connect(s1->listen_address());
  ASSERT_TRUE(echo && watcher);
  Registration e = register_actor(*echo, kEcho);
  register_actor(*watcher, kCaller);
  ASSERT_TRUE(eventually([&] { return discovered(*watcher, kEcho).size() == 1; }));
  ASSERT_TRUE(watcher->subscribe({kEcho}));

  auto killed_at = std::chrono::steady_clock::now();
  EXPECT_EQ(victim->stop(SIGKILL), -1);  // it did not exit normally
  auto down = next_event(*watcher, 5s);
  auto noticed = std::chrono::steady_clock::now() - killed_at;
  ASSERT_TRUE(down) << "s1 never noticed that the killed server was gone";
  EXPECT_EQ(down->kind, ActorEvent::Kind::Down);
  EXPECT_EQ(down->actor.id.serial_number, e.id.serial_number);
  // The timeout (3 heartbeats) plus the check period (a quarter of it) and scheduling slack.
  EXPECT_LT(noticed, 3 * kHeartbeat + kHeartbeat + 500ms)
      << std::chrono::duration_cast<std::chrono::milliseconds>(noticed).count() << " ms";
  EXPECT_GE(noticed, 3 * kHeartbeat - 2 * kHeartbeat);
  EXPECT_TRUE(discovered(*watcher, kEcho).empty());
}

TEST_F(NatsClusterTest, RelaysReachAnActorOnAnotherServer) {
  auto s1 = start("s1"), s2 = start("s2");
  ASSERT_TRUE(s1 && s2);
  auto a = connect(s1->listen_address());
  auto b = connect(s2->listen_address());
  ASSERT_TRUE(a && b);
  Registration from = register_actor(*a, kCaller);
  Registration to = register_actor(*b, kEcho);
  ASSERT_TRUE(eventually([&] {
    auto found = a->lookup(to.id);
    return found && found->has_value();
  }));
  ASSERT_TRUE(a->relay(to.id, "offer over two servers"));
  auto push = b->next_push(5s);
  ASSERT_TRUE(push && std::holds_alternative<RelayedPayload>(*push));
  const auto& relayed = std::get<RelayedPayload>(*push);
  EXPECT_EQ(relayed.payload, "offer over two servers");
  EXPECT_EQ(relayed.from, from.id);
  EXPECT_EQ(relayed.to, to.id);
}

TEST_F(NatsClusterTest, WithoutNatsRegistrationsAreUnavailableAndDiscoveryKeepsServing) {
  auto s1 = start("s1"), s2 = start("s2");
  ASSERT_TRUE(s1 && s2);
  auto caller = connect(s1->listen_address());
  auto echo = connect(s2->listen_address());
  ASSERT_TRUE(caller && echo);
  register_actor(*caller, kCaller);
  Registration e = register_actor(*echo, kEcho);
  ASSERT_TRUE(eventually([&] { return discovered(*caller, kEcho).size() == 1; }));

  nats_->kill();
  RegisterParams params;
  params.type = kGreeter;
  params.realm = 1;
  auto refused = first_refusal(*caller, params);
  ASSERT_TRUE(refused) << "registrations still succeed without NATS";
  EXPECT_TRUE(refused->is(ErrorCategory::SignalingRefused, proto::Error::UNAVAILABLE))
      << refused->message;
  EXPECT_NE(refused->message.find("NATS"), std::string::npos) << refused->message;
  // Longer than the server timeout: s1 cannot tell whether s2 still runs, so it keeps serving
  // what it knew.
  std::this_thread::sleep_for(4 * kHeartbeat);
  EXPECT_EQ(discovered(*caller, kEcho), std::set<uint64_t>{e.id.serial_number});
}

// NATS itself restarts (killed, then started again on its port with its JetStream store): the
// servers recover without anyone touching them. Meanwhile registrations are UNAVAILABLE and
// discovery answers from memory; afterwards registrations succeed through every server, every
// server sees every actor (those from before and the new ones) and it stays so past the server
// timeout (presence is announced again in the memory-backed bucket NATS lost).
TEST_F(NatsClusterTest, SignalingRecoversWhenNatsRestarts) {
  auto s1 = start("s1"), s2 = start("s2"), s3 = start("s3");
  ASSERT_TRUE(s1 && s2 && s3);
  std::vector<Server*> servers{s1.get(), s2.get(), s3.get()};
  std::vector<std::unique_ptr<Client>> watchers;
  std::set<uint64_t> echoes;
  for (Server* s : servers) {
    watchers.push_back(connect(s->listen_address()));
    ASSERT_TRUE(watchers.back());
    register_actor(*watchers.back(), kCaller);
  }
  auto echo = connect(s2->listen_address());
  ASSERT_TRUE(echo);
  echoes.insert(register_actor(*echo, kEcho).id.serial_number);
  auto everywhere = [&](const std::set<uint64_t>& want) {
    return std::all_of(watchers.begin(), watchers.end(),
                       [&](const auto& w) { return discovered(*w, kEcho) == want; });
  };
  ASSERT_TRUE(eventually([&] { return everywhere(echoes); }));

  nats_->kill();
  RegisterParams params;
  params.type = kEcho;
  params.realm = 1;
  auto refused = first_refusal(*watchers[0], params);
  ASSERT_TRUE(refused) << "registrations still succeed without NATS";
  EXPECT_TRUE(refused->is(ErrorCategory::SignalingRefused, proto::Error::UNAVAILABLE))
      << refused->message;
  EXPECT_TRUE(everywhere(echoes));  // from memory
  // A node that connects meanwhile is told UNAVAILABLE; its link tries again on its own.
  NodeLinkOptions link_options;
  link_options.server_url = s1->listen_address();
  link_options.initial_backoff = 50ms;
  link_options.max_backoff = 500ms;
  auto link = NodeLink::start(link_options);
  size_t linked = link->add_actor(params);

  ASSERT_TRUE(nats_->restart()) << "nats-server did not start again; see " << nats_->log_file();
  // Each server registers again once it is back on NATS (no operator action).
  std::vector<std::unique_ptr<Client>> late;
  for (Server* s : servers) {
    late.push_back(connect(s->listen_address()));
    ASSERT_TRUE(late.back());
    std::optional<Registration> reg;
    EXPECT_TRUE(eventually(
        [&] {
          auto r = late.back()->register_actor(params);
          if (r) reg = *r;
          return static_cast<bool>(r);
        },
        20s))
        << "registration at " << s->listen_address() << " after the NATS restart";
    if (reg) {
      EXPECT_FALSE(echoes.count(reg->id.serial_number)) << "serial handed out twice";
      echoes.insert(reg->id.serial_number);
    }
  }
  ASSERT_TRUE(eventually([&] { return link->registration(linked).has_value(); }, 20s))
      << "the node's link never registered its actor after NATS returned";
  echoes.insert(link->registration(linked)->id.serial_number);
  EXPECT_EQ(echoes.size(), 5u);
  EXPECT_TRUE(eventually([&] { return everywhere(echoes); }, 10s));
  // Past the server timeout: every server still announces itself, so no actor goes down.
  std::this_thread::sleep_for(5 * kHeartbeat);
  EXPECT_TRUE(everywhere(echoes));
  for (const auto& w : watchers) {
    EXPECT_EQ(discovered(*w, kEcho), echoes);
  }
  link->stop();
}

// A server killed with SIGKILL leaves its live entries in actr_live. Once it has been gone for a
// server timeout, the running server with the smallest id deletes them, so they cannot come back
// as ghosts; its node, moved to another server, has its entries written there under the same id.
// A server started afterwards shows that actor once, at its new server.
TEST_F(NatsClusterTest, AKilledServersLiveEntriesArePurgedAndItsNodesAreWrittenAgain) {
  auto s1 = start("s1"), s3 = start("s3");
  ASSERT_TRUE(s1 && s3);
  std::string victim_url;
  auto victim = start_process("s2", victim_url);
  ASSERT_TRUE(victim);
  auto node = link_echo(victim_url, s3->listen_address());
  ASSERT_TRUE(eventually([&] { return node->connected == 1 && node->registration(); }));
  uint64_t serial = node->registration()->id.serial_number;
  auto watcher = connect(s1->listen_address());
  ASSERT_TRUE(watcher);
  register_actor(*watcher, kCaller);
  ASSERT_TRUE(
      eventually([&] { return discovered(*watcher, kEcho) == std::set<uint64_t>{serial}; }));
  const std::string victim_key = server_id_of("s2") + "." + registration_key(1, serial);
  const std::string moved_key = server_id_of("s3") + "." + registration_key(1, serial);
  EXPECT_TRUE(live_keys().count(victim_key));

  EXPECT_EQ(victim->stop(SIGKILL), -1);
  ASSERT_TRUE(eventually([&] { return node->connected == 2 && node->registration(); }));
  EXPECT_EQ(node->registration()->id.serial_number, serial);
  std::set<std::string> keys;
  EXPECT_TRUE(eventually(
      [&] {
        keys = live_keys();
        return !keys.count(victim_key) && keys.count(moved_key);
      },
      10s))
      << "the killed server's entry is still there, or the moved actor's is missing";
  // Nothing of the running servers was deleted.
  std::string s1_prefix = server_id_of("s1") + ".";
  EXPECT_TRUE(std::any_of(keys.begin(), keys.end(),
                          [&](const std::string& k) { return k.starts_with(s1_prefix); }));

  // Another server restarts: it sees the actor once, where it is now.
  watcher->close();
  s1->stop();
  s1 = start("s1");
  ASSERT_TRUE(s1);
  watcher = connect(s1->listen_address());
  ASSERT_TRUE(watcher);
  Registration caller = register_actor(*watcher, kCaller);
  EXPECT_TRUE(
      eventually([&] { return discovered(*watcher, kEcho) == std::set<uint64_t>{serial}; }));
  std::this_thread::sleep_for(4 * kHeartbeat);  // past the server timeout: still there, once
  auto found = watcher->discover(kEcho);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().id.serial_number, serial);
  EXPECT_EQ(found->front().advertised_address, "ws://127.0.0.1:9001");
  EXPECT_NE(caller.id.serial_number, serial);
  node->link->stop();
}

// A server that finds its entry of a connected actor deleted by another (which took it for gone
// after a stall) writes it again.
TEST_F(NatsClusterTest, AServerWritesAgainItsEntryAnotherDeleted) {
  auto s1 = start("s1");
  ASSERT_TRUE(s1);
  auto echo = connect(s1->listen_address());
  ASSERT_TRUE(echo);
  Registration e = register_actor(*echo, kEcho);
  const std::string key = server_id_of("s1") + "." + registration_key(1, e.id.serial_number);
  ASSERT_TRUE(eventually([&] { return live_keys().count(key) == 1; }));
#ifdef ACTR_HAVE_NATS
  with_live_bucket(
      [&](kvStore* bucket) { ASSERT_EQ(kvStore_Delete(bucket, key.c_str()), NATS_OK); });
#endif
  EXPECT_TRUE(eventually([&] { return live_keys().count(key) == 1; }));
}

// Rotating the realm's signing key without new ids (docs/NETWORK.md): servers restarted one by
// one with the new key and the old one accepted take the credentials the old key signed as proof
// of identity, so a node moving between them keeps its actor's id and gets credentials signed by
// the new key, together with the old key as still accepted (for its peers' credentials). Once
// every credential is renewed, the servers drop the old key and the ids stay.
TEST_F(NatsClusterTest, RotatingTheSigningKeyKeepsIds) {
  auto new_key_file = dir_.path() / "new.key";
  auto new_key = create_signing_key_file(new_key_file);
  ASSERT_TRUE(new_key);
  auto old_key = read_signing_key_file(key_file_);
  ASSERT_TRUE(old_key);
  // Servers restart on their ports, so that the node's list of servers holds.
  auto start_with = [&](const std::string& name, uint16_t port,
                        const std::filesystem::path& signing,
                        std::vector<std::filesystem::path> accepted) {
    ServerOptions o = options(name);
    o.port = port;
    o.signing_key_file = signing;
    o.accepted_signing_key_files = std::move(accepted);
    // The port may be held a moment longer by a socket of the stopped server: try again.
    std::unique_ptr<Server> started;
    eventually([&] {
      auto server = Server::start(o);
      if (server) started = std::move(*server);
      return started != nullptr;
    });
    EXPECT_TRUE(started) << "cannot start " << name << " on port " << port;
    return started;
  };
  auto s1 = start("s1"), s2 = start("s2");
  ASSERT_TRUE(s1 && s2);
  const uint16_t p1 = s1->port(), p2 = s2->port();
  auto node = link_echo(s1->listen_address(), s2->listen_address());
  ASSERT_TRUE(eventually([&] { return node->connected == 1 && node->registration(); }));
  const Registration before = *node->registration();

  // s2 signs with the new key and accepts the old one; the node moves there when s1 stops.
  s2->stop();
  s2 = start_with("s2", p2, new_key_file, {key_file_});
  ASSERT_TRUE(s2);
  s1->stop();
  ASSERT_TRUE(eventually([&] {
    auto reg = node->registration();
    return node->connected == 2 && reg && reg->server_public_key == *new_key;
  }));
  Registration rotated = *node->registration();
  EXPECT_EQ(rotated.id, before.id) << "the old key's credential did not keep the id";
  EXPECT_TRUE(CredentialVerifier(*new_key).verify(rotated.credential, 1));
  EXPECT_FALSE(CredentialVerifier(old_key->public_key()).verify(rotated.credential, 1));
  EXPECT_EQ(rotated.accepted_public_keys, std::vector<PublicKey>{old_key->public_key()});
  // A node verifying with what its registration tells accepts peers of either key.
  CredentialVerifier node_view(rotated.server_public_key, rotated.accepted_public_keys);
  EXPECT_TRUE(node_view.verify(before.credential, 1));
  EXPECT_TRUE(node_view.verify(rotated.credential, 1));

  // The rotation is over: s1 with the new key alone; the node moves there and keeps its id.
  s1 = start_with("s1", p1, new_key_file, {});
  ASSERT_TRUE(s1);
  s2->stop();
  ASSERT_TRUE(eventually([&] { return node->connected == 3 && node->registration(); }));
  EXPECT_EQ(node->registration()->id, before.id);
  EXPECT_TRUE(node->registration()->accepted_public_keys.empty());
  // The old key no longer proves anything there.
  ClientOptions o;
  o.credentials = {before.credential};
  auto refused = Client::connect(s1->listen_address(), o);
  EXPECT_FALSE(refused);
  node->link->stop();
}

TEST_F(NatsClusterTest, NatsNeedsTheRealmsSigningKeyFile) {
  ServerOptions o = options("s1");
  o.signing_key_file.clear();
  auto server = Server::start(std::move(o));
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().message.find("keygen"), std::string::npos) << server.error().message;
}

// A node's link given several servers of the realm: when its server stops, it moves to the next
// one and registers its actor again under the same id, which the others see throughout.
TEST_F(NatsClusterTest, ANodeLinkFailsOverToTheNextServerAndKeepsItsIds) {
  auto s1 = start("s1"), s2 = start("s2");
  ASSERT_TRUE(s1 && s2);
  auto node = link_echo(s1->listen_address(), s2->listen_address());
  ASSERT_TRUE(eventually([&] { return node->connected == 1 && node->registration(); }));
  uint64_t serial = node->registration()->id.serial_number;
  auto watcher = connect(s2->listen_address());
  ASSERT_TRUE(watcher);
  register_actor(*watcher, kCaller);
  ASSERT_TRUE(
      eventually([&] { return discovered(*watcher, kEcho) == std::set<uint64_t>{serial}; }));

  s1->stop();
  ASSERT_TRUE(eventually([&] { return node->disconnected == 1 && node->connected == 2; }));
  ASSERT_TRUE(node->registration());
  EXPECT_EQ(node->registration()->id.serial_number, serial);
  EXPECT_TRUE(
      eventually([&] { return discovered(*watcher, kEcho) == std::set<uint64_t>{serial}; }));
  node->link->stop();
}

}  // namespace
}  // namespace actr::signaling::server
