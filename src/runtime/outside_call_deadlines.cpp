#include "runtime/outside_call_deadlines.hpp"

#include <algorithm>
#include <vector>

namespace actr::runtime {

void OutsideCallDeadlines::add(std::shared_ptr<ReplySlot> slot) {
  std::lock_guard lock(mu_);
  // Answered calls leave at the next call (freeing a settled slot runs none of its owner's code).
  while (!queue_.empty() && queue_.front().slot->settled()) queue_.pop_front();
  queue_.push_back(Entry{Clock::now() + timeout_, std::move(slot)});
  if (queue_.size() >= compact_at_) {
    std::erase_if(queue_, [](const Entry& e) { return e.slot->settled(); });
    compact_at_ = std::max<size_t>(1024, 2 * queue_.size());
  }
}

void OutsideCallDeadlines::check(Clock::time_point now) {
  std::vector<std::shared_ptr<ReplySlot>> overdue;
  {
    std::lock_guard lock(mu_);
    while (!queue_.empty() && (queue_.front().slot->settled() || queue_.front().deadline <= now)) {
      if (!queue_.front().slot->settled()) overdue.push_back(std::move(queue_.front().slot));
      queue_.pop_front();
    }
  }
  // Outside the lock: a callback may make another call, and so add() here.
  for (auto& slot : overdue) slot->settle(CallResult::Err(ActrError::timed_out()));
}

void OutsideCallDeadlines::clear() {
  std::deque<Entry> gone;
  std::lock_guard lock(mu_);
  gone.swap(queue_);
}

size_t OutsideCallDeadlines::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace actr::runtime
