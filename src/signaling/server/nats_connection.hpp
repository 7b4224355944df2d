// NatsConnection: a signaling server's connection to the NATS servers that hold the state it
// shares with the other servers of its realm, with its JetStream context and the key-value
// buckets on it (docs/NETWORK.md "Several signaling servers").
//
// libnats reconnects by itself (forever, every 500 ms, to any of the URLs). While it is
// disconnected, connected() is false: callers fail at once (UNAVAILABLE) instead of making the
// server's I/O thread wait out a request timeout per registration.
//
// Thread-safe (libnats connections and buckets are), shared by the store and the cluster link.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::signaling::server {

struct KvStoreDeleter {
  void operator()(kvStore* kv) const { kvStore_Destroy(kv); }
};
struct KvEntryDeleter {
  void operator()(kvEntry* e) const { kvEntry_Destroy(e); }
};
struct KvWatcherDeleter {
  void operator()(kvWatcher* w) const { kvWatcher_Destroy(w); }
};
struct NatsSubscriptionDeleter {
  void operator()(natsSubscription* s) const { natsSubscription_Destroy(s); }
};
using KvStorePtr = std::unique_ptr<kvStore, KvStoreDeleter>;
using KvEntryPtr = std::unique_ptr<kvEntry, KvEntryDeleter>;
using KvWatcherPtr = std::unique_ptr<kvWatcher, KvWatcherDeleter>;
using NatsSubscriptionPtr = std::unique_ptr<natsSubscription, NatsSubscriptionDeleter>;

// A failed NATS call as an Error the registry passes on to nodes: category SignalingRefused,
// code UNAVAILABLE, naming `what` was attempted and libnats' reason.
actr::Error nats_failure(natsStatus status, std::string_view what);

class NatsConnection {
 public:
  struct Options {
    std::vector<std::string> urls;  // nats://HOST:PORT (user:password@ when NATS asks)
    // The limit of each request (connect, KV read or write, bucket lookup).
    std::chrono::milliseconds timeout{2000};
    std::string name;  // shown by NATS' monitoring
  };

  static actr::Result<std::shared_ptr<NatsConnection>> connect(Options options);
  ~NatsConnection();
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  bool connected() const;
  // How often libnats has connected again after losing the connection (a NATS restart among
  // them): a caller that sees it change re-creates what NATS may have lost (watchers, buckets in
  // memory).
  uint64_t reconnections() const { return reconnections_.load(); }
  // Gives up on NATS for good (connected() stays false): what is still pending fails at once
  // rather than waiting out its timeout. The connection is released with the object.
  void close();
  natsConnection* connection() const { return connection_; }
  std::chrono::milliseconds timeout() const { return options_.timeout; }
  std::string urls() const;

  // Binds the bucket `config.Bucket`, creating it with `config` when it does not exist (an
  // operator may create it beforehand, e.g. with more replicas; its settings then stay).
  actr::Result<KvStorePtr> open_bucket(kvConfig config);

 private:
  explicit NatsConnection(Options options) : options_(std::move(options)) {}

  Options options_;
  std::atomic<uint64_t> reconnections_{0};
  natsConnection* connection_ = nullptr;
  jsCtx* jetstream_ = nullptr;
};

}  // namespace actr::signaling::server
