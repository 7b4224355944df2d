// NatsCluster: the link between the signaling servers of a realm (ClusterLink), over NATS.
// Each server keeps serving its own connections from memory; through NATS it learns which actors
// are connected to the others, whether those servers are still running, and hands relays to
// them (docs/NETWORK.md "Several signaling servers").
//
// - Bucket actr_live: key SERVER.REALM.SERIAL -> RegistrationRecord while that actor is connected
//   to SERVER. A server writes and deletes only its own keys (from its own thread, queued by
//   actor_up/actor_down, so the I/O thread never waits for NATS), and on start deletes those it
//   left behind when it stopped or died. Every server watches the whole bucket. When one id is
//   live at two servers (a node registered again elsewhere before its old connection was
//   noticed gone), the entry with the higher revision (written later) wins everywhere, and the
//   losing server drops its connection's hold on the id.
// - Bucket actr_servers: key SERVER -> ServerPresence, rewritten every heartbeat interval (the
//   bucket's MaxAge, the server timeout, clears what dead servers left). A server is alive while
//   its presence was seen within the server timeout (3 heartbeats by default); when it is not,
//   every other server drops its actors (down events to subscribers) and takes them back if it
//   returns. A server that stops cleanly deletes its presence: the others drop its actors at once.
// - Subject actr.relay.SERVER: relays (RelayDelivery envelopes) for actors connected to SERVER.
//
// While this server's own NATS connection is down, no other server is declared gone (it cannot
// tell) and discovery keeps answering from what it knew; its own up/down writes are redone
// (the whole set of its live actors) once the connection returns.
//
// Threads: a writer (queued writes, presence, server timeouts) and one watcher per bucket. The
// events are called from those threads (and libnats' for relays); the server posts them to its
// I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "signaling/credential.hpp"
#include "signaling/server/cluster_link.hpp"
#include "signaling/server/nats_connection.hpp"

namespace actr::signaling::server {

inline constexpr const char* kLiveBucket = "actr_live";
inline constexpr const char* kServersBucket = "actr_servers";
inline constexpr const char* kRelaySubjectPrefix = "actr.relay.";

// What the other servers did, for Registry::remote_up / remote_down / deliver_relay, and when
// this server's own entries were written (Registry::live_written). `revision`: the entry's
// position in actr_live, which orders registrations of one id at different servers.
struct ClusterEvents {
  std::function<void(const std::string& server_id, const StoredRegistration&, uint64_t revision)>
      actor_up;
  std::function<void(const std::string& server_id, uint32_t realm, uint64_t serial)> actor_down;
  std::function<void(proto::Envelope delivery)> relay;
  std::function<void(uint32_t realm, uint64_t serial, uint64_t revision)> written;
};

class NatsCluster final : public ClusterLink {
 public:
  struct Options {
    std::string server_id;       // server_id.hpp
    std::string listen_address;  // told to the other servers (ServerPresence)
    std::chrono::milliseconds heartbeat_interval{10000};  // presence is rewritten this often
    std::chrono::milliseconds server_timeout{30000};      // a silent server is gone after this
    PublicKey signing_key{};  // announced, so a server with another key is noticed
    std::vector<PublicKey> accepted_keys;  // other keys of the realm accepted here (rotation)
  };

  // Opens the buckets, reads what the other servers hold, withdraws what this server left behind,
  // announces it, and starts the threads. Events for the other servers' actors may come at once.
  static actr::Result<std::unique_ptr<NatsCluster>> start(std::shared_ptr<NatsConnection> nats,
                                                          Options options, ClusterEvents events);
  ~NatsCluster() override;
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // Writes what is queued, withdraws this server's presence and ends the threads. Idempotent.
  void stop();

  void actor_up(const StoredRegistration& registration) override;
  void actor_down(uint32_t realm, uint64_t serial) override;
  void forward_relay(const std::string& server_id, const proto::Envelope& delivery) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct LiveEntry {
    StoredRegistration registration;
    uint64_t revision = 0;
  };
  struct OtherServer {
    bool alive = false;
    Clock::time_point last_seen{};
    // Since when it is known not to run (or since this server started or reconnected to NATS).
    Clock::time_point absent_since = Clock::now();
    std::map<ActorKey, LiveEntry> actors;  // its keys in actr_live
    bool other_key_logged = false;
  };

  NatsCluster(std::shared_ptr<NatsConnection> nats, Options options, ClusterEvents events);
  std::string live_key(const ActorKey& key) const;
  void on_live_entry(kvEntry* entry);
  // `initial`: from the snapshot read at start, whose age tells how long ago it was written.
  void on_presence_entry(kvEntry* entry, bool initial);
  void set_alive(const std::string& server_id, OtherServer& server, bool alive);  // mu_ held
  // A watcher thread: hands entries on, and after NATS reconnected (it may have restarted and lost
  // the consumer, or the whole bucket when it is in memory) watches afresh and reconciles.
  void watch(bool presence);
  // Binds the bucket again, creating it when NATS lost it (a restart loses memory buckets).
  actr::Result<void> ensure_bucket(bool presence);
  // Replaces the watcher of the bucket with a new one and reads its snapshot: entries not in it
  // are gone (their actors go down), entries in it that changed are taken.
  actr::Result<void> rewatch(bool presence);
  void run_writer();
  void write(const ActorKey& key);
  void write_presence();
  void expire_servers();
  // Deletes the live entries of servers gone for longer than the server timeout, when this
  // server is the one of the running servers with the smallest id (one purges, not all).
  void purge_gone_servers();
  void resync();
  static void on_relay_message(natsConnection*, natsSubscription*, natsMsg* msg, void* self);

  std::shared_ptr<NatsConnection> nats_;
  Options options_;
  ClusterEvents events_;
  int64_t started_at_ = 0;
  KvStorePtr live_;
  KvStorePtr servers_bucket_;
  std::mutex watchers_mu_;  // guards the two watchers' replacement against stop()
  KvWatcherPtr live_watcher_;
  KvWatcherPtr presence_watcher_;
  NatsSubscriptionPtr relay_subscription_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::map<ActorKey, StoredRegistration> local_;  // this server's live actors: the truth
  std::set<ActorKey> own_keys_;                   // this server's keys in actr_live, as watched
  std::deque<ActorKey> pending_;                  // local_ changes not yet written
  bool resync_needed_ = false;  // a write failed: rewrite local_ and drop stray own keys
  bool was_disconnected_ = false;
  uint64_t reconnections_seen_ = 0;  // writer thread: NatsConnection::reconnections() last seen
  std::map<std::string, OtherServer> others_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<bool> watching_{true};

  std::thread writer_;
  std::thread live_thread_;
  std::thread presence_thread_;
};

}  // namespace actr::signaling::server
