// Shared by the mailbox tests: a fresh database path per test and message builders.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "runtime/mailbox/mailbox_store.hpp"

namespace actr::test {

inline runtime::StoredMessage make_message(std::string mailbox, std::string request_id,
                                           workload::Lane lane = workload::Lane::Reliable,
                                           std::string body = "payload") {
  runtime::StoredMessage m;
  m.mailbox = std::move(mailbox);
  m.request_id = std::move(request_id);
  m.lane = lane;
  m.body.assign(body.begin(), body.end());
  return m;
}

// A temporary directory (removed afterwards) and a controllable clock.
class MailboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "actr-mbox-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path db_path() const { return dir_ / runtime::kMailboxFileName; }

  runtime::MailboxStoreOptions options() {
    runtime::MailboxStoreOptions o;
    o.path = db_path();
    o.commit_window = std::chrono::microseconds(200);
    o.now_ms = [clock = clock_] { return clock->load(); };
    return o;
  }

  std::unique_ptr<runtime::MailboxStore> open_store() {
    auto store = runtime::MailboxStore::open(options());
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store).value() : nullptr;
  }

  void advance_clock(int64_t ms) { *clock_ += ms; }

  std::filesystem::path dir_;
  std::shared_ptr<std::atomic<int64_t>> clock_ =
      std::make_shared<std::atomic<int64_t>>(1'700'000'000'000);
};

}  // namespace actr::test
