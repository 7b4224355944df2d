// WorkerPool::pick for a sender on another worker: while the actor's home sleeps, the message runs
// on the sender's worker (home is nudged awake; the benchmarks show the load spreading again).
// Asked from no worker, the answer stays home.
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

TEST(RuntimeWorkerPick, ASleepingHomeLetsTheSendersWorkerRunTheMessageAndIsWoken) {
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
