#include "runtime/network/node_network.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "runtime/actor.hpp"
#include "runtime/network/credential_set.hpp"
#include "runtime/vocabulary.hpp"
#include "signaling/enrollment.hpp"

namespace actr::runtime {

namespace {

using workload::types::CredentialEvent;
using workload::types::PeerEvent;
using workload::types::Timestamp;

// An actor of another node, as the router hands it out.
class RemoteEndpoint final : public Endpoint {
 public:
  RemoteEndpoint(std::weak_ptr<NodeNetwork> network, ActrId target)
      : network_(std::move(network)), target_(std::move(target)) {}
  void deliver(Message message, std::function<void(Status)> accepted) override {
    auto network = network_.lock();
    if (!network) {
      accepted(Status::Err(ActrError::unavailable("the node's network is stopped")));
      return;
    }
    network->send(target_, std::move(message), std::move(accepted));
  }

 private:
  std::weak_ptr<NodeNetwork> network_;
  ActrId target_;
};

// A node with hundreds of actors proves itself in the upgrade with the credentials that fit in
// HTTP headers (base64 of this many bytes); the whole set follows as the connection's first frame.
constexpr size_t kUpgradeCredentialBudget = 24 * 1024;

// How long a discovery answer of the signaling server is reused. Short: an actor that goes down
// is avoided within this time, and a lost connection clears it at once.
constexpr auto kDiscoveryCacheTtl = std::chrono::seconds(1);

std::string default_node_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "node");
  return std::string(host) + "-" + std::to_string(::getpid());
}

bool same_actor(const ActrId& a, const ActrId& b) {
  return a.realm.realm_id == b.realm.realm_id && a.serial_number == b.serial_number &&
         a.type.name == b.type.name && a.type.manufacturer == b.type.manufacturer;
}

}  // namespace

NodeNetwork::NodeNetwork(LocalActors& node, std::vector<Member> members)
    : node_(node),
      config_(node.config().network),
      realm_(node.config().realm),
      members_(std::move(members)),
      identities_path_(node.config().data_dir / "identities"),
      registrations_(members_.size()) {}

NodeNetwork::~NodeNetwork() { stop(); }

Result<std::shared_ptr<Network>> start_websocket_network(LocalActors& actors,
                                                         std::vector<Network::Member> members) {
  ACTR_TRY(auto network, NodeNetwork::start(actors, std::move(members)));
  return std::shared_ptr<Network>(std::move(network));
}

Result<std::shared_ptr<NodeNetwork>> NodeNetwork::start(LocalActors& node,
                                                        std::vector<Member> members) {
  std::shared_ptr<NodeNetwork> network(new NodeNetwork(node, std::move(members)));
  ACTR_TRY_VOID(network->open());
  return network;
}

Result<void> NodeNetwork::open() {
  std::error_code ec;
  std::filesystem::create_directories(identities_path_.parent_path(), ec);
  if (ec) return make_error("data directory: " + ec.message());
  auto stored = load_identities(identities_path_);
  if (!stored) return make_error("identities: " + stored.error().message);
  stored_ = std::move(*stored);

  std::weak_ptr<NodeNetwork> weak = weak_from_this();
  net::TransportOptions options;
  options.node_id = config_.node_id.empty() ? default_node_id() : config_.node_id;
  options.credential = [weak] {
    auto self = weak.lock();
    return self ? self->credential_set() : std::vector<uint8_t>{};
  };
  options.upgrade_credential = [weak] {
    auto self = weak.lock();
    return self ? self->credential_set(kUpgradeCredentialBudget) : std::vector<uint8_t>{};
  };
  options.verify = [weak](std::span<const uint8_t> credential) -> Result<net::PeerInfo> {
    auto self = weak.lock();
    if (!self) return make_error("the node is stopping");
    return self->verify(credential);
  };
  options.on_request = [weak](const net::PeerInfo& peer, net::Request request,
                              net::Responder responder) {
    if (auto self = weak.lock()) {
      self->on_request(peer, std::move(request), std::move(responder));
    } else {
      responder.accept(Status::Err(ActrError::unavailable("the node is stopping")));
    }
  };
  options.events.connecting = [weak](const std::string& address) {
    auto self = weak.lock();
    if (!self) return;
    self->notify_websocket("connecting", self->known_id_at(address).value_or(ActrId{}));
  };
  options.events.connected = [weak](const net::PeerInfo& peer) {
    auto self = weak.lock();
    if (!self) return;
    if (!peer.listen_address.empty()) {
      for (const auto& id : peer.actors) self->learn(id, peer.listen_address);
    }
    self->notify_path("connected", peer, peer.id.value_or(ActrId{}));
  };
  options.events.refreshed = [weak](const net::PeerInfo& peer) {
    auto self = weak.lock();
    if (!self || peer.listen_address.empty()) return;
    for (const auto& id : peer.actors) self->learn(id, peer.listen_address);
  };
  options.events.disconnected = [weak](const net::PeerInfo& peer, const ActrError&) {
    auto self = weak.lock();
    if (!self) return;
    auto id = peer.id;
    if (!id && !peer.listen_address.empty()) id = self->known_id_at(peer.listen_address);
    self->notify_path("disconnected", peer, id.value_or(ActrId{}));
  };
  options.advertised_address = config_.advertise;
  options.idle_timeout = config_.idle_timeout;
  auto transport = net::Transport::start(std::move(options), config_.listen);
  if (!transport)
    return make_error("transport on " + config_.listen + ": " + transport.error().message);
  transport_ = std::move(*transport);
  if (auto reads = transport_->worker_reads()) {
    worker_reads_ = std::make_unique<WorkerReads>(std::move(reads));
  }
  std::string advertised =
      config_.advertise.empty() ? "ws://" + transport_->listen_address() : config_.advertise;
  if (config_.webrtc()) ACTR_TRY_VOID(start_webrtc(advertised));

  signaling::NodeLinkOptions link_options;
  link_options.server_url = config_.signaling;
  link_options.fallback_urls = config_.signaling_fallbacks;
  link_options.renew_margin = config_.renew_margin;
  link_options.client.enroll_token = config_.enroll_token;
  if (!config_.enroll_token_file.empty()) {
    auto token = signaling::read_enroll_token_file(config_.enroll_token_file);
    if (!token) return make_error("[network] enroll_token_file: " + token.error().message);
    link_options.client.enroll_token = std::move(*token);
  }
  signaling::NodeLinkHooks hooks;
  hooks.on_connecting = [weak] {
    if (auto self = weak.lock()) self->notify_signaling("connecting");
  };
  hooks.on_connected = [weak] {
    if (auto self = weak.lock()) {
      self->signaling_up_ = true;
      if (self->webrtc_) self->webrtc_->forget_failures();
      self->notify_signaling("connected");
    }
  };
  hooks.on_disconnected = [weak] {
    if (auto self = weak.lock()) {
      self->signaling_up_ = false;
      self->notify_signaling("disconnected");
    }
  };
  hooks.on_push = [weak](const signaling::Push& push) {
    if (auto self = weak.lock()) self->on_push(push);
  };
  hooks.on_registered = [weak](const signaling::Registration&) {
    if (auto self = weak.lock()) self->on_registration_changed();
  };
  hooks.on_credential_expiring = [weak](const ActrId& id, int64_t expires_at) {
    auto self = weak.lock();
    if (!self || !self->announcing_) return;
    if (auto actor = self->node_.find(id.serial_number)) {
      actor->notify("hook:on_credential_expiring", [expires_at](Actor::Proxy& p) {
        return p.on_credential_expiring(
            CredentialEvent{Timestamp{static_cast<uint64_t>(expires_at), 0}});
      });
    }
  };
  hooks.on_credential_renewed = [weak](const ActrId& id, int64_t expires_at) {
    auto self = weak.lock();
    if (!self) return;
    self->on_registration_changed();
    if (!self->announcing_) return;
    if (auto actor = self->node_.find(id.serial_number)) {
      actor->notify("hook:on_credential_renewed", [expires_at](Actor::Proxy& p) {
        return p.on_credential_renewed(
            CredentialEvent{Timestamp{static_cast<uint64_t>(expires_at), 0}});
      });
    }
  };
  {
    std::lock_guard lock(mu_);
    link_ = signaling::NodeLink::start(std::move(link_options), std::move(hooks));
    for (const Member& m : members_) {
      signaling::RegisterParams params;
      params.type = m.type;
      params.realm = realm_;
      params.advertised_address = advertised;
      for (const auto& text : m.acl) {
        if (auto rule = parse_access_rule(text)) params.acl.push_back(*rule);
      }
      if (auto it = stored_.find(m.key); it != stored_.end()) {
        params.previous_serial = it->second.serial;
        params.previous_credential = it->second.credential;
      }
      link_handles_.push_back(link_->add_actor(std::move(params)));
    }
  }

  std::unique_lock lock(mu_);
  bool all = registered_cv_.wait_for(lock, config_.register_timeout, [&] {
    for (const auto& r : registrations_) {
      if (!r) return false;
    }
    return true;
  });
  if (all) return {};
  bool known = true;
  for (size_t i = 0; i < members_.size(); ++i) {
    known &= registrations_[i].has_value() || stored_.count(members_[i].key) > 0;
  }
  if (!known) {
    return make_error("the signaling server " + config_.signaling +
                      " did not register the node's actors within " +
                      std::to_string(config_.register_timeout.count()) +
                      " ms (is `actr signal` running there?)");
  }
  spdlog::warn("signaling server {} not reachable yet: starting with the actors' previous ids",
               config_.signaling);
  return {};
}

std::vector<ActrId> NodeNetwork::ids() const {
  std::lock_guard lock(mu_);
  std::vector<ActrId> out;
  for (size_t i = 0; i < members_.size(); ++i) {
    if (registrations_[i]) {
      out.push_back(registrations_[i]->id);
    } else {
      out.push_back(ActrId{workload::types::Realm{realm_}, stored_.at(members_[i].key).serial,
                           members_[i].type});
    }
  }
  return out;
}

void NodeNetwork::on_registration_changed() {
  std::lock_guard lock(mu_);
  if (!link_) return;
  bool changed = false;
  // The keys peers' credentials may be signed with: the servers' as the actors' registrations
  // tell them, and the other keys the realm accepts while its signing key is rotated.
  std::vector<signaling::PublicKey> keys;
  auto add_key = [&keys](const signaling::PublicKey& key) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  };
  for (size_t i = 0; i < link_handles_.size(); ++i) {
    auto reg = link_->registration(link_handles_[i]);
    if (!reg) continue;
    add_key(reg->server_public_key);
    for (const auto& key : reg->accepted_public_keys) add_key(key);
    auto& current = registrations_[i];
    if (serving_ && current && current->id.serial_number != reg->id.serial_number) {
      spdlog::error(
          "actor {}: the signaling server gave it a new id ({}), it keeps serving as {} until "
          "the node restarts",
          members_[i].key, to_string(reg->id), to_string(current->id));
    }
    member_by_serial_[reg->id.serial_number] = i;
    auto& stored = stored_[members_[i].key];
    if (stored.serial != reg->id.serial_number || stored.credential != reg->credential) {
      stored = StoredIdentity{reg->id.serial_number, reg->credential};
      changed = true;
    }
    current = std::move(reg);
  }
  if (!keys.empty()) {
    std::vector<signaling::PublicKey> also(keys.begin() + 1, keys.end());
    if (!verifier_ || verifier_->public_key() != keys.front() ||
        verifier_->also_accepted() != also) {
      verifier_.emplace(keys.front(), std::move(also));
    }
  }
  if (changed) {
    if (auto saved = save_identities(identities_path_, stored_); !saved) {
      spdlog::error("cannot keep the actors' ids: {}", saved.error().message);
    }
  }
  registered_cv_.notify_all();
  // Peers already connected learn the renewed credentials (they check expiry per request).
  if (changed && transport_) transport_->refresh_credentials();
}

void NodeNetwork::serve() { serving_ = true; }

void NodeNetwork::announce() {
  announcing_ = true;
  if (signaling_up_) {
    notify_signaling("connecting");
    notify_signaling("connected");
  }
}

void NodeNetwork::stop() {
  if (stopped_.exchange(true)) return;
  serving_ = false;
  announcing_ = false;
  if (transport_) transport_->stop();
  std::unique_ptr<signaling::NodeLink> link;
  {
    std::lock_guard lock(mu_);
    link = std::move(link_);
  }
  if (link) link->stop();
  jobs_.join();
  if (webrtc_) webrtc_->stop();  // last: nothing relays signals or attaches paths any more
}

std::vector<uint8_t> NodeNetwork::credential_set(size_t budget) const {
  std::vector<std::string> credentials;
  size_t size = 0;
  std::lock_guard lock(mu_);
  for (const auto& r : registrations_) {
    if (!r) continue;
    size += r->credential.size() + 4;
    if (size > budget && !credentials.empty()) break;
    credentials.push_back(r->credential);
  }
  return encode_credential_set(credentials);
}

Result<net::PeerInfo> NodeNetwork::verify(std::span<const uint8_t> credential_set) const {
  ACTR_TRY(auto credentials, decode_credential_set(credential_set));
  std::optional<signaling::CredentialVerifier> verifier;
  {
    std::lock_guard lock(mu_);
    verifier = verifier_;
  }
  if (!verifier) return make_error("this node is not registered at its signaling server yet");
  net::PeerInfo info;
  for (const auto& c : credentials) {
    auto claims = verifier->verify(c, realm_);
    if (!claims) {
      return make_error(std::string("credential refused (") +
                        signaling::credential_error_name(claims.error().code) +
                        "): " + claims.error().message);
    }
    info.actors.push_back(claims->id);
    if (info.expires_at == 0 || claims->expires_at < info.expires_at) {
      info.expires_at = claims->expires_at;
    }
  }
  info.id = info.actors.front();
  return info;
}

bool NodeNetwork::member_of_locked(uint64_t serial) const {
  std::lock_guard lock(mu_);
  return member_of(serial).has_value();
}

std::optional<size_t> NodeNetwork::member_of(uint64_t serial) const {
  auto it = member_by_serial_.find(serial);
  if (it == member_by_serial_.end()) return std::nullopt;
  return it->second;
}

bool NodeNetwork::lapsed(uint64_t serial) const {
  std::lock_guard lock(mu_);
  auto m = member_of(serial);
  if (!m || !registrations_[*m]) return false;  // not (yet) registered: started from stored ids
  return registrations_[*m]->expires_at <= signaling::system_unix_seconds();
}

std::string NodeNetwork::listen_address() const {
  return transport_ ? transport_->listen_address() : std::string();
}

bool NodeNetwork::signaling_connected() const { return signaling_up_; }

net::Transport::Stats NodeNetwork::transport_stats() const {
  return transport_ ? transport_->stats() : net::Transport::Stats{};
}

void NodeNetwork::learn(const ActrId& id, const std::string& address) {
  std::lock_guard lock(mu_);
  directory_[{id.realm.realm_id, id.serial_number}] = address;
}

std::optional<ActrId> NodeNetwork::known_id_at(const std::string& address) const {
  auto key = net::parse_address(address);
  std::lock_guard lock(mu_);
  for (const auto& [id, at] : directory_) {
    auto other = net::parse_address(at);
    if (at == address || (key && other && key->key() == other->key())) {
      return ActrId{workload::types::Realm{id.first}, id.second, {}};
    }
  }
  return std::nullopt;
}

std::shared_ptr<Endpoint> NodeNetwork::endpoint(const ActrId& id) {
  return std::make_shared<RemoteEndpoint>(weak_from_this(), id);
}

void NodeNetwork::send(const ActrId& target, Message message,
                       std::function<void(Status)> accepted) {
  if (message.caller && lapsed(message.caller->serial_number)) {
    accepted(Status::Err(ActrError::unavailable(
        "the credential of actor " + to_string(*message.caller) +
        " has lapsed; it sends nothing until the signaling server renews it")));
    return;
  }
  std::string address;
  {
    std::lock_guard lock(mu_);
    if (auto it = directory_.find({target.realm.realm_id, target.serial_number});
        it != directory_.end()) {
      address = it->second;
    }
  }
  if (address.empty()) {
    // An id learned from a payload, or whose node moved: ask the signaling server (which answers
    // only what the caller may call), off the caller's thread.
    auto self = shared_from_this();
    boost::asio::post(jobs_, [self, target, message = std::move(message),
                              accepted = std::move(accepted)]() mutable {
      auto found = self->lookup(target, message.caller);
      if (!found) {
        accepted(Status::Err(
            ActrError::not_found("no actor " + to_string(target) + ": " + found.error().message)));
        return;
      }
      self->learn(target, *found);
      self->send(target, std::move(message), std::move(accepted));
    });
    return;
  }
  auto peer = transport_->peer(address);
  if (!peer) {
    accepted(Status::Err(ActrError::unavailable("actor " + to_string(target) + " at " + address +
                                                ": " + peer.error().message)));
    return;
  }
  if (webrtc_only_address(address)) {
    forward_over_webrtc(std::move(*peer), target, std::move(message), std::move(accepted));
    return;
  }
  // The first message to a node offers a WebRTC path; it and the next ones go on WebSocket
  // until that path is open.
  if (webrtc_ && message.caller && !(*peer)->carried()) {
    webrtc_->want(address, target, *message.caller);
  }
  forward(std::move(*peer), target, std::move(message), std::move(accepted));
}

Result<std::string> NodeNetwork::lookup(const ActrId& target, const CallerId& caller) {
  std::shared_ptr<signaling::Client> client;
  {
    std::lock_guard lock(mu_);
    if (link_) client = link_->client();
  }
  if (!client) return make_error("unknown here, and the signaling server is not reachable");
  auto found = client->lookup(target, caller ? caller->serial_number : 0);
  if (!found) return make_error("lookup failed: " + found.error().message);
  if (!*found || (*found)->advertised_address.empty()) {
    return make_error("not registered, or not visible to the caller");
  }
  if (member_of_locked((*found)->id.serial_number)) return make_error("an actor of this node");
  return (*found)->advertised_address;
}

void NodeNetwork::forget(const ActrId& target, const std::string& address) {
  std::lock_guard lock(mu_);
  auto it = directory_.find({target.realm.realm_id, target.serial_number});
  if (it == directory_.end()) return;
  auto known = net::parse_address(it->second);
  if (known && known->key() == address) directory_.erase(it);
  discovered_.clear();  // candidates may include the node that went away
}

void NodeNetwork::forward(std::shared_ptr<net::Peer> peer, const ActrId& target, Message message,
                          std::function<void(Status)> accepted, bool retried) {
  bool call = message.kind == Message::Kind::Call;
  // Before any connection to the node: a copy, for the WebRTC path should the WebSocket fail
  // (a node reachable only through WebRTC, behind NAT) while that path is being opened. Once.
  std::shared_ptr<Message> again;
  if (webrtc_ && !retried && !peer->connected()) again = std::make_shared<Message>(message);
  // A node that is gone: the next message to this id asks the signaling server where it is now.
  accepted = [self = weak_from_this(), peer, target, again,
              accepted = std::move(accepted)](Status s) mutable {
    auto network = self.lock();
    if (s.is_err() && !peer->connected() && network) {
      if (again && s.error().tag() == ActrError::Tag::Unavailable) {
        auto retry = [self, peer, target, again, accepted, s](bool open,
                                                              const std::string&) mutable {
          auto network = self.lock();
          if (!open || !network) return accepted(std::move(s));
          network->forward(peer, target, std::move(*again), std::move(accepted), true);
        };
        if (network->webrtc_->when_settled(peer->address(), std::move(retry))) {
          spdlog::debug("network: no WebSocket to {} ({}); the message waits for WebRTC",
                        peer->address(), workload::describe(s.error()));
          return;
        }
        spdlog::debug("network: no WebSocket to {} and no WebRTC path under way", peer->address());
      }
      network->forget(target, peer->address());
    }
    accepted(std::move(s));
  };
  auto slot = message.reply;
  net::Request request{target, std::move(message)};
  request.message.reply.reset();
  if (call) {
    peer->call(std::move(request), std::move(accepted), [slot](CallResult r) {
      if (slot) slot->settle(std::move(r));
    });
  } else {
    peer->tell(std::move(request), std::move(accepted));
  }
}

void NodeNetwork::forward_over_webrtc(std::shared_ptr<net::Peer> peer, const ActrId& target,
                                      Message message, std::function<void(Status)> accepted) {
  std::string where = "actor " + to_string(target) + " at " + peer->address() +
                      " (a browser node, reachable over WebRTC only)";
  auto fail = [&](const std::string& why) {
    forget(target, peer->address());  // a browser that comes back registers a new address
    accepted(Status::Err(ActrError::unavailable(where + ": " + why)));
  };
  // A path is attached: the request takes it (and waits there for the credential exchange).
  if (peer->carried()) {
    return forward(std::move(peer), target, std::move(message), std::move(accepted), true);
  }
  if (!webrtc_) return fail("this node's [network] transports has no \"webrtc\"");
  // The offer goes through the signaling relay from one of this node's actors.
  if (!message.caller) return fail("only an actor of this node can open the path to it");
  webrtc_->want(peer->address(), target, *message.caller);
  auto waiting = std::make_shared<Message>(std::move(message));
  auto settled = [self = weak_from_this(), peer, target, where, waiting, accepted](
                     bool open, const std::string& why) mutable {
    auto network = self.lock();
    if (!network) {
      return accepted(Status::Err(ActrError::unavailable("the node's network is stopped")));
    }
    if (!open) {
      network->forget(target, peer->address());
      return accepted(Status::Err(ActrError::unavailable(where + ": " + why)));
    }
    network->forward(peer, target, std::move(*waiting), std::move(accepted), true);
  };
  if (webrtc_->when_settled(peer->address(), std::move(settled))) return;
  fail("no WebRTC path: the last attempt failed less than " +
       std::to_string(webrtc_->retry_after().count()) + " ms ago");
}

void NodeNetwork::on_request(const net::PeerInfo& peer, net::Request request,
                             net::Responder responder) {
  auto refuse = [&](ActrError e) { responder.accept(Status::Err(std::move(e))); };
  if (!serving_) return refuse(ActrError::unavailable("the node is not serving yet"));
  auto target = node_.find(request.target);
  if (!target)
    return refuse(ActrError::not_found("no actor " + to_string(request.target) + " on this node"));
  if (lapsed(target->id().serial_number)) {
    return refuse(ActrError::unavailable("the credential of actor " + target->label() +
                                         " has lapsed; it accepts nothing until renewed"));
  }
  Message& m = request.message;
  if (!m.caller) {
    return refuse(ActrError::permission_denied("a request from another node must name its caller"));
  }
  bool authenticated = false;
  for (const auto& id : peer.actors) authenticated |= same_actor(id, *m.caller);
  if (!authenticated) {
    return refuse(ActrError::permission_denied("caller " + to_string(*m.caller) +
                                               " is not authenticated on this connection"));
  }
  if (peer.expires_at != 0 && peer.expires_at <= signaling::system_unix_seconds()) {
    return refuse(ActrError::permission_denied("the credentials of the calling node expired"));
  }
  if (m.kind == Message::Kind::Stream &&
      (!m.chunk || node_.stream_owner(m.chunk->stream_id) != target->id().serial_number)) {
    return refuse(ActrError::not_found("stream `" + (m.chunk ? m.chunk->stream_id : "") +
                                       "` is not registered by actor " + target->label()));
  }
  if (!peer.listen_address.empty()) learn(*m.caller, peer.listen_address);
  bool call = m.kind == Message::Kind::Call;
  // A resend after a WebRTC path died gets the first one's answer; it is not delivered again.
  std::string key;
  auto lane = m.payload_type.tag();
  if (recent_ && lane != workload::PayloadType::Tag::StreamLatencyFirst &&
      lane != workload::PayloadType::Tag::MediaRtp) {
    key = RecentRequests::key(m);
    if (recent_->repeat(key, responder, call, peer.path != net::PeerInfo::Path::WebSocket)) return;
  }
  // Only requests that came on a WebRTC path are remembered: only their answers are kept (no
  // lookups on the WebSocket path's answers).
  std::shared_ptr<RecentRequests> recent =
      key.empty() || peer.path == net::PeerInfo::Path::WebSocket ? nullptr : recent_;
  if (call) {
    m.reply = std::make_shared<ReplySlot>([responder, recent, key](CallResult r) {
      if (recent) recent->replied(key, r);
      responder.reply(std::move(r));
    });
  }
  // A call's Reply implies its acceptance: only a refusal needs a frame of its own (one frame
  // less per call, measured ~11 us and 20-30% throughput on loopback).
  target->deliver(std::move(m), [responder, call, recent, key](Status s) {
    if (recent) recent->accepted(key, s);
    if (!call || s.is_err()) responder.accept(std::move(s));
  });
}

void NodeNetwork::discover(const ActrType& type, const ActrId& caller,
                           std::function<void(wit::Result<ActrId, ActrError>)> done) {
  using R = wit::Result<ActrId, ActrError>;
  std::string key = to_string(type) + "|" + std::to_string(caller.serial_number);
  auto pick = [this, key](const std::vector<signaling::Candidate>& remote) {
    std::lock_guard lock(mu_);
    const auto& chosen = remote[round_robin_[key]++ % remote.size()];
    directory_[{chosen.id.realm.realm_id, chosen.id.serial_number}] = chosen.advertised_address;
    return chosen.id;
  };
  {
    // A guest that discovers before every call must not pay a signaling round trip each time.
    std::unique_lock lock(mu_);
    auto it = discovered_.find(key);
    if (it != discovered_.end() && std::chrono::steady_clock::now() < it->second.until) {
      auto remote = it->second.candidates;
      lock.unlock();
      done(R::Ok(pick(remote)));
      return;
    }
  }
  auto self = shared_from_this();
  boost::asio::post(jobs_, [self, type, caller, key, pick, done = std::move(done)] {
    auto not_found = [&](const std::string& why) {
      done(R::Err(ActrError::dependency_not_found(
          workload::types::DependencyNotFoundPayload{to_string(type), why})));
    };
    std::shared_ptr<signaling::Client> client;
    {
      std::lock_guard lock(self->mu_);
      if (self->link_) client = self->link_->client();
    }
    if (!client) return not_found("the signaling server is not reachable");
    auto candidates = client->discover(type, caller.serial_number);
    if (!candidates) return not_found("discovery failed: " + candidates.error().message);
    std::vector<signaling::Candidate> remote;
    {
      std::lock_guard lock(self->mu_);
      for (auto& c : *candidates) {
        if (!self->member_of(c.id.serial_number)) remote.push_back(std::move(c));
      }
      if (!remote.empty()) {
        self->discovered_[key] = {remote, std::chrono::steady_clock::now() + kDiscoveryCacheTtl};
      }
    }
    if (remote.empty()) {
      return not_found("no actor of this type in realm " + std::to_string(self->realm_) +
                       " that the caller may call");
    }
    done(R::Ok(pick(remote)));
  });
}

void NodeNetwork::notify_signaling(const char* hook) {
  if (!announcing_) return;
  std::string id = std::string("hook:on_signaling_") + hook;
  std::string which = hook;
  node_.notify_all(id, [which](Actor::Proxy& p) {
    if (which == "connecting") return p.on_signaling_connecting();
    if (which == "connected") return p.on_signaling_connected();
    return p.on_signaling_disconnected();
  });
}

Result<void> NodeNetwork::start_webrtc(const std::string& advertised) {
  std::weak_ptr<NodeNetwork> weak = weak_from_this();
  WebRtcSettings settings;
  settings.own_address = advertised;
  settings.local_addresses = config_.ice_addresses;
  settings.timeout = config_.webrtc_timeout;
  settings.relay_only = config_.ice_relay_only;
  settings.max_frame_bytes = net::TransportOptions{}.limits.max_frame_bytes;
  WebRtcHooks hooks;
  hooks.relay = [weak](const ActrId& to, uint64_t from_serial, std::string payload) {
    auto self = weak.lock();
    if (!self) return;
    // The relay waits for the server's answer: never on the ICE or the signaling thread.
    boost::asio::post(self->jobs_, [weak, to, from_serial, payload = std::move(payload)] {
      auto self = weak.lock();
      if (!self) return;
      std::shared_ptr<signaling::Client> client;
      {
        std::lock_guard lock(self->mu_);
        if (self->link_) client = self->link_->client();
      }
      if (!client) {
        return self->webrtc_->unrelayed(to, from_serial,
                                        "this node is not connected to its signaling server");
      }
      if (auto sent = client->relay(to, payload, from_serial); !sent) {
        spdlog::info("webrtc: the signaling server did not relay to {}: {}", to_string(to),
                     sent.error().message);
        self->webrtc_->unrelayed(to, from_serial, sent.error().message);
      }
    });
  };
  hooks.turn = [weak]() -> std::optional<webrtc::TurnServer> {
    auto self = weak.lock();
    return self ? self->turn_server() : std::nullopt;
  };
  hooks.on_open = [weak](const std::string& address, std::shared_ptr<net::MessageCarrier> carrier,
                         bool inbound) {
    auto self = weak.lock();
    if (!self || !self->transport_) return;
    if (auto attached = self->transport_->attach(address, std::move(carrier), inbound); !attached) {
      spdlog::warn("webrtc: the path to {} cannot be used: {}", address, attached.error().message);
    }
  };
  hooks.on_connecting = [weak](const ActrId& peer) {
    if (auto self = weak.lock()) self->notify_webrtc("connecting", peer, std::nullopt);
  };
  // Long enough for a resend: a dead path is noticed within the idle timeout.
  recent_ = std::make_shared<RecentRequests>(
      std::max<std::chrono::milliseconds>(std::chrono::seconds(60), 4 * config_.idle_timeout),
      200'000);
  auto links = WebRtcLinks::start(std::move(settings), std::move(hooks));
  if (!links) return make_error("[network] transports: webrtc: " + links.error().message);
  webrtc_ = std::move(*links);
  return {};
}

void NodeNetwork::on_push(const signaling::Push& push) {
  const auto* relayed = std::get_if<signaling::RelayedPayload>(&push);
  if (!relayed) return;
  if (webrtc_ && webrtc_->on_relayed(relayed->from, relayed->to, relayed->payload)) return;
  spdlog::debug("network: a relayed payload from {} that this node does not use",
                to_string(relayed->from));
}

std::optional<webrtc::TurnServer> NodeNetwork::turn_server() const {
  std::lock_guard lock(mu_);
  for (const auto& r : registrations_) {
    if (!r) continue;
    for (const auto& grant : r->turn) {
      boost::system::error_code ec;
      boost::asio::ip::make_address(grant.host, ec);
      if (ec) {
        // ICE takes IP addresses only (no name resolution on its thread): say so once.
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true)) {
          spdlog::warn(
              "webrtc: the TURN server `{}` is a name; ICE needs an IP address (give `actr "
              "signal --turn` one): no relayed candidates from it",
              grant.host);
        }
        continue;
      }
      return webrtc::TurnServer{grant.host, grant.port, grant.username, grant.password};
    }
  }
  return std::nullopt;
}

void NodeNetwork::notify_path(const char* hook, const net::PeerInfo& peer, const ActrId& id) {
  // A relay path is a browser node's WebSocket path: the websocket hooks, relayed none.
  if (peer.path == net::PeerInfo::Path::WebRtc) {
    notify_webrtc(hook, id, peer.relayed.value_or(false));
  } else {
    notify_websocket(hook, id);
  }
}

void NodeNetwork::notify_webrtc(const char* hook, const ActrId& peer, std::optional<bool> relayed) {
  if (!announcing_) return;
  std::string which = hook;
  PeerEvent event{peer, relayed};
  node_.notify_all("hook:on_webrtc_" + which, [which, event](Actor::Proxy& p) {
    if (which == "connecting") return p.on_webrtc_connecting(event);
    if (which == "connected") return p.on_webrtc_connected(event);
    return p.on_webrtc_disconnected(event);
  });
}

void NodeNetwork::notify_websocket(const char* hook, const ActrId& peer) {
  if (!announcing_) return;
  std::string which = hook;
  PeerEvent event{peer, std::nullopt};
  node_.notify_all("hook:on_websocket_" + which, [which, event](Actor::Proxy& p) {
    if (which == "connecting") return p.on_websocket_connecting(event);
    if (which == "connected") return p.on_websocket_connected(event);
    return p.on_websocket_disconnected(event);
  });
}

}  // namespace actr::runtime
