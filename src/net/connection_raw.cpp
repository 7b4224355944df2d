// Connection (connection.hpp): raw socket mode. An open plain WebSocket with sender writes is
// read and written by the connection itself, not through Beast's stream, so that any thread can
// read it: the transport thread (on the strand, woken by a one-shot epoll registration of the
// socket) or a worker with nothing to do (WorkerReads), whichever holds the read lock. Frames
// are handled in the order they arrived, by whoever read them; a worker hands everything but
// requests and answers to the strand (and reads no further until the strand has handled them).

#include <errno.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <cstring>
#include <system_error>

#include "net/connection.hpp"
#include "net/connection_internal.hpp"
#include "net/upgrade.hpp"
#include "net/websocket_frame.hpp"
#include "net/wire.hpp"
#include "net/worker_reads.hpp"

namespace actr::net::detail {

namespace {

constexpr size_t kReadChunk = 16 * 1024;  // the least room a recv() gets

std::string errno_text(int e) { return std::error_code(e, std::system_category()).message(); }

}  // namespace

bool Connection::raw_wanted() const {
  return plain_ != nullptr && !carrier_ && ctx_->worker_reads != nullptr;
}

// ---------------------------------------------------------------------------------------------
// The connecting side's upgrade (what Beast's handshake does, into our own buffer: the bytes the
// peer sends right after its 101 are then ours to read, not left in Beast's stream)

void Connection::raw_handshake(const std::string& credential, const std::string& node,
                               const std::string& listen) {
  websocket::detail::sec_ws_key_type key;
  websocket::detail::make_sec_ws_key(key);
  auto request =
      std::make_shared<http::request<http::empty_body>>(http::verb::get, address_->path, 11);
  request->set(http::field::host, address_->to_string());
  request->set(http::field::upgrade, "websocket");
  request->set(http::field::connection, "Upgrade");
  request->set(http::field::sec_websocket_key, key);
  request->set(http::field::sec_websocket_version, "13");
  request->set(http::field::user_agent, BOOST_BEAST_VERSION_STRING);
  request->set(kCredentialHeader, credential);
  if (!node.empty()) request->set(kNodeHeader, node);
  if (!listen.empty()) request->set(kListenHeader, listen);
  http::async_write(
      plain_->next_layer(), *request,
      [self = shared_from_this(), request, key = std::string(key.data(), key.size())](
          beast::error_code ec, size_t) {
        if (self->finished_ || self->closed_flag_) return;
        if (ec) {
          self->on_handshake(ec);
          return;
        }
        self->response_parser_.emplace();
        self->response_parser_->body_limit(64 * 1024);
        http::async_read(
            self->plain_->next_layer(), self->buffer_, *self->response_parser_,
            [self, key](beast::error_code ec, size_t) { self->on_raw_response(ec, key); });
      });
}

void Connection::on_raw_response(beast::error_code ec, const std::string& key) {
  if (finished_ || closed_flag_) return;
  if (ec) {
    response_parser_.reset();
    on_handshake(ec);
    return;
  }
  upgrade_response_ = response_parser_->release();
  response_parser_.reset();
  if (upgrade_response_.result() != http::status::switching_protocols) {
    on_upgrade_declined();
    return;
  }
  websocket::detail::sec_ws_accept_type expected;
  websocket::detail::make_sec_ws_accept(expected, key);
  const char* wrong = nullptr;
  if (upgrade_response_.version() != 11)
    wrong = "not HTTP/1.1";
  else if (!beast::iequals(upgrade_response_[http::field::upgrade], "websocket"))
    wrong = "no Upgrade: websocket";
  else if (!http::token_list(upgrade_response_[http::field::connection]).exists("upgrade"))
    wrong = "no Connection: upgrade";
  else if (upgrade_response_[http::field::sec_websocket_accept] !=
           beast::string_view(expected.data(), expected.size()))
    wrong = "wrong Sec-WebSocket-Accept";
  if (wrong) {
    upgrade_response_ = {};
    stop_taking(lost(describe(), std::string("WebSocket handshake: ") + wrong));
    finish();
    return;
  }
  if (!enter_raw()) return;
  ws_up_ = true;
  upgraded();
}

// ---------------------------------------------------------------------------------------------
// The switch

bool Connection::enter_raw() {
  beast::error_code ec;
  auto socket = plain_->next_layer().release_socket();
  int fd = socket.release(ec);  // out of the reactor: ours from now on
  if (ec || fd < 0) {
    stop_taking(lost(describe(), "taking over the socket: " + ec.message()));
    finish();
    return false;
  }
  raw_fd_ = fd;
  raw_ = true;
  watch_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  if (watch_fd_ < 0 || ::epoll_ctl(watch_fd_, EPOLL_CTL_ADD, raw_fd_, &ev) != 0) {
    int e = errno;
    if (watch_fd_ >= 0) ::close(watch_fd_);
    watch_fd_ = -1;
    stop_taking(lost(describe(), "watching the socket: " + errno_text(e)));
    finish();
    return false;
  }
  watch_ = std::make_unique<asio::posix::stream_descriptor>(strand_, watch_fd_);
  {
    std::lock_guard lock(arm_mu_);
    watch_open_ = true;
  }
  {
    std::lock_guard lock(read_mu_);
    read_fd_ = raw_fd_;
    // What came right behind the upgrade is the start of the stream.
    auto left = buffer_.cdata();
    rbuf_.resize(std::max(kReadChunk * 2, left.size() + kReadChunk));
    std::memcpy(rbuf_.data(), left.data(), left.size());
    rbegin_ = 0;
    rend_ = left.size();
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();
  }
  arm_watch();
  return true;
}

// ---------------------------------------------------------------------------------------------
// The transport thread's watch

void Connection::arm_watch() {
  watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                     [self = shared_from_this()](beast::error_code ec) { self->on_watch(ec); });
}

void Connection::on_watch(beast::error_code ec) {
  if (ec || finished_) return;
  epoll_event ev{};
  int n;
  do {
    n = ::epoll_wait(watch_fd_, &ev, 1, 0);  // takes the one-shot event: disarmed until re-armed
  } while (n < 0 && errno == EINTR);
  arm_watch();
  if (n <= 0) return;
  if (ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
    bool waiting;
    {
      std::lock_guard lock(arm_mu_);
      waiting = want_out_;
      want_out_ = false;
    }
    if (waiting) raw_write_loop();
    if (finished_) return;
  }
  if (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)) {
    // While the node's workers poll they read it: the watch stays disarmed (no wake-up of this
    // thread for each frame) until they stop.
    bool parked = worker_readable_ && ctx_->worker_reads->park(*this);
    if (!parked) strand_read();
    if (finished_) return;
  }
  std::lock_guard lock(arm_mu_);
  apply_watch();
}

void Connection::apply_watch() {
  if (!watch_open_) return;
  uint32_t events = 0;
  if (!parked_ && !read_deferred_ && !read_over_) events |= EPOLLIN | EPOLLRDHUP;
  if (want_out_) events |= EPOLLOUT;
  if (events == 0) return;  // nothing wanted: it stays disarmed
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  // Re-arming looks at the socket as it is now: what came meanwhile wakes the strand at once.
  ::epoll_ctl(watch_fd_, EPOLL_CTL_MOD, raw_fd_, &ev);
}

void Connection::rearm_watch() {
  std::lock_guard lock(arm_mu_);
  apply_watch();
}

// ---------------------------------------------------------------------------------------------
// Reading

void Connection::strand_read() {
  std::lock_guard lock(read_mu_);  // waits for a worker that reads it now
  if (handed_off_ > 0) {
    // Frames a worker read wait on the strand: what came after them is read once they ran.
    read_deferred_ = true;
    return;
  }
  read_raw();
}

bool Connection::worker_read() {
  std::unique_lock lock(read_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return false;  // the transport thread or another worker reads it
  if (!worker_reads_ok_ || read_fd_ < 0 || handed_off_ > 0 || read_over_) return false;
  on_worker_ = true;
  bool read = read_raw();
  on_worker_ = false;
  if (read) ctx_->worker_reads->counted_read();
  return read;
}

bool Connection::read_raw() {
  bool any = false;
  // Whole frames left from before (the bytes behind the upgrade) first.
  if (rend_ > rbegin_ && !draining_) parse_raw();
  while (read_fd_ >= 0 && !read_over_ && handed_off_ == 0) {
    // Room for the next frame and a chunk more: compact, then grow.
    if (rbegin_ == rend_) {
      rbegin_ = rend_ = 0;
    } else if (rbegin_ > 0 &&
               (rbuf_.size() - rend_ < kReadChunk || rbegin_ + needed_ > rbuf_.size())) {
      std::memmove(rbuf_.data(), rbuf_.data() + rbegin_, rend_ - rbegin_);
      rend_ -= rbegin_;
      rbegin_ = 0;
    }
    size_t want = std::max(rend_ + kReadChunk, rbegin_ + needed_);
    if (rbuf_.size() < want) rbuf_.resize(want);
    size_t room = rbuf_.size() - rend_;
    ssize_t n = ::recv(read_fd_, rbuf_.data() + rend_, room, MSG_DONTWAIT);
    if (n > 0) {
      any = true;
      rend_ += static_cast<size_t>(n);
      if (draining_) {
        rbegin_ = rend_ = 0;  // closing after a breach: nothing more is handled
      } else {
        parse_raw();
      }
      if (static_cast<size_t>(n) < room) break;  // drained (a re-armed watch sees the rest)
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    any = true;
    raw_fail(n == 0 ? "the peer closed the connection" : errno_text(errno), false);
    break;
  }
  if (rbegin_ == rend_) rbegin_ = rend_ = 0;
  // A connection quiet for long gives its buffer back.
  if (rend_ == 0 && rbuf_.size() > 4 * kReadChunk) {
    rbuf_.resize(2 * kReadChunk);
    rbuf_.shrink_to_fit();
  }
  return any;
}

void Connection::parse_raw() {
  const size_t limit = ctx_->options.limits.max_frame_bytes;
  needed_ = 0;
  while (!read_over_ && !draining_ && read_fd_ >= 0) {
    size_t avail = rend_ - rbegin_;
    if (avail < 2) {
      needed_ = 2;
      return;
    }
    uint8_t* p = rbuf_.data() + rbegin_;
    bool fin = (p[0] & 0x80) != 0;
    unsigned reserved = p[0] & 0x70;
    unsigned op = p[0] & 0x0f;
    bool masked = (p[1] & 0x80) != 0;
    uint64_t length = p[1] & 0x7f;
    size_t header = 2;
    if (length == 126) {
      if (avail < 4) {
        needed_ = 4;
        return;
      }
      length = (uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (avail < 10) {
        needed_ = 10;
        return;
      }
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
      header = 10;
    }
    if (masked) header += 4;
    // What Beast refuses, refused before the payload is waited for.
    if (reserved != 0) return raw_fail("a WebSocket frame with reserved bits set", true);
    if (op >= 8 && (!fin || length > 125))
      return raw_fail("a malformed WebSocket control frame", true);
    if (masked != inbound_) {
      return raw_fail(inbound_ ? "an unmasked WebSocket frame from a client"
                               : "a masked WebSocket frame from a server",
                      true);
    }
    if (op < 8 && length + (fragmented_ ? fragments_.size() : 0) > limit) {
      spdlog::warn("net: {} sent a frame over the {}-byte limit; closing the connection",
                   describe(), limit);
      return raw_fail("the peer sent a frame over the size limit", false);
    }
    if (avail < header + length) {
      needed_ = header + static_cast<size_t>(length);
      return;
    }
    uint8_t* payload = p + header;
    auto body = std::span<uint8_t>(payload, static_cast<size_t>(length));
    if (masked) {
      std::array<uint8_t, 4> key;
      std::memcpy(key.data(), payload - 4, 4);
      apply_mask(body, key);
    }
    rbegin_ += header + static_cast<size_t>(length);  // the bytes stay put until the next recv
    switch (op) {
      case 0x2:  // binary
        if (fragmented_) return raw_fail("a new WebSocket message inside a fragmented one", true);
        if (fin) {
          on_message(body);
        } else {
          fragments_.assign(reinterpret_cast<const char*>(body.data()), body.size());
          fragmented_ = true;
        }
        break;
      case 0x0:  // continuation
        if (!fragmented_) return raw_fail("a WebSocket continuation without a message", true);
        fragments_.append(reinterpret_cast<const char*>(body.data()), body.size());
        if (fin) {
          std::string whole = std::move(fragments_);
          fragments_.clear();
          fragmented_ = false;
          on_message(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(whole.data()),
                                              whole.size()));
        }
        break;
      case 0x1:  // text
        return raw_fail("text WebSocket message (frames are binary)", true);
      case 0x8: {  // close
        std::string why = "closed by the peer";
        if (body.size() > 2) {
          why += " (" +
                 std::string(reinterpret_cast<const char*>(body.data()) + 2, body.size() - 2) + ")";
        }
        return raw_fail(why, false);
      }
      case 0x9:  // ping
        last_heard_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                          std::memory_order_relaxed);
        raw_pong(body);
        break;
      case 0xa:  // pong
        last_heard_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                          std::memory_order_relaxed);
        break;
      default:
        return raw_fail("a WebSocket frame with an unknown opcode", true);
    }
  }
}

void Connection::raw_fail(std::string why, bool protocol) {
  if (protocol) {
    // As protocol_error(): a Close frame, then the connection drains until the peer hangs up.
    draining_ = true;
    broke(why);
    return;
  }
  read_over_ = true;
  worker_readable_ = false;
  if (reads_id_ && ctx_->worker_reads) ctx_->worker_reads->quiet(read_fd_);  // no more polls
  if (on_worker_) {
    hand_off([this, why = std::move(why)] { raw_ended(why); });
  } else {
    raw_ended(why);
  }
}

void Connection::raw_ended(const std::string& why) {
  if (finished_) return;
  if (closed_flag_) {  // we were closing: the peer hung up, or our own shutdown completed
    finish();
    return;
  }
  stop_taking(lost(describe(), why));
  finish();
}

void Connection::broke(const std::string& reason) {
  if (!on_worker_) {
    protocol_error(reason);
    return;
  }
  draining_ = true;
  hand_off([this, reason] { protocol_error(reason); });
}

void Connection::hand_off(std::function<void()> job) {
  ++handed_off_;
  asio::post(strand_, [self = shared_from_this(), job = std::move(job)] {
    std::lock_guard lock(self->read_mu_);
    if (!self->finished_) job();
    if (--self->handed_off_ > 0 || !self->read_deferred_.exchange(false)) return;
    // The strand skipped a read for these: it reads now and watches again.
    if (!self->finished_) self->read_raw();
    std::lock_guard arm(self->arm_mu_);
    self->apply_watch();
  });
}

void Connection::raw_pong(std::span<const uint8_t> payload) {
  std::optional<std::array<uint8_t, 4>> mask;
  if (!inbound_) mask = fresh_mask();
  std::string bytes(payload.begin(), payload.end());
  if (mask) {
    apply_mask(std::span<uint8_t>(reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()), *mask);
  }
  auto header = binary_frame_header(bytes.size(), mask ? &*mask : nullptr);
  header.bytes[0] = 0x80 | 0xa;  // FIN, pong
  std::unique_lock lock(write_mu_);
  if (write_closed_) return;
  raw_rest_.append(reinterpret_cast<const char*>(header.bytes.data()), header.size);
  raw_rest_.append(bytes);
  if (writing_) return;  // the writer takes it next
  writing_ = true;
  lock.unlock();
  asio::post(strand_, [self = shared_from_this()] { self->do_write(); });
}

// ---------------------------------------------------------------------------------------------
// Writing (the strand's part: what senders queued, batched, and the rest of their writes)

void Connection::raw_write_loop() {
  for (;;) {
    if (in_flight_done_ >= in_flight_.size()) {
      std::unique_lock lock(write_mu_);
      in_flight_.clear();
      in_flight_done_ = 0;
      if (finished_) {
        writing_ = false;
        return;
      }
      if (!raw_rest_.empty()) {  // already framed: a direct write's rest, a pong
        in_flight_ = std::move(raw_rest_);
        raw_rest_.clear();
      } else if (!writes_.empty()) {
        std::string message = take_next_message();
        lock.unlock();
        std::optional<std::array<uint8_t, 4>> mask;
        if (!inbound_) mask = fresh_mask();
        auto header = binary_frame_header(message.size(), mask ? &*mask : nullptr);
        if (mask) {
          apply_mask(std::span<uint8_t>(reinterpret_cast<uint8_t*>(message.data()), message.size()),
                     *mask);
        }
        in_flight_.reserve(header.size + message.size());
        in_flight_.assign(reinterpret_cast<const char*>(header.bytes.data()), header.size);
        in_flight_.append(message);
      } else {
        writing_ = false;
        lock.unlock();
        if (close_after_writes_) shutdown_send();
        return;
      }
    }
    ssize_t n = ::send(raw_fd_, in_flight_.data() + in_flight_done_,
                       in_flight_.size() - in_flight_done_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      in_flight_done_ += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      std::lock_guard lock(arm_mu_);
      want_out_ = true;  // on_watch goes on when the socket takes more
      apply_watch();
      return;
    }
    int e = errno;
    {
      std::lock_guard lock(write_mu_);
      writing_ = false;
    }
    if (finished_) return;
    if (!closed_flag_) stop_taking(lost(describe(), "write: " + errno_text(e)));
    finish();
    return;
  }
}

// ---------------------------------------------------------------------------------------------
// Closing

void Connection::raw_close() {
  end_direct_writes();  // no sender writes to the descriptor from now on (it may be reused)
  uint64_t id = 0;
  int fd = raw_fd_;
  {
    std::lock_guard lock(read_mu_);  // waits for a worker that reads it now
    read_fd_ = -1;
    read_over_ = true;
    worker_reads_ok_ = false;
    worker_readable_ = false;
    id = std::exchange(reads_id_, 0);
  }
  if (id && ctx_->worker_reads) ctx_->worker_reads->remove(id, fd);
  {
    std::lock_guard lock(arm_mu_);
    watch_open_ = false;
  }
  if (watch_) {
    beast::error_code ignored;
    watch_->close(ignored);  // closes watch_fd_
  }
  watch_fd_ = -1;
  if (raw_fd_ >= 0) ::close(raw_fd_);
  raw_fd_ = -1;
}

}  // namespace actr::net::detail
