// The call timeouts of one worker. Every call a node sends gets the same timeout, so deadlines
// arrive in the order calls are made: a queue checked by one periodic timer replaces an Asio
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
#include <deque>
#include <memory>

#include "runtime/biased_lock.hpp"
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

  // Settled entries behind a call that takes long are dropped once the queue reaches this size.
  // Small, so that the reply slots they keep alive come back in batches that the per-thread free
  // list of slots takes whole (node.cpp, SlotBlocks: 256); with 1024, a long call at the front
  // (a caller's call-loop, any slow callee) made most calls behind it allocate their slot anew.
  static constexpr size_t kCompactFloor = 64;

  std::chrono::milliseconds period() const { return period_; }
  size_t pending() const { return queue_.size(); }  // on the worker's thread

 private:
  void arm();
  void check();

  struct Entry {
    Clock::time_point deadline;
    std::shared_ptr<ReplySlot> slot;
  };
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds period_;
  boost::asio::steady_timer timer_;
  bool armed_ = false;
  BiasedLock lock_;  // the worker owns it while it changes queue_; the balancer visits to read
  std::deque<Entry> queue_;
  size_t compact_at_ = kCompactFloor;  // the size at which settled entries are dropped next
};

}  // namespace actr::runtime
