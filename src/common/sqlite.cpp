#include "common/sqlite.hpp"

#include <utility>

namespace actr::sqlite {

Result<Connection> Connection::open(const std::filesystem::path& path, bool create) {
  sqlite3* db = nullptr;
  // NOMUTEX: each connection is used by one thread at a time (the store's writer thread, after
  // the opening thread hands it over), so SQLite's per-connection mutex would be pure cost.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error("cannot open " + path.string() + ": " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  return Connection(db);
}

Connection::Connection(Connection&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Connection::~Connection() { sqlite3_close(db_); }

Result<void> Connection::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(text);
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error("prepare");
  return Statement(stmt, db_);
}

Result<int64_t> Connection::query_int(const char* sql) {
  ACTR_TRY(Statement stmt, prepare(sql));
  ACTR_TRY(bool row, stmt.step());
  if (!row) return make_error(std::string("no result from ") + sql);
  return stmt.column_int(0);
}

Error Connection::error(std::string_view what) const {
  return make_error(std::string(what) + ": " + sqlite3_errmsg(db_));
}

int64_t Connection::changes() const { return sqlite3_changes64(db_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  // A non-null pointer even for "": a null pointer would bind NULL instead of the empty text.
  sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(), SQLITE_TRANSIENT,
                      SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const uint8_t> bytes) {
  static const uint8_t kEmpty = 0;
  sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                      SQLITE_TRANSIENT);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = make_error(sqlite3_errmsg(db_));
  sqlite3_reset(stmt_);
  return e;
}

Result<void> Statement::run() {
  for (;;) {
    ACTR_TRY(bool row, step());
    if (!row) break;
  }
  reset();
  return {};
}

void Statement::reset() { sqlite3_reset(stmt_); }

int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  int size = sqlite3_column_bytes(stmt_, index);
  return text ? std::string(text, static_cast<size_t>(size)) : std::string();
}

std::vector<uint8_t> Statement::column_blob(int index) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, index));
  int size = sqlite3_column_bytes(stmt_, index);
  return data ? std::vector<uint8_t>(data, data + size) : std::vector<uint8_t>();
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

}  // namespace actr::sqlite
