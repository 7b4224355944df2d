#include "runtime/deadline_queue.hpp"

#include <algorithm>

namespace actr::runtime {

void DeadlineQueue::push(Clock::time_point deadline, std::shared_ptr<ReplySlot> slot) {
  while (!queue_.empty() && queue_.front().slot->settled()) queue_.pop_front();
  queue_.push_back(Entry{deadline, std::move(slot)});
  if (queue_.size() >= compact_at_) {
    // A call that takes long keeps the front; the answered ones behind it need not wait.
    std::erase_if(queue_, [](const Entry& e) { return e.slot->settled(); });
    compact_at_ = std::max(kCompactFloor, 2 * queue_.size());
  }
}

std::shared_ptr<ReplySlot> DeadlineQueue::pop_due(Clock::time_point now) {
  if (queue_.empty()) return nullptr;
  Entry& front = queue_.front();
  if (!front.slot->settled() && front.deadline > now) return nullptr;
  std::shared_ptr<ReplySlot> slot = std::move(front.slot);
  queue_.pop_front();
  return slot;
}

}  // namespace actr::runtime
