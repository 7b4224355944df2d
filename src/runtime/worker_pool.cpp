#include "runtime/worker_pool.hpp"

#include <atomic>

namespace actr::runtime {

namespace {

thread_local Worker* tls_worker = nullptr;

// An idle worker polls for `spin` before it sleeps, which saves the wake-up of a message that
// arrives a few microseconds later (a reply from another worker of this node). Polling that keeps
// finding nothing only burns a core that another thread (the transport, another node on the same
// machine) needs, so it adapts: after kMaxMisses idle periods in a row where polling found
// nothing the worker sleeps at once, and tries polling again every kRetryEvery idle periods.
void run_worker(boost::asio::io_context& io, std::chrono::microseconds spin) {
  constexpr unsigned kMaxMisses = 4;
  constexpr unsigned kRetryEvery = 32;
  unsigned misses = 0, idle = 0;
  while (!io.stopped()) {
    if (io.poll() > 0) continue;
    ++idle;
    if (spin.count() > 0 && (misses < kMaxMisses || idle % kRetryEvery == 0)) {
      auto until = std::chrono::steady_clock::now() + spin;
      bool ran = false;
      while (!ran && std::chrono::steady_clock::now() < until && !io.stopped()) {
        ran = io.poll() > 0;
      }
      if (ran) {
        misses = 0;
        continue;
      }
      ++misses;
    }
    if (io.run_one() == 0) break;  // out of work: the pool is stopping
  }
}

}  // namespace

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
      started.fetch_add(1);
      run_worker(w->io(), spin);
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

Worker* Worker::current() { return tls_worker; }

std::chrono::nanoseconds Worker::held_for(std::chrono::steady_clock::time_point now) const {
  auto since = guest_since_.load(std::memory_order_relaxed);
  if (since == 0) return std::chrono::nanoseconds(0);
  return now.time_since_epoch() - std::chrono::steady_clock::duration(since);
}

Worker& WorkerPool::pick(Worker& home, std::chrono::nanoseconds patience) {
  // Every message asks: the common case (home runs no guest code) reads no clock.
  if (workers_.size() < 2 || !home.guest_running()) return home;
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
