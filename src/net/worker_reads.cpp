#include "net/worker_reads.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <vector>

#include "net/connection.hpp"

namespace actr::net {

namespace {

std::chrono::steady_clock::rep ticks_now() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}

// The wait this thread armed while it held the sleeping token of a WorkerReads.
thread_local WorkerReads* tls_sleeping_on = nullptr;
thread_local boost::asio::posix::stream_descriptor* tls_wait = nullptr;
// The io_context this thread has a Waiter in (for end()).
thread_local WorkerReads* tls_waiter_of = nullptr;
thread_local boost::asio::io_context* tls_waiter_io = nullptr;

}  // namespace

WorkerReads::WorkerReads(boost::asio::io_context& io)
    : io_(io),
      ep_(::epoll_create1(EPOLL_CLOEXEC)),
      guard_(std::make_unique<boost::asio::steady_timer>(io)) {}

WorkerReads::~WorkerReads() {
  waiters_.clear();  // (the workers' threads have ended; their io_contexts outlive this)
  if (ep_ >= 0) ::close(ep_);
}

// ---------------------------------------------------------------------------------------------
// The workers' side

void WorkerReads::begin() {
  polled_at_.store(ticks_now(), std::memory_order_relaxed);
  pollers_.fetch_add(1);
}

bool WorkerReads::poll() {
  polled_at_.store(ticks_now(), std::memory_order_relaxed);
  epoll_event events[8];
  int n = ep_ >= 0 ? ::epoll_wait(ep_, events, 8, 0) : 0;
  bool read = false;
  for (int i = 0; i < n; ++i) {
    std::shared_ptr<detail::Connection> c;
    {
      std::lock_guard lock(mu_);
      auto it = connections_.find(events[i].data.u64);
      if (it != connections_.end()) c = it->second;
    }
    if (c) read |= c->worker_read();
  }
  return read;
}

void WorkerReads::end() {
  if (tls_waiter_of == this) {
    // Its wait goes on this thread, while its io_context is alive (a pending handler is
    // destroyed with the io_context, not run: the worker polls it no more).
    std::unique_ptr<boost::asio::posix::stream_descriptor> wait;
    {
      std::lock_guard lock(mu_);
      auto it = waiters_.find(tls_waiter_io);
      if (it != waiters_.end()) {
        wait = std::move(it->second.wait);
        waiters_.erase(it);
      }
    }
    tls_waiter_of = nullptr;
    tls_waiter_io = nullptr;
  }
  // Pairs with park(): either the transport thread sees no reader after it parked a connection,
  // or this sees the connection parked.
  if (pollers_.fetch_sub(1) == 1) unpark_all();
}

void WorkerReads::sleep(boost::asio::io_context& io) {
  if (sleeper_.exchange(true)) return;  // another worker sleeps on the set
  Waiter* w;
  {
    std::lock_guard lock(mu_);
    if (shut_) {
      sleeper_ = false;
      return;
    }
    w = &waiters_[&io];
    if (!w->wait && ep_ >= 0) {
      int fd = ::dup(ep_);
      if (fd >= 0) w->wait = std::make_unique<boost::asio::posix::stream_descriptor>(io, fd);
      tls_waiter_of = this;
      tls_waiter_io = &io;
    }
  }
  if (!w->wait) {
    sleeper_ = false;
    return;
  }
  tls_sleeping_on = this;
  tls_wait = w->wait.get();
  asleep_.store(true);
  if (w->armed) return;
  w->armed = true;
  // Arming looks at the set as it is now: a connection readable already wakes the worker at once.
  w->wait->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                      [weak = weak_from_this(), w](boost::system::error_code ec) {
                        if (ec) return;  // dropped (woke(), shutdown()): `armed` was cleared
                        auto self = weak.lock();
                        if (!self) return;
                        w->armed = false;
                        self->poll();
                      });
}

void WorkerReads::woke() {
  if (tls_sleeping_on != this) return;
  tls_sleeping_on = nullptr;
  polled_at_.store(ticks_now(), std::memory_order_relaxed);  // awake, and polling on every turn
  asleep_.store(false);
  // Woken for something else: the wait is dropped (its handler runs with an error), so that the
  // next worker to sleep on the set is the only one a frame wakes.
  boost::system::error_code ignored;
  tls_wait->cancel(ignored);
  tls_wait = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = waiters_.find(tls_waiter_io);
    if (it != waiters_.end()) it->second.armed = false;
  }
  sleeper_.store(false);
  if (guard_resting_.load(std::memory_order_relaxed) && guard_resting_.exchange(false)) {
    // Parked connections wait for this worker now that it runs: the guard watches it again.
    std::lock_guard lock(mu_);
    if (!shut_) boost::asio::post(io_, [self = shared_from_this()] { self->arm_guard(); });
  }
}

// ---------------------------------------------------------------------------------------------
// The transport's side

uint64_t WorkerReads::add(const std::shared_ptr<detail::Connection>& c, int fd) {
  std::lock_guard lock(mu_);
  uint64_t id = ++next_id_;
  connections_.emplace(id, c);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = id;
  if (ep_ >= 0) ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  return id;
}

void WorkerReads::remove(uint64_t id, int fd) {
  std::shared_ptr<detail::Connection> gone;  // released after the lock
  std::lock_guard lock(mu_);
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  gone = std::move(it->second);
  connections_.erase(it);
  if (ep_ >= 0 && fd >= 0) ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
}

void WorkerReads::quiet(int fd) {
  if (ep_ >= 0 && fd >= 0) ::epoll_ctl(ep_, EPOLL_CTL_DEL, fd, nullptr);
}

bool WorkerReads::reading(std::chrono::steady_clock::time_point now) const {
  if (asleep_.load()) return true;
  if (pollers_.load() == 0) return false;
  auto since = now.time_since_epoch().count() - polled_at_.load(std::memory_order_relaxed);
  return since < std::chrono::duration_cast<std::chrono::steady_clock::duration>(kStale).count();
}

bool WorkerReads::park(detail::Connection& c) {
  if (!reading(std::chrono::steady_clock::now())) return false;
  c.parked_.store(true);
  if (pollers_.load() == 0 && !asleep_.load()) {
    // The last worker ended meanwhile: when it did not see the connection parked, the transport
    // thread reads; when it did, it re-armed the watch already.
    return !c.parked_.exchange(false);
  }
  arm_guard();
  return true;
}

void WorkerReads::shutdown() {
  guard_.reset();
  std::unordered_map<uint64_t, std::shared_ptr<detail::Connection>> left;  // released unlocked
  // A worker's armed wait is work of its io_context: dropped, so that the worker's thread can
  // end (on that thread: the descriptor is the worker's).
  std::lock_guard lock(mu_);
  shut_ = true;
  left.swap(connections_);  // closed by now: no cycle through this
  for (auto& [io, waiter] : waiters_) {
    // (A worker's io_context outlives its end(), which takes its Waiter out of the map.)
    boost::asio::post(*io, [self = shared_from_this(), io = io] {
      std::lock_guard lock(self->mu_);
      auto it = self->waiters_.find(io);
      if (it == self->waiters_.end() || !it->second.wait) return;
      boost::system::error_code ignored;
      it->second.wait->cancel(ignored);
      it->second.armed = false;
    });
  }
}

void WorkerReads::arm_guard() {
  if (!guard_ || guard_armed_.exchange(true)) return;
  guard_->expires_after(kStale);
  guard_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    // Cleared first: a connection parked from here on arms the guard anew.
    self->guard_armed_ = false;
    if (ec) return;
    bool parked = false;
    {
      std::lock_guard lock(self->mu_);
      for (auto& [id, c] : self->connections_) parked |= c->parked_.load();
    }
    if (!parked) return;
    if (self->asleep_.load()) {
      // Its frames wake the sleeping worker; the guard rests until a worker wakes (woke()).
      self->guard_resting_ = true;
      if (!self->asleep_.load() && self->guard_resting_.exchange(false)) self->arm_guard();
      return;
    }
    if (self->reading(std::chrono::steady_clock::now())) {
      self->arm_guard();  // still read by workers that poll: look again later
      return;
    }
    // The workers are busy (or gone): the transport thread reads again.
    self->unpark_all();
  });
}

void WorkerReads::unpark_all() {
  std::vector<std::shared_ptr<detail::Connection>> parked;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, c] : connections_) {
      if (c->parked_.exchange(false)) parked.push_back(c);
    }
  }
  for (auto& c : parked) c->rearm_watch();
}

}  // namespace actr::net
