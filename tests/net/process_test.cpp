// A peer in another process: calls across processes, and `kill -9` of that process fails the
// calls in flight promptly with unavailable.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;

// Runs in the forked child: serves until killed. Calls to "hang" are accepted, never answered.
[[noreturn]] void serve_child(int port_pipe) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  static std::mutex m;
  static std::vector<Responder> held;
  auto o = options("child", "node:9");
  o.on_request = [](const PeerInfo&, Request request, Responder responder) {
    if (request.message.route_key == "hang") {
      responder.accept(Status::Ok());
      std::lock_guard lock(m);
      held.push_back(std::move(responder));
      return;
    }
    responder.reply(CallResult::Ok(bytes("pid " + std::to_string(getpid()))));
  };
  auto t = Transport::start(std::move(o));
  uint16_t port = t.ok() ? t.value()->port() : 0;
  if (write(port_pipe, &port, sizeof port) != sizeof port) _exit(2);
  for (;;) pause();
}

TEST(NetProcess, KilledPeerProcessFailsInFlightCallsPromptly) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    serve_child(fds[1]);
  }
  close(fds[1]);
  uint16_t port = 0;
  ASSERT_EQ(read(fds[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  close(fds[0]);
  ASSERT_NE(port, 0);

  auto client = start(options("parent", "node:1"));
  auto peer = client->peer("127.0.0.1:" + std::to_string(port)).value();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "who", ""));
  ASSERT_TRUE(r.has_value() && r->is_ok());
  EXPECT_EQ(text(r->value()), "pid " + std::to_string(child));

  constexpr int kCalls = 5;
  std::mutex m;
  std::condition_variable cv;
  int accepted = 0;
  std::vector<CallResult> results;
  for (int i = 0; i < kCalls; ++i) {
    peer->call(
        make_request(Kind::Call, "hang", ""),
        [&](Status s) {
          std::lock_guard lock(m);
          if (s.is_ok())
            accepted++;
          else
            results.push_back(CallResult::Err(s.error()));
          cv.notify_all();
        },
        [&](CallResult result) {
          std::lock_guard lock(m);
          results.push_back(std::move(result));
          cv.notify_all();
        });
  }
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return accepted == kCalls; }));
  }
  auto killed_at = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(child, SIGKILL), 0);
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return results.size() == kCalls; }));
  auto took = std::chrono::steady_clock::now() - killed_at;
  lock.unlock();
  EXPECT_LT(took, 100ms);
  for (auto& result : results) {
    ASSERT_TRUE(result.is_err());
    EXPECT_EQ(result.error().tag(), ActrError::Tag::Unavailable);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
}

}  // namespace
}  // namespace actr::net::test
