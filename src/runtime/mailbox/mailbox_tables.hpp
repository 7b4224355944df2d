// The SQL operations of the mailbox store on an open connection, each meant to run inside the
// writer's current transaction. Failures of SQLite itself carry code kMailboxStorage (the writer
// then rolls the whole batch back); other codes are answers about this one operation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "common/sqlite.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace actr::runtime {

class MailboxTables {
 public:
  // Prepares every statement (the schema must exist).
  static Result<MailboxTables> prepare(sqlite::Connection& db);

  Result<void> begin();
  Result<void> commit();
  void rollback();

  Result<AppendOutcome> append(const StoredMessage& message, int64_t now_ms, int64_t ttl_ms);
  Result<void> complete(int64_t id, int64_t now_ms, int64_t ttl_ms);
  Result<uint32_t> record_failure(int64_t id);
  Result<int64_t> move_to_dead_letters(int64_t id, const std::string& reason, int64_t now_ms);
  Result<StoredMessage> replay(int64_t dead_letter_id, int64_t now_ms);
  Result<std::vector<StoredMessage>> pending(std::string_view mailbox);
  Result<std::vector<std::string>> mailboxes_with_pending();
  Result<std::vector<DeadLetter>> dead_letters(const std::optional<std::string>& mailbox);
  // Forgets completed request ids older than the TTL.
  Result<void> prune_completed(int64_t now_ms, int64_t ttl_ms);
  // PRAGMA data_version: changes when another connection commits.
  Result<int64_t> data_version();

 private:
  explicit MailboxTables(sqlite::Connection& db) : db_(&db) {}
  sqlite::Connection* db_;
  sqlite::Statement begin_, commit_, rollback_;
  sqlite::Statement completed_recently_, dead_letter_exists_, insert_, queued_id_;
  sqlite::Statement delete_returning_, remember_completed_, increment_attempts_;
  sqlite::Statement insert_dead_letter_, find_dead_letter_, delete_dead_letter_;
  sqlite::Statement pending_, mailboxes_, dead_letters_, prune_, data_version_;
};

}  // namespace actr::runtime
