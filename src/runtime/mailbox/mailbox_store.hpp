// MailboxStore: the durable mailboxes of a node in one SQLite database (WAL mode), with
// de-duplication by request id and a dead-letter queue. Storage only: it knows nothing of actors.
//
// Threads: one writer thread owns the connection. Every operation, reads included, is queued to
// it and runs inside a shared transaction (group commit); results are handed back only after that
// transaction committed, so whatever a caller is told is durable. All methods are thread-safe.
// Callbacks passed to append() run on the writer thread: keep them short, do not throw, and never
// call a synchronous method of the same store from them (that returns an Error instead of
// deadlocking); asynchronous ones (append, complete) are fine.
//
// Durability: with `synchronous_full = false` (the default: WAL + synchronous=NORMAL) a committed
// message survives a crash of the process (kill -9) but the last commits before a power loss or
// kernel crash may be lost; `synchronous_full = true` fsyncs every commit (WAL + FULL) and
// survives those too, at a much lower commit rate on real disks.
//
// Several processes may open the same file (the node and `actr dlq`): WAL lets readers proceed
// while a writer commits, and writers wait up to `busy_timeout` for each other.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "runtime/mailbox/stored_message.hpp"

namespace actr::runtime {

// The database's file name inside a node's data directory.
inline constexpr const char* kMailboxFileName = "mailbox.db";

// Error::code of MailboxStore failures (ErrorCategory::Mailbox).
enum MailboxErrorCode : int {
  kMailboxInvalidArgument = 1,  // bad input (empty key, unknown lane, oversized body)
  kMailboxNotFound = 2,         // no queued message / dead letter with that id
  kMailboxStorage = 3,          // SQLite failed (I/O, busy beyond busy_timeout, disk full...)
  kMailboxClosed = 4,           // the store was closed
  kMailboxBadDatabase = 5,      // not a mailbox database, damaged, or a newer schema
  kMailboxWrongThread = 6,      // a synchronous call from the writer thread (would deadlock)
};

struct MailboxStoreOptions {
  std::filesystem::path path;  // e.g. <data-dir>/mailbox.db
  // Create the file (and its parent directories) when absent; tools that only inspect an
  // existing node's data set this to false.
  bool create_if_missing = true;
  // Group commit: after the first queued operation the writer keeps collecting more for this
  // long (or until max_batch) before it commits them in one transaction. 0 = commit whatever is
  // queued as soon as the writer gets to it.
  std::chrono::microseconds commit_window{500};
  size_t max_batch = 1024;
  bool synchronous_full = false;  // see "Durability" above
  // How long completed request ids are remembered for de-duplication.
  std::chrono::seconds dedupe_ttl{24 * 3600};
  std::chrono::milliseconds busy_timeout{5000};
  // Unix time in milliseconds; the system clock when empty (tests inject their own).
  std::function<int64_t()> now_ms;
};

enum class AppendStatus { Accepted, Duplicate };

struct AppendOutcome {
  AppendStatus status = AppendStatus::Accepted;
  // Accepted: the new message's id. Duplicate: the id of the queued message with the same
  // request id, or 0 when that message was completed or is in the dead-letter queue.
  int64_t id = 0;
};

class MailboxStore {
 public:
  // Opens (creating when allowed) and checks the database: a file that is not a mailbox
  // database, is damaged, or has a newer schema gives an Error with code kMailboxBadDatabase.
  static Result<std::unique_ptr<MailboxStore>> open(MailboxStoreOptions options);
  ~MailboxStore();  // close()
  MailboxStore(const MailboxStore&) = delete;
  MailboxStore& operator=(const MailboxStore&) = delete;

  // Durable append. `done` runs exactly once: on the writer thread after the transaction holding
  // the message committed, or after the message was found to be a duplicate (same mailbox and
  // request id queued, dead-lettered, or completed within dedupe_ttl), or with an Error (bad
  // input or a closed store: then possibly on the calling thread, before append returns).
  void append(StoredMessage message, std::function<void(Result<AppendOutcome>)> done);
  Result<AppendOutcome> append_sync(StoredMessage message);

  // The queued messages of `mailbox` in delivery order: Signal lane first, then by id.
  Result<std::vector<StoredMessage>> pending(std::string_view mailbox);
  // Every mailbox key with at least one queued message, sorted.
  Result<std::vector<std::string>> mailboxes_with_pending();

  // Delivered: removes the message and remembers its request id for dedupe_ttl. Asynchronous
  // and batched; an unknown id is ignored. A storage failure is reported by the next flush().
  void complete(int64_t id);
  // One more failed delivery; returns the attempts after the increment.
  Result<uint32_t> record_failure(int64_t id);
  // Moves a queued message to the dead-letter queue; returns the dead letter's id.
  Result<int64_t> move_to_dead_letters(int64_t id, std::string reason);
  // Dead letters (of one mailbox, or all), oldest first.
  Result<std::vector<DeadLetter>> dead_letters(std::optional<std::string> mailbox = {});
  // Re-queues a dead letter at the back of its lane with attempts 0 and a new id; returns it.
  Result<StoredMessage> replay(int64_t dead_letter_id);

  // True when another connection (e.g. `actr dlq replay` in another process) committed to the
  // database since the previous call (or since open, for the first call).
  Result<bool> changed_by_another_process();

  // Waits until every operation queued before it is committed; returns the first failure of an
  // asynchronous complete() since the previous flush, if any.
  Result<void> flush();
  // Flushes, stops the writer and closes the database. Later calls fail with kMailboxClosed.
  // Never from an append() callback (the writer thread cannot join itself).
  void close();

  const std::filesystem::path& path() const;

 private:
  struct Impl;
  explicit MailboxStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace actr::runtime
