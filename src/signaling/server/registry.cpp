#include "signaling/server/registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "signaling/turn_credentials.hpp"

namespace actr::signaling::server {
namespace {

ActorKey key_of(const ActrId& id) { return {id.realm.realm_id, id.serial_number}; }

std::string type_text(const ActrType& type) {
  return type.manufacturer + "/" + type.name + "@" + type.version;
}

// TURN credentials for `id`, valid as long as its credential issued at `issued` (the username
// names the actor, so coturn's log tells who relayed).
void add_turn_grants(const RegistryOptions& options, const ActrId& id, int64_t issued,
                     google::protobuf::RepeatedPtrField<proto::TurnGrant>& out) {
  if (options.turn_secret.empty()) return;
  std::string who = std::to_string(id.realm.realm_id) + "-" + std::to_string(id.serial_number);
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(issued));
  TurnCredentials c = turn_rest_credentials(options.turn_secret, who, options.credential_ttl, now);
  for (const TurnServerAddress& server : options.turn_servers) {
    proto::TurnGrant* g = out.Add();
    g->set_host(server.host);
    g->set_port(server.port);
    g->set_username(c.username);
    g->set_password(c.password);
    g->set_expires_at(issued + options.credential_ttl.count());
  }
}

std::string id_text(const ActrId& id) {
  return std::to_string(id.realm.realm_id) + ":" + std::to_string(id.serial_number) + " (" +
         type_text(id.type) + ")";
}

// The answer to a request the store failed: a store that cannot reach its storage says
// UNAVAILABLE with a message for the operator's node; other failures stay internal.
proto::Envelope store_failure(uint64_t reply_to, const actr::Error& error) {
  if (error.is(ErrorCategory::SignalingRefused, proto::Error::UNAVAILABLE)) {
    return error_envelope(reply_to, proto::Error::UNAVAILABLE, error.message);
  }
  return error_envelope(reply_to, proto::Error::INTERNAL, "storage failure");
}

}  // namespace

proto::Envelope error_envelope(uint64_t reply_to, proto::Error::Code code, std::string message) {
  proto::Envelope env;
  env.set_reply_to(reply_to);
  env.mutable_error()->set_code(code);
  env.mutable_error()->set_message(std::move(message));
  return env;
}

Registry::Registry(RegistryOptions options, std::unique_ptr<RegistryStore> store,
                   CredentialIssuer issuer, Defer defer)
    : options_(std::move(options)),
      store_(std::move(store)),
      issuer_(std::move(issuer)),
      verifier_(issuer_.public_key(), options_.accepted_keys, options_.clock),
      defer_(std::move(defer)) {}

void Registry::describe(const LiveActor& actor, proto::Candidate* out) {
  *out->mutable_id() = to_proto(actor.id);
  out->set_advertised_address(actor.address);
}

void Registry::joined(RegistryPeer& peer) { peers_.insert(&peer); }

void Registry::left(RegistryPeer& peer) {
  for (const ActorKey& key : std::vector<ActorKey>(peer.actors)) take_down(key, false);
  peer.actors.clear();
  peer.subscription.reset();
  peers_.erase(&peer);
}

void Registry::take_down(const ActorKey& key, bool forget) {
  auto it = live_.find(key);
  if (it == live_.end()) return;
  LiveActor actor = remove_live(it);
  if (actor.peer) std::erase(actor.peer->actors, key);
  if (cluster_ && actor.home_server.empty()) cluster_->actor_down(key.first, key.second);
  if (forget) {
    batch_writes();
    if (auto removed = store_->remove(key.first, key.second); !removed) {
      spdlog::error("signal: cannot forget {}: {}", id_text(actor.id), removed.error().message);
    }
  }
  spdlog::info("signal: {} down", id_text(actor.id));
  publish(proto::ActorEvent::DOWN, actor);
}

Registry::LiveActor Registry::remove_live(std::map<ActorKey, LiveActor>::iterator it) {
  by_type_.remove(it->first.first, it->second.id.type.name, it->first.second);
  LiveActor actor = std::move(it->second);
  live_.erase(it);
  live_count_ = live_.size();
  return actor;
}

// The registration rows written while the handlers of one turn of the event loop run share a
// transaction, committed (for SQLite without fsync: see sqlite_registry_store.hpp) after them.
void Registry::batch_writes() {
  if (store_->batch_open()) return;
  if (auto begun = store_->begin_batch(); !begun) {
    spdlog::warn("signal: cannot group registration writes: {}", begun.error().message);
    return;  // each write commits on its own
  }
  defer_([this] {
    if (auto committed = store_->commit_batch(); !committed) {
      spdlog::error("signal: committing registrations failed: {}", committed.error().message);
    }
  });
}

void Registry::publish(proto::ActorEvent::Kind kind, const LiveActor& actor) {
  if (stopping_) return;
  for (RegistryPeer* s : peers_) {
    if (!s->subscription || !s->open()) continue;
    const auto& sub = *s->subscription;
    if (sub.caller.realm.realm_id != actor.id.realm.realm_id) continue;
    bool wanted = std::any_of(sub.types.begin(), sub.types.end(), [&](const ActrType& t) {
      return options_.type_matches(actor.id.type, t);
    });
    if (!wanted || !actor.acl.allows(sub.caller.type, sub.caller.realm.realm_id)) continue;
    proto::Envelope env;
    auto* event = env.mutable_actor_event();
    event->set_kind(kind);
    describe(actor, event->mutable_actor());
    s->send(std::move(env));
  }
}

const Registry::LiveActor* Registry::caller_of(RegistryPeer& peer, uint64_t serial,
                                               uint64_t reply_to) {
  const LiveActor* found = nullptr;
  for (const ActorKey& key : peer.actors) {
    if (serial != 0 && key.second != serial) continue;
    if (found) {
      peer.send(error_envelope(reply_to, proto::Error::INVALID_ARGUMENT,
                               serial == 0 ? "several actors on this connection: name the caller"
                                           : "serial is ambiguous across realms"));
      return nullptr;
    }
    found = &live_.at(key);
  }
  if (!found) {
    peer.send(error_envelope(
        reply_to, proto::Error::NOT_REGISTERED,
        serial == 0 ? "no actor is registered on this connection"
                    : "actor " + std::to_string(serial) + " is not registered on this connection"));
  }
  return found;
}

void Registry::handle(RegistryPeer& peer, const proto::Envelope& env) {
  switch (env.payload_case()) {
    case proto::Envelope::kRegisterRequest:
      return on_register(peer, env);
    case proto::Envelope::kUnregister:
      return on_unregister(peer, env);
    case proto::Envelope::kPing: {
      proto::Envelope pong;
      pong.set_reply_to(env.id());
      pong.mutable_pong();
      return peer.send(std::move(pong));
    }
    case proto::Envelope::kDiscoverRequest:
      return on_discover(peer, env);
    case proto::Envelope::kLookupRequest:
      return on_lookup(peer, env);
    case proto::Envelope::kSubscribe:
      return on_subscribe(peer, env);
    case proto::Envelope::kRenewCredential:
      return on_renew(peer, env);
    case proto::Envelope::kRelay:
      return on_relay(peer, env);
    default:
      return peer.send(error_envelope(env.id(), proto::Error::INVALID_ARGUMENT,
                                      "not a request the server accepts"));
  }
}

actr::Result<std::optional<uint64_t>> Registry::keepable_serial(RegistryPeer& peer,
                                                                const proto::RegisterRequest& req) {
  if (!req.has_previous_serial()) return std::optional<uint64_t>();
  uint64_t serial = req.previous_serial();
  auto credential = Credential::decode(req.previous_credential());
  if (!credential) {
    spdlog::info("signal: {}: cannot keep serial {}: {}", peer.address, serial,
                 credential.error().message);
    return std::optional<uint64_t>();
  }
  auto claims = verifier_.verify_signature(*credential);
  const ActrId& id = credential->claims.id;
  if (!claims || id.realm.realm_id != req.realm() || id.serial_number != serial ||
      id.type.manufacturer != req.type().manufacturer() || id.type.name != req.type().name()) {
    spdlog::info("signal: {}: previous credential does not prove serial {}", peer.address, serial);
    return std::optional<uint64_t>();
  }
  ACTR_TRY(std::optional<StoredRegistration> known, store_->find(req.realm(), serial));
  if (!known) return std::optional<uint64_t>();
  return std::optional<uint64_t>(serial);
}

void Registry::on_register(RegistryPeer& peer, const proto::Envelope& env) {
  const proto::RegisterRequest& req = env.register_request();
  if (req.type().name().empty()) {
    return peer.send(
        error_envelope(env.id(), proto::Error::INVALID_ARGUMENT, "the actor type needs a name"));
  }
  if (ActrType type = from_proto(req.type()); peer.token && !peer.token->admits(type)) {
    spdlog::warn("signal: {}: its enrollment token may not register type {}", peer.address,
                 type_text(type));
    return peer.send(
        error_envelope(env.id(), proto::Error::PERMISSION_DENIED,
                       "this enrollment token may not register actors of type " + type_text(type)));
  }
  auto keepable = keepable_serial(peer, req);
  if (!keepable) {
    spdlog::error("signal: cannot check serial {}: {}", req.previous_serial(),
                  keepable.error().message);
    return peer.send(store_failure(env.id(), keepable.error()));
  }
  std::optional<uint64_t> serial = *keepable;
  if (serial) {
    // The proof of identity wins over a stale connection that still holds the id (a node that
    // reconnected before the server noticed the old connection was gone), here or at another
    // server (which drops it when it hears of this registration).
    auto old = live_.find({req.realm(), *serial});
    if (old != live_.end() && old->second.peer) std::erase(old->second.peer->actors, old->first);
    if (old != live_.end()) remove_live(old);
  } else {
    auto allocated = store_->allocate_serial(req.realm());
    if (!allocated) {
      spdlog::error("signal: serial allocation failed: {}", allocated.error().message);
      return peer.send(store_failure(env.id(), allocated.error()));
    }
    serial = *allocated;
  }
  StoredRegistration reg;
  reg.id.realm.realm_id = req.realm();
  reg.id.serial_number = *serial;
  reg.id.type = from_proto(req.type());
  reg.advertised_address = req.advertised_address();
  reg.acl = acl_from_proto(req.acl());
  reg.registered_at = now();
  batch_writes();
  if (auto stored = store_->put(reg); !stored) {
    spdlog::error("signal: cannot store {}: {}", id_text(reg.id), stored.error().message);
    return peer.send(store_failure(env.id(), stored.error()));
  }
  ActorKey key = key_of(reg.id);
  LiveActor& actor = live_[key];
  actor = LiveActor{reg.id, reg.advertised_address, reg.acl, &peer, "", 0};
  by_type_.add(key.first, actor.id.type.name, key.second, &actor);
  live_count_ = live_.size();
  peer.actors.push_back(key);
  if (cluster_) cluster_->actor_up(reg);

  int64_t issued = now();
  Credential credential = issuer_.issue({reg.id, issued + options_.credential_ttl.count(), issued});
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  auto* r = reply.mutable_register_reply();
  *r->mutable_id() = to_proto(reg.id);
  r->set_credential(credential.encode());
  r->set_credential_expires_at(credential.claims.expires_at);
  r->set_heartbeat_interval_ms(static_cast<uint32_t>(options_.heartbeat_interval.count()));
  r->set_server_public_key(std::string(issuer_.public_key().begin(), issuer_.public_key().end()));
  for (const PublicKey& key : options_.accepted_keys) {
    r->add_accepted_public_keys(std::string(key.begin(), key.end()));
  }
  add_turn_grants(options_, reg.id, issued, *r->mutable_turn());
  peer.send(std::move(reply));
  spdlog::info("signal: {} up at {} from {}", id_text(reg.id), reg.advertised_address,
               peer.address);
  publish(proto::ActorEvent::UP, actor);
}

void Registry::on_unregister(RegistryPeer& peer, const proto::Envelope& env) {
  const LiveActor* actor = caller_of(peer, env.unregister().serial(), env.id());
  if (!actor) return;
  take_down(key_of(actor->id), /*forget=*/true);
  proto::Envelope ack;
  ack.set_reply_to(env.id());
  ack.mutable_ack();
  peer.send(std::move(ack));
}

void Registry::on_discover(RegistryPeer& peer, const proto::Envelope& env) {
  const proto::DiscoverRequest& req = env.discover_request();
  const LiveActor* caller = caller_of(peer, req.caller_serial(), env.id());
  if (!caller) return;
  uint32_t realm = req.has_realm() ? req.realm() : caller->id.realm.realm_id;
  ActrType wanted = from_proto(req.type());
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  auto* candidates = reply.mutable_discover_reply()->mutable_candidates();
  for (const auto& entry : by_type_.candidates(realm, wanted.name)) {
    const LiveActor& actor = *entry.actor;
    if (!options_.type_matches(actor.id.type, wanted)) continue;
    if (!actor.acl.allows(caller->id.type, caller->id.realm.realm_id)) continue;
    describe(actor, candidates->Add());
  }
  peer.send(std::move(reply));
}

void Registry::on_lookup(RegistryPeer& peer, const proto::Envelope& env) {
  const proto::LookupRequest& req = env.lookup_request();
  const LiveActor* caller = caller_of(peer, req.caller_serial(), env.id());
  if (!caller) return;
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  auto* candidates = reply.mutable_discover_reply()->mutable_candidates();
  auto it = live_.find({req.id().realm(), req.id().serial()});
  if (it != live_.end()) {
    const LiveActor& actor = it->second;
    const proto::ActorType& type = req.id().type();
    bool same_type =
        type.name().empty() ||
        (type.name() == actor.id.type.name &&
         (type.manufacturer().empty() || type.manufacturer() == actor.id.type.manufacturer));
    if (same_type && actor.acl.allows(caller->id.type, caller->id.realm.realm_id)) {
      describe(actor, candidates->Add());
    }
  }
  peer.send(std::move(reply));
}

void Registry::on_subscribe(RegistryPeer& peer, const proto::Envelope& env) {
  const proto::Subscribe& req = env.subscribe();
  const LiveActor* caller = caller_of(peer, req.caller_serial(), env.id());
  if (!caller) return;
  RegistryPeer::Subscription sub;
  sub.caller = caller->id;
  for (const auto& t : req.types()) sub.types.push_back(from_proto(t));
  peer.subscription = std::move(sub);
  proto::Envelope ack;
  ack.set_reply_to(env.id());
  ack.mutable_ack();
  peer.send(std::move(ack));
}

void Registry::on_renew(RegistryPeer& peer, const proto::Envelope& env) {
  auto credential = Credential::decode(env.renew_credential().credential());
  if (!credential) {
    return peer.send(
        error_envelope(env.id(), proto::Error::INVALID_ARGUMENT, credential.error().message));
  }
  // Expiry is not checked: the connection still holds the registration, and a node whose
  // credential lapsed must be able to get a new one.
  if (auto claims = verifier_.verify_signature(*credential); !claims) {
    spdlog::warn("signal: {}: renewal refused: {}", peer.address, claims.error().message);
    return peer.send(
        error_envelope(env.id(), proto::Error::PERMISSION_DENIED, claims.error().message));
  }
  ActorKey key = key_of(credential->claims.id);
  auto it = live_.find(key);
  if (it == live_.end() || it->second.peer != &peer) {
    return peer.send(error_envelope(env.id(), proto::Error::NOT_REGISTERED,
                                    "the credential's actor is not registered on this "
                                    "connection"));
  }
  int64_t issued = now();
  Credential renewed =
      issuer_.issue({it->second.id, issued + options_.credential_ttl.count(), issued});
  proto::Envelope reply;
  reply.set_reply_to(env.id());
  reply.mutable_renew_reply()->set_credential(renewed.encode());
  reply.mutable_renew_reply()->set_credential_expires_at(renewed.claims.expires_at);
  add_turn_grants(options_, it->second.id, issued, *reply.mutable_renew_reply()->mutable_turn());
  peer.send(std::move(reply));
}

void Registry::on_relay(RegistryPeer& peer, const proto::Envelope& env) {
  const proto::Relay& req = env.relay();
  const LiveActor* from = caller_of(peer, req.from_serial(), env.id());
  if (!from) return;
  auto target = live_.find({req.to().realm(), req.to().serial()});
  if (target == live_.end()) {
    return peer.send(error_envelope(env.id(), proto::Error::NOT_FOUND,
                                    "actor " + std::to_string(req.to().realm()) + ":" +
                                        std::to_string(req.to().serial()) + " is not registered"));
  }
  if (!target->second.acl.allows(from->id.type, from->id.realm.realm_id)) {
    return peer.send(error_envelope(env.id(), proto::Error::PERMISSION_DENIED,
                                    "the target's ACL refuses " + id_text(from->id)));
  }
  proto::Envelope delivery;
  auto* d = delivery.mutable_relay_delivery();
  *d->mutable_from() = to_proto(from->id);
  *d->mutable_to() = to_proto(target->second.id);
  d->set_payload(req.payload());
  if (target->second.peer) {
    target->second.peer->send(std::move(delivery));
  } else if (cluster_) {
    // Checked here (the ACL travels with the registration), delivered by the target's server.
    cluster_->forward_relay(target->second.home_server, delivery);
  }
  proto::Envelope ack;
  ack.set_reply_to(env.id());
  ack.mutable_ack();
  peer.send(std::move(ack));
}

void Registry::remote_up(const std::string& server_id, const StoredRegistration& registration,
                         uint64_t revision) {
  ActorKey key = key_of(registration.id);
  if (auto old = live_.find(key); old != live_.end()) {
    // The registration here was made after that entry was written (its own is not written yet,
    // or was written later): the other server drops its hold when it reads ours.
    if (old->second.revision == 0 || old->second.revision > revision) return;
    if (old->second.peer) {
      spdlog::info(
          "signal: {} registered again at server {}; its connection from {} here no "
          "longer holds it",
          id_text(old->second.id), server_id, old->second.peer->address);
      std::erase(old->second.peer->actors, key);
      if (cluster_) cluster_->actor_down(key.first, key.second);
    }
    remove_live(old);
  }
  LiveActor& actor = live_[key];
  actor = LiveActor{registration.id,  registration.advertised_address,
                    registration.acl, nullptr,
                    server_id,        revision};
  by_type_.add(key.first, actor.id.type.name, key.second, &actor);
  live_count_ = live_.size();
  spdlog::debug("signal: {} up at {} (server {})", id_text(actor.id), actor.address, server_id);
  publish(proto::ActorEvent::UP, actor);
}

void Registry::live_written(uint32_t realm, uint64_t serial, uint64_t revision) {
  auto it = live_.find({realm, serial});
  if (it != live_.end() && it->second.peer && it->second.revision == 0) {
    it->second.revision = revision;
  }
}

void Registry::remote_down(const std::string& server_id, uint32_t realm, uint64_t serial) {
  auto it = live_.find({realm, serial});
  if (it == live_.end() || it->second.peer || it->second.home_server != server_id) return;
  LiveActor actor = remove_live(it);
  spdlog::debug("signal: {} down (server {})", id_text(actor.id), server_id);
  publish(proto::ActorEvent::DOWN, actor);
}

void Registry::deliver_relay(proto::Envelope delivery) {
  const proto::ActorId& to = delivery.relay_delivery().to();
  auto it = live_.find({to.realm(), to.serial()});
  if (it == live_.end() || !it->second.peer) {
    spdlog::info("signal: a relay forwarded for {}:{} finds it no longer here; dropped", to.realm(),
                 to.serial());
    return;
  }
  it->second.peer->send(std::move(delivery));
}

}  // namespace actr::signaling::server
