#include "wasm/aot/watchdog.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace actr::wasm::aot {

class Watchdog {
 public:
  static Watchdog& get() {
    // Leaked on purpose: the thread must outlive every static destructor that might still
    // destroy a store.
    static Watchdog* instance = new Watchdog;
    return *instance;
  }

  void add(DeadlineTimer* timer) {
    std::lock_guard lock(mu_);
    // The thread only needs waking when it waits for a first timer or must tick faster; waking
    // it for every new store costs a futex call and a context switch per instantiation.
    bool wake = timers_.empty() || tick_for(timer->budget()) < tick();
    timers_.push_back(timer);
    if (!thread_started_) {
      thread_started_ = true;
      std::thread([this] { run(); }).detach();
    }
    if (wake) cv_.notify_one();
  }

  void remove(DeadlineTimer* timer) {
    std::lock_guard lock(mu_);
    timers_.erase(std::find(timers_.begin(), timers_.end(), timer));
  }

  // Taking the lock is the point: a thread cannot finish exiting while the watchdog is between
  // reading its record and signalling it.
  void thread_exiting() { std::lock_guard lock(mu_); }

 private:
  using Clock = std::chrono::steady_clock;

  static std::chrono::nanoseconds tick_for(std::chrono::nanoseconds budget) {
    return std::clamp<std::chrono::nanoseconds>(budget / 16, std::chrono::milliseconds(1),
                                                std::chrono::milliseconds(20));
  }

  std::chrono::nanoseconds tick() const {
    auto shortest = std::chrono::nanoseconds::max();
    for (const DeadlineTimer* t : timers_) shortest = std::min(shortest, t->budget());
    return tick_for(shortest);
  }

  void run() {
    std::unique_lock lock(mu_);
    auto last = Clock::now();
    for (;;) {
      if (timers_.empty()) {
        cv_.wait(lock, [this] { return !timers_.empty(); });
        last = Clock::now();
        continue;
      }
      cv_.wait_for(lock, tick());
      auto now = Clock::now();
      auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last);
      last = now;
      for (DeadlineTimer* t : timers_) sample(*t, elapsed);
    }
  }

  static void sample(DeadlineTimer& t, std::chrono::nanoseconds elapsed) {
    uint64_t generation = t.generation_.load(std::memory_order_acquire);
    ThreadRecord* running = t.running_on_.load(std::memory_order_acquire);
    if (generation != t.seen_generation_) {
      // A new entry began since the last sample: count from the next one, so a deadline is
      // never reported early.
      t.seen_generation_ = generation;
      t.used_ = std::chrono::nanoseconds(0);
      return;
    }
    if (running == nullptr) return;
    t.used_ += elapsed;
    if (t.used_ < t.budget_) return;
    t.expired_generation_.store(generation, std::memory_order_release);
    // Signal again on every tick until the thread leaves guest code: a signal that lands in host
    // code is ignored by the handler, and the expiry is then checked on the way back.
    pthread_kill(running->thread, kDeadlineSignal);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<DeadlineTimer*> timers_;
  bool thread_started_ = false;
};

DeadlineTimer::DeadlineTimer(std::chrono::nanoseconds budget) : budget_(budget) {
  Watchdog::get().add(this);
}

DeadlineTimer::~DeadlineTimer() { Watchdog::get().remove(this); }

void register_thread(ThreadRecord* record) { record->thread = pthread_self(); }

void unregister_thread(ThreadRecord*) { Watchdog::get().thread_exiting(); }

}  // namespace actr::wasm::aot
