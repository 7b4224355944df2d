#include "runtime/call_deadlines.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace actr::runtime {

CallDeadlines::CallDeadlines(boost::asio::io_context& io, std::chrono::milliseconds timeout)
    : timeout_(timeout),
      period_(
          std::clamp(timeout / 8, std::chrono::milliseconds(1), std::chrono::milliseconds(100))),
      timer_(io) {}

CallDeadlines::Clock::time_point CallDeadlines::add(std::shared_ptr<ReplySlot> slot) {
  Clock::time_point now;
  {
    // Freeing a settled slot runs no code of its owner (its callback ran already): safe here.
    std::lock_guard lock(lock_);
    // Calls answered before this one leave at once: their slots go back to the allocator's free
    // list while still warm (kept until the next check, they made calls in a row allocate).
    while (!queue_.empty() && queue_.front().slot->settled()) queue_.pop_front();
    now = Clock::now();
    queue_.push_back(Entry{now + timeout_, std::move(slot)});

    if (queue_.size() >= compact_at_) {
      // A call that takes long keeps the front; the answered ones behind it need not wait.
      std::erase_if(queue_, [](const Entry& e) { return e.slot->settled(); });
      compact_at_ = std::max(kCompactFloor, 2 * queue_.size());
    }
  }
  arm();
  return now;
}

void CallDeadlines::cancel() {
  timer_.cancel();
  std::deque<Entry> gone;
  {
    std::lock_guard lock(lock_);
    gone.swap(queue_);
  }
  // Unsettled slots are destroyed out here: their callbacks' captures are their owners' business.
}

bool CallDeadlines::settle_overdue(Clock::time_point now) {
  if (!lock_.try_visit()) return false;
  std::vector<std::shared_ptr<ReplySlot>> overdue;
  for (const Entry& e : queue_) {
    if (e.deadline > now) break;  // in deadline order
    if (!e.slot->settled()) overdue.push_back(e.slot);
  }
  lock_.end_visit();
  // The worker pops them at its next check or call. A reply racing with this is fine: a slot
  // settles once, whoever comes first.
  for (auto& slot : overdue) slot->settle(CallResult::Err(ActrError::timed_out()));
  return true;
}

void CallDeadlines::arm() {
  if (armed_ || queue_.empty()) return;
  armed_ = true;
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    armed_ = false;
    if (!ec) check();
  });
}

void CallDeadlines::check() {
  auto now = Clock::now();
  for (;;) {
    std::shared_ptr<ReplySlot> slot;
    {
      // Not held while a callback runs: it may send a call, and so add() here.
      std::lock_guard lock(lock_);
      if (queue_.empty() || !(queue_.front().slot->settled() || queue_.front().deadline <= now))
        break;
      slot = std::move(queue_.front().slot);
      queue_.pop_front();
    }
    slot->settle(CallResult::Err(ActrError::timed_out()));  // no-op when already settled
  }
  arm();
}

}  // namespace actr::runtime
