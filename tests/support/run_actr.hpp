// Runs the built `actr` executable (build/actr) for end-to-end tests of the command line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace actr::test {

struct CommandRun {
  int status;          // exit status, or -1 when the command did not exit normally
  std::string output;  // stdout and stderr, interleaved
};

// `args` is passed to the shell as written (quote arguments yourself).
CommandRun run_actr(const std::string& args);

// Any shell command line, run the same way (stdout and stderr captured together).
CommandRun run_command(const std::string& command_line);

// The built `actr` started as a child process with `args` (`actr signal ...`, `actr run ...`),
// its output in `log`.
class ActrProcess : public ChildProcess {
 public:
  ActrProcess(std::vector<std::string> args, std::filesystem::path log);
};

}  // namespace actr::test
