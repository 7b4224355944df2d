// The call timeouts of one worker. Every call a node sends gets the same timeout, so deadlines
// arrive in the order calls are made: a queue checked by one periodic timer replaces an Asio
// timer per call (whose arming and cancelling cost a timerfd and an epoll syscall each, and a
// cross-thread post to cancel it; measured on the cross-node call path).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>

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

  size_t pending() const { return queue_.size(); }

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
  std::deque<Entry> queue_;
  size_t compact_at_ = 1024;  // settled entries behind a slow call are dropped beyond this size
};

}  // namespace actr::runtime
