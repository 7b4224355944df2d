#include "support/run_actr.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <utility>

namespace actr::test {

CommandRun run_actr(const std::string& args) {
  return run_command(std::string(ACTR_BINARY_DIR) + "/actr " + args);
}

CommandRun run_command(const std::string& command_line) {
  std::string cmd = command_line + " 2>&1";
  CommandRun r{-1, {}};
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

namespace {

std::vector<std::string> with_actr(std::vector<std::string> args) {
  args.insert(args.begin(), std::string(ACTR_BINARY_DIR) + "/actr");
  return args;
}

}  // namespace

ActrProcess::ActrProcess(std::vector<std::string> args, std::filesystem::path log)
    : ChildProcess(with_actr(std::move(args)), std::move(log)) {}

}  // namespace actr::test
