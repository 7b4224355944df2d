// Runs the built `actr` executable (build/actr) for end-to-end tests of the command line.
#pragma once

#include <string>

namespace actr::test {

struct CommandRun {
  int status;          // exit status, or -1 when the command did not exit normally
  std::string output;  // stdout and stderr, interleaved
};

// `args` is passed to the shell as written (quote arguments yourself).
CommandRun run_actr(const std::string& args);

// Any shell command line, run the same way (stdout and stderr captured together).
CommandRun run_command(const std::string& command_line);

}  // namespace actr::test
