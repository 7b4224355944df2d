// The call timeouts of callers that are not on a worker of the node (Node::call from the gateway,
// the embedding application, a test). They are kept apart from the workers' deadline queues
// (CallDeadlines) and checked by the node's balancer thread: nothing of such a caller needs a
// worker, so its timeout must not wait for one that guest code holds. (They once went to a
// worker's queue by a post through its io_context, which a held worker did not even run.)
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "runtime/deadline_queue.hpp"
#include "runtime/vocabulary.hpp"

namespace actr::runtime {

class OutsideCallDeadlines {
 public:
  using Clock = std::chrono::steady_clock;
  explicit OutsideCallDeadlines(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  // Any thread: `slot` is settled with timed-out by check() once `timeout` has passed, unless
  // something settles it first.
  void add(std::shared_ptr<ReplySlot> slot);
  // Any thread (the balancer, every check period or sooner): settles the calls whose deadline
  // passed by `now` and lets go of the answered ones at the front.
  void check(Clock::time_point now);
  // Forgets every pending call (the node stopped); their slots are left to their owners.
  void clear();
  size_t pending() const;

 private:
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  DeadlineQueue queue_;  // guarded by mu_
};

}  // namespace actr::runtime
