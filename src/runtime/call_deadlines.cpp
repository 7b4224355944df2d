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
    std::lock_guard lock(lock_);
    now = Clock::now();
    queue_.push(now + timeout_, std::move(slot));
  }
  arm();
  return now;
}

void CallDeadlines::cancel() {
  timer_.cancel();
  DeadlineQueue gone;
  {
    std::lock_guard lock(lock_);
    gone.swap(queue_);
  }
  // Unsettled slots are destroyed out here: their callbacks' captures are their owners' business.
}

bool CallDeadlines::settle_overdue(Clock::time_point now) {
  if (!lock_.try_visit()) return false;
  std::vector<std::shared_ptr<ReplySlot>> overdue;
  queue_.for_each_overdue(now,
                          [&](const std::shared_ptr<ReplySlot>& slot) { overdue.push_back(slot); });
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
      slot = queue_.pop_due(now);
    }
    if (!slot) break;
    slot->settle(CallResult::Err(ActrError::timed_out()));  // no-op when already settled
  }
  arm();
}

}  // namespace actr::runtime
