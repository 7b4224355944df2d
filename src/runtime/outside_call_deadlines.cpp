#include "runtime/outside_call_deadlines.hpp"

#include <algorithm>
#include <vector>

namespace actr::runtime {

void OutsideCallDeadlines::add(std::shared_ptr<ReplySlot> slot) {
  std::lock_guard lock(mu_);
  queue_.push(Clock::now() + timeout_, std::move(slot));
}

void OutsideCallDeadlines::check(Clock::time_point now) {
  std::vector<std::shared_ptr<ReplySlot>> overdue;
  {
    std::lock_guard lock(mu_);
    while (auto slot = queue_.pop_due(now)) {
      if (!slot->settled()) overdue.push_back(std::move(slot));
    }
  }
  // Outside the lock: a callback may make another call, and so add() here.
  for (auto& slot : overdue) slot->settle(CallResult::Err(ActrError::timed_out()));
}

void OutsideCallDeadlines::clear() {
  DeadlineQueue gone;
  std::lock_guard lock(mu_);
  gone.swap(queue_);
}

size_t OutsideCallDeadlines::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace actr::runtime
