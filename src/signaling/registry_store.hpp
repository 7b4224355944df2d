// RegistryStore: the signaling server's durable state in one SQLite file: the registrations
// (so a restarted server still knows the ids nodes ask to keep), one serial counter per realm
// (serials are never reused, even across restarts) and the Ed25519 signing key (stable across
// restarts, so credentials issued before a restart still verify). The file is created with mode
// 0600 because it holds the secret key.
//
// Not thread-safe: the server uses it from its one I/O thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "signaling/acl.hpp"
#include "signaling/credential.hpp"
#include "signaling/ids.hpp"

namespace actr::signaling {

// The database's file name inside the server's data directory.
inline constexpr const char* kRegistryFileName = "signaling.db";

struct StoredRegistration {
  ActrId id;
  std::string advertised_address;
  Acl acl;
  int64_t registered_at = 0;  // unix seconds
};

class RegistryStore {
 public:
  static actr::Result<RegistryStore> open(const std::filesystem::path& file);
  RegistryStore(RegistryStore&&) noexcept;
  RegistryStore& operator=(RegistryStore&&) noexcept;
  ~RegistryStore();

  // The server's signing key: the stored one, or a fresh one stored on first use.
  actr::Result<CredentialIssuer> signing_key();

  // The next serial of `realm`, starting at 1; the counter is committed before it is returned.
  actr::Result<uint64_t> allocate_serial(uint32_t realm);

  // Inserts or replaces the registration of id (realm, serial).
  actr::Result<void> put(const StoredRegistration& registration);
  actr::Result<void> remove(uint32_t realm, uint64_t serial);
  actr::Result<std::optional<StoredRegistration>> find(uint32_t realm, uint64_t serial);
  actr::Result<std::vector<StoredRegistration>> all();

 private:
  struct Impl;
  explicit RegistryStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace actr::signaling
