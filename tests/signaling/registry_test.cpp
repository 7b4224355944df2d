// The signaling registry without sockets (signaling/server/registry.hpp): registration,
// discovery and lookup under ACLs, up/down events, relays, credentials and enrollment tokens,
// driven through peers that record what they are sent.
#include "signaling/server/registry.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>

#include "signaling/server/sqlite_registry_store.hpp"
#include "temp_dir.hpp"

namespace actr::signaling::server {
namespace {

using testing::TempDir;

struct RecordingPeer : RegistryPeer {
  explicit RecordingPeer(std::string name) { address = std::move(name); }
  void send(proto::Envelope env) override {
    if (is_open) sent.push_back(std::move(env));
  }
  bool open() const override { return is_open; }

  proto::Envelope take() {
    EXPECT_FALSE(sent.empty()) << address << " was sent nothing";
    if (sent.empty()) return {};
    proto::Envelope env = std::move(sent.front());
    sent.pop_front();
    return env;
  }

  std::deque<proto::Envelope> sent;
  bool is_open = true;
};

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { registry_ = open_registry(); }

  std::unique_ptr<Registry> open_registry() {
    auto store = SqliteRegistryStore::open(dir_.path() / kRegistryFileName);
    EXPECT_TRUE(store) << store.error().message;
    auto issuer = store->signing_key();
    EXPECT_TRUE(issuer) << issuer.error().message;
    RegistryOptions options;
    options.clock = [this] { return now_; };
    return std::make_unique<Registry>(
        options, std::make_unique<SqliteRegistryStore>(std::move(*store)), std::move(*issuer),
        [this](std::function<void()> fn) { deferred_.push_back(std::move(fn)); });
  }

  // Ends the current turn of the event loop: grouped store writes commit.
  void run_deferred() {
    auto fns = std::move(deferred_);
    deferred_.clear();
    for (auto& fn : fns) fn();
  }

  proto::Envelope request(RecordingPeer& peer, proto::Envelope env) {
    env.set_id(++next_id_);
    registry_->handle(peer, env);
    run_deferred();
    proto::Envelope reply = peer.take();
    EXPECT_EQ(reply.reply_to(), next_id_);
    return reply;
  }

  static proto::Envelope registration(const std::string& name, uint32_t realm = 1) {
    proto::Envelope env;
    auto* req = env.mutable_register_request();
    req->set_realm(realm);
    req->mutable_type()->set_manufacturer("acme");
    req->mutable_type()->set_name(name);
    return env;
  }

  proto::Envelope register_actor(RecordingPeer& peer, const std::string& name,
                                 std::vector<proto::AclRule> acl = {}) {
    proto::Envelope env = registration(name);
    auto* req = env.mutable_register_request();
    req->set_advertised_address("ws://" + peer.address);
    for (auto& rule : acl) *req->add_acl() = std::move(rule);
    return request(peer, std::move(env));
  }

  // A registration that presents the credential of an earlier one to keep `serial`.
  static proto::Envelope comeback(uint64_t serial, const std::string& credential) {
    proto::Envelope env = registration("echo");
    env.mutable_register_request()->set_previous_serial(serial);
    env.mutable_register_request()->set_previous_credential(credential);
    return env;
  }

  uint64_t serial_of(const proto::Envelope& reply) {
    EXPECT_TRUE(reply.has_register_reply()) << reply.DebugString();
    return reply.register_reply().id().serial();
  }

  std::vector<std::string> discover(RecordingPeer& peer, const std::string& name) {
    proto::Envelope env;
    env.mutable_discover_request()->mutable_type()->set_name(name);
    proto::Envelope reply = request(peer, std::move(env));
    std::vector<std::string> found;
    for (const auto& c : reply.discover_reply().candidates())
      found.push_back(c.advertised_address());
    return found;
  }

  // Registers a "client" actor on `watcher` that subscribes to events of "echo" actors.
  void subscribe_to_echo(RecordingPeer& watcher) {
    register_actor(watcher, "client");
    proto::Envelope sub;
    sub.mutable_subscribe()->add_types()->set_name("echo");
    ASSERT_TRUE(request(watcher, std::move(sub)).has_ack());
  }

  static proto::AclRule rule(proto::AclRule::Effect effect, const std::string& name) {
    proto::AclRule r;
    r.set_effect(effect);
    r.set_manufacturer("*");
    r.set_name(name);
    return r;
  }

  TempDir dir_;
  int64_t now_ = 1'000'000;
  uint64_t next_id_ = 0;
  std::vector<std::function<void()>> deferred_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(RegistryTest, RegistrationGivesAnIdAndACredentialTheRegistryVerifies) {
  RecordingPeer node("10.0.0.1:1");
  registry_->joined(node);
  proto::Envelope reply = register_actor(node, "echo");
  ASSERT_TRUE(reply.has_register_reply()) << reply.DebugString();
  const auto& r = reply.register_reply();
  EXPECT_EQ(r.id().realm(), 1u);
  EXPECT_GT(r.id().serial(), 0u);
  EXPECT_EQ(r.credential_expires_at(), now_ + 3600);
  auto credential = Credential::decode(r.credential());
  ASSERT_TRUE(credential) << credential.error().message;
  EXPECT_TRUE(registry_->verifier().verify_signature(*credential));
  EXPECT_EQ(credential->claims.id.serial_number, r.id().serial());
  EXPECT_EQ(registry_->live_count(), 1u);
  EXPECT_EQ(node.actors.size(), 1u);
}

TEST_F(RegistryTest, ANamelessTypeIsRefusedAndNothingIsRegistered) {
  RecordingPeer node("10.0.0.1:1");
  registry_->joined(node);
  proto::Envelope reply = register_actor(node, "");
  ASSERT_TRUE(reply.has_error());
  EXPECT_EQ(reply.error().code(), proto::Error::INVALID_ARGUMENT);
  EXPECT_EQ(registry_->live_count(), 0u);
}

TEST_F(RegistryTest, DiscoveryShowsOnlyActorsWhoseAclAdmitsTheCaller) {
  RecordingPeer a("10.0.0.1:1"), b("10.0.0.2:1"), caller("10.0.0.3:1");
  for (auto* p : {&a, &b, &caller}) registry_->joined(*p);
  register_actor(a, "echo");
  register_actor(b, "echo",
                 {rule(proto::AclRule::DENY, "client"), rule(proto::AclRule::ALLOW, "*")});
  register_actor(caller, "client");
  EXPECT_EQ(discover(caller, "echo"), std::vector<std::string>{"ws://10.0.0.1:1"});
  EXPECT_TRUE(discover(caller, "nobody").empty());
}

TEST_F(RegistryTest, ARequestFromAConnectionWithoutActorsIsRefused) {
  RecordingPeer idle("10.0.0.9:1");
  registry_->joined(idle);
  proto::Envelope env;
  env.mutable_discover_request()->mutable_type()->set_name("echo");
  proto::Envelope reply = request(idle, std::move(env));
  ASSERT_TRUE(reply.has_error());
  EXPECT_EQ(reply.error().code(), proto::Error::NOT_REGISTERED);
}

TEST_F(RegistryTest, SubscribersAreToldOfActorsGoingUpAndDownWhenTheirNodeLeaves) {
  RecordingPeer watcher("10.0.0.1:1"), node("10.0.0.2:1");
  registry_->joined(watcher);
  registry_->joined(node);
  subscribe_to_echo(watcher);

  uint64_t serial = serial_of(register_actor(node, "echo"));
  proto::Envelope up = watcher.take();
  ASSERT_TRUE(up.has_actor_event());
  EXPECT_EQ(up.actor_event().kind(), proto::ActorEvent::UP);
  EXPECT_EQ(up.actor_event().actor().id().serial(), serial);

  registry_->left(node);
  proto::Envelope down = watcher.take();
  ASSERT_TRUE(down.has_actor_event());
  EXPECT_EQ(down.actor_event().kind(), proto::ActorEvent::DOWN);
  EXPECT_EQ(registry_->live_count(), 1u);
  EXPECT_TRUE(discover(watcher, "echo").empty());
}

TEST_F(RegistryTest, AClosingSubscriberGetsNoEvents) {
  RecordingPeer watcher("10.0.0.1:1"), node("10.0.0.2:1");
  registry_->joined(watcher);
  registry_->joined(node);
  subscribe_to_echo(watcher);
  watcher.is_open = false;
  register_actor(node, "echo");
  EXPECT_TRUE(watcher.sent.empty());
}

TEST_F(RegistryTest, RelaysReachTheTargetOnlyWhenItsAclAdmitsTheSender) {
  RecordingPeer open_target("10.0.0.1:1"), closed_target("10.0.0.2:1"), sender("10.0.0.3:1");
  for (auto* p : {&open_target, &closed_target, &sender}) registry_->joined(*p);
  uint64_t open_serial = serial_of(register_actor(open_target, "echo"));
  uint64_t closed_serial =
      serial_of(register_actor(closed_target, "vault", {rule(proto::AclRule::DENY, "*")}));
  uint64_t sender_serial = serial_of(register_actor(sender, "client"));

  auto relay = [&](uint64_t to) {
    proto::Envelope env;
    env.mutable_relay()->mutable_to()->set_realm(1);
    env.mutable_relay()->mutable_to()->set_serial(to);
    env.mutable_relay()->set_payload("offer");
    return request(sender, std::move(env));
  };
  EXPECT_TRUE(relay(open_serial).has_ack());
  proto::Envelope delivered = open_target.take();
  ASSERT_TRUE(delivered.has_relay_delivery());
  EXPECT_EQ(delivered.relay_delivery().payload(), "offer");
  EXPECT_EQ(delivered.relay_delivery().from().serial(), sender_serial);

  proto::Envelope refused = relay(closed_serial);
  ASSERT_TRUE(refused.has_error());
  EXPECT_EQ(refused.error().code(), proto::Error::PERMISSION_DENIED);
  EXPECT_TRUE(closed_target.sent.empty());
  proto::Envelope missing = relay(999999);
  EXPECT_EQ(missing.error().code(), proto::Error::NOT_FOUND);
}

TEST_F(RegistryTest, ANodeThatComesBackKeepsItsSerialWithItsPreviousCredential) {
  std::string credential;
  uint64_t serial = 0;
  {
    RecordingPeer node("10.0.0.1:1");
    registry_->joined(node);
    proto::Envelope reply = register_actor(node, "echo");
    serial = serial_of(reply);
    credential = reply.register_reply().credential();
    registry_->left(node);
  }
  // Even across a restart of the registry (same store).
  registry_.reset();
  registry_ = open_registry();
  RecordingPeer again("10.0.0.1:2");
  registry_->joined(again);
  EXPECT_EQ(serial_of(request(again, comeback(serial, credential))), serial);

  // A proof for another serial is not accepted: a fresh one is given.
  RecordingPeer impostor("10.0.0.6:1");
  registry_->joined(impostor);
  const uint64_t claimed = 4242;  // never allocated here
  EXPECT_NE(serial_of(request(impostor, comeback(claimed, credential))), claimed);
}

TEST_F(RegistryTest, AnEnrollmentTokenRegistersOnlyTheTypesItAdmits) {
  EnrollToken token{"secret", {"acme/echo"}};
  RecordingPeer node("10.0.0.1:1");
  node.token = &token;
  registry_->joined(node);
  EXPECT_TRUE(register_actor(node, "echo").has_register_reply());
  proto::Envelope refused = register_actor(node, "vault");
  ASSERT_TRUE(refused.has_error());
  EXPECT_EQ(refused.error().code(), proto::Error::PERMISSION_DENIED);
  EXPECT_EQ(registry_->live_count(), 1u);
}

TEST_F(RegistryTest, RenewalNeedsACredentialOfAnActorOnThisConnection) {
  RecordingPeer node("10.0.0.1:1"), other("10.0.0.2:1");
  registry_->joined(node);
  registry_->joined(other);
  std::string credential = register_actor(node, "echo").register_reply().credential();
  now_ += 100;
  proto::Envelope renew;
  renew.mutable_renew_credential()->set_credential(credential);
  proto::Envelope renewed = request(node, renew);
  ASSERT_TRUE(renewed.has_renew_reply()) << renewed.DebugString();
  EXPECT_EQ(renewed.renew_reply().credential_expires_at(), now_ + 3600);
  proto::Envelope stolen = request(other, renew);
  ASSERT_TRUE(stolen.has_error());
  EXPECT_EQ(stolen.error().code(), proto::Error::NOT_REGISTERED);
  renew.mutable_renew_credential()->set_credential("garbage");
  EXPECT_EQ(request(node, renew).error().code(), proto::Error::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace actr::signaling::server
