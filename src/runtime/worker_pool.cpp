#include "runtime/worker_pool.hpp"

#include <atomic>
#include <boost/asio/post.hpp>

#include "runtime/job_fiber.hpp"

namespace actr::runtime {

namespace {

thread_local Worker* tls_worker = nullptr;

// Deferred tasks run between polls, at most kDeferredTurn in a row, calls that callers run straight
// from their fibers included (Worker::run_next_here): a caller and callee calling back and forth
// on one worker never starve handlers posted from other threads.
constexpr size_t kDeferredTurn = 256;

}  // namespace

// An idle worker polls for `spin` before it sleeps, which saves the wake-up of a message that
// arrives a few microseconds later (a reply from another worker of this node). Polling that keeps
// finding nothing only burns a core that another thread (the transport, another node on the same
// machine) needs, so it adapts: after kMaxMisses idle periods in a row where polling found
// nothing the worker sleeps at once, and tries polling again every kRetryEvery idle periods.
void WorkerPool::run_worker(Worker& worker, std::chrono::microseconds spin) {
  constexpr unsigned kMaxMisses = 4;
  constexpr unsigned kRetryEvery = 32;
  boost::asio::io_context& io = worker.io();
  unsigned misses = 0, idle = 0;
  // From its first idle turn on, the worker polls the idle poller (the network) on every turn,
  // busy or not, and sleeps on it too: what arrives is read here, in order.
  IdlePoller* polling = nullptr;
  while (!io.stopped()) {
    worker.turn_left_ = kDeferredTurn;
    bool polled = io.poll() > 0;
    // A time noted in a handler is not handed on: other handlers may have run after it.
    worker.forget_time();
    bool sent = worker.run_inbox(kDeferredTurn);
    bool read = polling && polling->poll();
    // Whatever those handlers deferred runs now; the worker never sleeps with tasks deferred.
    bool worked = worker.run_deferred() || polled || sent || read || worker.has_backlog();
    // The turn ends: what its tasks sent to another node goes out, one message per connection.
    worker.turn_end_.run();
    if (worked) continue;
    ++idle;
    if (!polling && (polling = worker.poller_.load(std::memory_order_acquire))) polling->begin();
    if (spin.count() > 0 && (misses < kMaxMisses || idle % kRetryEvery == 0)) {
      // Tasks from other workers come through the inbox, a load to check; the io_context (an
      // epoll_wait each poll) is polled every kPollEvery turns only.
      constexpr unsigned kPollEvery = 16;
      auto until = std::chrono::steady_clock::now() + spin;
      bool ran = false;
      for (unsigned turn = 1; !ran && std::chrono::steady_clock::now() < until && !io.stopped();
           ++turn) {
        ran = worker.run_inbox(kDeferredTurn) || (polling && polling->poll()) ||
              (turn % kPollEvery == 0 && io.poll() > 0);
      }
      if (ran) {
        misses = 0;
        continue;
      }
      ++misses;
    }
    if (!worker.prepare_to_sleep()) continue;
    if (polling) polling->sleep(io);
    size_t ran = io.run_one();
    if (polling) polling->woke();
    worker.woke();
    worker.forget_time();
    if (ran == 0) break;  // out of work: the pool is stopping
  }
  if (polling) polling->end();
  worker.turn_left_ = SIZE_MAX;
  while (worker.run_inbox(SIZE_MAX) || worker.run_deferred() || worker.turn_end_.run()) {
  }
  // Ended here (not unwound): their stacks go back to this thread's cache.
  worker.end_kept_fibers();
  common::TurnEnd::bind_to_this_thread(nullptr);
}

void Worker::send(Task task) {
  if (!inbox_.push(task)) {
    boost::asio::post(io_, [task] { task.run(task.arg, task.tag); });
    return;
  }
  // Pairs with the fence in prepare_to_sleep(): either the worker sees this task before it sleeps
  // or this sees it asleep and wakes it with an empty handler.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  nudge();
}

void Worker::nudge() {
  if (sleeping_.load(std::memory_order_relaxed) && sleeping_.exchange(false)) {
    boost::asio::post(io_, [] {});
  }
}

bool Worker::prepare_to_sleep() {
  sleeping_.store(true, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!inbox_.maybe_nonempty()) return true;
  sleeping_.store(false, std::memory_order_relaxed);
  return false;
}

bool Worker::run_inbox(size_t budget) {
  size_t ran = 0;
  Task task;
  while (ran < budget && inbox_.pop(task)) {
    task.run(task.arg, task.tag);
    ++ran;
  }
  forget_time();  // as run_deferred(): a time noted in these tasks stays with them
  return ran > 0;
}

bool Worker::run_next_here(void (*run)(void*, uint64_t)) {
  if (turn_left_ == 0 || deferred_.empty() || deferred_.front().run != run) return false;
  --turn_left_;
  Task task = deferred_.pop_front();
  task.run(task.arg, task.tag);
  return true;
}

Worker::~Worker() { end_kept_fibers(); }

void Worker::end_kept_fibers() {
  for (auto& fiber : kept_fibers_) job_fiber::end(std::move(fiber));
  kept_fibers_.clear();
}

boost::context::fiber Worker::take_fiber() {
  if (kept_fibers_.empty()) return {};
  boost::context::fiber fiber = std::move(kept_fibers_.back());
  kept_fibers_.pop_back();
  return fiber;
}

bool Worker::keep_fiber(boost::context::fiber& fiber) {
  // As many as calls usually wait at once on a worker; the caller lets go of more.
  constexpr size_t kKept = 16;
  if (kept_fibers_.size() >= kKept) return false;
  kept_fibers_.push_back(std::move(fiber));
  return true;
}

bool Worker::run_deferred() {
  // A time noted outside these tasks (in a handler) or before the worker left them is forgotten:
  // an unknown amount of work may have run since.
  forget_time();
  bool ran = false;
  while (turn_left_ > 0 && !deferred_.empty()) {
    --turn_left_;
    Task task = deferred_.pop_front();
    task.run(task.arg, task.tag);
    ran = true;
  }
  forget_time();
  return ran;
}

WorkerPool::WorkerPool(unsigned threads, std::chrono::microseconds spin) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    workers_.back()->index_ = i;
    guards_.emplace_back(workers_.back()->io().get_executor());
  }
  std::atomic<unsigned> started{0};
  for (unsigned i = 0; i < threads; ++i) {
    Worker* w = workers_[i].get();
    threads_.emplace_back([w, &started, spin] {
      w->thread_id_ = std::this_thread::get_id();
      tls_worker = w;
      common::TurnEnd::bind_to_this_thread(&w->turn_end_);
      started.fetch_add(1);
      run_worker(*w, spin);
    });
  }
  // Actors ask in_this_thread() from the first handler on: the ids must be set before.
  while (started.load() < threads) std::this_thread::yield();
}

void WorkerPool::stop() {
  guards_.clear();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::set_idle_poller(IdlePoller* poller) {
  for (auto& w : workers_) w->poller_.store(poller, std::memory_order_release);
}

Worker* Worker::current() { return tls_worker; }

std::chrono::nanoseconds Worker::held_for(std::chrono::steady_clock::time_point now) const {
  auto since = guest_since_.load(std::memory_order_relaxed);
  if (since == 0) return std::chrono::nanoseconds(0);
  return now.time_since_epoch() - std::chrono::steady_clock::duration(since);
}

Worker& WorkerPool::pick(Worker& home, std::chrono::nanoseconds patience) {
  // Every message asks: the common cases read no clock. Home runs no guest code; or the sender is
  // home's own guest code (a call between two actors of one worker), which lets go of home as soon
  // as it waits, and if it computes on instead the balancer rescues what it sent.
  if (workers_.size() < 2) return home;
  Worker* here = Worker::current();
  if (here && here != &home && home.asleep()) {
    // A message from guest code of another worker (a caller that waits for the answer next) to an
    // actor whose home has gone to sleep: it runs here as soon as the sender lets go, instead of
    // after the sleeping thread's wake-up (tens to hundreds of microseconds on a busy machine).
    // Home is woken only when more work waits here, so that the load spreads over the workers
    // again; a lone call wakes no thread at all (waking home made it about twice as slow:
    // docs/BENCHMARKS.md, "A lone call wakes no sleeping worker").
    if (here->has_backlog()) home.nudge();
    return *here;
  }
  if (!home.guest_running() || &home == here) return home;
  auto now = std::chrono::steady_clock::now();
  if (home.held_for(now) <= patience) return home;
  Worker* best = &home;
  auto least = home.held_for(now);
  for (auto& w : workers_) {
    auto held = w->held_for(now);
    if (held < least) {
      least = held;
      best = w.get();
    }
  }
  return *best;
}

}  // namespace actr::runtime
