#include "support/child_process.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace actr::test {

ChildProcess::ChildProcess(std::vector<std::string> argv, std::filesystem::path log)
    : log_(std::move(log)) {
  pid_ = ::fork();
  if (pid_ == 0) {
    if (!std::freopen(log_.c_str(), "a", stdout) || !std::freopen(log_.c_str(), "a", stderr)) {
      ::_exit(126);
    }
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() { kill(SIGKILL); }

void ChildProcess::kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  wait();
}

int ChildProcess::wait() {
  if (pid_ <= 0) return status_;
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return status_;
}

std::string ChildProcess::log() const {
  std::stringstream out;
  out << std::ifstream(log_).rdbuf();
  return out.str();
}

}  // namespace actr::test
