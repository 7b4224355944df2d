// The ids a node's actors were given by the signaling server, kept in `<data_dir>/identities` so
// that a restarted node (also after kill -9) registers them again with the same serial numbers:
// callers holding an id reach the same actor, and its durable mailbox stays its own.
//
// One line per actor instance: "MAILBOX_KEY SERIAL CREDENTIAL_HEX". Written atomically (a
// temporary file renamed over the old one), readable by the owner only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "actr/common/result.hpp"

namespace actr::runtime {

struct StoredIdentity {
  uint64_t serial = 0;
  std::string credential;  // the last credential the server signed for it
  bool operator==(const StoredIdentity&) const = default;
};

using StoredIdentities = std::map<std::string, StoredIdentity>;  // by mailbox key

// A missing file is an empty map; an unreadable line is an error naming the line.
Result<StoredIdentities> load_identities(const std::filesystem::path& file);
Result<void> save_identities(const std::filesystem::path& file, const StoredIdentities& ids);

}  // namespace actr::runtime
