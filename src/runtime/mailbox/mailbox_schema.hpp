// Opening the mailbox database: WAL set-up, schema creation and the checks that turn a foreign,
// damaged or newer file into a clear Error before any message is read from it.
#pragma once

#include "actr/common/result.hpp"
#include "common/sqlite.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace actr::runtime {

// The schema this build writes (PRAGMA user_version). Older versions are migrated on open;
// newer ones are refused.
inline constexpr int kMailboxSchemaVersion = 1;
// PRAGMA application_id of mailbox databases ("actr"), so other SQLite files are recognised.
inline constexpr int32_t kMailboxApplicationId = 0x61637472;

Result<sqlite::Connection> open_mailbox_database(const MailboxStoreOptions& options);

}  // namespace actr::runtime
