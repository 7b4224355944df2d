// Reads of a transport's open connections by the threads that wait for what they bring: a node's
// workers (Transport::worker_reads(); the runtime's IdlePoller). A transport thread that reads a
// frame and hands it to a worker costs two thread wake-ups per frame, its own for the socket and
// then the worker's; a worker that has nothing else to do reads the sockets itself instead and
// handles what it reads on its own thread (a reply resumes its caller there, a request goes to
// its callee's queue), and a worker that goes to sleep sleeps on the sockets too, so that a frame
// wakes it directly.
//
// Who reads: every open plain WebSocket connection (raw socket mode, connection_raw.cpp) is in
// one level-triggered epoll set, which workers ask without waiting on every turn of their loop
// (poll()), and which the first worker to go to sleep waits on in its own io_context (sleep()):
// one sleeping worker at a time, so that a frame wakes one thread. A connection's reads are
// serialized by its read lock; whoever holds it reads and handles frames in order. The transport
// thread watches each socket through a one-shot registration (Connection::on_watch) and, while
// the workers read (one sleeps on the set, or one polled within kStale), leaves a socket that
// became readable to them: "parked", its watch not re-armed, so that further frames do not wake
// the transport thread. A guard timer re-arms every parked watch once the workers have been busy
// for kStale (guest code that computes long must not hold up the node's frames), and so does the
// last worker to end.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace actr::net {

namespace detail {
class Connection;
}

class WorkerReads : public std::enable_shared_from_this<WorkerReads> {
 public:
  // Workers none of which sleeps on the set and none of which has polled for this long are taken
  // to be busy: the transport thread reads again.
  static constexpr std::chrono::microseconds kStale{500};

  // `io`: the transport's (for the guard timer).
  explicit WorkerReads(boost::asio::io_context& io);
  ~WorkerReads();
  WorkerReads(const WorkerReads&) = delete;
  WorkerReads& operator=(const WorkerReads&) = delete;

  // The workers, any of their threads. begin() once before the first poll(), end() when the
  // thread ends; poll() on every turn of the worker's loop: reads every connection with bytes
  // waiting whose read lock is free, and says whether it read anything.
  void begin();
  bool poll();
  void end();
  // Before the calling worker sleeps in `io` (its own io_context): when no other worker sleeps on
  // the set, it arms a wait there, so that a connection that becomes readable wakes this worker
  // (which then reads it) instead of the transport thread. woke() after the sleep.
  void sleep(boost::asio::io_context& io);
  void woke();

  // Frames (WebSocket messages) read by workers so far.
  uint64_t worker_reads() const { return worker_reads_.load(std::memory_order_relaxed); }

  // The transport's side (connections and Transport).
  // An open connection whose socket `fd` workers may read; its id for remove().
  uint64_t add(const std::shared_ptr<detail::Connection>& c, int fd);
  void remove(uint64_t id, int fd);
  // No worker reads it any more (its socket is at end of stream): out of the set.
  void quiet(int fd);
  // On the transport thread, for a connection whose socket became readable: true when the
  // workers read it (the connection is parked: its watch stays disarmed until they are busy or
  // end).
  bool park(detail::Connection& c);
  void counted_read() { worker_reads_.fetch_add(1, std::memory_order_relaxed); }
  // The transport stopped (its threads are joined): no more guard timer, no more waits.
  void shutdown();

 private:
  // Whether the workers read now: one sleeps on the set, or one polled within kStale.
  bool reading(std::chrono::steady_clock::time_point now) const;
  void arm_guard();  // on a transport thread
  void unpark_all();

  boost::asio::io_context& io_;
  int ep_ = -1;  // level-triggered EPOLLIN of every registered socket, data = its id
  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<detail::Connection>> connections_;  // guarded
  uint64_t next_id_ = 0;                                                           // guarded
  std::atomic<int> pollers_{0};  // workers between begin() and end()
  std::atomic<std::chrono::steady_clock::rep> polled_at_{0};
  std::atomic<uint64_t> worker_reads_{0};
  // The one sleeping worker whose wait is armed (sleeper_: the token; asleep_: it sleeps now).
  std::atomic<bool> sleeper_{false};
  std::atomic<bool> asleep_{false};
  struct Waiter {  // a worker's wait on the set (a duplicate of ep_ in the worker's io_context)
    std::unique_ptr<boost::asio::posix::stream_descriptor> wait;
    bool armed = false;  // the worker's thread only
  };
  std::unordered_map<boost::asio::io_context*, Waiter> waiters_;  // guarded by mu_
  bool shut_ = false;                                             // guarded by mu_
  // On io_: armed by its threads only (or posted there); gone after shutdown().
  std::unique_ptr<boost::asio::steady_timer> guard_;
  std::atomic<bool> guard_armed_{false};
  // The guard found a worker asleep and stopped (an idle node has no timer running): the worker
  // that wakes next arms it again.
  std::atomic<bool> guard_resting_{false};
};

}  // namespace actr::net
