#include "runtime/mailbox/mailbox_tables.hpp"

#include <utility>

namespace actr::runtime {
namespace {

Error storage(Error e) {
  e.category = ErrorCategory::Mailbox;
  e.code = kMailboxStorage;
  return e;
}

// Wraps a Result so that an SQLite failure is tagged kMailboxStorage.
template <typename T>
Result<T> tagged(Result<T> r) {
  if (!r && r.error().is(ErrorCategory::None)) return storage(r.take_error());
  return r;
}

constexpr const char* kMessageColumns =
    "id, mailbox, lane, request_id, body, attempts, enqueued_at_ms";

Result<StoredMessage> read_message(const sqlite::Statement& s, int first) {
  StoredMessage m;
  m.id = s.column_int(first);
  m.mailbox = s.column_text(first + 1);
  int64_t lane = s.column_int(first + 2);
  if (lane != static_cast<int64_t>(Lane::Signal) && lane != static_cast<int64_t>(Lane::Reliable))
    return make_error(
        "message " + std::to_string(m.id) + " has an unknown lane " + std::to_string(lane),
        ErrorCategory::Mailbox, kMailboxBadDatabase);
  m.lane = static_cast<Lane>(lane);
  m.request_id = s.column_text(first + 3);
  m.body = s.column_blob(first + 4);
  m.attempts = static_cast<uint32_t>(s.column_int(first + 5));
  m.enqueued_at_ms = s.column_int(first + 6);
  return m;
}

}  // namespace

Result<MailboxTables> MailboxTables::prepare(sqlite::Connection& db) {
  MailboxTables t(db);
  std::string columns = kMessageColumns;
  struct Spec {
    sqlite::Statement* stmt;
    std::string sql;
  };
  const Spec specs[] = {
      {&t.begin_, "BEGIN IMMEDIATE"},
      {&t.commit_, "COMMIT"},
      {&t.rollback_, "ROLLBACK"},
      {&t.completed_recently_,
       "SELECT 1 FROM completed WHERE mailbox = ?1 AND request_id = ?2 AND completed_at_ms > ?3"},
      {&t.dead_letter_exists_,
       "SELECT 1 FROM dead_letters WHERE mailbox = ?1 AND request_id = ?2 LIMIT 1"},
      {&t.insert_,
       "INSERT INTO messages(mailbox, lane, request_id, body, attempts, enqueued_at_ms) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(mailbox, request_id) DO NOTHING"},
      {&t.queued_id_, "SELECT id FROM messages WHERE mailbox = ?1 AND request_id = ?2"},
      {&t.delete_returning_, "DELETE FROM messages WHERE id = ?1 RETURNING " + columns},
      {&t.remember_completed_,
       "INSERT OR REPLACE INTO completed(mailbox, request_id, completed_at_ms) "
       "VALUES(?1, ?2, ?3)"},
      {&t.increment_attempts_,
       "UPDATE messages SET attempts = attempts + 1 WHERE id = ?1 RETURNING attempts"},
      {&t.insert_dead_letter_,
       "INSERT INTO dead_letters(message_id, mailbox, lane, request_id, body, attempts, "
       "enqueued_at_ms, reason, dead_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&t.find_dead_letter_,
       "SELECT message_id, mailbox, lane, request_id, body, attempts, enqueued_at_ms, reason, "
       "dead_at_ms, id FROM dead_letters WHERE id = ?1"},
      {&t.delete_dead_letter_, "DELETE FROM dead_letters WHERE id = ?1"},
      {&t.pending_, "SELECT " + columns + " FROM messages WHERE mailbox = ?1 ORDER BY lane, id"},
      {&t.mailboxes_, "SELECT DISTINCT mailbox FROM messages ORDER BY mailbox"},
      {&t.dead_letters_,
       "SELECT message_id, mailbox, lane, request_id, body, attempts, enqueued_at_ms, reason, "
       "dead_at_ms, id FROM dead_letters WHERE ?1 = 0 OR mailbox = ?2 ORDER BY id"},
      {&t.prune_, "DELETE FROM completed WHERE completed_at_ms <= ?1"},
      {&t.data_version_, "PRAGMA data_version"},
  };
  for (const Spec& spec : specs) {
    auto stmt = db.prepare(spec.sql);
    if (!stmt) return storage(stmt.take_error());
    *spec.stmt = std::move(stmt).value();
  }
  return t;
}

Result<void> MailboxTables::begin() { return tagged(begin_.run()); }
Result<void> MailboxTables::commit() { return tagged(commit_.run()); }

void MailboxTables::rollback() {
  // After some failures (e.g. SQLITE_FULL) SQLite has already rolled back by itself.
  if (!sqlite3_get_autocommit(db_->handle())) (void)rollback_.run();
}

Result<AppendOutcome> MailboxTables::append(const StoredMessage& m, int64_t now_ms,
                                            int64_t ttl_ms) {
  if (ttl_ms > 0) {
    completed_recently_.reset();
    completed_recently_.bind(1, m.mailbox).bind(2, m.request_id).bind(3, now_ms - ttl_ms);
    ACTR_TRY(bool seen, tagged(completed_recently_.step()));
    completed_recently_.reset();
    if (seen) return AppendOutcome{AppendStatus::Duplicate, 0};
  }
  dead_letter_exists_.reset();
  dead_letter_exists_.bind(1, m.mailbox).bind(2, m.request_id);
  ACTR_TRY(bool dead, tagged(dead_letter_exists_.step()));
  dead_letter_exists_.reset();
  if (dead) return AppendOutcome{AppendStatus::Duplicate, 0};

  insert_.reset();
  insert_.bind(1, m.mailbox)
      .bind(2, static_cast<int64_t>(m.lane))
      .bind(3, m.request_id)
      .bind_blob(4, m.body)
      .bind(5, static_cast<int64_t>(m.attempts))
      .bind(6, m.enqueued_at_ms != 0 ? m.enqueued_at_ms : now_ms);
  ACTR_TRY_VOID(tagged(insert_.run()));
  if (db_->changes() == 1)
    return AppendOutcome{AppendStatus::Accepted, sqlite3_last_insert_rowid(db_->handle())};

  queued_id_.reset();
  queued_id_.bind(1, m.mailbox).bind(2, m.request_id);
  ACTR_TRY(bool found, tagged(queued_id_.step()));
  int64_t id = found ? queued_id_.column_int(0) : 0;
  queued_id_.reset();
  return AppendOutcome{AppendStatus::Duplicate, id};
}

Result<void> MailboxTables::complete(int64_t id, int64_t now_ms, int64_t ttl_ms) {
  delete_returning_.reset();
  delete_returning_.bind(1, id);
  ACTR_TRY(bool found, tagged(delete_returning_.step()));
  if (!found) return {};
  std::string mailbox = delete_returning_.column_text(1);
  std::string request_id = delete_returning_.column_text(3);
  ACTR_TRY_VOID(tagged(delete_returning_.run()));
  if (ttl_ms <= 0) return {};
  remember_completed_.reset();
  remember_completed_.bind(1, mailbox).bind(2, request_id).bind(3, now_ms);
  return tagged(remember_completed_.run());
}

Result<uint32_t> MailboxTables::record_failure(int64_t id) {
  increment_attempts_.reset();
  increment_attempts_.bind(1, id);
  ACTR_TRY(bool found, tagged(increment_attempts_.step()));
  if (!found) {
    increment_attempts_.reset();
    return make_error("no queued message " + std::to_string(id), ErrorCategory::Mailbox,
                      kMailboxNotFound);
  }
  auto attempts = static_cast<uint32_t>(increment_attempts_.column_int(0));
  ACTR_TRY_VOID(tagged(increment_attempts_.run()));
  return attempts;
}

Result<int64_t> MailboxTables::move_to_dead_letters(int64_t id, const std::string& reason,
                                                    int64_t now_ms) {
  delete_returning_.reset();
  delete_returning_.bind(1, id);
  ACTR_TRY(bool found, tagged(delete_returning_.step()));
  if (!found) {
    delete_returning_.reset();
    return make_error("no queued message " + std::to_string(id), ErrorCategory::Mailbox,
                      kMailboxNotFound);
  }
  auto message = read_message(delete_returning_, 0);
  // A storage failure, so the batch rolls back and the row is not deleted without a copy.
  if (!message) {
    delete_returning_.reset();
    return storage(message.take_error());
  }
  ACTR_TRY_VOID(tagged(delete_returning_.run()));
  const StoredMessage& m = *message;
  insert_dead_letter_.reset();
  insert_dead_letter_.bind(1, id)
      .bind(2, m.mailbox)
      .bind(3, static_cast<int64_t>(m.lane))
      .bind(4, m.request_id)
      .bind_blob(5, m.body)
      .bind(6, static_cast<int64_t>(m.attempts))
      .bind(7, m.enqueued_at_ms)
      .bind(8, reason)
      .bind(9, now_ms);
  ACTR_TRY_VOID(tagged(insert_dead_letter_.run()));
  return sqlite3_last_insert_rowid(db_->handle());
}

Result<StoredMessage> MailboxTables::replay(int64_t dead_letter_id, int64_t now_ms) {
  find_dead_letter_.reset();
  find_dead_letter_.bind(1, dead_letter_id);
  ACTR_TRY(bool found, tagged(find_dead_letter_.step()));
  if (!found) {
    find_dead_letter_.reset();
    return make_error("no dead letter " + std::to_string(dead_letter_id), ErrorCategory::Mailbox,
                      kMailboxNotFound);
  }
  auto read = read_message(find_dead_letter_, 0);
  find_dead_letter_.reset();
  ACTR_TRY(StoredMessage message, std::move(read));

  queued_id_.reset();
  queued_id_.bind(1, message.mailbox).bind(2, message.request_id);
  ACTR_TRY(bool queued, tagged(queued_id_.step()));
  queued_id_.reset();
  if (queued)
    return make_error("request id '" + message.request_id + "' is already queued in mailbox '" +
                          message.mailbox + "'",
                      ErrorCategory::Mailbox, kMailboxInvalidArgument);

  delete_dead_letter_.reset();
  delete_dead_letter_.bind(1, dead_letter_id);
  ACTR_TRY_VOID(tagged(delete_dead_letter_.run()));
  message.attempts = 0;
  message.enqueued_at_ms = now_ms;
  insert_.reset();
  insert_.bind(1, message.mailbox)
      .bind(2, static_cast<int64_t>(message.lane))
      .bind(3, message.request_id)
      .bind_blob(4, message.body)
      .bind(5, int64_t{0})
      .bind(6, now_ms);
  ACTR_TRY_VOID(tagged(insert_.run()));
  message.id = sqlite3_last_insert_rowid(db_->handle());
  return message;
}

Result<std::vector<StoredMessage>> MailboxTables::pending(std::string_view mailbox) {
  pending_.reset();
  pending_.bind(1, mailbox);
  std::vector<StoredMessage> out;
  for (;;) {
    ACTR_TRY(bool row, tagged(pending_.step()));
    if (!row) break;
    auto m = read_message(pending_, 0);
    if (!m) {
      pending_.reset();
      return m.take_error();
    }
    out.push_back(std::move(m).value());
  }
  pending_.reset();
  return out;
}

Result<std::vector<std::string>> MailboxTables::mailboxes_with_pending() {
  mailboxes_.reset();
  std::vector<std::string> out;
  for (;;) {
    ACTR_TRY(bool row, tagged(mailboxes_.step()));
    if (!row) break;
    out.push_back(mailboxes_.column_text(0));
  }
  mailboxes_.reset();
  return out;
}

Result<std::vector<DeadLetter>> MailboxTables::dead_letters(
    const std::optional<std::string>& mailbox) {
  dead_letters_.reset();
  dead_letters_.bind(1, int64_t{mailbox ? 1 : 0}).bind(2, mailbox.value_or(""));
  std::vector<DeadLetter> out;
  for (;;) {
    ACTR_TRY(bool row, tagged(dead_letters_.step()));
    if (!row) break;
    auto m = read_message(dead_letters_, 0);
    if (!m) {
      dead_letters_.reset();
      return m.take_error();
    }
    DeadLetter d;
    d.message = std::move(m).value();
    d.reason = dead_letters_.column_text(7);
    d.dead_at_ms = dead_letters_.column_int(8);
    d.id = dead_letters_.column_int(9);
    out.push_back(std::move(d));
  }
  dead_letters_.reset();
  return out;
}

Result<void> MailboxTables::prune_completed(int64_t now_ms, int64_t ttl_ms) {
  prune_.reset();
  prune_.bind(1, now_ms - ttl_ms);
  return tagged(prune_.run());
}

Result<int64_t> MailboxTables::data_version() {
  data_version_.reset();
  ACTR_TRY(bool row, tagged(data_version_.step()));
  int64_t version = row ? data_version_.column_int(0) : 0;
  data_version_.reset();
  return version;
}

}  // namespace actr::runtime
