#include "signaling/server/nats_registry_store.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <string>

#include "signaling/server/registration_record.hpp"

namespace actr::signaling::server {

namespace {

// Compare-and-set rounds before a reservation gives up: each lost round means another server
// reserved a block meanwhile, so this many in a row only happens under a flood of reservations.
constexpr int kReserveAttempts = 64;

}  // namespace

NatsRegistryStore::NatsRegistryStore(std::shared_ptr<NatsConnection> nats, KvStorePtr registrations,
                                     KvStorePtr serials, uint64_t serial_block_size)
    : nats_(std::move(nats)),
      registrations_(std::move(registrations)),
      serials_(std::move(serials)),
      serial_block_size_(serial_block_size) {}

actr::Result<std::unique_ptr<NatsRegistryStore>> NatsRegistryStore::open(
    std::shared_ptr<NatsConnection> nats, uint64_t serial_block_size) {
  if (serial_block_size == 0) return actr::make_error("registry: serial block size must be > 0");
  kvConfig config;
  kvConfig_Init(&config);
  config.Bucket = kRegistrationsBucket;
  config.Description = "actr signaling: registrations by REALM.SERIAL";
  config.History = 1;
  config.StorageType = js_FileStorage;
  ACTR_TRY(KvStorePtr registrations, nats->open_bucket(config));
  config.Bucket = kSerialsBucket;
  config.Description = "actr signaling: end of the last reserved serial block by REALM";
  ACTR_TRY(KvStorePtr serials, nats->open_bucket(config));
  return std::unique_ptr<NatsRegistryStore>(new NatsRegistryStore(
      std::move(nats), std::move(registrations), std::move(serials), serial_block_size));
}

actr::Result<void> NatsRegistryStore::check_connected(std::string_view what) const {
  if (!nats_->connected()) return nats_failure(NATS_CONNECTION_DISCONNECTED, what);
  return {};
}

actr::Result<NatsRegistryStore::SerialBlock> NatsRegistryStore::reserve_block(uint32_t realm) {
  std::string key = std::to_string(realm);
  for (int attempt = 0; attempt < kReserveAttempts; ++attempt) {
    ACTR_TRY_VOID(check_connected("reserving serials"));
    kvEntry* raw = nullptr;
    natsStatus s = kvStore_Get(&raw, serials_.get(), key.c_str());
    KvEntryPtr entry(raw);
    uint64_t start = 1;
    uint64_t revision = 0;  // 0: the realm has no counter yet
    if (s == NATS_OK) {
      std::string_view text(static_cast<const char*>(kvEntry_Value(entry.get())),
                            static_cast<size_t>(kvEntry_ValueLen(entry.get())));
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), start);
      if (ec != std::errc{} || end != text.data() + text.size() || start == 0) {
        return actr::make_error("registry: the serial counter of realm " + key + " is damaged");
      }
      revision = kvEntry_Revision(entry.get());
    } else if (s != NATS_NOT_FOUND) {
      return nats_failure(s, "reading the serial counter of realm " + key);
    }
    std::string next = std::to_string(start + serial_block_size_);
    uint64_t written = 0;
    s = revision == 0
            ? kvStore_CreateString(&written, serials_.get(), key.c_str(), next.c_str())
            : kvStore_UpdateString(&written, serials_.get(), key.c_str(), next.c_str(), revision);
    if (s == NATS_OK) return SerialBlock{start, start + serial_block_size_};
    // The usual failure is a lost race (the revision moved on): read again. A connection
    // failure shows on the next round's check.
    spdlog::debug("signal: serial block of realm {} taken by another server ({}); retrying", key,
                  natsStatus_GetText(s));
  }
  return nats_failure(NATS_TIMEOUT, "reserving serials of realm " + key + ": " +
                                        std::to_string(kReserveAttempts) +
                                        " compare-and-set rounds lost in a row");
}

actr::Result<uint64_t> NatsRegistryStore::allocate_serial(uint32_t realm) {
  // A serial handed out while the registration cannot be stored would be lost to the realm.
  ACTR_TRY_VOID(check_connected("allocating a serial"));
  SerialBlock& block = blocks_[realm];
  if (block.next == block.end) {
    ACTR_TRY(block, reserve_block(realm));
  }
  return block.next++;
}

actr::Result<void> NatsRegistryStore::put(const StoredRegistration& registration) {
  ACTR_TRY_VOID(check_connected("storing a registration"));
  std::string key = registration_key(registration.id.realm.realm_id, registration.id.serial_number);
  std::string value = encode_registration(registration);
  natsStatus s = kvStore_Put(nullptr, registrations_.get(), key.c_str(), value.data(),
                             static_cast<int>(value.size()));
  if (s != NATS_OK) return nats_failure(s, "storing registration " + key);
  return {};
}

actr::Result<void> NatsRegistryStore::remove(uint32_t realm, uint64_t serial) {
  ACTR_TRY_VOID(check_connected("forgetting a registration"));
  std::string key = registration_key(realm, serial);
  natsStatus s = kvStore_Delete(registrations_.get(), key.c_str());
  if (s != NATS_OK) return nats_failure(s, "forgetting registration " + key);
  return {};
}

actr::Result<std::optional<StoredRegistration>> NatsRegistryStore::find(uint32_t realm,
                                                                        uint64_t serial) {
  ACTR_TRY_VOID(check_connected("reading a registration"));
  std::string key = registration_key(realm, serial);
  kvEntry* raw = nullptr;
  natsStatus s = kvStore_Get(&raw, registrations_.get(), key.c_str());
  KvEntryPtr entry(raw);
  if (s == NATS_NOT_FOUND) return std::optional<StoredRegistration>();
  if (s != NATS_OK) return nats_failure(s, "reading registration " + key);
  ACTR_TRY(StoredRegistration r,
           decode_registration(kvEntry_Value(entry.get()), kvEntry_ValueLen(entry.get())));
  return std::optional<StoredRegistration>(std::move(r));
}

actr::Result<std::vector<StoredRegistration>> NatsRegistryStore::all() {
  ACTR_TRY_VOID(check_connected("reading the registrations"));
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  options.IgnoreDeletes = true;
  kvWatcher* raw = nullptr;
  natsStatus s = kvStore_WatchAll(&raw, registrations_.get(), &options);
  KvWatcherPtr watcher(raw);
  if (s != NATS_OK) return nats_failure(s, "reading the registrations");
  std::vector<StoredRegistration> out;
  auto timeout = static_cast<int64_t>(nats_->timeout().count());
  while (true) {
    kvEntry* next = nullptr;
    s = kvWatcher_Next(&next, watcher.get(), timeout);
    if (s != NATS_OK) return nats_failure(s, "reading the registrations");
    if (!next) break;  // the current values are all delivered
    KvEntryPtr entry(next);
    ACTR_TRY(StoredRegistration r,
             decode_registration(kvEntry_Value(entry.get()), kvEntry_ValueLen(entry.get())));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace actr::signaling::server
