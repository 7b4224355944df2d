// The node's threads: one Asio io_context per thread. An actor has a home worker; an export call
// runs on one worker from start to end (its guest stack, a fiber, suspends and resumes on the
// thread that created it), and between calls an actor may run elsewhere while guest code holds
// its home worker for long (fairness, docs/RUNTIME.md).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/context/fiber.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/turn_end.hpp"
#include "runtime/ring.hpp"
#include "runtime/task_inbox.hpp"

namespace actr::runtime {

// What an idle worker polls besides its own queues: the node's network connections (NodeNetwork),
// whose frames it then reads and handles on its own thread instead of a transport thread waking
// to hand them over. begin() at the worker's first idle turn, poll() on every turn after (true
// when it handled something), sleep() before it sleeps in `io` (the poller may arm a wait there,
// so that what arrives wakes this worker rather than a transport thread), woke() after, end()
// when the worker's thread ends. Any worker thread.
class IdlePoller {
 public:
  virtual ~IdlePoller() = default;
  virtual void begin() = 0;
  virtual bool poll() = 0;
  virtual void sleep(boost::asio::io_context& io) = 0;
  virtual void woke() = 0;
  virtual void end() = 0;
};

class Worker {
 public:
  Worker() = default;
  ~Worker();  // ends the fibers it keeps (job_fiber::end)
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  boost::asio::io_context& io() { return io_; }
  bool in_this_thread() const { return std::this_thread::get_id() == thread_id_; }
  size_t index() const { return index_; }  // in its pool
  // The worker whose thread this is, or null.
  static Worker* current();

  // Guest code runs on this worker from now until guest_stopped() (an actor started or resumed
  // an export call). When something noted the time just before (note_time: a caller's import
  // that sent this call, a callee that answered it) and nothing but a little host work ran since,
  // that time is taken instead of reading the clock again (it errs early by that host work: guest
  // code seems to hold the worker a little longer than it does).
  void guest_started() {
    auto since = recent_ ? recent_ : std::chrono::steady_clock::now().time_since_epoch().count();
    recent_ = 0;
    guest_since_.store(since, std::memory_order_relaxed);
  }
  // The same for a caller resumed with its reply.
  void guest_resumed() { guest_started(); }
  // On this worker's thread: `t` was read from the steady clock just now. Forgotten by the next
  // guest_started(), by forget_time() before host work that may take long, and by the worker's
  // loop whenever it leaves its deferred tasks, its inbox or the io_context's handlers.
  void note_time(std::chrono::steady_clock::time_point t) {
    recent_ = t.time_since_epoch().count();
  }
  void forget_time() { recent_ = 0; }
  void guest_stopped() { guest_since_.store(0, std::memory_order_relaxed); }
  // How long guest code has held this worker without a break (zero when none runs).
  std::chrono::nanoseconds held_for(std::chrono::steady_clock::time_point now) const;
  // When the running stretch of guest code started (guest_running() only): an export call that
  // starts now reads its start time here instead of the clock again.
  std::chrono::steady_clock::time_point guest_started_at() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(guest_since_.load(std::memory_order_relaxed)));
  }
  // Whether guest code runs here now (no clock read: cheap enough for every message).
  bool guest_running() const { return guest_since_.load(std::memory_order_relaxed) != 0; }

  // Work this worker gives itself: a message to an actor it runs, the resumption of a call
  // answered here. Queued without the io_context (no mutex, no allocated handler), run by the
  // worker's loop as soon as the running handler returns, a bounded number between two polls of
  // the io_context so that messages from other threads and timers keep their turn. `run(arg,
  // tag)` must stay valid until it runs: the pool runs every deferred task before its threads end.
  struct Task {
    void (*run)(void* arg, uint64_t tag);
    void* arg;
    uint64_t tag;
  };
  // On this worker's thread only (in_this_thread()).
  void defer(Task task) { deferred_.push_back(task); }
  // The same, ahead of every task deferred before: what runs as soon as the running fiber or task
  // lets go of the thread (a callee handed a call by its caller, which waits for it next).
  void defer_first(Task task) { deferred_.push_front(Task(task)); }
  // On this worker's thread, from a fiber about to wait for a call it just sent: runs the deferred
  // task that would run next when that is a `run` task (the callee handed that call), here and now.
  // The caller then switches straight to the callee's fiber, and the callee that answers at once
  // straight back, instead of both going through the worker's loop. Each counts as a task of the
  // loop's turn: two actors that call back and forth still let the loop serve other threads'
  // messages, timers and the turn's end. Whether it ran.
  bool run_next_here(void (*run)(void*, uint64_t));
  // From any thread: runs `task` on this worker, through a lock-free queue (wakes the worker if it
  // sleeps). Falls back to a post through the io_context when that queue is full.
  void send(Task task);
  // Whether the worker sleeps in the io_context for want of work (any thread; a hint).
  bool asleep() const { return sleeping_.load(std::memory_order_relaxed); }
  // How many times the worker has woken from sleep (any thread).
  uint64_t wake_ups() const { return wake_ups_.load(std::memory_order_relaxed); }
  // What the worker's tasks put off to the end of its turn (the frames they send to other nodes):
  // run by the worker's loop after every batch of tasks and before it spins or sleeps; by the
  // node's balancer while guest code holds the worker (common::TurnEnd::current() on its thread).
  common::TurnEnd& turn_end() { return turn_end_; }
  // From any thread: wakes the worker if it sleeps, so that it looks for work again.
  void nudge();
  // On this worker's thread: whether tasks wait besides the running one.
  bool has_backlog() const { return !deferred_.empty() || inbox_.maybe_nonempty(); }
  // On this worker's thread: fibers whose export call ended, kept to run the next one
  // (Actor::run_fiber). A new fiber costs a switch to set it up and one to tear it down besides
  // the switches in and out; a kept one costs those two only. take_fiber() is empty when none is
  // kept; keep_fiber() takes `fiber` unless enough are kept already (then false).
  boost::context::fiber take_fiber();
  bool keep_fiber(boost::context::fiber& fiber);
  void end_kept_fibers();

 private:
  friend class WorkerPool;
  // Runs deferred tasks (those they defer too) until none is left or the turn's budget is spent;
  // whether any ran.
  bool run_deferred();
  // Runs the tasks other threads sent (at most `budget`); whether any ran.
  bool run_inbox(size_t budget);
  // Before the worker sleeps in the io_context: false (and not sleeping) when a task came in.
  bool prepare_to_sleep();
  void woke() {
    sleeping_.store(false, std::memory_order_relaxed);
    wake_ups_.fetch_add(1, std::memory_order_relaxed);
  }
  boost::asio::io_context io_{1};
  std::thread::id thread_id_;
  size_t index_ = 0;
  std::atomic<std::chrono::steady_clock::rep> guest_since_{0};
  std::chrono::steady_clock::rep recent_ = 0;       // note_time(); this worker's thread only
  Ring<Task> deferred_;                             // this worker's thread only
  std::vector<boost::context::fiber> kept_fibers_;  // this worker's thread only
  // Tasks the loop's turn may still run, deferred or straight from a caller (run_next_here).
  size_t turn_left_ = 0;  // this worker's thread only
  TaskInbox<Task, 1024> inbox_;
  std::atomic<bool> sleeping_{false};
  std::atomic<uint64_t> wake_ups_{0};
  common::TurnEnd turn_end_;
  std::atomic<IdlePoller*> poller_{nullptr};
};

class WorkerPool {
 public:
  // `threads` 0: one per hardware thread. A worker that runs out of work keeps polling its queue
  // for `spin` before it sleeps: a message from another worker then costs no thread wake-up
  // (tens of microseconds on a busy machine) when it comes soon, for a little CPU when idle.
  explicit WorkerPool(unsigned threads,
                      std::chrono::microseconds spin = std::chrono::microseconds(50));
  ~WorkerPool();  // stop() + join
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return workers_.size(); }
  Worker& at(size_t i) { return *workers_[i % workers_.size()]; }
  // Where an actor whose home is `home` runs its next call: home, unless guest code has held home
  // for longer than `patience`; then the other worker held least (home when all are held). Asked
  // on home's own thread, home (the sender is the guest code holding it). Asked on another
  // worker while home sleeps, that worker (home is woken too when that worker has more work
  // waiting, so that the load spreads again).
  Worker& pick(Worker& home, std::chrono::nanoseconds patience);
  // Lets every queued handler run, then ends the threads.
  void stop();
  // From now on idle workers poll `poller` too (null: no more); it must outlive the threads.
  void set_idle_poller(IdlePoller* poller);

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  static void run_worker(Worker& worker, std::chrono::microseconds spin);
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
};

}  // namespace actr::runtime
