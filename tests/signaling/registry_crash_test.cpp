// kill -9 of a process writing the registry: serials are never handed out twice, and every
// registration row committed before the kill is still there. The writer is this test binary,
// re-executed; it reports progress through a pipe and the parent kills it at random points,
// often in the middle of a commit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "signaling/server/sqlite_registry_store.hpp"
#include "temp_dir.hpp"

namespace actr::signaling::server {
namespace {

using testing::TempDir;

const char* kDirEnv = "ACTR_REGISTRY_CRASH_DIR";
const char* kFdEnv = "ACTR_REGISTRY_CRASH_FD";
// Small blocks, so kills land around block reservations too.
constexpr uint64_t kBlock = 37;

StoredRegistration registration(uint64_t serial) {
  StoredRegistration r;
  r.id.realm.realm_id = 1;
  r.id.serial_number = serial;
  r.id.type = ActrType{"acme", "svc-" + std::to_string(serial % 10), "1.0.0"};
  r.advertised_address = "ws://127.0.0.1:" + std::to_string(serial);
  r.registered_at = 1234;
  return r;
}

void report(int fd, char what, uint64_t serial) {
  std::string line = what + std::to_string(serial) + "\n";
  ASSERT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
}

// In the child: registers forever, as the server does (rows alone or grouped in batches of 5);
// "A<serial>" once a serial is handed out, "C<serial>" once its row is committed.
TEST(RegistryCrashChild, RegisterUntilKilled) {
  const char* dir = std::getenv(kDirEnv);
  const char* fd_text = std::getenv(kFdEnv);
  if (!dir || !fd_text) GTEST_SKIP() << "runs only as the child of RegistryStore.KillNine...";
  int fd = std::atoi(fd_text);
  auto store = SqliteRegistryStore::open(std::filesystem::path(dir) / kRegistryFileName, kBlock);
  ASSERT_TRUE(store) << store.error().message;
  std::vector<uint64_t> batch;
  for (uint64_t n = 0;; ++n) {
    auto serial = store->allocate_serial(1);
    ASSERT_TRUE(serial) << serial.error().message;
    report(fd, 'A', *serial);
    bool batched = n % 10 >= 5;
    if (batched) {
      ASSERT_TRUE(store->begin_batch());
    }
    ASSERT_TRUE(store->put(registration(*serial)));
    if (!batched) {
      report(fd, 'C', *serial);
      continue;
    }
    batch.push_back(*serial);
    if (batch.size() == 5 || !store->batch_open()) {  // a block reservation commits it early
      ASSERT_TRUE(store->commit_batch());
      for (uint64_t s : batch) report(fd, 'C', s);
      batch.clear();
    }
  }
}

// In the child: a row committed, then a batch left open across a block reservation (the block
// of 37 runs out at serial 37), then death.
TEST(RegistryCrashChild, DieWithABatchOpen) {
  const char* dir = std::getenv(kDirEnv);
  const char* fd_text = std::getenv(kFdEnv);
  if (!dir || !fd_text) GTEST_SKIP() << "runs only as the child of RegistryStore.KillNine...";
  int fd = std::atoi(fd_text);
  auto store = SqliteRegistryStore::open(std::filesystem::path(dir) / kRegistryFileName, kBlock);
  ASSERT_TRUE(store) << store.error().message;
  for (uint64_t n = 1; n < kBlock - 1; ++n) ASSERT_TRUE(store->allocate_serial(1));
  auto kept = store->allocate_serial(1);  // 36
  ASSERT_TRUE(kept && store->put(registration(*kept)));
  report(fd, 'A', *kept);
  report(fd, 'C', *kept);
  ASSERT_TRUE(store->begin_batch());
  for (int i = 0; i < 3; ++i) {  // 37, then 38 and 39 from a new block
    auto serial = store->allocate_serial(1);
    ASSERT_TRUE(serial);
    if (!store->batch_open()) {
      ASSERT_TRUE(store->begin_batch());
    }
    ASSERT_TRUE(store->put(registration(*serial)));
    report(fd, 'A', *serial);
  }
  ::raise(SIGKILL);
}

// What a child reported before it died.
struct ChildRun {
  std::vector<uint64_t> handed_out;
  std::vector<uint64_t> committed;
  int status = 0;
};

// Runs the child test `name` on the registry in `dir`; kill_after > 0: kills it (SIGKILL) once
// it has handed out that many serials, after `delay_us`.
ChildRun run_child(const std::string& name, const std::filesystem::path& dir, size_t kill_after,
                   unsigned delay_us = 0) {
  ChildRun run;
  int fds[2];
  if (::pipe(fds) != 0) return run;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ::setenv(kDirEnv, dir.c_str(), 1);
    ::setenv(kFdEnv, std::to_string(fds[1]).c_str(), 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    std::string filter = "--gtest_filter=RegistryCrashChild." + name;
    ::execl("/proc/self/exe", "child", filter.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  FILE* progress = ::fdopen(fds[0], "r");
  char line[64];
  auto record = [&] {
    uint64_t serial = std::strtoull(line + 1, nullptr, 10);
    (line[0] == 'A' ? run.handed_out : run.committed).push_back(serial);
  };
  while (kill_after > 0 && run.handed_out.size() < kill_after &&
         std::fgets(line, sizeof line, progress)) {
    record();
  }
  if (kill_after > 0 && pid > 0) {
    if (delay_us > 0) ::usleep(delay_us);
    ::kill(pid, SIGKILL);
  }
  if (pid > 0) ::waitpid(pid, &run.status, 0);
  // What the child reported between our last read and its death counts too.
  while (std::fgets(line, sizeof line, progress)) record();
  std::fclose(progress);
  return run;
}

bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

void expect_rows(SqliteRegistryStore& store, const std::vector<uint64_t>& serials, bool present) {
  for (uint64_t serial : serials) {
    auto found = store.find(1, serial);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(found->has_value(), present) << "row " << serial;
  }
}

TEST(RegistryStore, KillNineNeverGivesASerialTwiceNorLosesACommittedRow) {
  TempDir dir;
  std::mt19937 random(12345);
  std::set<uint64_t> handed_out;
  std::vector<uint64_t> committed;
  uint64_t highest = 0;
  for (int round = 0; round < 8; ++round) {
    // Killed after a random number of handed-out serials, at once or after a short delay; the
    // child is usually ahead of what we read, so the kill lands anywhere, often mid-commit.
    size_t kill_after = std::uniform_int_distribution<size_t>(1, 400)(random);
    unsigned delay = round % 2 ? std::uniform_int_distribution<unsigned>(0, 3000)(random) : 0;
    ChildRun run = run_child("RegisterUntilKilled", dir.path(), kill_after, delay);
    ASSERT_TRUE(killed(run.status)) << "the child should run until killed; status " << run.status;
    ASSERT_FALSE(run.handed_out.empty());
    EXPECT_GT(run.handed_out.front(), highest) << "a restarted writer went below an old serial";
    for (uint64_t serial : run.handed_out) {
      EXPECT_TRUE(handed_out.insert(serial).second) << "serial " << serial << " given twice";
    }
    committed.insert(committed.end(), run.committed.begin(), run.committed.end());
    highest = *handed_out.rbegin();
  }
  auto store = SqliteRegistryStore::open(dir.path() / kRegistryFileName, kBlock);
  ASSERT_TRUE(store) << store.error().message;
  auto next = store->allocate_serial(1);
  ASSERT_TRUE(next);
  EXPECT_GT(*next, highest);
  expect_rows(*store, committed, true);
  EXPECT_GT(committed.size(), 8u);
}

// The block reserved while a batch was open is durable before its first serial is handed out;
// the batch's own rows die with the process.
TEST(RegistryStore, KillNineWithABatchOpenKeepsTheBlockAndLosesTheBatch) {
  TempDir dir;
  ChildRun run = run_child("DieWithABatchOpen", dir.path(), 0);
  ASSERT_TRUE(killed(run.status)) << "status " << run.status;
  ASSERT_EQ(run.handed_out, (std::vector<uint64_t>{kBlock - 1, kBlock, kBlock + 1, kBlock + 2}));
  auto store = SqliteRegistryStore::open(dir.path() / kRegistryFileName, kBlock);
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(*store->allocate_serial(1), 2 * kBlock + 1);
  expect_rows(*store, run.committed, true);
  expect_rows(*store, {kBlock + 1, kBlock + 2}, false);
}

}  // namespace
}  // namespace actr::signaling::server
