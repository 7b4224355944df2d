#include "runtime/mailbox/mailbox_store.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <utility>

#include "runtime/mailbox/mailbox_schema.hpp"
#include "runtime/mailbox/mailbox_tables.hpp"

namespace actr::runtime {
namespace {

// Completed request ids past their TTL are deleted at most this often; until then the TTL is
// still enforced by the de-duplication query itself.
constexpr int64_t kPruneIntervalMs = 60'000;
constexpr size_t kMaxKeyBytes = 4096;

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_storage_failure(const Error& e) {
  return e.is(ErrorCategory::Mailbox, kMailboxStorage) || e.is(ErrorCategory::None);
}

// One queued operation. `run` executes inside the batch's transaction; a storage failure it
// returns aborts the batch. `finish` runs once the batch committed (batch_error null) or was
// rolled back (batch_error set), in queue order.
struct Op {
  std::function<Result<void>(MailboxTables&)> run;
  std::function<void(const Error* batch_error)> finish;
};

}  // namespace

struct MailboxStore::Impl {
  MailboxStoreOptions options;
  sqlite::Connection db;
  std::optional<MailboxTables> tables;  // destroyed before `db` (statements before connection)
  int64_t max_body_bytes = 0;
  int64_t last_data_version = 0;  // writer thread only
  int64_t last_prune_ms = 0;      // writer thread only

  std::mutex mu;
  std::condition_variable wake;
  std::deque<Op> queue;
  bool closed = false;
  std::optional<Error> async_error;  // first complete() failure since the last flush

  std::thread writer;
  std::thread::id writer_id;

  int64_t now() const { return options.now_ms ? options.now_ms() : system_now_ms(); }
  int64_t ttl_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(options.dedupe_ttl).count();
  }

  // Queues `op`; false (op untouched) when the store is closed.
  bool enqueue(Op& op) {
    {
      std::lock_guard lock(mu);
      if (closed) return false;
      queue.push_back(std::move(op));
    }
    wake.notify_one();
    return true;
  }

  // Runs `fn` on the writer thread inside a batch and waits for the batch's commit.
  template <typename T, typename Fn>
  Result<T> call(Fn fn) {
    if (std::this_thread::get_id() == writer_id)
      return make_error("a synchronous MailboxStore call from its own writer thread (a callback)",
                        ErrorCategory::Mailbox, kMailboxWrongThread);
    auto answer = std::make_shared<std::optional<Result<T>>>();
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    Op op;
    op.run = [fn = std::move(fn), answer](MailboxTables& t) -> Result<void> {
      Result<T> r = fn(t);
      if (!r && is_storage_failure(r.error())) return r.error();
      answer->emplace(std::move(r));
      return {};
    };
    op.finish = [answer, promise](const Error* batch_error) {
      if (batch_error)
        promise->set_value(Result<T>(*batch_error));
      else
        promise->set_value(std::move(**answer));
    };
    if (!enqueue(op)) return closed_error();
    return future.get();
  }

  static Error closed_error() {
    return make_error("the mailbox store is closed", ErrorCategory::Mailbox, kMailboxClosed);
  }

  void writer_loop();
  void run_batch(std::unique_lock<std::mutex>& lock);
};

void MailboxStore::Impl::writer_loop() {
  std::unique_lock lock(mu);
  for (;;) {
    wake.wait(lock, [&] { return !queue.empty() || closed; });
    if (queue.empty()) return;  // closed and drained
    run_batch(lock);
  }
}

// Called with `lock` held and the queue not empty; returns with it held.
void MailboxStore::Impl::run_batch(std::unique_lock<std::mutex>& lock) {
  auto deadline = std::chrono::steady_clock::now() + options.commit_window;
  std::vector<Op> batch;
  std::vector<Op> taken;
  std::optional<Error> failure;
  lock.unlock();

  if (auto r = tables->begin(); !r) failure = r.take_error();
  int64_t now_ms = now();
  if (!failure && ttl_ms() > 0 && now_ms - last_prune_ms >= kPruneIntervalMs) {
    if (auto r = tables->prune_completed(now_ms, ttl_ms()); !r)
      failure = r.take_error();
    else
      last_prune_ms = now_ms;
  }

  lock.lock();
  for (;;) {
    if (queue.empty()) {
      if (closed || batch.size() >= options.max_batch) break;
      if (!wake.wait_until(lock, deadline, [&] { return !queue.empty() || closed; })) break;
      if (queue.empty()) break;
    }
    size_t room = options.max_batch > batch.size() ? options.max_batch - batch.size() : 0;
    if (room == 0) break;
    size_t n = std::min(room, queue.size());
    taken.clear();
    for (size_t i = 0; i < n; ++i) {
      taken.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    lock.unlock();
    for (Op& op : taken) {
      if (!failure) {
        if (auto r = op.run(*tables); !r) failure = r.take_error();
      }
      batch.push_back(std::move(op));
    }
    lock.lock();
    if (batch.size() >= options.max_batch) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  lock.unlock();

  if (!failure) {
    if (auto r = tables->commit(); !r) failure = r.take_error();
  }
  if (failure) {
    tables->rollback();
    failure->code = kMailboxStorage;
    failure->message = options.path.string() + ": " + failure->message;
  }
  for (Op& op : batch) op.finish(failure ? &*failure : nullptr);
  lock.lock();
}

MailboxStore::MailboxStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MailboxStore::~MailboxStore() { close(); }

Result<std::unique_ptr<MailboxStore>> MailboxStore::open(MailboxStoreOptions options) {
  if (options.max_batch == 0) options.max_batch = 1;
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  ACTR_TRY(impl->db, open_mailbox_database(impl->options));
  ACTR_TRY(impl->tables, MailboxTables::prepare(impl->db));
  impl->max_body_bytes = sqlite3_limit(impl->db.handle(), SQLITE_LIMIT_LENGTH, -1);
  ACTR_TRY(impl->last_data_version, impl->tables->data_version());
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->writer_loop(); });
  impl->writer_id = impl->writer.get_id();
  return std::unique_ptr<MailboxStore>(new MailboxStore(std::move(impl)));
}

void MailboxStore::append(StoredMessage message, std::function<void(Result<AppendOutcome>)> done) {
  auto reject = [&](std::string why) {
    std::string key =
        message.mailbox.size() > 64 ? message.mailbox.substr(0, 64) + "..." : message.mailbox;
    done(make_error("cannot append to mailbox '" + key + "': " + why, ErrorCategory::Mailbox,
                    kMailboxInvalidArgument));
  };
  if (message.mailbox.empty()) return reject("the mailbox key is empty");
  if (message.request_id.empty()) return reject("the request id is empty");
  if (message.mailbox.size() > kMaxKeyBytes || message.request_id.size() > kMaxKeyBytes)
    return reject("the mailbox key or request id is longer than " + std::to_string(kMaxKeyBytes) +
                  " bytes");
  if (message.lane != Lane::Signal && message.lane != Lane::Reliable)
    return reject("unknown lane " + std::to_string(static_cast<int>(message.lane)));
  if (static_cast<int64_t>(message.body.size()) > impl_->max_body_bytes)
    return reject("the body is larger than " + std::to_string(impl_->max_body_bytes) + " bytes");

  auto answer = std::make_shared<std::optional<Result<AppendOutcome>>>();
  Impl* impl = impl_.get();
  Op op;
  op.run = [impl, message = std::move(message), answer](MailboxTables& t) -> Result<void> {
    auto r = t.append(message, impl->now(), impl->ttl_ms());
    if (!r && is_storage_failure(r.error())) return r.error();
    answer->emplace(std::move(r));
    return {};
  };
  auto shared_done = std::make_shared<std::function<void(Result<AppendOutcome>)>>(std::move(done));
  op.finish = [answer, shared_done](const Error* batch_error) {
    if (batch_error)
      (*shared_done)(*batch_error);
    else
      (*shared_done)(std::move(**answer));
  };
  if (!impl_->enqueue(op)) (*shared_done)(Impl::closed_error());
}

Result<AppendOutcome> MailboxStore::append_sync(StoredMessage message) {
  if (std::this_thread::get_id() == impl_->writer_id)
    return make_error("a synchronous MailboxStore call from its own writer thread (a callback)",
                      ErrorCategory::Mailbox, kMailboxWrongThread);
  std::promise<Result<AppendOutcome>> promise;
  auto future = promise.get_future();
  append(std::move(message),
         [&promise](Result<AppendOutcome> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Result<std::vector<StoredMessage>> MailboxStore::pending(std::string_view mailbox) {
  return impl_->call<std::vector<StoredMessage>>(
      [key = std::string(mailbox)](MailboxTables& t) { return t.pending(key); });
}

Result<std::vector<std::string>> MailboxStore::mailboxes_with_pending() {
  return impl_->call<std::vector<std::string>>(
      [](MailboxTables& t) { return t.mailboxes_with_pending(); });
}

void MailboxStore::complete(int64_t id) {
  Impl* impl = impl_.get();
  Op op;
  op.run = [impl, id](MailboxTables& t) { return t.complete(id, impl->now(), impl->ttl_ms()); };
  op.finish = [impl](const Error* batch_error) {
    if (!batch_error) return;
    std::lock_guard lock(impl->mu);
    if (!impl->async_error) impl->async_error = *batch_error;
  };
  if (!impl_->enqueue(op)) {
    std::lock_guard lock(impl_->mu);
    if (!impl_->async_error) impl_->async_error = Impl::closed_error();
  }
}

Result<uint32_t> MailboxStore::record_failure(int64_t id) {
  return impl_->call<uint32_t>([id](MailboxTables& t) { return t.record_failure(id); });
}

Result<int64_t> MailboxStore::move_to_dead_letters(int64_t id, std::string reason) {
  Impl* impl = impl_.get();
  return impl_->call<int64_t>([impl, id, reason = std::move(reason)](MailboxTables& t) {
    return t.move_to_dead_letters(id, reason, impl->now());
  });
}

Result<std::vector<DeadLetter>> MailboxStore::dead_letters(std::optional<std::string> mailbox) {
  return impl_->call<std::vector<DeadLetter>>(
      [mailbox = std::move(mailbox)](MailboxTables& t) { return t.dead_letters(mailbox); });
}

Result<StoredMessage> MailboxStore::replay(int64_t dead_letter_id) {
  Impl* impl = impl_.get();
  return impl_->call<StoredMessage>(
      [impl, dead_letter_id](MailboxTables& t) { return t.replay(dead_letter_id, impl->now()); });
}

Result<bool> MailboxStore::changed_by_another_process() {
  Impl* impl = impl_.get();
  return impl_->call<bool>([impl](MailboxTables& t) -> Result<bool> {
    ACTR_TRY(int64_t version, t.data_version());
    bool changed = version != impl->last_data_version;
    impl->last_data_version = version;
    return changed;
  });
}

Result<void> MailboxStore::flush() {
  ACTR_TRY_VOID(impl_->call<bool>([](MailboxTables&) -> Result<bool> { return true; }));
  std::lock_guard lock(impl_->mu);
  if (impl_->async_error) {
    Error e = std::move(*impl_->async_error);
    impl_->async_error.reset();
    return e;
  }
  return {};
}

void MailboxStore::close() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->closed) return;
    impl_->closed = true;  // the writer drains what is queued, then stops
  }
  impl_->wake.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  impl_->tables.reset();
  impl_->db = sqlite::Connection();
}

const std::filesystem::path& MailboxStore::path() const { return impl_->options.path; }

}  // namespace actr::runtime
