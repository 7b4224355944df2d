#include "signaling/server/nats_cluster.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "proto/signaling_state.pb.h"
#include "signaling/server/registration_record.hpp"

namespace actr::signaling::server {

namespace {

// How long a watcher waits for an entry before it looks whether it should stop.
constexpr int64_t kWatchPollMs = 200;

int64_t unix_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Reads a watcher's snapshot of the current values (up to its end-of-snapshot marker).
actr::Result<void> read_snapshot(kvWatcher* watcher, std::chrono::milliseconds timeout,
                                 const std::function<void(kvEntry*)>& handle) {
  while (true) {
    kvEntry* raw = nullptr;
    natsStatus s = kvWatcher_Next(&raw, watcher, static_cast<int64_t>(timeout.count()));
    if (s != NATS_OK) return nats_failure(s, "reading the other servers' state");
    if (!raw) return {};
    KvEntryPtr entry(raw);
    handle(entry.get());
  }
}

kvConfig live_bucket_config() {
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = kLiveBucket;
  config.Description = "actr signaling: actors connected to server SERVER, by SERVER.REALM.SERIAL";
  config.History = 1;
  config.StorageType = js_FileStorage;
  return config;
}

kvConfig presence_bucket_config(std::chrono::milliseconds server_timeout) {
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = kServersBucket;
  config.Description = "actr signaling: running servers, rewritten every heartbeat";
  config.History = 1;
  // Presence is rewritten constantly and worthless after a NATS restart: memory is enough (a
  // restarted NATS has lost it: the servers create it again). The age limit clears what dead
  // servers left (JetStream counts MaxAge in nanoseconds).
  config.StorageType = js_MemoryStorage;
  config.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(server_timeout).count();
  return config;
}

}  // namespace

NatsCluster::NatsCluster(std::shared_ptr<NatsConnection> nats, Options options,
                         ClusterEvents events)
    : nats_(std::move(nats)), options_(std::move(options)), events_(std::move(events)) {}

actr::Result<std::unique_ptr<NatsCluster>> NatsCluster::start(std::shared_ptr<NatsConnection> nats,
                                                              Options options,
                                                              ClusterEvents events) {
  if (options.heartbeat_interval.count() <= 0 ||
      options.server_timeout <= options.heartbeat_interval) {
    return actr::make_error("cluster: the server timeout must exceed the heartbeat interval");
  }
  std::unique_ptr<NatsCluster> self(new NatsCluster(std::move(nats), options, std::move(events)));
  self->started_at_ = unix_now_ns() / 1'000'000'000;

  self->reconnections_seen_ = self->nats_->reconnections();
  ACTR_TRY(self->live_, self->nats_->open_bucket(live_bucket_config()));
  ACTR_TRY(self->servers_bucket_,
           self->nats_->open_bucket(presence_bucket_config(options.server_timeout)));

  natsSubscription* sub = nullptr;
  std::string subject = kRelaySubjectPrefix + options.server_id;
  natsStatus s = natsConnection_Subscribe(&sub, self->nats_->connection(), subject.c_str(),
                                          &NatsCluster::on_relay_message, self.get());
  if (s != NATS_OK) return nats_failure(s, "subscribing to " + subject);
  self->relay_subscription_.reset(sub);

  // Watch first, then read: nothing written in between is missed.
  kvWatchOptions watch_options;
  kvWatchOptions_Init(&watch_options);
  kvWatcher* watcher = nullptr;
  s = kvStore_WatchAll(&watcher, self->live_.get(), &watch_options);
  if (s != NATS_OK) return nats_failure(s, std::string("watching ") + kLiveBucket);
  self->live_watcher_.reset(watcher);
  watcher = nullptr;
  s = kvStore_WatchAll(&watcher, self->servers_bucket_.get(), &watch_options);
  if (s != NATS_OK) return nats_failure(s, std::string("watching ") + kServersBucket);
  self->presence_watcher_.reset(watcher);

  NatsCluster* raw = self.get();
  auto timeout = self->nats_->timeout();
  ACTR_TRY_VOID(read_snapshot(raw->live_watcher_.get(), timeout,
                              [raw](kvEntry* e) { raw->on_live_entry(e); }));
  ACTR_TRY_VOID(read_snapshot(raw->presence_watcher_.get(), timeout,
                              [raw](kvEntry* e) { raw->on_presence_entry(e, true); }));
  if (!raw->own_keys_.empty()) {
    spdlog::info("signal: withdrawing the {} live actors this server ({}) left behind",
                 raw->own_keys_.size(), options.server_id);
  }
  raw->resync();
  raw->write_presence();

  raw->writer_ = std::thread([raw] { raw->run_writer(); });
  raw->live_thread_ = std::thread([raw] { raw->watch(false); });
  raw->presence_thread_ = std::thread([raw] { raw->watch(true); });
  spdlog::info("signal: server {} shares its realm through NATS at {}", options.server_id,
               raw->nats_->urls());
  return self;
}

NatsCluster::~NatsCluster() { stop(); }

void NatsCluster::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();  // it writes what is queued first
  if (nats_->connected() && servers_bucket_) {
    // The others drop this server's actors now rather than after the server timeout.
    if (natsStatus s = kvStore_Delete(servers_bucket_.get(), options_.server_id.c_str());
        s != NATS_OK) {
      spdlog::warn("signal: cannot withdraw this server's presence: {}", natsStatus_GetText(s));
    }
  }
  // Stopping a watcher deletes its consumer, a request that, without NATS, would wait out its
  // timeout: when NATS is gone, this server gives up its connection first.
  if (!nats_->connected()) nats_->close();
  {
    std::lock_guard lock(watchers_mu_);
    watching_ = false;
    if (live_watcher_) kvWatcher_Stop(live_watcher_.get());
    if (presence_watcher_) kvWatcher_Stop(presence_watcher_.get());
  }
  if (live_thread_.joinable()) live_thread_.join();
  if (presence_thread_.joinable()) presence_thread_.join();
  if (relay_subscription_) {
    // Draining waits for a relay being handed over in libnats' thread, which uses this object.
    if (natsSubscription_Drain(relay_subscription_.get()) == NATS_OK) {
      natsSubscription_WaitForDrainCompletion(relay_subscription_.get(), 2000);
    } else {
      natsSubscription_Unsubscribe(relay_subscription_.get());
    }
  }
}

std::string NatsCluster::live_key(const ActorKey& key) const {
  return options_.server_id + "." + registration_key(key.first, key.second);
}

void NatsCluster::actor_up(const StoredRegistration& registration) {
  ActorKey key{registration.id.realm.realm_id, registration.id.serial_number};
  {
    std::lock_guard lock(mu_);
    local_[key] = registration;
    pending_.push_back(key);
  }
  wake_.notify_all();
}

void NatsCluster::actor_down(uint32_t realm, uint64_t serial) {
  ActorKey key{realm, serial};
  {
    std::lock_guard lock(mu_);
    local_.erase(key);
    pending_.push_back(key);
  }
  wake_.notify_all();
}

void NatsCluster::forward_relay(const std::string& server_id, const proto::Envelope& delivery) {
  std::string subject = kRelaySubjectPrefix + server_id;
  std::string bytes = delivery.SerializeAsString();
  natsStatus s = natsConnection_Publish(nats_->connection(), subject.c_str(), bytes.data(),
                                        static_cast<int>(bytes.size()));
  if (s != NATS_OK) {
    spdlog::warn("signal: cannot forward a relay to server {}: {}", server_id,
                 natsStatus_GetText(s));
  }
}

void NatsCluster::on_relay_message(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
  auto* cluster = static_cast<NatsCluster*>(self);
  proto::Envelope delivery;
  bool parsed = delivery.ParseFromArray(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
  if (!parsed || !delivery.has_relay_delivery()) {
    spdlog::warn("signal: a message on this server's relay subject is not a relay; dropped");
    return;
  }
  cluster->events_.relay(std::move(delivery));
}

void NatsCluster::set_alive(const std::string& server_id, OtherServer& server, bool alive) {
  if (server.alive == alive) return;
  server.alive = alive;
  if (!alive) server.absent_since = Clock::now();
  if (alive) {
    spdlog::info("signal: server {} is up ({} live actors)", server_id, server.actors.size());
  } else {
    spdlog::warn("signal: server {} is gone; its {} actors are down", server_id,
                 server.actors.size());
  }
  for (const auto& [key, entry] : server.actors) {
    if (alive) {
      events_.actor_up(server_id, entry.registration, entry.revision);
    } else {
      events_.actor_down(server_id, key.first, key.second);
    }
  }
}

void NatsCluster::on_live_entry(kvEntry* entry) {
  std::string_view full = kvEntry_Key(entry);
  size_t dot = full.find('.');
  auto key =
      dot == std::string_view::npos ? std::nullopt : parse_registration_key(full.substr(dot + 1));
  if (!key) {
    spdlog::warn("signal: ignoring key {} in {}", full, kLiveBucket);
    return;
  }
  std::string server_id(full.substr(0, dot));
  bool put = kvEntry_Operation(entry) == kvOp_Put;
  std::lock_guard lock(mu_);
  if (server_id == options_.server_id) {
    if (put) {
      own_keys_.insert(*key);
    } else {
      own_keys_.erase(*key);
      if (local_.count(*key)) {
        // Another server purged it, taking this one for gone (it was cut off or stalled for
        // longer than the server timeout): the actor is still connected here, so it is written
        // again.
        pending_.push_back(*key);
        wake_.notify_all();
      }
    }
    return;
  }
  OtherServer& server = others_[server_id];
  if (put) {
    auto registration = decode_registration(kvEntry_Value(entry), kvEntry_ValueLen(entry));
    if (!registration) {
      spdlog::warn("signal: {} in {}: {}", full, kLiveBucket, registration.error().message);
      return;
    }
    uint64_t revision = kvEntry_Revision(entry);
    if (auto known = server.actors.find(*key);
        known != server.actors.end() && known->second.revision == revision) {
      return;  // read again after a reconnection: nothing new
    }
    server.actors[*key] = LiveEntry{*registration, revision};
    if (server.alive) events_.actor_up(server_id, *registration, revision);
  } else if (server.actors.erase(*key) != 0 && server.alive) {
    events_.actor_down(server_id, key->first, key->second);
  }
}

void NatsCluster::on_presence_entry(kvEntry* entry, bool initial) {
  std::string server_id = kvEntry_Key(entry);
  if (server_id == options_.server_id) return;
  bool put = kvEntry_Operation(entry) == kvOp_Put;
  std::lock_guard lock(mu_);
  OtherServer& server = others_[server_id];
  if (!put) {
    set_alive(server_id, server, false);
    return;
  }
  proto::ServerPresence presence;
  auto known_key = [&](const std::string& key) {
    if (key == std::string(options_.signing_key.begin(), options_.signing_key.end())) return true;
    return std::any_of(options_.accepted_keys.begin(), options_.accepted_keys.end(),
                       [&](const PublicKey& k) { return key == std::string(k.begin(), k.end()); });
  };
  if (presence.ParseFromArray(kvEntry_Value(entry), kvEntry_ValueLen(entry)) &&
      !presence.signing_public_key().empty() && !server.other_key_logged &&
      !known_key(presence.signing_public_key())) {
    // Its credentials do not verify here, nor this server's there: ids cannot move between
    // the two, and nodes pinned to one key refuse peers registered at the other.
    server.other_key_logged = true;
    spdlog::error(
        "signal: server {} ({}) signs with a key this server does not accept: give every server "
        "of the realm the same --signing-key-file (while rotating it, the other key as "
        "--accept-signing-key-file)",
        server_id, presence.listen_address());
  }
  Clock::time_point now = Clock::now();
  Clock::time_point seen = now;
  if (initial) {
    // Written before this server started: as old as NATS' timestamp says (clamped, as the
    // clocks of NATS and this host may differ).
    auto age = std::chrono::nanoseconds(std::clamp<int64_t>(
        unix_now_ns() - kvEntry_Created(entry), 0,
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.server_timeout).count()));
    seen = now - std::chrono::duration_cast<Clock::duration>(age);
  }
  server.last_seen = seen;
  set_alive(server_id, server, now - seen < options_.server_timeout);
}

void NatsCluster::watch(bool presence) {
  uint64_t reconnections = nats_->reconnections();
  bool rewatch_needed = false;
  kvWatcher* watcher = presence ? presence_watcher_.get() : live_watcher_.get();
  while (watching_) {
    if (nats_->reconnections() != reconnections) {
      reconnections = nats_->reconnections();
      rewatch_needed = true;
    }
    if (rewatch_needed && nats_->connected()) {
      if (auto done = rewatch(presence); done) {
        rewatch_needed = false;
        std::lock_guard lock(watchers_mu_);
        watcher = presence ? presence_watcher_.get() : live_watcher_.get();
      } else if (watching_) {
        spdlog::warn("signal: watching {} again failed: {} (retried)",
                     presence ? kServersBucket : kLiveBucket, done.error().message);
        std::this_thread::sleep_for(std::chrono::milliseconds(kWatchPollMs));
        continue;
      }
    }
    kvEntry* raw = nullptr;
    natsStatus s = kvWatcher_Next(&raw, watcher, kWatchPollMs);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) {
      if (!watching_) break;
      // A lost connection: watched afresh once libnats reconnects.
      std::this_thread::sleep_for(std::chrono::milliseconds(kWatchPollMs));
      continue;
    }
    if (!raw) continue;  // end of a snapshot
    KvEntryPtr entry(raw);
    if (presence) {
      on_presence_entry(entry.get(), false);
    } else {
      on_live_entry(entry.get());
    }
  }
}

actr::Result<void> NatsCluster::ensure_bucket(bool presence) {
  kvConfig config =
      presence ? presence_bucket_config(options_.server_timeout) : live_bucket_config();
  ACTR_TRY(KvStorePtr bound, nats_->open_bucket(config));
  // The handle names the bucket; the one in use stays valid for the bucket created again.
  return {};
}

actr::Result<void> NatsCluster::rewatch(bool presence) {
  ACTR_TRY_VOID(ensure_bucket(presence));
  kvWatchOptions watch_options;
  kvWatchOptions_Init(&watch_options);
  kvWatcher* created = nullptr;
  natsStatus s = kvStore_WatchAll(&created, presence ? servers_bucket_.get() : live_.get(),
                                  &watch_options);
  if (s != NATS_OK) {
    return nats_failure(s, std::string("watching ") + (presence ? kServersBucket : kLiveBucket));
  }
  KvWatcherPtr fresh(created);
  if (presence) {
    ACTR_TRY_VOID(read_snapshot(fresh.get(), nats_->timeout(),
                                [this](kvEntry* e) { on_presence_entry(e, true); }));
  } else {
    // What the snapshot holds is the truth: entries missing from it were deleted meanwhile.
    std::set<std::string> seen;
    ACTR_TRY_VOID(read_snapshot(fresh.get(), nats_->timeout(), [&](kvEntry* e) {
      seen.insert(kvEntry_Key(e));
      on_live_entry(e);
    }));
    std::lock_guard lock(mu_);
    for (auto it = own_keys_.begin(); it != own_keys_.end();) {
      it = seen.count(live_key(*it)) ? std::next(it) : own_keys_.erase(it);
    }
    for (auto& [server_id, server] : others_) {
      for (auto it = server.actors.begin(); it != server.actors.end();) {
        std::string name = server_id + "." + registration_key(it->first.first, it->first.second);
        if (seen.count(name)) {
          ++it;
          continue;
        }
        if (server.alive) events_.actor_down(server_id, it->first.first, it->first.second);
        it = server.actors.erase(it);
      }
    }
  }
  spdlog::info("signal: watching {} again after NATS reconnected",
               presence ? kServersBucket : kLiveBucket);
  std::lock_guard lock(watchers_mu_);
  if (!watching_) return {};  // stop() ran meanwhile: `fresh` goes with this call
  KvWatcherPtr& current = presence ? presence_watcher_ : live_watcher_;
  kvWatcher_Stop(current.get());
  current = std::move(fresh);
  return {};
}

void NatsCluster::run_writer() {
  // Server timeouts are checked four times per timeout, presence written once per heartbeat.
  auto check_period =
      std::min<Clock::duration>(options_.heartbeat_interval, options_.server_timeout / 4);
  Clock::time_point next_check = Clock::now() + check_period;
  Clock::time_point next_presence = Clock::now() + options_.heartbeat_interval;
  while (true) {
    std::deque<ActorKey> batch;
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, std::min(next_check, next_presence),
                       [this] { return stopping_ || !pending_.empty(); });
      batch.swap(pending_);
      stop = stopping_;
    }
    for (const ActorKey& key : batch) write(key);
    if (stop) break;
    Clock::time_point now = Clock::now();
    if (now >= next_presence) {
      write_presence();
      next_presence = now + options_.heartbeat_interval;
    }
    if (now >= next_check) {
      expire_servers();
      next_check = now + check_period;
    }
  }
}

void NatsCluster::write(const ActorKey& key) {
  std::optional<std::string> value;
  {
    std::lock_guard lock(mu_);
    if (auto it = local_.find(key); it != local_.end()) value = encode_registration(it->second);
  }
  std::string name = live_key(key);
  natsStatus s = NATS_CONNECTION_DISCONNECTED;
  uint64_t revision = 0;
  if (nats_->connected()) {
    s = value ? kvStore_Put(&revision, live_.get(), name.c_str(), value->data(),
                            static_cast<int>(value->size()))
              : kvStore_Delete(live_.get(), name.c_str());
  }
  if (s == NATS_OK && value) events_.written(key.first, key.second, revision);
  if (s != NATS_OK) {
    spdlog::warn("signal: cannot {} {} in {}: {} (rewritten once NATS answers)",
                 value ? "write" : "delete", name, kLiveBucket, natsStatus_GetText(s));
    std::lock_guard lock(mu_);
    resync_needed_ = true;
  }
}

void NatsCluster::write_presence() {
  if (!nats_->connected()) return;
  proto::ServerPresence presence;
  presence.set_listen_address(options_.listen_address);
  presence.set_started_at(started_at_);
  presence.set_signing_public_key(
      std::string(options_.signing_key.begin(), options_.signing_key.end()));
  std::string value = presence.SerializeAsString();
  auto put = [&] {
    return kvStore_Put(nullptr, servers_bucket_.get(), options_.server_id.c_str(), value.data(),
                       static_cast<int>(value.size()));
  };
  natsStatus s = put();
  if (s != NATS_OK && nats_->connected()) {
    // A restarted NATS has lost the bucket (it is in memory): create it again.
    if (auto created = ensure_bucket(true); created) s = put();
  }
  if (s != NATS_OK) {
    spdlog::warn("signal: cannot announce this server in {}: {}", kServersBucket,
                 natsStatus_GetText(s));
  }
}

void NatsCluster::expire_servers() {
  bool resync_now = false;
  {
    std::lock_guard lock(mu_);
    if (!nats_->connected()) {
      // Cut off from NATS, this server cannot tell whether the others still run: it keeps what
      // it knew, and gives each a fresh timeout once it hears from NATS again.
      was_disconnected_ = true;
      return;
    }
    Clock::time_point now = Clock::now();
    if (uint64_t seen = nats_->reconnections(); seen != reconnections_seen_) {
      // Reconnected (perhaps to a restarted NATS) since the last check, however briefly.
      reconnections_seen_ = seen;
      was_disconnected_ = true;
    }
    if (was_disconnected_) {
      was_disconnected_ = false;
      resync_needed_ = true;
      for (auto& [id, server] : others_) {
        server.last_seen = now;
        server.absent_since = now;  // nor does it purge anyone before a whole timeout
      }
    }
    for (auto& [id, server] : others_) {
      if (server.alive && now - server.last_seen > options_.server_timeout) {
        set_alive(id, server, false);
      }
    }
    resync_now = resync_needed_;
  }
  if (resync_now) resync();
  purge_gone_servers();
}

void NatsCluster::purge_gone_servers() {
  std::vector<std::string> doomed;
  {
    std::lock_guard lock(mu_);
    if (!nats_->connected()) return;
    Clock::time_point now = Clock::now();
    for (const auto& [id, server] : others_) {
      if (server.alive && id < options_.server_id) return;  // that one purges
    }
    for (const auto& [id, server] : others_) {
      if (server.alive || server.actors.empty() ||
          now - server.absent_since < options_.server_timeout) {
        continue;
      }
      spdlog::info("signal: deleting the {} live entries of server {}, gone for good",
                   server.actors.size(), id);
      for (const auto& [key, entry] : server.actors) {
        doomed.push_back(id + "." + registration_key(key.first, key.second));
      }
    }
  }
  // The watcher removes them from others_ as it reads the deletions.
  for (const std::string& name : doomed) {
    if (natsStatus s = kvStore_Delete(live_.get(), name.c_str()); s != NATS_OK) {
      spdlog::warn("signal: cannot delete {} in {}: {}", name, kLiveBucket, natsStatus_GetText(s));
      return;  // tried again at the next check
    }
  }
}

void NatsCluster::resync() {
  // After a NATS restart that lost the store, the bucket is created again (empty) first.
  if (nats_->connected()) (void)ensure_bucket(false);
  std::vector<ActorKey> keys;
  {
    std::lock_guard lock(mu_);
    resync_needed_ = false;
    for (const auto& [key, registration] : local_) keys.push_back(key);
    for (const ActorKey& key : own_keys_) {
      if (!local_.count(key)) keys.push_back(key);
    }
  }
  for (const ActorKey& key : keys) write(key);
}

}  // namespace actr::signaling::server
