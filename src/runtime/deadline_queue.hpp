// Calls waiting for their reply, in deadline order. Every call a node sends gets the same timeout,
// so deadlines arrive in the order calls are made and a queue replaces a timer per call. Holds
// the reply slots until they are settled or due; not thread-safe (its owner locks around it:
// CallDeadlines per worker, OutsideCallDeadlines for callers outside the workers).
#pragma once

#include <chrono>
#include <deque>
#include <memory>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

class DeadlineQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // Settled entries behind a call that takes long are dropped once the queue reaches this size.
  // Small, so that the reply slots they keep alive come back in batches that the per-thread free
  // list of slots takes whole (node.cpp, SlotBlocks: 256); with 1024, a long call at the front
  // (a caller's call-loop, any slow callee) made most calls behind it allocate their slot anew.
  static constexpr size_t kCompactFloor = 64;

  // Drops the answered calls at the front (their slots go back to the allocator while still
  // warm; freeing a settled slot runs none of its owner's code), then appends `slot`, due at
  // `deadline`, which is no earlier than any deadline queued before.
  void push(Clock::time_point deadline, std::shared_ptr<ReplySlot> slot);
  // Removes the front entry when it is answered or due by `now` and returns its slot (settled or
  // not); null when the front must wait.
  std::shared_ptr<ReplySlot> pop_due(Clock::time_point now);
  // The slots not yet answered whose deadline passed by `now`, left in the queue (a reader that
  // may not change it: the balancer visiting a worker's queue).
  template <typename Visit>
  void for_each_overdue(Clock::time_point now, Visit visit) const {
    for (const Entry& e : queue_) {
      if (e.deadline > now) break;
      if (!e.slot->settled()) visit(e.slot);
    }
  }

  bool empty() const { return queue_.empty(); }
  size_t size() const { return queue_.size(); }
  // Swaps contents with `other` (to destroy pending slots outside the owner's lock).
  void swap(DeadlineQueue& other) noexcept {
    queue_.swap(other.queue_);
    std::swap(compact_at_, other.compact_at_);
  }

 private:
  struct Entry {
    Clock::time_point deadline;
    std::shared_ptr<ReplySlot> slot;
  };
  std::deque<Entry> queue_;
  size_t compact_at_ = kCompactFloor;  // the size at which settled entries are dropped next
};

}  // namespace actr::runtime
