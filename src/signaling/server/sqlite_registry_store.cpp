#include "signaling/server/sqlite_registry_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "common/sqlite.hpp"

namespace actr::signaling::server {

namespace {

constexpr int kSchemaVersion = 1;
// PRAGMA application_id of signaling databases ("acts"), so other SQLite files are refused.
constexpr int32_t kApplicationId = 0x61637473;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS serial_counters (realm INTEGER PRIMARY KEY, next_serial INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS registrations (
  realm INTEGER NOT NULL,
  serial INTEGER NOT NULL,
  manufacturer TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  address TEXT NOT NULL,
  acl BLOB NOT NULL,
  registered_at INTEGER NOT NULL,
  PRIMARY KEY (realm, serial));
)sql";

// Creates the file owner-only before SQLite opens it (SQLite gives its WAL and shared-memory
// files the same mode).
actr::Result<void> create_private_file(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return actr::make_error("cannot create " + file.string() + ": " + strerror(errno));
  int rc = ::fchmod(fd, 0600);
  int saved = errno;
  ::close(fd);
  if (rc != 0)
    return actr::make_error("cannot chmod 0600 " + file.string() + ": " + strerror(saved));
  return {};
}

std::string acl_blob(const Acl& acl) {
  proto::RegisterRequest holder;  // a repeated AclRule field to serialize the rules with
  acl_to_proto(acl, *holder.mutable_acl());
  return holder.SerializeAsString();
}

actr::Result<Acl> acl_from_blob(const std::vector<uint8_t>& blob) {
  proto::RegisterRequest holder;
  if (!holder.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return actr::make_error("registry: a stored ACL is damaged");
  }
  return acl_from_proto(holder.acl());
}

actr::Result<StoredRegistration> read_registration(const sqlite::Statement& row) {
  StoredRegistration r;
  r.id.realm.realm_id = static_cast<uint32_t>(row.column_int(0));
  r.id.serial_number = static_cast<uint64_t>(row.column_int(1));
  r.id.type = ActrType{row.column_text(2), row.column_text(3), row.column_text(4)};
  r.advertised_address = row.column_text(5);
  ACTR_TRY(r.acl, acl_from_blob(row.column_blob(6)));
  r.registered_at = row.column_int(7);
  return r;
}

constexpr const char* kColumns =
    "SELECT realm, serial, manufacturer, name, version, address, acl, registered_at "
    "FROM registrations";

}  // namespace

struct SqliteRegistryStore::Impl {
  // Reserved and not yet handed out: [next, end).
  struct SerialBlock {
    uint64_t next = 0;
    uint64_t end = 0;
  };

  // Declared first, destroyed last: SQLite refuses to close a connection with live statements.
  sqlite::Connection db;
  uint64_t serial_block_size = kSerialBlockSize;
  std::unordered_map<uint32_t, SerialBlock> serial_blocks;
  bool in_batch = false;
  sqlite::Statement reserve_block;
  sqlite::Statement insert;
  sqlite::Statement erase;
  sqlite::Statement select_one;

  ~Impl() {
    if (in_batch) {
      if (auto committed = commit(); !committed) {
        spdlog::error("registry: committing the last registrations failed: {}",
                      committed.error().message);
      }
    }
  }

  actr::Result<void> commit() {
    in_batch = false;
    if (auto committed = db.exec("COMMIT"); !committed) {
      (void)db.exec("ROLLBACK");
      return committed;
    }
    return {};
  }

  // Runs `write` as its own transaction(s) synced to disk before returning, after committing an
  // open batch (its rows get synced too).
  template <typename Write>
  auto synced(Write write) -> decltype(write()) {
    if (in_batch) ACTR_TRY_VOID(commit());
    ACTR_TRY_VOID(db.exec("PRAGMA synchronous = FULL"));
    auto result = write();
    if (auto normal = db.exec("PRAGMA synchronous = NORMAL"); !normal && result)
      return normal.error();
    return result;
  }
};

SqliteRegistryStore::SqliteRegistryStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteRegistryStore::SqliteRegistryStore(SqliteRegistryStore&&) noexcept = default;
SqliteRegistryStore& SqliteRegistryStore::operator=(SqliteRegistryStore&&) noexcept = default;
SqliteRegistryStore::~SqliteRegistryStore() = default;

actr::Result<SqliteRegistryStore> SqliteRegistryStore::open(const std::filesystem::path& file,
                                                            uint64_t serial_block_size) {
  if (serial_block_size == 0) return actr::make_error("registry: serial block size must be > 0");
  ACTR_TRY_VOID(create_private_file(file));
  ACTR_TRY(sqlite::Connection db, sqlite::Connection::open(file, /*create=*/false));
  ACTR_TRY_VOID(db.exec("PRAGMA busy_timeout = 5000"));
  ACTR_TRY(int64_t app_id, db.query_int("PRAGMA application_id"));
  ACTR_TRY(int64_t version, db.query_int("PRAGMA user_version"));
  if (app_id == 0 && version == 0) {
    ACTR_TRY(int64_t tables, db.query_int("SELECT count(*) FROM sqlite_master"));
    if (tables != 0) return actr::make_error(file.string() + " is not a signaling database");
    ACTR_TRY_VOID(db.exec(kSchema));
    ACTR_TRY_VOID(db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId)).c_str()));
    ACTR_TRY_VOID(db.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str()));
  } else if (app_id != kApplicationId) {
    return actr::make_error(file.string() + " is not a signaling database");
  } else if (version != kSchemaVersion) {
    return actr::make_error(file.string() + ": unsupported schema version " +
                            std::to_string(version));
  }
  // WAL: a commit appends to one file, and one fsync makes every earlier commit durable too.
  // NORMAL by default (registration rows); serial blocks and the key switch to FULL (synced()).
  ACTR_TRY_VOID(db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL"));
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db);
  impl->serial_block_size = serial_block_size;
  // One statement: the counter moves past the block and the block's start comes back atomically.
  ACTR_TRY(impl->reserve_block,
           impl->db.prepare("INSERT INTO serial_counters (realm, next_serial) VALUES (?1, 1 + ?2) "
                            "ON CONFLICT (realm) DO UPDATE SET next_serial = next_serial + ?2 "
                            "RETURNING next_serial - ?2"));
  ACTR_TRY(impl->insert,
           impl->db.prepare("INSERT OR REPLACE INTO registrations (realm, serial, manufacturer, "
                            "name, version, address, acl, registered_at) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  ACTR_TRY(impl->erase,
           impl->db.prepare("DELETE FROM registrations WHERE realm = ?1 AND serial = ?2"));
  ACTR_TRY(impl->select_one,
           impl->db.prepare(std::string(kColumns) + " WHERE realm = ?1 AND serial = ?2"));
  return SqliteRegistryStore(std::move(impl));
}

actr::Result<CredentialIssuer> SqliteRegistryStore::signing_key() {
  ACTR_TRY(sqlite::Statement read,
           impl_->db.prepare("SELECT value FROM settings WHERE key = 'signing_key'"));
  ACTR_TRY(bool found, read.step());
  if (found) {
    std::vector<uint8_t> blob = read.column_blob(0);
    return CredentialIssuer::from_secret_key(
        std::string_view(reinterpret_cast<const char*>(blob.data()), blob.size()));
  }
  read.reset();
  CredentialIssuer issuer = CredentialIssuer::generate();
  ACTR_TRY_VOID(impl_->synced([&]() -> actr::Result<void> {
    ACTR_TRY(sqlite::Statement write,
             impl_->db.prepare("INSERT INTO settings (key, value) VALUES ('signing_key', ?1)"));
    write.bind_blob(1, issuer.secret_key());
    return write.run();
  }));
  return issuer;
}

actr::Result<uint64_t> SqliteRegistryStore::allocate_serial(uint32_t realm) {
  Impl::SerialBlock& block = impl_->serial_blocks[realm];
  if (block.next == block.end) {
    // The block is durable before any of its serials leaves this function.
    ACTR_TRY(uint64_t start, impl_->synced([&]() -> actr::Result<uint64_t> {
      sqlite::Statement& stmt = impl_->reserve_block;
      stmt.bind(1, static_cast<int64_t>(realm))
          .bind(2, static_cast<int64_t>(impl_->serial_block_size));
      ACTR_TRY(bool row, stmt.step());
      if (!row) {
        stmt.reset();
        return actr::make_error("registry: no serial block returned");
      }
      auto first = static_cast<uint64_t>(stmt.column_int(0));
      ACTR_TRY_VOID(stmt.run());  // completes the statement: the commit
      return first;
    }));
    block = {start, start + impl_->serial_block_size};
  }
  return block.next++;
}

actr::Result<void> SqliteRegistryStore::put(const StoredRegistration& r) {
  sqlite::Statement& stmt = impl_->insert;
  std::string acl = acl_blob(r.acl);
  stmt.bind(1, static_cast<int64_t>(r.id.realm.realm_id))
      .bind(2, static_cast<int64_t>(r.id.serial_number))
      .bind(3, r.id.type.manufacturer)
      .bind(4, r.id.type.name)
      .bind(5, r.id.type.version)
      .bind(6, r.advertised_address)
      .bind_blob(7, std::span(reinterpret_cast<const uint8_t*>(acl.data()), acl.size()))
      .bind(8, r.registered_at);
  return stmt.run();
}

actr::Result<void> SqliteRegistryStore::remove(uint32_t realm, uint64_t serial) {
  sqlite::Statement& stmt = impl_->erase;
  stmt.bind(1, static_cast<int64_t>(realm)).bind(2, static_cast<int64_t>(serial));
  return stmt.run();
}

actr::Result<std::optional<StoredRegistration>> SqliteRegistryStore::find(uint32_t realm,
                                                                          uint64_t serial) {
  sqlite::Statement& stmt = impl_->select_one;
  stmt.bind(1, static_cast<int64_t>(realm)).bind(2, static_cast<int64_t>(serial));
  ACTR_TRY(bool row, stmt.step());
  if (!row) {
    stmt.reset();
    return std::optional<StoredRegistration>();
  }
  auto r = read_registration(stmt);
  stmt.reset();
  if (!r) return r.error();
  return std::optional<StoredRegistration>(std::move(*r));
}

actr::Result<std::vector<StoredRegistration>> SqliteRegistryStore::all() {
  ACTR_TRY(sqlite::Statement stmt,
           impl_->db.prepare(std::string(kColumns) + " ORDER BY realm, serial"));
  std::vector<StoredRegistration> out;
  while (true) {
    ACTR_TRY(bool row, stmt.step());
    if (!row) break;
    ACTR_TRY(StoredRegistration r, read_registration(stmt));
    out.push_back(std::move(r));
  }
  return out;
}

actr::Result<void> SqliteRegistryStore::begin_batch() {
  if (impl_->in_batch) return {};
  ACTR_TRY_VOID(impl_->db.exec("BEGIN IMMEDIATE"));
  impl_->in_batch = true;
  return {};
}

actr::Result<void> SqliteRegistryStore::commit_batch() {
  if (!impl_->in_batch) return {};
  return impl_->commit();
}

bool SqliteRegistryStore::batch_open() const { return impl_ && impl_->in_batch; }

}  // namespace actr::signaling::server
