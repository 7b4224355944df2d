// Work a thread puts off to the end of its turn. A loop that runs many short tasks in a row (a
// node's worker) owns a TurnEnd and runs it whenever it has run a batch of tasks: what those tasks
// left for later is then done once for all of them (the frames they sent over one connection go
// out in one message and one system call, not one each). A thread that owns none does such work
// at once.
//
// A task may hold its thread for long (guest code computing): another thread (the node's balancer)
// then runs the owner's TurnEnd for it, so deferred work waits at most as long as that thread's
// period.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace actr::common {

class TurnEnd {
 public:
  using Work = void (*)(void* arg);

  // The TurnEnd of the calling thread, or null.
  static TurnEnd* current();
  // From now on current() on the calling thread is this (null: none). The owner's loop thread.
  static void bind_to_this_thread(TurnEnd* turn_end);

  // `work(keep.get())` runs at the end of the owner's turn; `keep` lives until then.
  void defer(Work work, std::shared_ptr<void> keep);
  // Runs the deferred work (and what it defers in turn); whether there was any. The owner at the
  // end of each turn, or any other thread while the owner cannot.
  bool run();
  // Whether work is deferred (a hint for other threads).
  bool pending() const { return pending_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    Work work;
    std::shared_ptr<void> keep;
  };
  std::mutex mu_;  // uncontended but for the rare run() from another thread
  std::vector<Entry> entries_;
  std::atomic<bool> pending_{false};
};

}  // namespace actr::common
