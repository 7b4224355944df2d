#include "common/turn_end.hpp"

namespace actr::common {

namespace {
thread_local TurnEnd* tls_turn_end = nullptr;
}  // namespace

TurnEnd* TurnEnd::current() { return tls_turn_end; }

void TurnEnd::bind_to_this_thread(TurnEnd* turn_end) { tls_turn_end = turn_end; }

void TurnEnd::defer(Work work, std::shared_ptr<void> keep) {
  std::lock_guard lock(mu_);
  entries_.push_back(Entry{work, std::move(keep)});
  pending_.store(true, std::memory_order_relaxed);
}

bool TurnEnd::run() {
  if (!pending_.load(std::memory_order_relaxed)) return false;
  bool ran = false;
  for (;;) {
    std::vector<Entry> batch;
    {
      std::lock_guard lock(mu_);
      if (entries_.empty()) {
        pending_.store(false, std::memory_order_relaxed);
        return ran;
      }
      batch.swap(entries_);
    }
    for (Entry& e : batch) e.work(e.keep.get());
    ran = true;
  }
}

}  // namespace actr::common
