// A child process of a test: argv as given (no shell), stdout and stderr appended to a log file,
// killed (SIGKILL by default) and reaped when the object goes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace actr::test {

class ChildProcess {
 public:
  // argv[0] is the program's path.
  ChildProcess(std::vector<std::string> argv, std::filesystem::path log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Sends `signal` and waits for the exit. Idempotent.
  void kill(int signal);
  // Waits for the exit: its status (exit code, or 128 + signal), -1 when never started.
  int wait();
  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::string log() const;

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace actr::test
