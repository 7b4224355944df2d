// The call timeouts of one worker: a deadline queue checked by one periodic timer replaces an Asio
// timer per call (whose arming and cancelling cost a timerfd and an epoll syscall each, and a
// cross-thread post to cancel it; measured on the cross-node call path).
//
// The timer cannot run while guest code holds the worker (a callee computing on its caller's
// worker, any long guest call): then the node's balancer thread settles the overdue calls instead
// (settle_overdue), so that no caller waits for the computation to end. The queue is the worker's;
// the balancer only reads it, under a lock biased to the worker (no locked instruction per call).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "runtime/biased_lock.hpp"
#include "runtime/deadline_queue.hpp"
#include "runtime/vocabulary.hpp"

namespace actr::runtime {

class CallDeadlines {
 public:
  // `timeout`: the node's call timeout; deadlines are checked every `timeout` / 8 (1 ms to 100 ms).
  CallDeadlines(boost::asio::io_context& io, std::chrono::milliseconds timeout);

  using Clock = std::chrono::steady_clock;
  // On the worker's thread: `slot` is settled with timed-out unless something settles it first.
  // Returns the time its deadline counts from (read from the clock just now).
  Clock::time_point add(std::shared_ptr<ReplySlot> slot);
  // Stops the checks (the worker is stopping); pending slots are left to their owners.
  void cancel();
  // From another thread (the balancer), while the worker's thread cannot check: settles the calls
  // whose deadline passed by `now` with timed-out. False when the worker's thread was using the
  // queue just then (nothing done; try again later).
  bool settle_overdue(Clock::time_point now);

  std::chrono::milliseconds period() const { return period_; }
  size_t pending() const { return queue_.size(); }  // on the worker's thread

 private:
  void arm();
  void check();

  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds period_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;
  BiasedLock lock_;  // the worker owns it while it changes queue_; the balancer visits to read
  DeadlineQueue queue_;
};

}  // namespace actr::runtime
