// Calls between actors of one worker: the callee runs from the worker's own task queue (no post
// through the io_context) and the caller resumes from it when the reply comes. These check that
// the semantics of a call do not depend on that path: nesting, cycles, deadlines, many callers.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "node_fixture.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

bool is_count(const std::string& r) {
  return !r.empty() && r.find_first_not_of("0123456789") == std::string::npos;
}

// `call-loop 100 callee count x` on the callers of serials 1..8 at once, sent from the test's
// thread; replies() waits for all eight answers.
class CallLoops {
 public:
  explicit CallLoops(runtime::Node& node) {
    for (int i = 1; i <= 8; ++i) {
      node.call(std::to_string(i), "call-loop", bytes("100 callee count x"),
                [this](workload::CallResult r) {
                  std::lock_guard lock(mu_);
                  replies_.push_back(text(r));
                  cv_.notify_all();
                });
    }
  }
  std::vector<std::string> replies() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return replies_.size() == 8; });
    return replies_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> replies_;
};

class SameWorkerCallTest : public ProbeNodeTest {
 protected:
  // alpha calls beta, whose call of the spinner never answers in time: alpha's deadline ends its
  // wait, alpha serves its next calls while beta still waits, and beta answers again once the
  // spinner trapped at its guest deadline (alpha, gone, never hears that answer).
  void expect_the_callers_deadline_to_end_its_wait() {
    EXPECT_EQ(call("alpha", "call", "beta call spinner spin"), "timed-out");
    EXPECT_EQ(call("alpha", "echo", "free again"), "free again");
    std::string r;
    for (int i = 0; i < 100 && r != "back"; ++i) {
      r = call("beta", "echo", "back");
      if (r != "back") std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(r, "back");
    EXPECT_EQ(call("alpha", "call", "beta echo after"), "after");
  }
};

TEST_F(SameWorkerCallTest, ANestedChainOnOneWorkerRunsAndUnwinds) {
  start("workers = 1\n" + probe_actor("alpha") + probe_actor("beta") + probe_actor("gamma"));
  // alpha waits on beta, which waits on gamma: three fibers suspended on one thread at once.
  EXPECT_EQ(call("alpha", "call", "beta call gamma echo deep"), "deep");
  EXPECT_EQ(call("alpha", "call-loop", "50 beta count x"), "50");
  EXPECT_EQ(call("beta", "get"), "50");
}

TEST_F(SameWorkerCallTest, ACalleeThatCallsBackIsRefusedAndBothStillServe) {
  start("workers = 1\n" + probe_actor("alpha") + probe_actor("beta"));
  std::string r = call("alpha", "call", "beta call alpha echo back");
  EXPECT_EQ(r.rfind("unavailable: call cycle: actor alpha#0 (1:1)", 0), 0u) << r;
  // The callee calls a third party on the way back instead: fine.
  EXPECT_EQ(call("alpha", "call", "beta echo ok"), "ok");
  EXPECT_EQ(call("beta", "call", "alpha echo ok too"), "ok too");
}

// A call chain keeps its first serials inside the message and the rest on the heap: a chain of
// six actors crosses that line, and the cycle back to its first actor is still refused.
TEST_F(SameWorkerCallTest, ACycleAtTheEndOfALongChainIsRefused) {
  std::string toml = "workers = 1\n";
  for (const char* name : {"a1", "a2", "a3", "a4", "a5", "a6"}) toml += probe_actor(name);
  start(toml);
  EXPECT_EQ(call("a1", "call", "a2 call a3 call a4 call a5 call a6 echo deep"), "deep");
  std::string r = call("a1", "call", "a2 call a3 call a4 call a5 call a6 call a1 echo back");
  EXPECT_EQ(r.rfind("unavailable: call cycle: actor a1#0 (1:1)", 0), 0u) << r;
  r = call("a1", "call", "a2 call a3 call a4 call a5 call a6 call a5 echo back");
  EXPECT_EQ(r.rfind("unavailable: call cycle: actor a5#0 (1:5)", 0), 0u) << r;
  EXPECT_EQ(call("a6", "call", "a1 echo free"), "free");  // every actor of the chain serves again
}

// alpha (1:1) and beta (1:3) share worker 0; spinner (1:2) is on worker 1. alpha's call to beta is
// a same-worker call whose callee waits on a call that never answers in time: alpha's deadline
// ends its wait, and alpha serves its next calls while beta still waits.
TEST_F(SameWorkerCallTest, TheCallersDeadlineEndsAWaitOnACalleeOfItsWorker) {
  start("workers = 2\ncall_timeout_ms = 300\n" + probe_actor("alpha") +
        probe_actor("spinner", "deadline_ms = 1500\nrestart = { backoff_ms = 10 }") +
        probe_actor("beta"));
  expect_the_callers_deadline_to_end_its_wait();
}

// Eight callers on one worker, each running a loop of calls to the same callee at once: every
// call is answered, and the callee ran them one at a time (its counter saw each once).
TEST_F(SameWorkerCallTest, ManyCallersOnOneCallee) {
  for (unsigned workers : {1u, 2u}) {
    SCOPED_TRACE("workers = " + std::to_string(workers));
    start("workers = " + std::to_string(workers) + "\n" + probe_actor("caller", "instances = 8") +
          probe_actor("callee"));
    CallLoops loops(*node_);
    for (const auto& r : loops.replies()) EXPECT_TRUE(is_count(r)) << r;
    EXPECT_EQ(call("callee", "get"), "800");
    TearDown();
  }
}

// With memory mailboxes a call to an idle callee of the caller's worker is handed to it directly
// (Actor::hand_off: no lanes, no pump, the callee runs as soon as the caller waits). The tests
// below run the cases above that way; the durable actors above take the lanes.
std::string memory_actor(const std::string& name, const std::string& extra = "") {
  return probe_actor(name, "mailbox = \"memory\"\n" + extra);
}

TEST_F(SameWorkerCallTest, HandedOffCallsNestUnwindAndRefuseCycles) {
  start("workers = 1\n" + memory_actor("alpha") + memory_actor("beta") + memory_actor("gamma"));
  EXPECT_EQ(call("alpha", "call", "beta call gamma echo deep"), "deep");
  EXPECT_EQ(call("alpha", "call-loop", "50 beta count x"), "50");
  EXPECT_EQ(call("beta", "get"), "50");
  std::string r = call("alpha", "call", "beta call alpha echo back");
  EXPECT_EQ(r.rfind("unavailable: call cycle: actor alpha#0 (1:1)", 0), 0u) << r;
  r = call("alpha", "call", "beta call gamma call beta echo back");
  EXPECT_EQ(r.rfind("unavailable: call cycle: actor beta#0 (1:2)", 0), 0u) << r;
  EXPECT_EQ(call("gamma", "call", "alpha call beta echo free"), "free");
}

// A caller runs the callee it hands a call to from its own fiber (Worker::run_next_here), and the
// callee answers straight back: a loop of such calls never returns to the worker's loop by
// itself. Each call still counts as a task of the loop's turn, so actors of the same worker that
// another thread calls meanwhile are served while the loop goes on, not after it.
TEST_F(SameWorkerCallTest, ALoopOfHandedOffCallsLetsTheWorkerServeOtherThreadsMeanwhile) {
  // 300,000 calls: a few hundred milliseconds (seconds under the sanitizers), in one export call.
  start("workers = 1\ncall_timeout_ms = 120000\n" + memory_actor("alpha", "deadline_ms = 120000") +
        memory_actor("beta") + memory_actor("gamma"));
  std::mutex mu;
  std::condition_variable cv;
  std::optional<std::string> looped;
  node_->call("alpha", "call-loop", bytes("300000 beta count x"), [&](workload::CallResult r) {
    std::lock_guard lock(mu);
    looped = text(r);
    cv.notify_all();
  });
  auto loop_done = [&] {
    std::lock_guard lock(mu);
    return looped.has_value();
  };
  std::string counted = "0";
  for (int i = 0; i < 1000 && counted == "0"; ++i) counted = call("beta", "get");
  ASSERT_NE(counted, "0") << "alpha's loop did not start";
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(call("gamma", "echo", "meanwhile " + std::to_string(i)),
              "meanwhile " + std::to_string(i));
  }
  EXPECT_FALSE(loop_done()) << "beta and gamma were served only after alpha's loop of calls";
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return looped.has_value(); });
  EXPECT_TRUE(is_count(*looped)) << *looped;  // beta's count after alpha's last call
}

// beta is handed alpha's call; the spinner keeps a durable mailbox, so that its message reaches
// it from the store's thread and runs at home (worker 1), not on the worker of alpha's deadline.
TEST_F(SameWorkerCallTest, TheCallersDeadlineEndsAWaitOnAHandedOffCallee) {
  start("workers = 2\ncall_timeout_ms = 300\n" + memory_actor("alpha") +
        probe_actor("spinner", "deadline_ms = 1500\nrestart = { backoff_ms = 10 }") +
        memory_actor("beta"));
  expect_the_callers_deadline_to_end_its_wait();
}

// Eight callers of one worker hand their calls to one callee while the test's thread calls it too
// (messages from another thread, which take the lanes): every call is answered once, the callee
// runs them one at a time, and its own metrics series count every dispatch (they are written
// without locked instructions, by the actor's one running call).
TEST_F(SameWorkerCallTest, HandedOffAndQueuedCallsOfManyCallersAllRunOnceAndAreCounted) {
  for (unsigned workers : {1u, 2u}) {
    SCOPED_TRACE("workers = " + std::to_string(workers));
    start("workers = " + std::to_string(workers) + "\n" + memory_actor("caller", "instances = 8") +
          memory_actor("callee"));
    CallLoops loops(*node_);
    int outside = 0;
    for (; outside < 50; ++outside) {
      std::string r = call("callee", "count");
      ASSERT_TRUE(is_count(r)) << r;
    }
    for (const auto& r : loops.replies()) EXPECT_TRUE(is_count(r)) << r;
    EXPECT_EQ(call("callee", "get"), std::to_string(800 + outside));
    std::string metrics = node_->metrics_registry().render();
    std::string series = "{actor=\"callee#0\",route=\"count\"} " + std::to_string(800 + outside);
    EXPECT_NE(metrics.find("actr_dispatches_total" + series + "\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("actr_dispatch_duration_seconds_count" + series + "\n"),
              std::string::npos)
        << metrics;
    TearDown();
  }
}

// Request ids come from per-thread blocks of the node's counter, in recycled buffers: still
// `<16 hex digits>-<number>` and never the same twice, whichever threads made them.
TEST_F(SameWorkerCallTest, RequestIdsStayUniqueAcrossThreads) {
  start("workers = 2\n" + memory_actor("alpha", "instances = 2") + memory_actor("beta"));
  std::mutex mu;
  std::vector<std::string> ids;
  auto run = [&](const std::string& target, const std::string& route, const std::string& arg) {
    for (int i = 0; i < 150; ++i) {
      std::string r = text(node_->call_sync(target, route, bytes(arg)));
      auto at = r.find("req=");
      ASSERT_NE(at, std::string::npos) << r;
      std::lock_guard lock(mu);
      ids.push_back(r.substr(at + 4));
    }
  };
  std::vector<std::thread> threads;
  threads.emplace_back(run, "1", "call", "beta ids");  // alpha#0 -> beta: an id of alpha's worker
  threads.emplace_back(run, "2", "call", "beta ids");  // alpha#1 -> beta
  threads.emplace_back(run, "3", "ids", "");           // beta from outside: this thread's ids
  for (auto& t : threads) t.join();
  ASSERT_EQ(ids.size(), 450u);
  for (const auto& id : ids) {
    auto dash = id.find('-');
    EXPECT_EQ(dash, 16u) << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), 16u) << id;
    EXPECT_FALSE(dash + 1 >= id.size() ||
                 id.find_first_not_of("0123456789", dash + 1) != std::string::npos)
        << id;
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

}  // namespace
}  // namespace actr::test
