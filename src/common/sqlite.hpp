// A thin RAII layer over the SQLite C API for the mailbox store: a connection and prepared
// statements whose failures come back as actr::Error (with the SQLite message) instead of codes.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::sqlite {

class Statement;

class Connection {
 public:
  // `create` adds SQLITE_OPEN_CREATE; without it a missing file is an error.
  static Result<Connection> open(const std::filesystem::path& path, bool create);

  Connection() = default;
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs one or more statements that return no rows we need.
  Result<void> exec(const char* sql);
  Result<Statement> prepare(std::string_view sql);
  // The single integer a query such as `PRAGMA user_version` returns.
  Result<int64_t> query_int(const char* sql);

  // "what: <SQLite message>" for the connection's most recent failure.
  Error error(std::string_view what) const;
  int64_t changes() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// A prepared statement, reset (bindings kept until rebound) before each reuse.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT) so
  // callers may pass temporaries.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::span<const uint8_t> bytes);

  // Advances to the next row: true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion, for statements whose rows are not needed.
  Result<void> run();
  void reset();

  int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::vector<uint8_t> column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  friend class Connection;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

}  // namespace actr::sqlite
