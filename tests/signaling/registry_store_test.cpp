#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "signaling/server/sqlite_registry_store.hpp"
#include "temp_dir.hpp"

namespace actr::signaling::server {
namespace {

using testing::TempDir;

StoredRegistration registration(uint32_t realm, uint64_t serial) {
  StoredRegistration r;
  r.id.realm.realm_id = realm;
  r.id.serial_number = serial;
  r.id.type = ActrType{"acme", "echo", "0.1.0"};
  r.advertised_address = "ws://127.0.0.1:9000";
  r.acl = Acl({AccessRule{AccessRule::Effect::Deny, "evil", "*", 2}, AccessRule{}});
  r.registered_at = 1234;
  return r;
}

TEST(RegistryStore, SerialsArePerRealmAndNeverReusedAcrossReopen) {
  TempDir dir;
  auto file = dir.path() / kRegistryFileName;
  {
    auto store = SqliteRegistryStore::open(file);
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_EQ(*store->allocate_serial(1), 1u);
    EXPECT_EQ(*store->allocate_serial(1), 2u);
    EXPECT_EQ(*store->allocate_serial(2), 1u);
    EXPECT_EQ(*store->allocate_serial(1), 3u);
  }
  // The rest of each realm's first block is skipped.
  auto store = SqliteRegistryStore::open(file);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(*store->allocate_serial(1), 1 + kSerialBlockSize);
  EXPECT_EQ(*store->allocate_serial(2), 1 + kSerialBlockSize);
  EXPECT_EQ(*store->allocate_serial(1), 2 + kSerialBlockSize);
}

TEST(RegistryStore, SerialsComeFromBlocksReservedOnDisk) {
  TempDir dir;
  auto file = dir.path() / kRegistryFileName;
  EXPECT_FALSE(SqliteRegistryStore::open(file, 0));
  auto store = SqliteRegistryStore::open(file, 10);
  ASSERT_TRUE(store) << store.error().message;
  for (uint64_t expected = 1; expected <= 25; ++expected) {
    EXPECT_EQ(*store->allocate_serial(7), expected);
  }
  // A second connection (what a restarted server would read) sees the counter at the end of the
  // third block, already while the first store is open.
  auto other = SqliteRegistryStore::open(file, 10);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_EQ(*other->allocate_serial(7), 31u);
  EXPECT_EQ(*store->allocate_serial(7), 26u);  // the first store's block is still its own
  EXPECT_EQ(*store->allocate_serial(7), 27u);
}

TEST(RegistryStore, BatchedWritesAreVisibleBeforeAndDurableAfterTheCommit) {
  TempDir dir;
  auto file = dir.path() / kRegistryFileName;
  {
    auto store = SqliteRegistryStore::open(file, 2);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->begin_batch());
    EXPECT_TRUE(store->batch_open());
    ASSERT_TRUE(store->begin_batch());  // no-op
    ASSERT_TRUE(store->put(registration(1, 1)));
    ASSERT_TRUE(store->put(registration(1, 2)));
    auto found = store->find(1, 2);
    ASSERT_TRUE(found && *found);
    // Reserving the next serial block commits the batch first.
    EXPECT_EQ(*store->allocate_serial(1), 1u);
    EXPECT_FALSE(store->batch_open());
    ASSERT_TRUE(store->begin_batch());
    ASSERT_TRUE(store->remove(1, 1));
    ASSERT_TRUE(store->put(registration(1, 3)));
    ASSERT_TRUE(store->commit_batch());
    EXPECT_FALSE(store->batch_open());
    ASSERT_TRUE(store->commit_batch());  // nothing open: no-op
    ASSERT_TRUE(store->begin_batch());
    ASSERT_TRUE(store->put(registration(1, 4)));
    // Left open: the destructor commits it.
  }
  auto store = SqliteRegistryStore::open(file);
  ASSERT_TRUE(store) << store.error().message;
  auto all = store->all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id.serial_number, 2u);
  EXPECT_EQ((*all)[1].id.serial_number, 3u);
  EXPECT_EQ((*all)[2].id.serial_number, 4u);
}

TEST(RegistryStore, SigningKeyIsStableAndFileIsPrivate) {
  TempDir dir;
  auto file = dir.path() / kRegistryFileName;
  PublicKey first{};
  {
    auto store = SqliteRegistryStore::open(file);
    ASSERT_TRUE(store) << store.error().message;
    auto key = store->signing_key();
    ASSERT_TRUE(key) << key.error().message;
    first = key->public_key();
    EXPECT_EQ(store->signing_key()->public_key(), first);
    // While open, the database and its WAL companions are owner-only: they hold the secret key.
    ASSERT_TRUE(std::filesystem::exists(file.string() + "-wal"));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      auto path = file.string() + suffix;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) continue;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
    }
  }
  auto store = SqliteRegistryStore::open(file);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(store->signing_key()->public_key(), first);
}

TEST(RegistryStore, RegistrationsSurviveReopen) {
  TempDir dir;
  auto file = dir.path() / kRegistryFileName;
  {
    auto store = SqliteRegistryStore::open(file);
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->put(registration(1, 5)));
    ASSERT_TRUE(store->put(registration(1, 6)));
    ASSERT_TRUE(store->remove(1, 6));
    StoredRegistration moved = registration(2, 5);
    moved.advertised_address = "ws://10.0.0.1:1";
    ASSERT_TRUE(store->put(registration(2, 5)));
    ASSERT_TRUE(store->put(moved));  // replaces
  }
  auto store = SqliteRegistryStore::open(file);
  ASSERT_TRUE(store) << store.error().message;
  auto found = store->find(1, 5);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, registration(1, 5).id);
  EXPECT_EQ((*found)->advertised_address, "ws://127.0.0.1:9000");
  EXPECT_EQ((*found)->acl.rules(), registration(1, 5).acl.rules());
  EXPECT_EQ((*found)->registered_at, 1234);
  EXPECT_FALSE(*store->find(1, 6));
  auto all = store->all();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].advertised_address, "ws://10.0.0.1:1");
}

TEST(RegistryStore, ForeignFileIsRefused) {
  TempDir dir;
  auto file = dir.path() / "other.db";
  std::ofstream(file) << "this is not a database, just text that is long enough to be read";
  EXPECT_FALSE(SqliteRegistryStore::open(file));
  EXPECT_FALSE(SqliteRegistryStore::open(dir.path() / "missing-dir" / kRegistryFileName));
}

}  // namespace
}  // namespace actr::signaling::server
