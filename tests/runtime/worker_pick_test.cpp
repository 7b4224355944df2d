// WorkerPool::pick for a sender on another worker: while the actor's home sleeps, the message runs
// on the sender's worker; home is woken only when the sender's worker has more work waiting, so
// that a lone call costs no thread wake-up and a loaded worker spreads its load again. Asked from
// no worker, the answer stays home.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "runtime/worker_pool.hpp"

namespace actr::test {
namespace {

using namespace std::chrono_literals;

// Waits (polling, bounded) until `done` holds; whether it did.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = 10s) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// What pick() answers on `sender`'s thread for an actor at home on `home`.
runtime::Worker* pick_on(runtime::WorkerPool& pool, runtime::Worker& sender,
                         runtime::Worker& home) {
  std::promise<runtime::Worker*> answer;
  boost::asio::post(sender.io(), [&] { answer.set_value(&pool.pick(home, 2ms)); });
  return answer.get_future().get();
}

// What pick() answers on `sender`'s thread, with `waiting` tasks deferred there first, and whether
// home still slept right after it answered.
struct Picked {
  runtime::Worker* worker;
  bool home_asleep;
};
Picked pick_with_backlog(runtime::WorkerPool& pool, runtime::Worker& sender, runtime::Worker& home,
                         int waiting) {
  std::promise<Picked> answer;
  boost::asio::post(sender.io(), [&] {
    for (int i = 0; i < waiting; ++i) sender.defer({[](void*, uint64_t) {}, nullptr, 0});
    runtime::Worker* picked = &pool.pick(home, 2ms);
    answer.set_value({picked, home.asleep()});
  });
  return answer.get_future().get();
}

TEST(RuntimeWorkerPick, ASleepingHomeIsWokenOnlyWhenTheSendersWorkerHasMoreWork) {
  runtime::WorkerPool pool(2, std::chrono::microseconds(0));  // no spin: idle means asleep
  runtime::Worker& sender = pool.at(0);
  runtime::Worker& home = pool.at(1);
  ASSERT_TRUE(eventually([&] { return home.asleep(); })) << "worker 1 never went to sleep";
  // A lone message: the sender's worker runs it and home sleeps on (a wake-up would have cleared
  // the flag at once; nothing else is sent to home).
  uint64_t woken = home.wake_ups();
  Picked lone = pick_with_backlog(pool, sender, home, 0);
  EXPECT_EQ(lone.worker, &sender);
  EXPECT_TRUE(lone.home_asleep) << "a lone message woke the sleeping home";
  EXPECT_EQ(home.wake_ups(), woken);
  // With work waiting on the sender's worker, the message still runs there (it is next), but
  // home is woken so that the messages after it spread over both workers.
  Picked busy = pick_with_backlog(pool, sender, home, 3);
  EXPECT_EQ(busy.worker, &sender);
  EXPECT_TRUE(eventually([&] { return home.wake_ups() > woken; }))
      << "a loaded sender's worker left home asleep";
  pool.stop();
}

TEST(RuntimeWorkerPick, ASleepingHomeLetsTheSendersWorkerRunTheMessage) {
  runtime::WorkerPool pool(2, std::chrono::microseconds(0));  // no spin: idle means asleep
  runtime::Worker& sender = pool.at(0);
  runtime::Worker& home = pool.at(1);
  ASSERT_TRUE(eventually([&] { return home.asleep(); })) << "worker 1 never went to sleep";
  EXPECT_EQ(pick_on(pool, sender, home), &sender);
  // Home picks itself for its own senders, asleep or not.
  EXPECT_EQ(pick_on(pool, home, home), &home);

  // Asked from no worker at all (the shell, a transport thread): home, asleep or not.
  ASSERT_TRUE(eventually([&] { return home.asleep(); }));
  EXPECT_EQ(&pool.pick(home, 2ms), &home);
  pool.stop();
}

}  // namespace
}  // namespace actr::test
