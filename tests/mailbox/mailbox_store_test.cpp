// MailboxStore behaviour: delivery order, de-duplication, attempts, the dead-letter queue,
// concurrency and bad input.
#include "runtime/mailbox/mailbox_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "mailbox/mailbox_fixture.hpp"

namespace actr::test {
namespace {

using runtime::AppendStatus;
using runtime::MailboxStore;
using runtime::StoredMessage;
using workload::Lane;

std::vector<std::string> request_ids(const std::vector<StoredMessage>& messages) {
  std::vector<std::string> ids;
  for (const auto& m : messages) ids.push_back(m.request_id);
  return ids;
}

class MailboxStoreTest : public MailboxTest {};

TEST_F(MailboxStoreTest, AppendAssignsIncreasingIdsAndKeepsTheMessage) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto a = store->append_sync(make_message("echo#0", "r1", Lane::Reliable, "hello"));
  auto b = store->append_sync(make_message("echo#0", "r2"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(a->status, AppendStatus::Accepted);
  EXPECT_GT(b->id, a->id);

  auto pending = store->pending("echo#0");
  ASSERT_TRUE(pending.ok()) << pending.error().message;
  ASSERT_EQ(pending->size(), 2u);
  const StoredMessage& m = (*pending)[0];
  EXPECT_EQ(m.id, a->id);
  EXPECT_EQ(m.mailbox, "echo#0");
  EXPECT_EQ(m.request_id, "r1");
  EXPECT_EQ(std::string(m.body.begin(), m.body.end()), "hello");
  EXPECT_EQ(m.attempts, 0u);
  EXPECT_EQ(m.enqueued_at_ms, clock_->load());
}

TEST_F(MailboxStoreTest, SignalLaneIsDeliveredBeforeReliableThenById) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append_sync(make_message("m", "rel-1", Lane::Reliable)).ok());
  ASSERT_TRUE(store->append_sync(make_message("m", "sig-1", Lane::Signal)).ok());
  ASSERT_TRUE(store->append_sync(make_message("m", "rel-2", Lane::Reliable)).ok());
  ASSERT_TRUE(store->append_sync(make_message("m", "sig-2", Lane::Signal)).ok());
  auto pending = store->pending("m");
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(request_ids(*pending), (std::vector<std::string>{"sig-1", "sig-2", "rel-1", "rel-2"}));
  EXPECT_EQ((*pending)[0].lane, Lane::Signal);
  EXPECT_EQ((*pending)[2].lane, Lane::Reliable);
}

TEST_F(MailboxStoreTest, MailboxesAreSeparate) {
  auto store = open_store();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->append_sync(make_message("b#0", "r1")).ok());
  ASSERT_TRUE(store->append_sync(make_message("a#0", "r1")).ok());  // same id, other mailbox
  ASSERT_TRUE(store->append_sync(make_message("a#0", "r2")).ok());
  auto keys = store->mailboxes_with_pending();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"a#0", "b#0"}));
  EXPECT_EQ(store->pending("a#0")->size(), 2u);
  EXPECT_EQ(store->pending("b#0")->size(), 1u);
  EXPECT_TRUE(store->pending("nobody")->empty());
}

TEST_F(MailboxStoreTest, DuplicateWhileQueuedReportsTheQueuedMessage) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto first = store->append_sync(make_message("m", "r1", Lane::Reliable, "first"));
  auto again = store->append_sync(make_message("m", "r1", Lane::Signal, "second"));
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->status, AppendStatus::Duplicate);
  EXPECT_EQ(again->id, first->id);
  auto pending = store->pending("m");
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(std::string((*pending)[0].body.begin(), (*pending)[0].body.end()), "first");
}

TEST_F(MailboxStoreTest, DuplicatesInOneBatchAreCaught) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::mutex mu;
  std::vector<AppendStatus> statuses;
  for (int i = 0; i < 5; ++i)
    store->append(make_message("m", "same"), [&](Result<runtime::AppendOutcome> r) {
      ASSERT_TRUE(r.ok());
      std::lock_guard lock(mu);
      statuses.push_back(r->status);
    });
  ASSERT_TRUE(store->flush().ok());
  ASSERT_EQ(statuses.size(), 5u);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), AppendStatus::Accepted), 1);
  EXPECT_EQ(store->pending("m")->size(), 1u);
}

TEST_F(MailboxStoreTest, CompletedRequestIdsAreRememberedForTheTtl) {
  auto options = this->options();
  options.dedupe_ttl = std::chrono::seconds(60);
  auto opened = MailboxStore::open(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& store = *opened;
  auto a = store->append_sync(make_message("m", "r1"));
  ASSERT_TRUE(a.ok());
  store->complete(a->id);
  ASSERT_TRUE(store->flush().ok());
  EXPECT_TRUE(store->pending("m")->empty());

  advance_clock(59'000);
  auto again = store->append_sync(make_message("m", "r1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, AppendStatus::Duplicate);
  EXPECT_EQ(again->id, 0);

  advance_clock(2'000);  // 61 s after completion: forgotten
  auto later = store->append_sync(make_message("m", "r1"));
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->status, AppendStatus::Accepted);
  EXPECT_GT(later->id, a->id);
}

TEST_F(MailboxStoreTest, ExpiredRequestIdsArePrunedAndStayForgotten) {
  auto options = this->options();
  options.dedupe_ttl = std::chrono::seconds(1);
  auto store = std::move(MailboxStore::open(options)).value();
  auto a = store->append_sync(make_message("m", "r1"));
  ASSERT_TRUE(a.ok());
  store->complete(a->id);
  ASSERT_TRUE(store->flush().ok());
  advance_clock(120'000);  // past the TTL and the prune interval
  ASSERT_TRUE(store->append_sync(make_message("m", "other")).ok());  // a batch that prunes
  auto again = store->append_sync(make_message("m", "r1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, AppendStatus::Accepted);
}

TEST_F(MailboxStoreTest, CompletedIdsSurviveReopen) {
  int64_t id;
  {
    auto store = open_store();
    ASSERT_TRUE(store);
    auto a = store->append_sync(make_message("m", "r1"));
    ASSERT_TRUE(a.ok());
    id = a->id;
    store->complete(id);
  }  // destruction flushes the queued complete
  auto store = open_store();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->pending("m")->empty());
  EXPECT_EQ(store->append_sync(make_message("m", "r1"))->status, AppendStatus::Duplicate);
  // Ids keep increasing even though the newest message was deleted.
  auto b = store->append_sync(make_message("m", "r2"));
  ASSERT_TRUE(b.ok());
  EXPECT_GT(b->id, id);
}

TEST_F(MailboxStoreTest, CompleteOfAnUnknownIdIsIgnored) {
  auto store = open_store();
  ASSERT_TRUE(store);
  store->complete(12345);
  EXPECT_TRUE(store->flush().ok());
}

TEST_F(MailboxStoreTest, RecordFailureCountsAttempts) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto a = store->append_sync(make_message("m", "r1"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*store->record_failure(a->id), 1u);
  EXPECT_EQ(*store->record_failure(a->id), 2u);
  EXPECT_EQ((*store->pending("m"))[0].attempts, 2u);

  auto missing = store->record_failure(a->id + 100);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is(ErrorCategory::Mailbox, runtime::kMailboxNotFound));
}

TEST_F(MailboxStoreTest, DeadLettersLeaveTheQueueAndBlockTheRequestId) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto a = store->append_sync(make_message("echo#0", "r1", Lane::Signal, "body-1"));
  auto b = store->append_sync(make_message("echo#0", "r2"));
  auto c = store->append_sync(make_message("other#0", "r3"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  ASSERT_TRUE(store->record_failure(a->id).ok());
  ASSERT_TRUE(store->record_failure(a->id).ok());
  advance_clock(5);
  auto dead = store->move_to_dead_letters(a->id, "trap: unreachable");
  ASSERT_TRUE(dead.ok()) << dead.error().message;
  auto dead_c = store->move_to_dead_letters(c->id, "trap: out of fuel");
  ASSERT_TRUE(dead_c.ok());
  EXPECT_GT(*dead_c, *dead);

  EXPECT_EQ(request_ids(*store->pending("echo#0")), std::vector<std::string>{"r2"});
  auto letters = store->dead_letters();
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 2u);
  const runtime::DeadLetter& d = (*letters)[0];
  EXPECT_EQ(d.id, *dead);
  EXPECT_EQ(d.reason, "trap: unreachable");
  EXPECT_EQ(d.dead_at_ms, clock_->load());
  EXPECT_EQ(d.message.id, a->id);
  EXPECT_EQ(d.message.mailbox, "echo#0");
  EXPECT_EQ(d.message.request_id, "r1");
  EXPECT_EQ(d.message.lane, Lane::Signal);
  EXPECT_EQ(d.message.attempts, 2u);
  EXPECT_EQ(std::string(d.message.body.begin(), d.message.body.end()), "body-1");

  auto only_other = store->dead_letters(std::string("other#0"));
  ASSERT_TRUE(only_other.ok());
  ASSERT_EQ(only_other->size(), 1u);
  EXPECT_EQ((*only_other)[0].message.request_id, "r3");

  EXPECT_EQ(store->append_sync(make_message("echo#0", "r1"))->status, AppendStatus::Duplicate);
  auto missing = store->move_to_dead_letters(a->id, "again");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is(ErrorCategory::Mailbox, runtime::kMailboxNotFound));
}

TEST_F(MailboxStoreTest, ReplayRequeuesAtTheBackOfItsLaneWithNoAttempts) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto a = store->append_sync(make_message("m", "r1"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(store->record_failure(a->id).ok());
  auto dead = store->move_to_dead_letters(a->id, "trap");
  ASSERT_TRUE(dead.ok());
  ASSERT_TRUE(store->append_sync(make_message("m", "r2")).ok());

  auto replayed = store->replay(*dead);
  ASSERT_TRUE(replayed.ok()) << replayed.error().message;
  EXPECT_GT(replayed->id, a->id);
  EXPECT_EQ(replayed->attempts, 0u);
  EXPECT_EQ(replayed->request_id, "r1");
  EXPECT_EQ(request_ids(*store->pending("m")), (std::vector<std::string>{"r2", "r1"}));
  EXPECT_TRUE(store->dead_letters()->empty());

  auto twice = store->replay(*dead);
  ASSERT_FALSE(twice.ok());
  EXPECT_TRUE(twice.error().is(ErrorCategory::Mailbox, runtime::kMailboxNotFound));
}

TEST_F(MailboxStoreTest, ConcurrentAppendsFromSeveralThreads) {
  auto store = open_store();
  ASSERT_TRUE(store);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::mutex mu;
  std::condition_variable all_done;
  int done = 0;
  std::vector<std::vector<int64_t>> ids(kThreads, std::vector<int64_t>(kPerThread, 0));
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i)
        store->append(make_message("m" + std::to_string(t), "r" + std::to_string(i)),
                      [&, t, i](Result<runtime::AppendOutcome> r) {
                        std::lock_guard lock(mu);
                        if (r.ok() && r->status == AppendStatus::Accepted) ids[t][i] = r->id;
                        if (++done == kThreads * kPerThread) all_done.notify_one();
                      });
    });
  for (auto& p : producers) p.join();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(60),
                                  [&] { return done == kThreads * kPerThread; }));
  }
  std::set<int64_t> unique;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_NE(ids[t][i], 0) << "thread " << t << " message " << i;
      if (i > 0) {
        EXPECT_GT(ids[t][i], ids[t][i - 1]) << "one producer's order is kept";
      }
      unique.insert(ids[t][i]);
    }
    auto pending = store->pending("m" + std::to_string(t));
    ASSERT_TRUE(pending.ok());
    ASSERT_EQ(pending->size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) EXPECT_EQ((*pending)[i].id, ids[t][i]);
  }
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_F(MailboxStoreTest, BadInputIsAnErrorOnTheCallingThread) {
  auto store = open_store();
  ASSERT_TRUE(store);
  auto expect_invalid = [&](StoredMessage m, const char* what) {
    bool called = false;
    store->append(std::move(m), [&](Result<runtime::AppendOutcome> r) {
      called = true;
      ASSERT_FALSE(r.ok()) << what;
      EXPECT_TRUE(r.error().is(ErrorCategory::Mailbox, runtime::kMailboxInvalidArgument)) << what;
      EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
    });
    EXPECT_TRUE(called) << what;  // synchronously, before append returned
  };
  expect_invalid(make_message("", "r1"), "mailbox key is empty");
  expect_invalid(make_message("m", ""), "request id is empty");
  expect_invalid(make_message("m", "r1", static_cast<Lane>(7)), "unknown lane");
  expect_invalid(make_message(std::string(5000, 'k'), "r1"), "longer than");
  auto sync = store->append_sync(make_message("", "r1"));
  ASSERT_FALSE(sync.ok());
  EXPECT_TRUE(sync.error().is(ErrorCategory::Mailbox, runtime::kMailboxInvalidArgument));
  EXPECT_TRUE(store->mailboxes_with_pending()->empty());
}

TEST_F(MailboxStoreTest, BinaryAndEmptyBodiesRoundTrip) {
  auto store = open_store();
  ASSERT_TRUE(store);
  StoredMessage empty = make_message("m", "empty", Lane::Reliable, "");
  StoredMessage binary = make_message("m", "binary");
  binary.body = {0, 1, 0, 255, 0};
  ASSERT_TRUE(store->append_sync(empty).ok());
  ASSERT_TRUE(store->append_sync(binary).ok());
  auto pending = store->pending("m");
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_TRUE((*pending)[0].body.empty());
  EXPECT_EQ((*pending)[1].body, binary.body);
}

TEST_F(MailboxStoreTest, SynchronousCallFromACallbackIsRefusedNotDeadlocked) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::promise<int> code;
  store->append(make_message("m", "r1"), [&](Result<runtime::AppendOutcome>) {
    auto r = store->pending("m");
    code.set_value(r.ok() ? 0 : r.error().code);
  });
  EXPECT_EQ(code.get_future().get(), runtime::kMailboxWrongThread);
}

TEST_F(MailboxStoreTest, AsynchronousAppendFromACallbackWorks) {
  auto store = open_store();
  ASSERT_TRUE(store);
  std::promise<bool> second;
  store->append(make_message("m", "r1"), [&](Result<runtime::AppendOutcome>) {
    store->append(make_message("m", "r2"),
                  [&](Result<runtime::AppendOutcome> r) { second.set_value(r.ok()); });
  });
  EXPECT_TRUE(second.get_future().get());
  EXPECT_EQ(store->pending("m")->size(), 2u);
}

TEST_F(MailboxStoreTest, AClosedStoreRefusesWork) {
  auto store = open_store();
  ASSERT_TRUE(store);
  store->close();
  auto r = store->append_sync(make_message("m", "r1"));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is(ErrorCategory::Mailbox, runtime::kMailboxClosed));
  EXPECT_TRUE(store->pending("m").error().is(ErrorCategory::Mailbox, runtime::kMailboxClosed));
  store->complete(1);
  EXPECT_FALSE(store->flush().ok());
  store->close();  // twice is fine
}

TEST_F(MailboxStoreTest, BatchesRespectMaxBatch) {
  auto options = this->options();
  options.max_batch = 3;
  options.commit_window = std::chrono::milliseconds(5);
  auto store = std::move(MailboxStore::open(options)).value();
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i)
    store->append(make_message("m", "r" + std::to_string(i)),
                  [&](Result<runtime::AppendOutcome> r) { ok += r.ok(); });
  ASSERT_TRUE(store->flush().ok());
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(store->pending("m")->size(), 20u);
}

}  // namespace
}  // namespace actr::test
