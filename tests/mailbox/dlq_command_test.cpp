// `actr dlq list` and `actr dlq replay` through the built actr, on a database a MailboxStore in
// this process keeps open, as a running node would.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "mailbox/mailbox_fixture.hpp"
#include "runtime/mailbox/mailbox_store.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

size_t lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

class DlqCommandTest : public MailboxTest {
 protected:
  // Two dead letters (echo#0/r1 and other#0/r3) and one queued message (echo#0/r2).
  void SetUp() override {
    MailboxTest::SetUp();
    node_ = open_store();
    ASSERT_TRUE(node_);
    auto a = node_->append_sync(make_message("echo#0", "r1"));
    auto b = node_->append_sync(make_message("echo#0", "r2"));
    auto c = node_->append_sync(make_message("other#0", "r3"));
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    ASSERT_TRUE(node_->record_failure(a->id).ok());
    ASSERT_TRUE(node_->record_failure(a->id).ok());
    ASSERT_TRUE(node_->record_failure(a->id).ok());
    dead_r1_ = *node_->move_to_dead_letters(a->id, "trap: unreachable\nat func 3");
    dead_r3_ = *node_->move_to_dead_letters(c->id, "trap: out of bounds");
  }

  std::string data_dir_arg() const { return "--data-dir '" + dir_.string() + "'"; }

  std::unique_ptr<runtime::MailboxStore> node_;
  int64_t dead_r1_ = 0;
  int64_t dead_r3_ = 0;
};

TEST_F(DlqCommandTest, ListPrintsATable) {
  CommandRun r = run_actr("dlq list " + data_dir_arg());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(lines(r.output), 3u) << r.output;  // header + two rows (the reason's newline folded)
  EXPECT_NE(r.output.find("ID"), std::string::npos);
  EXPECT_NE(r.output.find("REQUEST ID"), std::string::npos);
  EXPECT_NE(r.output.find("trap: unreachable at func 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("echo#0"), std::string::npos);
  EXPECT_NE(r.output.find("other#0"), std::string::npos);
  EXPECT_NE(r.output.find("2023-11-14T22:13:20Z"), std::string::npos) << r.output;  // test clock
  // The attempts column of r1's row.
  std::string row = r.output.substr(r.output.find(std::to_string(dead_r1_) + " "));
  row = row.substr(0, row.find('\n'));
  EXPECT_NE(row.find(" 3 "), std::string::npos) << row;
}

TEST_F(DlqCommandTest, ListFiltersByMailbox) {
  CommandRun r = run_actr("dlq list --mailbox other#0 " + data_dir_arg());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(lines(r.output), 2u) << r.output;
  EXPECT_EQ(r.output.find("echo#0"), std::string::npos) << r.output;
}

TEST_F(DlqCommandTest, ReplayRequeuesWhileTheNodeHoldsTheDatabase) {
  CommandRun r = run_actr("dlq replay " + std::to_string(dead_r1_) + " " + data_dir_arg());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("replayed dead letter " + std::to_string(dead_r1_)), std::string::npos)
      << r.output;

  auto changed = node_->changed_by_another_process();
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  auto pending = node_->pending("echo#0");
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[1].request_id, "r1");
  EXPECT_EQ((*pending)[1].attempts, 0u);
  EXPECT_EQ(node_->dead_letters()->size(), 1u);

  CommandRun list = run_actr("dlq list " + data_dir_arg());
  EXPECT_EQ(lines(list.output), 2u) << list.output;
}

TEST_F(DlqCommandTest, ReplayTakesSeveralIds) {
  CommandRun r = run_actr("dlq replay " + std::to_string(dead_r1_) + " " +
                          std::to_string(dead_r3_) + " " + data_dir_arg());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(node_->dead_letters()->empty());
  CommandRun list = run_actr("dlq list " + data_dir_arg());
  ASSERT_EQ(list.status, 0);
  EXPECT_NE(list.output.find("no dead letters"), std::string::npos) << list.output;
}

TEST_F(DlqCommandTest, ReplayOfAnUnknownIdFails) {
  CommandRun r = run_actr("dlq replay 999 " + data_dir_arg());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("error: no dead letter 999"), std::string::npos) << r.output;
  CommandRun bad = run_actr("dlq replay abc " + data_dir_arg());
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.output.find("not a dead letter id"), std::string::npos) << bad.output;
}

TEST_F(DlqCommandTest, ConfigFileGivesTheDataDirectory) {
  std::filesystem::path config = dir_ / "actr.toml";
  {
    std::ofstream out(config);
    out << "# a node's configuration\ndata_dir = \".\"\n\n[gateway]\nport = 8080\n";
  }
  CommandRun r = run_actr("dlq list --config '" + config.string() + "'");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(lines(r.output), 3u) << r.output;
}

TEST_F(DlqCommandTest, ABrokenConfigIsOneLineOfError) {
  std::filesystem::path config = dir_ / "actr.toml";
  {
    std::ofstream out(config);
    out << "data_dir = [unclosed\n";
  }
  CommandRun r = run_actr("dlq list --config '" + config.string() + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("actr.toml:1"), std::string::npos) << r.output;
  {
    std::ofstream out(config);
    out << "data_dir = 42\n";
  }
  r = run_actr("dlq list --config '" + config.string() + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("data_dir must be a non-empty string"), std::string::npos) << r.output;
}

TEST_F(DlqCommandTest, AMissingDataDirectoryIsAnErrorAndIsNotCreated) {
  std::filesystem::path missing = dir_ / "nowhere";
  CommandRun r = run_actr("dlq list --data-dir '" + missing.string() + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("no mailbox database at"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(DlqCommandTest, AGarbageDatabaseIsAnError) {
  std::filesystem::path other = dir_ / "garbage";
  std::filesystem::create_directories(other);
  {
    std::ofstream out(other / runtime::kMailboxFileName);
    out << std::string(5000, 'z');
  }
  CommandRun r = run_actr("dlq list --data-dir '" + other.string() + "'");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_NE(r.output.find("not a usable mailbox database"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace actr::test
