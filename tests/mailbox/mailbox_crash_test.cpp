// Crash safety: a child process appends, sees its acknowledgements, and dies without closing the
// store (_exit, or SIGKILL at an arbitrary point); the reopened database holds every acknowledged
// message exactly once, in order.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "mailbox/mailbox_fixture.hpp"
#include "runtime/mailbox/mailbox_store.hpp"

namespace actr::test {
namespace {

using runtime::AppendStatus;
using runtime::MailboxStore;

enum class Death { Exit, Kill };

class MailboxCrashTest : public MailboxTest {
 protected:
  // In the child: appends `count` messages r0, r1, ... asynchronously; each acknowledgement's
  // index goes to `ack_fd` (when >= 0). Once all are acknowledged, dies as `death` says.
  [[noreturn]] void child(int count, int ack_fd, Death death) {
    auto opened = MailboxStore::open(options());
    if (!opened.ok()) _exit(3);
    MailboxStore* store = opened->release();  // never closed or destroyed: the point of the test
    std::mutex mu;
    std::condition_variable cv;
    int acknowledged = 0;
    bool failed = false;
    for (int i = 0; i < count; ++i)
      store->append(make_message("crash#0", "r" + std::to_string(i)),
                    [&, i](Result<runtime::AppendOutcome> r) {
                      if (r.ok() && ack_fd >= 0) {
                        int32_t index = i;
                        if (write(ack_fd, &index, sizeof index) != sizeof index) _exit(4);
                      }
                      std::lock_guard lock(mu);
                      failed |= !r.ok() || r->status != AppendStatus::Accepted;
                      if (++acknowledged == count) cv.notify_one();
                    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return acknowledged == count; });
    if (failed) _exit(5);
    if (death == Death::Kill) raise(SIGKILL);
    _exit(0);
  }

  // Reopens and checks the queue is r0..r(n-1) in id order, each once; returns n.
  size_t check_prefix_in_order() {
    auto store = open_store();
    if (!store) return 0;
    auto pending = store->pending("crash#0");
    EXPECT_TRUE(pending.ok());
    if (!pending.ok()) return 0;
    for (size_t i = 0; i < pending->size(); ++i) {
      EXPECT_EQ((*pending)[i].request_id, "r" + std::to_string(i)) << "position " << i;
      if (i > 0) {
        EXPECT_GT((*pending)[i].id, (*pending)[i - 1].id);
      }
    }
    return pending->size();
  }

  void run_to_completion(Death death) {
    constexpr int kCount = 500;
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) child(kCount, -1, death);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (death == Death::Kill) {
      ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    }
    EXPECT_EQ(check_prefix_in_order(), static_cast<size_t>(kCount));
    auto store = open_store();
    ASSERT_TRUE(store);
    auto again = store->append_sync(make_message("crash#0", "r7"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->status, AppendStatus::Duplicate);
    EXPECT_EQ(store->pending("crash#0")->size(), static_cast<size_t>(kCount));
  }
};

TEST_F(MailboxCrashTest, ExitWithoutCloseKeepsEveryAcknowledgedMessage) {
  run_to_completion(Death::Exit);
}

TEST_F(MailboxCrashTest, SigkillAfterAcknowledgementKeepsEveryMessage) {
  run_to_completion(Death::Kill);
}

TEST_F(MailboxCrashTest, SigkillWhileAppendingLosesNothingAcknowledged) {
  constexpr int kCount = 20000;  // far more than get acknowledged before the kill
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    child(kCount, fds[1], Death::Exit);
  }
  close(fds[1]);
  std::vector<int32_t> acked;
  int32_t index;
  while (read(fds[0], &index, sizeof index) == sizeof index) {
    acked.push_back(index);
    if (acked.size() == 300) kill(pid, SIGKILL);  // mid-stream: more appends are in flight
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_GE(acked.size(), 300u) << "the child died early, status " << status;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "not killed mid-stream";

  size_t kept = check_prefix_in_order();
  int32_t highest = *std::max_element(acked.begin(), acked.end());
  EXPECT_GT(kept, static_cast<size_t>(highest)) << "an acknowledged message was lost";
  EXPECT_LT(kept, static_cast<size_t>(kCount));
  RecordProperty("acknowledged", static_cast<int>(acked.size()));
  RecordProperty("kept", static_cast<int>(kept));
}

}  // namespace
}  // namespace actr::test
