#include "runtime/mailbox/mailbox_schema.hpp"

#include <string>
#include <system_error>

namespace actr::runtime {
namespace {

// Ids use AUTOINCREMENT so they are never reused, even after the newest message completed: the
// runtime may key in-memory state by id across the node's lifetime.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox TEXT NOT NULL,
  lane INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  body BLOB NOT NULL,
  attempts INTEGER NOT NULL,
  enqueued_at_ms INTEGER NOT NULL,
  UNIQUE(mailbox, request_id));
CREATE INDEX messages_delivery_order ON messages(mailbox, lane, id);
CREATE TABLE dead_letters(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id INTEGER NOT NULL,
  mailbox TEXT NOT NULL,
  lane INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  body BLOB NOT NULL,
  attempts INTEGER NOT NULL,
  enqueued_at_ms INTEGER NOT NULL,
  reason TEXT NOT NULL,
  dead_at_ms INTEGER NOT NULL);
CREATE INDEX dead_letters_request ON dead_letters(mailbox, request_id);
CREATE TABLE completed(
  mailbox TEXT NOT NULL,
  request_id TEXT NOT NULL,
  completed_at_ms INTEGER NOT NULL,
  PRIMARY KEY(mailbox, request_id)) WITHOUT ROWID;
CREATE INDEX completed_age ON completed(completed_at_ms);
)sql";

Error bad_database(const std::filesystem::path& path, const std::string& why) {
  return make_error(path.string() + " is not a usable mailbox database: " + why,
                    ErrorCategory::Mailbox, kMailboxBadDatabase);
}

Error storage(const std::filesystem::path& path, const Error& e) {
  return make_error(path.string() + ": " + e.message, ErrorCategory::Mailbox, kMailboxStorage);
}

// Creates the schema in an empty database. Inside one IMMEDIATE transaction that re-reads
// user_version, so two processes opening a new file at once do not both create it.
Result<void> create_schema(sqlite::Connection& db, const std::filesystem::path& path) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return storage(path, r.error());
  auto finish = [&]() -> Result<void> {
    ACTR_TRY(int64_t version, db.query_int("PRAGMA user_version"));
    if (version != 0) return {};  // another process created it first
    ACTR_TRY(int64_t tables, db.query_int("SELECT count(*) FROM sqlite_master"));
    if (tables != 0)
      return make_error("it holds other tables", ErrorCategory::Mailbox, kMailboxBadDatabase);
    ACTR_TRY_VOID(db.exec(kSchemaV1));
    std::string pragmas = "PRAGMA application_id = " + std::to_string(kMailboxApplicationId) +
                          "; PRAGMA user_version = " + std::to_string(kMailboxSchemaVersion);
    ACTR_TRY_VOID(db.exec(pragmas.c_str()));
    return db.exec("COMMIT");
  };
  auto r = finish();
  if (!r) {
    (void)db.exec("ROLLBACK");
    if (r.error().is(ErrorCategory::Mailbox, kMailboxBadDatabase))
      return bad_database(path, r.error().message);
    return storage(path, r.error());
  }
  return {};
}

}  // namespace

Result<sqlite::Connection> open_mailbox_database(const MailboxStoreOptions& options) {
  const auto& path = options.path;
  if (path.empty())
    return make_error("mailbox database path is empty", ErrorCategory::Mailbox,
                      kMailboxInvalidArgument);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!options.create_if_missing)
      return make_error("no mailbox database at " + path.string(), ErrorCategory::Mailbox,
                        kMailboxNotFound);
    if (path.has_parent_path()) {
      std::filesystem::create_directories(path.parent_path(), ec);
      if (ec)
        return make_error("cannot create " + path.parent_path().string() + ": " + ec.message(),
                          ErrorCategory::Mailbox, kMailboxStorage);
    }
  } else if (std::filesystem::is_directory(path, ec)) {
    return make_error(path.string() + " is a directory, not a mailbox database",
                      ErrorCategory::Mailbox, kMailboxInvalidArgument);
  }

  auto opened = sqlite::Connection::open(path, options.create_if_missing);
  if (!opened) return make_error(opened.error().message, ErrorCategory::Mailbox, kMailboxStorage);
  sqlite::Connection db = std::move(opened).value();
  sqlite3_busy_timeout(db.handle(), static_cast<int>(options.busy_timeout.count()));

  // The first read of the header: a file that is not SQLite fails here ("file is not a
  // database"), before anything is written to it.
  auto application_id = db.query_int("PRAGMA application_id");
  if (!application_id) return bad_database(path, application_id.error().message);
  auto user_version = db.query_int("PRAGMA user_version");
  if (!user_version) return bad_database(path, user_version.error().message);
  int64_t version = *user_version;
  if (*application_id != 0 && *application_id != kMailboxApplicationId)
    return bad_database(path, "it belongs to another application (application_id " +
                                  std::to_string(*application_id) + ")");
  if (version > kMailboxSchemaVersion)
    return bad_database(path, "its schema version " + std::to_string(version) +
                                  " is newer than this actr supports (" +
                                  std::to_string(kMailboxSchemaVersion) + "); upgrade actr");

  auto check = db.query_int("SELECT count(*) FROM pragma_quick_check WHERE quick_check != 'ok'");
  if (!check) return bad_database(path, check.error().message);
  if (*check != 0) return bad_database(path, "it is damaged (PRAGMA quick_check failed)");

  {
    auto mode = db.prepare("PRAGMA journal_mode = WAL");
    if (!mode) return storage(path, mode.error());
    auto row = mode->step();
    if (!row || !*row || mode->column_text(0) != "wal")
      return storage(path, make_error("cannot switch to WAL journal mode"));
  }
  const char* sync =
      options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (auto r = db.exec(sync); !r) return storage(path, r.error());
  // After a checkpoint the WAL file is truncated back to this size instead of keeping the
  // largest size a burst ever gave it.
  if (auto r = db.exec("PRAGMA journal_size_limit = 67108864"); !r) return storage(path, r.error());

  if (version == 0) {
    if (*application_id != 0)
      return bad_database(path, "it has the mailbox application id but no schema");
    ACTR_TRY_VOID(create_schema(db, path));
  }
  return db;
}

}  // namespace actr::runtime
