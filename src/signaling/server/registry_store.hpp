// RegistryStore: what the signaling server keeps beyond a connection: the registrations (so an
// actor that comes back keeps its serial) and the realms' serial counters (a serial is never
// handed out twice). Two implementations:
// - SqliteRegistryStore: one server, one SQLite file in its data directory (the default).
// - NatsRegistryStore: several servers of a realm sharing NATS JetStream key-value buckets
//   (`actr signal --nats`), so an actor registered at one may come back at another.
//
// Failures: a store that cannot reach its storage says so with an error of category
// SignalingRefused and code proto::Error::UNAVAILABLE (the registry passes it on to the node);
// any other error is an internal failure.
//
// Not thread-safe: the server uses it from its one I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actr/common/result.hpp"
#include "signaling/acl_proto.hpp"
#include "signaling/ids.hpp"

namespace actr::signaling::server {

// Serials reserved at a time (one durable write per block, the rest handed out from memory). A
// restart skips at most this many serials per realm (and, with several servers, per server).
inline constexpr uint64_t kSerialBlockSize = 1000;

using ActorKey = std::pair<uint32_t, uint64_t>;  // (realm, serial)

struct StoredRegistration {
  ActrId id;
  std::string advertised_address;
  Acl acl;
  int64_t registered_at = 0;  // unix seconds
};

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // The next serial of `realm`, starting at 1; unique in the realm for the store's lifetime.
  virtual actr::Result<uint64_t> allocate_serial(uint32_t realm) = 0;

  // Inserts or replaces the registration of id (realm, serial).
  virtual actr::Result<void> put(const StoredRegistration& registration) = 0;
  virtual actr::Result<void> remove(uint32_t realm, uint64_t serial) = 0;
  virtual actr::Result<std::optional<StoredRegistration>> find(uint32_t realm, uint64_t serial) = 0;
  virtual actr::Result<std::vector<StoredRegistration>> all() = 0;

  // Group commit: put/remove calls up to commit_batch() may share one durable write. A store
  // whose writes are each durable at once needs none of this and keeps these defaults.
  virtual actr::Result<void> begin_batch() { return {}; }
  virtual actr::Result<void> commit_batch() { return {}; }
  virtual bool batch_open() const { return false; }
};

}  // namespace actr::signaling::server
