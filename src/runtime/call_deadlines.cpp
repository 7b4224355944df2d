#include "runtime/call_deadlines.hpp"

#include <algorithm>

namespace actr::runtime {

CallDeadlines::CallDeadlines(boost::asio::io_context& io, std::chrono::milliseconds timeout)
    : timeout_(timeout),
      period_(
          std::clamp(timeout / 8, std::chrono::milliseconds(1), std::chrono::milliseconds(100))),
      timer_(io) {}

CallDeadlines::Clock::time_point CallDeadlines::add(std::shared_ptr<ReplySlot> slot) {
  // Calls answered before this one leave at once: their slots go back to the allocator's free
  // list while still warm (kept until the next check, they made calls in a row allocate).
  while (!queue_.empty() && queue_.front().slot->settled()) queue_.pop_front();
  auto now = Clock::now();
  queue_.push_back(Entry{now + timeout_, std::move(slot)});

  if (queue_.size() >= compact_at_) {
    // A call that takes long keeps the front; the answered ones behind it need not wait.
    std::erase_if(queue_, [](const Entry& e) { return e.slot->settled(); });
    compact_at_ = std::max<size_t>(1024, 2 * queue_.size());
  }
  arm();
  return now;
}

void CallDeadlines::cancel() {
  timer_.cancel();
  queue_.clear();
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
  while (!queue_.empty() && (queue_.front().slot->settled() || queue_.front().deadline <= now)) {
    auto slot = std::move(queue_.front().slot);
    queue_.pop_front();
    slot->settle(CallResult::Err(ActrError::timed_out()));  // no-op when already settled
  }
  arm();
}

}  // namespace actr::runtime
