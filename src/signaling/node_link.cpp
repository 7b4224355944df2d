#include "signaling/node_link.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "signaling/protocol.hpp"
#include "signaling/upgrade.hpp"

namespace actr::signaling {

namespace {

struct LinkedActor {
  RegisterParams params;
  std::optional<Registration> registration;
  bool expiring_reported = false;
};

}  // namespace

struct NodeLink::State {
  NodeLinkOptions options;
  NodeLinkHooks hooks;
  std::thread thread;

  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool connection_lost = false;
  size_t unregistered = 0;  // actors added but not yet registered on this connection
  // The server could not register an actor for now (UNAVAILABLE: its shared state, NATS, is
  // unreachable): the rest are registered again at this time, on the same connection.
  std::optional<std::chrono::steady_clock::time_point> retry_at;
  std::chrono::milliseconds retry_delay{0};
  std::vector<LinkedActor> actors;
  std::shared_ptr<Client> client;  // set while connected
  // Link thread: the actors' credentials go with the next upgrade (off after the server refused
  // them, until a connection succeeds).
  bool present_credentials = true;

  void run();
  // Registers every actor that has no registration on this connection yet.
  actr::Result<void> register_pending(Client& c, size_t from);
  void renew_due(Client& c);
  std::chrono::milliseconds heartbeat_interval() const;
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex);
    return wake.wait_for(lock, d, [this] { return stopping; });
  }
};

NodeLink::NodeLink(std::unique_ptr<State> state) : state_(std::move(state)) {}

NodeLink::~NodeLink() { stop(); }

std::unique_ptr<NodeLink> NodeLink::start(NodeLinkOptions options, NodeLinkHooks hooks) {
  auto state = std::make_unique<State>();
  state->options = std::move(options);
  state->hooks = std::move(hooks);
  if (!state->options.clock) state->options.clock = system_unix_seconds;
  State* raw = state.get();
  state->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<NodeLink>(new NodeLink(std::move(state)));
}

void NodeLink::stop() {
  if (!state_ || !state_->thread.joinable()) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  state_->thread.join();
}

size_t NodeLink::add_actor(RegisterParams params) {
  std::lock_guard lock(state_->mutex);
  state_->actors.push_back(LinkedActor{std::move(params), std::nullopt, false});
  ++state_->unregistered;
  state_->wake.notify_all();
  return state_->actors.size() - 1;
}

std::optional<Registration> NodeLink::registration(size_t actor) const {
  std::lock_guard lock(state_->mutex);
  if (actor >= state_->actors.size()) return std::nullopt;
  return state_->actors[actor].registration;
}

bool NodeLink::connected() const {
  std::lock_guard lock(state_->mutex);
  return state_->client != nullptr;
}

std::shared_ptr<Client> NodeLink::client() const {
  std::lock_guard lock(state_->mutex);
  return state_->client;
}

std::chrono::milliseconds NodeLink::State::heartbeat_interval() const {
  std::lock_guard lock(mutex);
  for (const auto& a : actors) {
    if (a.registration && a.registration->heartbeat_interval.count() > 0) {
      return a.registration->heartbeat_interval;
    }
  }
  return std::chrono::milliseconds(1000);
}

actr::Result<void> NodeLink::State::register_pending(Client& c, size_t from) {
  for (size_t i = from;; ++i) {
    RegisterParams params;
    {
      std::lock_guard lock(mutex);
      if (i >= actors.size()) {
        unregistered = 0;
        return {};
      }
      params = actors[i].params;
      if (const auto& previous = actors[i].registration) {
        params.previous_serial = previous->id.serial_number;
        params.previous_credential = previous->credential;
      }
    }
    auto registered = c.register_actor(params);
    if (!registered &&
        registered.error().is(ErrorCategory::SignalingRefused, proto::Error::UNAVAILABLE)) {
      std::lock_guard lock(mutex);
      retry_delay = retry_delay.count() == 0 ? options.initial_backoff
                                             : std::min(retry_delay * 2, options.max_backoff);
      retry_at = std::chrono::steady_clock::now() + retry_delay;
      unregistered = actors.size() - i;
      spdlog::warn("signaling: {}/{} not registered for now (retried in {} ms): {}",
                   params.type.manufacturer, params.type.name, retry_delay.count(),
                   registered.error().message);
      return {};
    }
    if (!registered) {
      // The connection failed: run() reconnects. The server refused this actor: log it and go
      // on with the others; it is tried again on the next connection.
      if (registered.error().is(ErrorCategory::Signaling)) return registered.take_error();
      spdlog::error("signaling: {}/{} refused: {}", params.type.manufacturer, params.type.name,
                    registered.error().message);
      continue;
    }
    Registration reg = std::move(registered).value();
    {
      std::lock_guard lock(mutex);
      actors[i].registration = reg;
      actors[i].expiring_reported = false;
      retry_delay = std::chrono::milliseconds(0);
    }
    if (hooks.on_registered) hooks.on_registered(reg);
  }
}

void NodeLink::State::renew_due(Client& c) {
  int64_t now = options.clock();
  size_t count = 0;
  {
    std::lock_guard lock(mutex);
    count = actors.size();
  }
  for (size_t i = 0; i < count; ++i) {
    std::optional<Registration> reg;
    bool report = false;
    {
      std::lock_guard lock(mutex);
      reg = actors[i].registration;
      if (!reg || reg->expires_at - now > options.renew_margin.count()) continue;
      report = !actors[i].expiring_reported;
      actors[i].expiring_reported = true;
    }
    if (report && hooks.on_credential_expiring) {
      hooks.on_credential_expiring(reg->id, reg->expires_at);
    }
    auto renewed = c.renew(reg->credential);
    if (!renewed) {
      spdlog::warn("signaling: renewal of {}:{} failed: {}", reg->id.realm.realm_id,
                   reg->id.serial_number, renewed.error().message);
      continue;  // retried at the next check; a lost connection is handled by run()
    }
    {
      std::lock_guard lock(mutex);
      actors[i].registration->credential = renewed->credential;
      actors[i].registration->expires_at = renewed->expires_at;
      actors[i].expiring_reported = false;
    }
    if (hooks.on_credential_renewed) hooks.on_credential_renewed(reg->id, renewed->expires_at);
  }
}

void NodeLink::State::run() {
  auto backoff = options.initial_backoff;
  std::vector<std::string> urls{options.server_url};
  urls.insert(urls.end(), options.fallback_urls.begin(), options.fallback_urls.end());
  size_t at = 0;      // the server tried next
  size_t failed = 0;  // attempts in a row that found no server
  while (true) {
    const std::string& url = urls[at % urls.size()];
    {
      std::lock_guard lock(mutex);
      if (stopping) return;
      connection_lost = false;
      retry_at.reset();
      retry_delay = std::chrono::milliseconds(0);
    }
    if (hooks.on_connecting) hooks.on_connecting();
    ClientOptions client_options = options.client;
    if (present_credentials) {
      // Up to half the server's header limit: presenting them is optional, a refused upgrade
      // for size is not.
      size_t header_bytes = 0;
      std::lock_guard lock(mutex);
      for (const auto& a : actors) {
        if (!a.registration) continue;
        header_bytes += (a.registration->credential.size() + 2) / 3 * 4 + 1;
        if (header_bytes > kMaxUpgradeHeaderBytes / 2) break;
        client_options.credentials.push_back(a.registration->credential);
      }
    }
    client_options.heartbeat = std::chrono::milliseconds(0);  // sent below, at the server's pace
    client_options.on_push = [this](Push push) {
      if (hooks.on_push) hooks.on_push(push);
    };
    client_options.on_closed = [this](const std::string&) {
      std::lock_guard lock(mutex);
      connection_lost = true;
      wake.notify_all();
    };
    auto connected = Client::connect(url, client_options);
    std::shared_ptr<Client> c;
    if (connected) {
      c = std::shared_ptr<Client>(std::move(*connected));
      if (auto registered = register_pending(*c, 0); !registered) {
        spdlog::warn("signaling: registration at {} failed: {}", url, registered.error().message);
        c.reset();
      }
    } else if (connected.error().is(ErrorCategory::Signaling, kSignalingForbidden) &&
               present_credentials && !client_options.credentials.empty()) {
      // Not signed by this server (a new signing key?): the next attempt comes without them and
      // registers the actors afresh, as a server that does not know them would.
      spdlog::warn("{}; connecting again without the actors' previous credentials",
                   connected.error().message);
      present_credentials = false;
    } else {
      spdlog::log(connected.error().is(ErrorCategory::Signaling, kSignalingUnauthorized)
                      ? spdlog::level::warn
                      : spdlog::level::debug,
                  "{}", connected.error().message);
    }
    if (!c) {
      ++at;
      // A whole round found no server: wait before the next round.
      if (++failed % urls.size() == 0) {
        if (wait_for(backoff)) return;
        backoff = std::min(backoff * 2, options.max_backoff);
      }
      continue;
    }
    if (urls.size() > 1) spdlog::info("signaling: connected to {}", url);
    failed = 0;
    backoff = options.initial_backoff;
    present_credentials = true;
    {
      std::lock_guard lock(mutex);
      client = c;
    }
    if (hooks.on_connected) hooks.on_connected();

    auto next_ping = std::chrono::steady_clock::now() + heartbeat_interval();
    while (true) {
      size_t pending_from = 0;
      {
        std::unique_lock lock(mutex);
        // Renewal is checked at least every second; heartbeats at their interval.
        auto until =
            std::min(next_ping, std::chrono::steady_clock::now() + std::chrono::seconds(1));
        if (retry_at) until = std::min(until, *retry_at);
        wake.wait_until(lock, until, [this] {
          return stopping || connection_lost || (unregistered && !retry_at);
        });
        if (stopping || connection_lost) break;
        pending_from = unregistered ? actors.size() - unregistered : actors.size();
        if (retry_at && std::chrono::steady_clock::now() < *retry_at) {
          pending_from = actors.size();  // not yet
        } else {
          retry_at.reset();
        }
      }
      if (auto registered = register_pending(*c, pending_from); !registered) {
        spdlog::warn("signaling: registration failed: {}", registered.error().message);
        if (!c->is_open()) break;
      }
      if (std::chrono::steady_clock::now() >= next_ping) {
        (void)c->ping();  // a failure shows up as connection_lost
        next_ping = std::chrono::steady_clock::now() + heartbeat_interval();
      }
      renew_due(*c);
    }
    {
      std::lock_guard lock(mutex);
      client.reset();
    }
    c->close();
    if (hooks.on_disconnected) hooks.on_disconnected();
    ++at;  // its server died (or it was refused there): the next one in turn
  }
}

}  // namespace actr::signaling
