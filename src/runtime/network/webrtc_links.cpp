#include "runtime/network/webrtc_links.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <random>

#include "net/address.hpp"
#include "net/wire.hpp"
#include "proto/transport.pb.h"
#include "runtime/network/data_channel_carrier.hpp"
#include "webrtc/peer_connection.hpp"

namespace actr::runtime {

using workload::ActrId;
using workload::to_string;

struct WebRtcLinks::Link {
  std::string address;  // the peer node's advertised address
  std::string key;      // its net::Address key
  bool offerer = false;
  uint64_t session = 0;
  ActrId remote;              // the actor signals go to
  uint64_t local_serial = 0;  // the actor they come from
  std::shared_ptr<webrtc::PeerConnection> pc;
  std::shared_ptr<DataChannelCarrier> carrier;
  enum class State { Negotiating, Open, Ended };
  State state = State::Negotiating;           // guarded by WebRtcLinks::mu_
  bool restarting = false;                    // an ICE restart is under way (guarded by mu_)
  std::vector<WebRtcLinks::Settled> settled;  // when_settled() waiters (guarded by mu_)
  bool attached = false;                      // Open, and handed to the transport (guarded by mu_)
};

namespace {

uint64_t new_session() {
  static std::mutex mu;
  static std::mt19937_64 random{std::random_device{}()};
  std::lock_guard lock(mu);
  uint64_t s = 0;
  while (s == 0) s = random();
  return s;
}

std::string address_key(const std::string& address) {
  auto parsed = net::parse_address(address);
  return parsed ? parsed->key() : std::string();
}

}  // namespace

bool webrtc_only_address(const std::string& address) {
  auto parsed = net::parse_address(address);
  return parsed && parsed->has_no_listener();
}

WebRtcLinks::WebRtcLinks(WebRtcSettings settings, WebRtcHooks hooks)
    : settings_(std::move(settings)), hooks_(std::move(hooks)) {
  own_key_ = address_key(settings_.own_address);
}

Result<std::unique_ptr<WebRtcLinks>> WebRtcLinks::start(WebRtcSettings settings,
                                                        WebRtcHooks hooks) {
  if (settings.max_frame_bytes == 0) return make_error("webrtc: no frame limit given");
  std::unique_ptr<WebRtcLinks> links(new WebRtcLinks(std::move(settings), std::move(hooks)));
  if (links->own_key_.empty()) {
    return make_error("webrtc: this node's address `" + links->settings_.own_address +
                      "` is not an address");
  }
  // One certificate per node run: its fingerprint goes to peers through the relay.
  ACTR_TRY(links->certificate_, webrtc::Certificate::generate());
  links->loop_ = std::make_unique<webrtc::GlibLoop>();
  return links;
}

WebRtcLinks::~WebRtcLinks() { stop(); }

void WebRtcLinks::stop() {
  std::map<std::string, std::shared_ptr<Link>> links;
  std::map<std::string, std::shared_ptr<RelayCarrier>> relays;
  std::vector<std::shared_ptr<webrtc::PeerConnection>> retired;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    links.swap(links_);
    retired.swap(retired_);
    relays.swap(relays_);
    for (auto& [key, link] : links) link->state = Link::State::Ended;
  }
  {
    std::unique_lock lock(mu_);
    begun_.wait(lock, [&] { return beginning_ == 0; });
  }
  for (auto& [key, relay] : relays) relay->detach("the node's network stopped");
  for (auto& [key, link] : links) {
    if (link->carrier) link->carrier->detach("the node's network stopped");
    link->pc.reset();  // not on the loop: tears down there and waits
  }
  retired.clear();
  loop_.reset();  // joins the ICE thread; nothing posted to it runs any more
}

std::shared_ptr<WebRtcLinks::Link> WebRtcLinks::make_link(const std::string& address,
                                                          const std::string& key, bool offerer,
                                                          uint64_t session, const ActrId& remote,
                                                          uint64_t local_serial) {
  auto link = std::make_shared<Link>();
  link->address = address;
  link->key = key;
  link->offerer = offerer;
  link->session = session;
  link->remote = remote;
  link->local_serial = local_serial;
  links_[key] = link;
  return link;
}

Result<void> WebRtcLinks::begin(const std::shared_ptr<Link>& link,
                                const std::string& remote_description) {
  // stop() waits for this: the peer connection made here needs the loop until it is handed over.
  {
    std::lock_guard lock(mu_);
    if (stopped_) return make_error("the node's network is stopping");
    ++beginning_;
  }
  struct Done {
    WebRtcLinks* self;
    ~Done() {
      {
        std::lock_guard lock(self->mu_);
        --self->beginning_;
      }
      self->begun_.notify_all();
    }
  } done{this};
  webrtc::PeerOptions options;
  options.offerer = link->offerer;
  options.trickle = true;
  // A browser takes only full SDP; the node's answers to a browser's offer follow its offer.
  options.full_sdp = link->offerer && webrtc_only_address(link->address);
  options.certificate = certificate_;
  options.ice.local_addresses = settings_.local_addresses;
  options.ice.relay_only = settings_.relay_only;
  if (hooks_.turn) options.ice.turn = hooks_.turn();
  if (options.ice.turn) {
    spdlog::debug("webrtc: relayed candidates from TURN {}:{}", options.ice.turn->address,
                  options.ice.turn->port);
  }
  if (settings_.relay_only && !options.ice.turn) {
    return make_error("relayed candidates only, and the node has no TURN grant");
  }

  std::weak_ptr<Link> weak = link;
  webrtc::PeerEvents events;
  events.on_description = [this, weak](std::string description) {
    if (auto l = weak.lock()) on_description(l, std::move(description));
  };
  events.on_candidate = [this, weak](std::string candidate) {
    if (auto l = weak.lock()) signal(l, transport::PeerSignal::CANDIDATE, candidate);
  };
  events.on_state = [this, weak](webrtc::PeerState state) {
    auto l = weak.lock();
    if (!l) return;
    if (state == webrtc::PeerState::Connected) on_connected(l);
    if (state == webrtc::PeerState::Failed) end(l, "the WebRTC path failed", true);
  };
  events.on_channel = [this, weak](const webrtc::Channel& c) {
    auto l = weak.lock();
    if (!l || !l->carrier) return;
    l->carrier->channel_opened(c);
    on_channel(l);
  };
  events.on_message = [weak](uint16_t stream, std::span<const uint8_t> message, bool) {
    auto l = weak.lock();
    if (l && l->carrier) l->carrier->deliver(stream, message);
  };
  events.on_writable = [weak] {
    auto l = weak.lock();
    if (l && l->carrier) l->carrier->writable();
  };
  events.on_selected_pair = [weak](bool relayed) {
    auto l = weak.lock();
    if (l && l->carrier) l->carrier->set_relayed(relayed);
  };
  events.on_closed = [this, weak](std::string reason) {
    if (auto l = weak.lock()) end(l, reason, false);
  };

  ACTR_TRY(auto created, webrtc::PeerConnection::create(*loop_, std::move(options), events));
  std::shared_ptr<webrtc::PeerConnection> pc(std::move(created));
  auto carrier = std::make_shared<DataChannelCarrier>(pc.get(), settings_.max_frame_bytes,
                                                      "webrtc to " + link->address);
  carrier->on_quiet([this, weak] {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    loop_->post([this, weak] {
      if (auto l = weak.lock()) restart(l);
    });
  });
  carrier->on_close([this, weak] {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    loop_->post([this, weak] {
      if (auto l = weak.lock()) end(l, "the connection on it closed", false);
    });
  });
  {
    std::lock_guard lock(mu_);
    if (link->state == Link::State::Ended) return {};  // stopped or replaced meanwhile
    link->pc = pc;
    link->carrier = carrier;
  }
  if (!remote_description.empty()) ACTR_TRY_VOID(pc->set_remote_description(remote_description));
  ACTR_TRY_VOID(pc->start());
  loop_->post_after(settings_.timeout, [this, weak] {
    auto l = weak.lock();
    if (!l) return;
    bool waiting;
    {
      std::lock_guard lock(mu_);
      waiting = l->state == Link::State::Negotiating;
    }
    if (waiting) {
      end(l, "no WebRTC path within " + std::to_string(settings_.timeout.count()) + " ms", true);
    }
  });
  return {};
}

void WebRtcLinks::want(const std::string& address, const ActrId& target, const ActrId& from) {
  std::string key = address_key(address);
  if (key.empty() || key == own_key_) return;
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(mu_);
    if (stopped_ || links_.contains(key)) return;
    auto failed = failed_until_.find(key);
    if (failed != failed_until_.end()) {
      if (std::chrono::steady_clock::now() < failed->second) return;
      failed_until_.erase(failed);
    }
    link = make_link(address, key, true, new_session(), target, from.serial_number);
  }
  spdlog::debug("webrtc: offering a path to {} (actor {})", address, to_string(target));
  if (hooks_.on_connecting) hooks_.on_connecting(target);
  // The peer connection is made on the ICE thread: the caller (an actor's worker) goes on.
  start_later(link, "");
}

void WebRtcLinks::start_later(const std::shared_ptr<Link>& link, std::string remote_description) {
  std::lock_guard lock(mu_);
  if (stopped_) return;  // stop() ended the link already
  loop_->post([this, link, remote_description = std::move(remote_description)] {
    if (auto begun = begin(link, remote_description); !begun) {
      spdlog::warn("webrtc: no path to {}: {}", link->address, begun.error().message);
      end(link, begun.error().message, !link->offerer);
    }
  });
}

bool WebRtcLinks::on_relayed(const ActrId& from, const ActrId& to, const std::string& payload) {
  transport::PeerSignal signal;
  if (!signal.ParseFromString(payload) || signal.session() == 0) return false;
  if (signal.version() != net::wire::kProtocolVersion) {
    spdlog::warn("webrtc: a signal of protocol version {} from {} ignored", signal.version(),
                 to_string(from));
    return true;
  }
  std::string key = address_key(signal.node_address());
  if (key.empty() || key == own_key_) {
    spdlog::warn("webrtc: a signal from {} names no usable node address; ignored", to_string(from));
    return true;
  }
  std::shared_ptr<Link> link, replaced;
  switch (signal.kind()) {
    case transport::PeerSignal::OFFER: {
      std::shared_ptr<webrtc::PeerConnection> restart_pc;
      {
        std::lock_guard lock(mu_);
        if (stopped_) return true;
        auto it = links_.find(key);
        if (it != links_.end()) {
          auto& existing = it->second;
          if (existing->session == signal.session()) {
            // The same session again: an ICE restart of an open path, else a repeat.
            if (existing->state != Link::State::Open || existing->offerer) return true;
            link = existing;
            restart_pc = existing->pc;
          } else if (existing->offerer && existing->state == Link::State::Negotiating &&
                     own_key_ < key && !webrtc_only_address(signal.node_address())) {
            // Both offered at once: the smaller address's offer wins. A browser's offer always
            // does: a page's code need not handle an offer while it waits for its answer.
            return true;
          } else {
            // Theirs wins, or the peer starts over (it lost the path we still think open).
            replaced = existing;
            replaced->state = Link::State::Ended;
            links_.erase(it);
          }
        }
        if (!link) {
          failed_until_.erase(key);
          link = make_link(signal.node_address(), key, false, signal.session(), from,
                           to.serial_number);
          // What waited for our own offer waits for this path instead.
          if (replaced) link->settled.swap(replaced->settled);
        }
      }
      if (restart_pc) {
        spdlog::info("webrtc: {} restarts ICE on the path from {}", to_string(from), link->address);
        if (auto set = restart_pc->set_remote_description(signal.description()); !set) {
          end(link, "the ICE restart is refused: " + set.error().message, true);
        }
        return true;
      }
      if (replaced) {
        if (replaced->carrier) replaced->carrier->detach("the peer made a new offer");
        retire(std::move(replaced->pc));
      }
      if (hooks_.on_connecting) hooks_.on_connecting(from);
      start_later(link, signal.description());  // off the signaling client's thread
      return true;
    }
    case transport::PeerSignal::ANSWER: {
      std::shared_ptr<webrtc::PeerConnection> pc;
      {
        std::lock_guard lock(mu_);
        auto it = links_.find(key);
        if (it == links_.end() || it->second->session != signal.session() || !it->second->offerer) {
          return true;  // an answer to an offer given up meanwhile
        }
        link = it->second;
        pc = link->pc;
        link->restarting = false;
      }
      if (!pc) return true;
      if (auto set = pc->set_remote_description(signal.description()); !set) {
        spdlog::warn("webrtc: the answer of {} is refused: {}", to_string(from),
                     set.error().message);
        end(link, "the answer is refused: " + set.error().message, true);
      }
      return true;
    }
    case transport::PeerSignal::CANDIDATE: {
      std::lock_guard lock(mu_);
      auto it = links_.find(key);
      if (stopped_ || it == links_.end() || it->second->session != signal.session()) return true;
      // On the loop, after the offer's begin() (posted there before) made the peer connection.
      loop_->post([this, link = it->second, candidate = signal.description()] {
        std::shared_ptr<webrtc::PeerConnection> pc;
        {
          std::lock_guard lock(mu_);
          if (link->state == Link::State::Ended) return;
          pc = link->pc;
        }
        if (!pc) return;
        if (auto added = pc->add_remote_candidate(candidate); !added) {
          spdlog::warn("webrtc: a candidate from {} is ignored: {}", link->address,
                       added.error().message);
        }
      });
      return true;
    }
    case transport::PeerSignal::FRAME:
      on_relay_signal(from, to, key, signal.node_address(), signal.kind(), signal.session(),
                      signal.frame());
      return true;
    case transport::PeerSignal::CLOSE: {
      std::shared_ptr<RelayCarrier> relay;
      {
        std::lock_guard lock(mu_);
        auto it = relays_.find(key);
        if (it != relays_.end() && it->second->session() == signal.session()) {
          relay = std::move(it->second);
          relays_.erase(it);
        }
      }
      if (relay) {
        relay->detach("the peer gave the relay path up");  // not under mu_: on_end takes it
        return true;
      }
      {
        std::lock_guard lock(mu_);
        auto it = links_.find(key);
        if (it == links_.end() || it->second->session != signal.session()) return true;
        link = it->second;
      }
      end(link, "the peer gave the path up", false);
      return true;
    }
    default:
      return true;
  }
}

void WebRtcLinks::restart(const std::shared_ptr<Link>& link) {
  // The offerer restarts (the answerer's own silence shows on the offerer's side as well).
  if (!link->offerer) return;
  std::shared_ptr<webrtc::PeerConnection> pc;
  {
    std::lock_guard lock(mu_);
    if (link->state != Link::State::Open || link->restarting) return;
    link->restarting = true;
    pc = link->pc;
  }
  if (!pc) return;
  spdlog::info("webrtc: the path to {} is quiet; restarting ICE", link->address);
  ++restarts_;
  if (auto r = pc->restart_ice(); !r) end(link, "ICE restart: " + r.error().message, true);
}

void WebRtcLinks::on_description(const std::shared_ptr<Link>& link, std::string description) {
  signal(link, link->offerer ? transport::PeerSignal::OFFER : transport::PeerSignal::ANSWER,
         description);
}

void WebRtcLinks::signal(const std::shared_ptr<Link>& link, int kind,
                         const std::string& description) {
  if (!hooks_.relay) return;
  transport::PeerSignal s;
  s.set_version(net::wire::kProtocolVersion);
  s.set_kind(static_cast<transport::PeerSignal::Kind>(kind));
  s.set_session(link->session);
  s.set_description(description);
  s.set_node_address(settings_.own_address);
  hooks_.relay(link->remote, link->local_serial, s.SerializeAsString());
}

void WebRtcLinks::on_connected(const std::shared_ptr<Link>& link) {
  if (link->offerer && link->carrier) {
    if (auto opened = link->carrier->open_channels(); !opened) {
      end(link, "opening the data channels: " + opened.error().message, true);
      return;
    }
  }
  on_channel(link);
}

bool WebRtcLinks::when_settled(const std::string& address, Settled done) {
  std::string key = address_key(address);
  {
    std::lock_guard lock(mu_);
    auto it = links_.find(key);
    if (it == links_.end()) return false;
    auto& link = it->second;
    if (link->state == Link::State::Negotiating ||
        (link->state == Link::State::Open && !link->attached)) {
      link->settled.push_back(std::move(done));
      return true;
    }
    if (link->state != Link::State::Open) return false;
  }
  done(true, "");
  return true;
}

void WebRtcLinks::on_channel(const std::shared_ptr<Link>& link) {
  // The carrier is set before the peer connection starts, so before any of its events.
  if (!link->carrier || !link->carrier->ready()) return;
  {
    std::lock_guard lock(mu_);
    if (link->state != Link::State::Negotiating) return;
    link->state = Link::State::Open;
  }
  spdlog::info("webrtc: path to {} open ({})", link->address,
               link->carrier->relayed() ? "relayed through TURN" : "direct");
  if (hooks_.on_open) hooks_.on_open(link->address, link->carrier, !link->offerer);
  // Attached now: what waited for the path takes it.
  std::vector<Settled> settled;
  {
    std::lock_guard lock(mu_);
    link->attached = true;
    settled.swap(link->settled);
  }
  for (auto& done : settled) done(true, "");
}

void WebRtcLinks::unrelayed(const ActrId& to, uint64_t from_serial, const std::string& why) {
  std::vector<std::shared_ptr<Link>> unheard;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    for (auto& [key, link] : links_) {
      if (link->state == Link::State::Negotiating && link->remote == to &&
          link->local_serial == from_serial) {
        unheard.push_back(link);
      }
    }
  }
  for (auto& link : unheard) {
    end(link, "the signaling server did not relay the offer: " + why, false, false);
  }
}

void WebRtcLinks::forget_failures() {
  std::lock_guard lock(mu_);
  failed_until_.clear();
}

void WebRtcLinks::end(const std::shared_ptr<Link>& link, const std::string& why, bool tell_peer,
                      bool hold_off) {
  Link::State was;
  std::vector<Settled> settled;
  std::shared_ptr<webrtc::PeerConnection> pc;
  {
    std::lock_guard lock(mu_);
    was = link->state;
    if (was == Link::State::Ended) return;
    link->state = Link::State::Ended;
    auto it = links_.find(link->key);
    if (it != links_.end() && it->second == link) links_.erase(it);
    if (was == Link::State::Negotiating && hold_off) {
      failed_until_[link->key] = std::chrono::steady_clock::now() + settings_.retry_after;
    }
    pc = std::move(link->pc);
    settled.swap(link->settled);
  }
  if (was == Link::State::Negotiating) {
    spdlog::info("webrtc: no path to {}: {}; {}", link->address, why,
                 webrtc_only_address(link->address)
                     ? "messages to it fail (it has no WebSocket listener)"
                     : "traffic stays on WebSocket");
  } else {
    spdlog::info("webrtc: path to {} closed: {}", link->address, why);
  }
  if (link->carrier) link->carrier->detach(why);
  if (tell_peer) signal(link, transport::PeerSignal::CLOSE, "");
  if (was == Link::State::Negotiating && hooks_.on_failed) hooks_.on_failed(link->remote, why);
  // A browser node has no WebSocket to fall back on: its frames take the signaling relay.
  bool relayed =
      was == Link::State::Negotiating && webrtc_only_address(link->address) &&
      open_relay(link->address, link->key, new_session(), link->remote, link->local_serial, false);
  for (auto& done : settled) done(relayed, relayed ? "" : why);
  retire(std::move(pc));
}

std::shared_ptr<RelayCarrier> WebRtcLinks::open_relay(const std::string& address,
                                                      const std::string& key, uint64_t session,
                                                      const ActrId& remote, uint64_t local_serial,
                                                      bool inbound) {
  auto relay = [this, remote, local_serial](std::string payload) {
    if (hooks_.relay) hooks_.relay(remote, local_serial, std::move(payload));
  };
  auto carrier =
      std::make_shared<RelayCarrier>(session, settings_.own_address, settings_.max_frame_bytes,
                                     std::move(relay), "relay through signaling to " + address);
  std::weak_ptr<RelayCarrier> weak = carrier;
  carrier->on_end([this, key, weak] {
    // Under the carrier's lock: the table is cleaned on the loop.
    std::lock_guard lock(mu_);
    if (stopped_) return;
    loop_->post([this, key, weak] {
      std::lock_guard lock(mu_);
      auto it = relays_.find(key);
      if (it != relays_.end() && it->second == weak.lock()) relays_.erase(it);
    });
  });
  std::shared_ptr<RelayCarrier> replaced;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return nullptr;
    auto& slot = relays_[key];
    replaced = std::move(slot);
    slot = carrier;
  }
  if (replaced) replaced->detach("another relay path replaced it");
  if (!inbound) {
    // A peer that takes no relay path either: what waits on it fails instead of waiting for
    // its call timeout.
    loop_->post_after(settings_.timeout, [weak, timeout = settings_.timeout] {
      auto c = weak.lock();
      if (c && !c->heard()) {
        c->give_up("no answer on the signaling relay within " + std::to_string(timeout.count()) +
                   " ms either");
      }
    });
  }
  spdlog::info("relay: frames to {} go through the signaling server ({})", address,
               inbound ? "it asked" : "no WebRTC path");
  if (hooks_.on_open) hooks_.on_open(address, carrier, inbound);
  return carrier;
}

void WebRtcLinks::on_relay_signal(const ActrId& from, const ActrId& to, const std::string& key,
                                  const std::string& address, int, uint64_t session,
                                  const std::string& frame) {
  std::shared_ptr<RelayCarrier> carrier;
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    auto it = relays_.find(key);
    if (it != relays_.end() && it->second->session() == session) carrier = it->second;
  }
  // A session we do not know: the peer opens a relay path (its first frame is its credentials,
  // which the connection checks before anything else).
  if (!carrier) carrier = open_relay(address, key, session, from, to.serial_number, true);
  if (!carrier) return;
  carrier->deliver(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(frame.data()), frame.size()));
}

void WebRtcLinks::retire(std::shared_ptr<webrtc::PeerConnection> pc) {
  if (!pc) return;
  std::lock_guard lock(mu_);
  if (stopped_) return;  // stop() tears down what it finds; this one goes with the caller
  auto* raw = pc.get();
  retired_.push_back(std::move(pc));
  // Torn down on the loop, but outside the events of the connection (which may be running now).
  loop_->post([this, raw] {
    std::shared_ptr<webrtc::PeerConnection> gone;
    {
      std::lock_guard lock(mu_);
      for (auto it = retired_.begin(); it != retired_.end(); ++it) {
        if (it->get() == raw) {
          gone = std::move(*it);
          retired_.erase(it);
          break;
        }
      }
    }
  });
}

}  // namespace actr::runtime
