// The node's threads: one Asio io_context per thread. An actor is bound to one worker for its
// whole life, so its guest stacks (fibers) suspend and resume on the thread that created them.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

namespace actr::runtime {

class Worker {
 public:
  boost::asio::io_context& io() { return io_; }
  bool in_this_thread() const { return std::this_thread::get_id() == thread_id_; }
  size_t index() const { return index_; }  // in its pool

 private:
  friend class WorkerPool;
  boost::asio::io_context io_{1};
  std::thread::id thread_id_;
  size_t index_ = 0;
};

class WorkerPool {
 public:
  // `threads` 0: one per hardware thread. A worker that runs out of work keeps polling its queue
  // for `spin` before it sleeps: a message from another worker then costs no thread wake-up
  // (tens of microseconds on a busy machine) when it comes soon, for a little CPU when idle.
  explicit WorkerPool(unsigned threads,
                      std::chrono::microseconds spin = std::chrono::microseconds(50));
  ~WorkerPool();  // stop() + join
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return workers_.size(); }
  Worker& at(size_t i) { return *workers_[i % workers_.size()]; }
  // Lets every queued handler run, then ends the threads.
  void stop();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace actr::runtime
