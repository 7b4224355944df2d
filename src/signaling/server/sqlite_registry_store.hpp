// SqliteRegistryStore: a single signaling server's durable state in one SQLite file: the
// registrations (so a restarted server still knows the ids nodes ask to keep), the serial counters
// of the realms (serials are never reused, even across a crash or power loss) and the Ed25519
// signing key (stable across restarts, so credentials issued before a restart still verify). The
// file is created with mode 0600 because it holds the secret key.
//
// Durability differs by what is at stake:
// - Serials come from blocks reserved with one synced commit (synchronous=FULL) and are handed
//   out from memory. The stored counter is the end of the last reserved block, so a restart,
//   crash or power loss skips the unused rest of a block and never hands a serial out twice.
// - The signing key is written with a synced commit.
// - Registration rows (put/remove) are committed with synchronous=NORMAL: the commit reaches the
//   WAL (a killed process loses nothing committed) but is synced only by the next serial block,
//   checkpoint or the kernel's writeback. A power loss may forget the last rows. That costs the
//   affected nodes their ids (they re-register and get fresh serials), never uniqueness; see
//   docs/DESIGN.md. Between begin_batch() and commit_batch() the writes share one transaction,
//   which a killed process loses as a whole.
//
// Not thread-safe: the server uses it from its one I/O thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "signaling/credential.hpp"
#include "signaling/server/registry_store.hpp"

namespace actr::signaling::server {

// The database's file name inside the server's data directory.
inline constexpr const char* kRegistryFileName = "signaling.db";

class SqliteRegistryStore final : public RegistryStore {
 public:
  // `serial_block_size`: serials reserved per synced commit.
  static actr::Result<SqliteRegistryStore> open(const std::filesystem::path& file,
                                                uint64_t serial_block_size = kSerialBlockSize);
  SqliteRegistryStore(SqliteRegistryStore&&) noexcept;
  SqliteRegistryStore& operator=(SqliteRegistryStore&&) noexcept;
  // Commits an open batch.
  ~SqliteRegistryStore() override;

  // The server's signing key: the stored one, or a fresh one stored (synced) on first use.
  actr::Result<CredentialIssuer> signing_key();

  // The next serial of `realm`, starting at 1. When the realm's reserved block is used up, the
  // next block is reserved with a synced commit first (an open batch is committed before it).
  actr::Result<uint64_t> allocate_serial(uint32_t realm) override;

  actr::Result<void> put(const StoredRegistration& registration) override;
  actr::Result<void> remove(uint32_t realm, uint64_t serial) override;
  // Reads see the writes of an open batch.
  actr::Result<std::optional<StoredRegistration>> find(uint32_t realm, uint64_t serial) override;
  actr::Result<std::vector<StoredRegistration>> all() override;

  // Group commit: put/remove calls up to commit_batch() share one transaction. begin_batch() is
  // a no-op while a batch is open.
  actr::Result<void> begin_batch() override;
  actr::Result<void> commit_batch() override;
  bool batch_open() const override;

 private:
  struct Impl;
  explicit SqliteRegistryStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace actr::signaling::server
