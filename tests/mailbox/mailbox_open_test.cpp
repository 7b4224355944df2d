// Opening mailbox databases: foreign, damaged and newer files are refused with a clear Error, and
// two stores (the node and `actr dlq` in another process) share one file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <thread>
#include <vector>

#include "mailbox/mailbox_fixture.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace actr::test {
namespace {

using runtime::AppendStatus;
using runtime::MailboxStore;

class MailboxOpenTest : public MailboxTest {
 protected:
  void write_file(const std::string& bytes) {
    std::ofstream out(db_path(), std::ios::binary);
    out << bytes;
  }
  void sql(const char* statements) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    char* message = nullptr;
    int rc = sqlite3_exec(db, statements, nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(db);
  }
  Error open_error() {
    auto store = MailboxStore::open(options());
    EXPECT_FALSE(store.ok());
    return store.ok() ? Error{} : store.error();
  }
};

TEST_F(MailboxOpenTest, CreatesTheFileAndItsDirectory) {
  auto options = this->options();
  options.path = dir_ / "nested" / "data" / runtime::kMailboxFileName;
  auto store = MailboxStore::open(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(options.path));
}

TEST_F(MailboxOpenTest, WithoutCreateAMissingFileIsNotFound) {
  auto options = this->options();
  options.create_if_missing = false;
  auto store = MailboxStore::open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.error().is(ErrorCategory::Mailbox, runtime::kMailboxNotFound));
  EXPECT_NE(store.error().message.find(db_path().string()), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(db_path()));
}

TEST_F(MailboxOpenTest, ANonSqliteFileIsRefused) {
  write_file(std::string(8192, 'x'));
  Error e = open_error();
  EXPECT_TRUE(e.is(ErrorCategory::Mailbox, runtime::kMailboxBadDatabase));
  EXPECT_NE(e.message.find("not a usable mailbox database"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(db_path().string()), std::string::npos) << e.message;
  // Untouched: still the garbage it was.
  EXPECT_EQ(std::filesystem::file_size(db_path()), 8192u);
}

TEST_F(MailboxOpenTest, ATruncatedHeaderIsRefused) {
  write_file("SQLite format 3");
  EXPECT_TRUE(open_error().is(ErrorCategory::Mailbox, runtime::kMailboxBadDatabase));
}

TEST_F(MailboxOpenTest, AnotherApplicationsDatabaseIsRefused) {
  sql("CREATE TABLE users(name TEXT)");
  Error e = open_error();
  EXPECT_TRUE(e.is(ErrorCategory::Mailbox, runtime::kMailboxBadDatabase));
  EXPECT_NE(e.message.find("other tables"), std::string::npos) << e.message;
  sql("PRAGMA application_id = 42");
  e = open_error();
  EXPECT_NE(e.message.find("another application"), std::string::npos) << e.message;
}

TEST_F(MailboxOpenTest, ANewerSchemaIsRefused) {
  { ASSERT_TRUE(open_store()); }
  sql("PRAGMA user_version = 99");
  Error e = open_error();
  EXPECT_TRUE(e.is(ErrorCategory::Mailbox, runtime::kMailboxBadDatabase));
  EXPECT_NE(e.message.find("newer"), std::string::npos) << e.message;
}

TEST_F(MailboxOpenTest, ADamagedDatabaseIsRefused) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    for (int i = 0; i < 300; ++i)
      ASSERT_TRUE(
          store->append_sync(make_message("m", "r" + std::to_string(i), {}, std::string(200, 'b')))
              .ok());
  }  // the last connection checkpoints the WAL into the main file
  auto size = std::filesystem::file_size(db_path());
  ASSERT_GT(size, 4 * 4096u);
  {
    std::fstream f(db_path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(3 * 4096);  // a b-tree page of the messages table
    std::string garbage(4096, '\xA5');
    f.write(garbage.data(), garbage.size());
  }
  Error e = open_error();
  EXPECT_TRUE(e.is(ErrorCategory::Mailbox, runtime::kMailboxBadDatabase)) << e.message;
}

TEST_F(MailboxOpenTest, ReopeningKeepsEverything) {
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->append_sync(make_message("m", "r1")).ok());
  }
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->pending("m")->size(), 1u);
}

TEST_F(MailboxOpenTest, TwoStoresShareOneFile) {
  auto node = open_store();
  auto tool = open_store();
  ASSERT_TRUE(node && tool);
  EXPECT_FALSE(*node->changed_by_another_process());

  auto a = node->append_sync(make_message("echo#0", "r1"));
  ASSERT_TRUE(a.ok());
  auto dead = node->move_to_dead_letters(a->id, "trap");
  ASSERT_TRUE(dead.ok());
  EXPECT_FALSE(*node->changed_by_another_process()) << "its own commits do not count";

  auto letters = tool->dead_letters();
  ASSERT_TRUE(letters.ok()) << letters.error().message;
  ASSERT_EQ(letters->size(), 1u);
  auto replayed = tool->replay((*letters)[0].id);
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;

  EXPECT_TRUE(*node->changed_by_another_process());
  EXPECT_FALSE(*node->changed_by_another_process());
  auto pending = node->pending("echo#0");
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, replayed->id);
  EXPECT_EQ(node->append_sync(make_message("echo#0", "r1"))->status, AppendStatus::Duplicate);
}

TEST_F(MailboxOpenTest, TwoStoresWriteAtTheSameTime) {
  auto first = open_store();
  auto second = open_store();
  ASSERT_TRUE(first && second);
  auto produce = [](MailboxStore& store, const std::string& mailbox) {
    for (int i = 0; i < 300; ++i) {
      auto r = store.append_sync(make_message(mailbox, "r" + std::to_string(i)));
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  };
  std::thread a([&] { produce(*first, "a"); });
  std::thread b([&] { produce(*second, "b"); });
  a.join();
  b.join();
  EXPECT_EQ(first->pending("b")->size(), 300u);
  EXPECT_EQ(second->pending("a")->size(), 300u);
}

}  // namespace
}  // namespace actr::test
