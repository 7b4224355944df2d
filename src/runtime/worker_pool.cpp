#include "runtime/worker_pool.hpp"

#include <atomic>

namespace actr::runtime {

WorkerPool::WorkerPool(unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    workers_.push_back(std::make_unique<Worker>());
    guards_.emplace_back(workers_.back()->io().get_executor());
  }
  std::atomic<unsigned> started{0};
  for (unsigned i = 0; i < threads; ++i) {
    Worker* w = workers_[i].get();
    threads_.emplace_back([w, &started] {
      w->thread_id_ = std::this_thread::get_id();
      started.fetch_add(1);
      w->io().run();
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

}  // namespace actr::runtime
