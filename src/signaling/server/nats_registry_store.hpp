// NatsRegistryStore: the registry store of several signaling servers sharing a realm, in NATS
// JetStream key-value buckets, so an actor registered at one server may keep its serial at any
// other and no two servers ever hand out the same serial.
//
// - actr_registrations: key REALM.SERIAL -> RegistrationRecord (proto/signaling_state.proto).
//   Last writer wins: only the node holding an id's credential writes its registration.
// - actr_serials: key REALM -> the end of the last reserved serial block (decimal). A server
//   reserves a block by compare-and-set on the key's revision (kvStore_Update with the revision
//   it read; kvStore_Create for a realm's first block), retried when another server won the
//   race, and hands the block's serials out from memory. A server that stops or dies skips the
//   rest of its block; no serial is handed out twice.
//
// Every call is one or two requests to NATS, each limited by NatsConnection's timeout. While
// NATS is unreachable they fail at once with UNAVAILABLE (registry_store.hpp).
//
// Not thread-safe: the server uses it from its one I/O thread.
#pragma once

#include <memory>
#include <unordered_map>

#include "signaling/server/nats_connection.hpp"
#include "signaling/server/registry_store.hpp"

namespace actr::signaling::server {

inline constexpr const char* kRegistrationsBucket = "actr_registrations";
inline constexpr const char* kSerialsBucket = "actr_serials";

class NatsRegistryStore final : public RegistryStore {
 public:
  // Binds (or creates) both buckets.
  static actr::Result<std::unique_ptr<NatsRegistryStore>> open(
      std::shared_ptr<NatsConnection> nats, uint64_t serial_block_size = kSerialBlockSize);

  actr::Result<uint64_t> allocate_serial(uint32_t realm) override;
  actr::Result<void> put(const StoredRegistration& registration) override;
  actr::Result<void> remove(uint32_t realm, uint64_t serial) override;
  actr::Result<std::optional<StoredRegistration>> find(uint32_t realm, uint64_t serial) override;
  actr::Result<std::vector<StoredRegistration>> all() override;

 private:
  struct SerialBlock {  // reserved and not yet handed out: [next, end)
    uint64_t next = 0;
    uint64_t end = 0;
  };

  NatsRegistryStore(std::shared_ptr<NatsConnection> nats, KvStorePtr registrations,
                    KvStorePtr serials, uint64_t serial_block_size);
  actr::Result<void> check_connected(std::string_view what) const;
  actr::Result<SerialBlock> reserve_block(uint32_t realm);

  std::shared_ptr<NatsConnection> nats_;
  KvStorePtr registrations_;
  KvStorePtr serials_;
  uint64_t serial_block_size_;
  std::unordered_map<uint32_t, SerialBlock> blocks_;
};

}  // namespace actr::signaling::server
