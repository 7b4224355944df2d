#include "wasm/aot/compiler_jobs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

extern char** environ;

namespace actr::wasm::aot {
namespace {

constexpr int kCompilerNice = 10;

std::mutex g_mu;
// Never destroyed: a signal may cancel while the process exits.
std::map<pid_t, const void*>* g_running = new std::map<pid_t, const void*>;  // pid -> owner
std::set<const void*>* g_cancelled_owners = new std::set<const void*>;
std::atomic<bool> g_cancelled{false};
thread_local const void* t_owner = nullptr;

// argv[0] as a path: as given when it has a '/', else the first executable of that name in PATH.
std::string resolve(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// The children of `pid` (a compiler driver's cc1, as, collect2), from /proc.
std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream tasks("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
                      "/children");
  for (pid_t child; tasks >> child;) out.push_back(child);
  return out;
}

void kill_tree(pid_t pid) {
  ::kill(pid, SIGSTOP);  // no new children while we look
  for (pid_t child : children_of(pid)) kill_tree(child);
  ::kill(pid, SIGKILL);
}

}  // namespace

Result<ProcessRun> run_compiler_process(const std::vector<std::string>& args,
                                        const std::filesystem::path& log) {
  if (args.empty()) return make_error("aot: no compiler command");
  const void* owner = t_owner;
  {
    std::lock_guard lock(g_mu);
    if (g_cancelled.load() || g_cancelled_owners->count(owner)) {
      return make_error("aot: compile cancelled (the process is stopping)");
    }
  }
  std::string program = resolve(args[0]);
  if (program.empty()) return make_error("cannot run the C compiler `" + args[0] + "`: not found");
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) return make_error("aot: cannot create " + log.string());
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();

  std::unique_lock lock(g_mu);  // cancel_all() sees every child it could have missed
  pid_t pid = ::fork();
  if (pid == 0) {
    // In the child only async-signal-safe calls until exec.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the parent may block SIGINT/SIGTERM
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGURG}) ::sigaction(sig, &dfl, nullptr);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    ::setpriority(PRIO_PROCESS, 0, kCompilerNice);
    ::dup2(null_fd >= 0 ? null_fd : log_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::execve(program.c_str(), argv.data(), environ);
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(log_fd);
  if (null_fd >= 0) ::close(null_fd);
  if (pid < 0) {
    return make_error("cannot run the C compiler `" + args[0] + "`: " + std::strerror(fork_errno));
  }
  g_running->emplace(pid, owner);
  bool cancelled_before = g_cancelled.load() || g_cancelled_owners->count(owner) > 0;
  lock.unlock();
  if (cancelled_before) kill_tree(pid);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  lock.lock();
  g_running->erase(pid);
  lock.unlock();
  ProcessRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  {
    std::lock_guard relock(g_mu);
    run.cancelled =
        (g_cancelled.load() || g_cancelled_owners->count(owner) > 0) && run.exit_code != 0;
  }
  if (run.exit_code == 127 && WIFEXITED(status)) {
    return make_error("cannot run the C compiler `" + args[0] + "` (" + program + ")");
  }
  return run;
}

void cancel_all_compiles() {
  std::lock_guard lock(g_mu);
  g_cancelled.store(true);
  for (const auto& [pid, owner] : *g_running) kill_tree(pid);
}

OwnerScope::OwnerScope(const void* owner) : previous_(t_owner) { t_owner = owner; }
OwnerScope::~OwnerScope() { t_owner = previous_; }

void cancel_compiles_of(const void* owner) {
  std::lock_guard lock(g_mu);
  g_cancelled_owners->insert(owner);
  for (const auto& [pid, o] : *g_running) {
    if (o == owner) kill_tree(pid);
  }
}

void forget_owner(const void* owner) {
  std::lock_guard lock(g_mu);
  g_cancelled_owners->erase(owner);
}

bool compiles_cancelled() { return g_cancelled.load(); }

void allow_compiles() { g_cancelled.store(false); }

}  // namespace actr::wasm::aot
