#include "wasm/aot/native_compiler.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "wasm/aot/compiler_jobs.hpp"

namespace actr::wasm::aot {
namespace {

std::atomic<uint64_t> g_invocations{0};

// The flags every module is built with. -fstack-clash-protection makes large guest frames probe
// the stack page by page, so an overflow always hits the guard page (and traps) instead of
// jumping over it.
const std::vector<std::string>& compile_flags() {
  static const std::vector<std::string> flags = {
      "-std=gnu11", "-O2", "-fPIC",   "-shared", "-fvisibility=hidden", "-fstack-clash-protection",
      "-g0",        "-w",  "-DNDEBUG"};
  return flags;
}

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  std::istringstream in(s);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

struct RunResult {
  int exit_code = -1;
  bool cancelled = false;
  std::string output;  // stdout and stderr together
};

// Runs argv with stdout+stderr sent to `log` (compiler_jobs.hpp); reads the log back.
Result<RunResult> run(const std::vector<std::string>& args, const std::filesystem::path& log) {
  ACTR_TRY(ProcessRun ran, run_compiler_process(args, log));
  RunResult result;
  result.exit_code = ran.exit_code;
  result.cancelled = ran.cancelled;
  std::ifstream in(log, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  result.output = text.str();
  return result;
}

std::string tail(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  return "..." + text.substr(text.size() - max_chars);
}

}  // namespace

std::string default_compiler_command() {
  const char* cc = std::getenv("CC");
  return (cc != nullptr && *cc != '\0') ? cc : "cc";
}

Result<NativeCompiler> NativeCompiler::find(const std::string& command) {
  // Asking the compiler for its version costs a process; once per command is enough.
  static std::mutex mu;
  static auto* known = new std::map<std::string, NativeCompiler>;
  {
    std::lock_guard lock(mu);
    if (auto it = known->find(command); it != known->end()) return it->second;
  }
  ACTR_TRY(NativeCompiler compiler, probe(command));
  std::lock_guard lock(mu);
  known->emplace(command, compiler);
  return compiler;
}

Result<NativeCompiler> NativeCompiler::probe(const std::string& command) {
  NativeCompiler compiler;
  compiler.argv_ = split_words(command);
  if (compiler.argv_.empty()) return make_error("aot: empty C compiler command");
  char log_template[] = "/tmp/actr-cc-version-XXXXXX";
  int fd = mkstemp(log_template);
  if (fd < 0) return make_error("aot: cannot create a temporary file");
  close(fd);
  std::vector<std::string> args = compiler.argv_;
  args.push_back("--version");
  auto ran = run(args, log_template);
  unlink(log_template);
  if (!ran.ok()) return ran.take_error();
  if (ran->exit_code != 0) {
    return make_error("aot: the C compiler `" + command +
                      "` does not run (`--version` exited with " + std::to_string(ran->exit_code) +
                      ")");
  }
  std::string banner = ran->output.substr(0, ran->output.find('\n'));
  compiler.identity_ = command + "\n" + banner;
  for (const std::string& f : compile_flags()) compiler.identity_ += " " + f;
  return compiler;
}

Result<void> NativeCompiler::compile_shared_object(const std::filesystem::path& source,
                                                   const std::filesystem::path& include_dir,
                                                   const std::filesystem::path& output) const {
  std::vector<std::string> args = argv_;
  args.insert(args.end(), compile_flags().begin(), compile_flags().end());
  args.insert(args.end(),
              {"-I", include_dir.string(), "-o", output.string(), source.string(), "-lm"});
  g_invocations.fetch_add(1, std::memory_order_relaxed);
  ACTR_TRY(RunResult ran, run(args, output.string() + ".log"));
  if (ran.cancelled) return make_error("aot: compile cancelled (the process is stopping)");
  if (ran.exit_code != 0) {
    return make_error("aot: the C compiler failed (exit " + std::to_string(ran.exit_code) +
                      "): " + tail(ran.output, 2000));
  }
  return {};
}

const char* NativeCompiler::flag(Effort effort) {
  switch (effort) {
    case Effort::O0:
      return "-O0";
    case Effort::O1:
      return "-O1";
    case Effort::O2:
      break;
  }
  return "-O2";
}

Result<void> NativeCompiler::compile_object(const std::filesystem::path& source,
                                            const std::filesystem::path& include_dir,
                                            const std::filesystem::path& output,
                                            Effort effort) const {
  std::vector<std::string> args = argv_;
  for (const std::string& f : compile_flags()) {
    if (f == "-shared") continue;
    args.push_back(f == "-O2" ? flag(effort) : f);
  }
  args.insert(args.end(),
              {"-c", "-I", include_dir.string(), "-o", output.string(), source.string()});
  g_invocations.fetch_add(1, std::memory_order_relaxed);
  ACTR_TRY(RunResult ran, run(args, output.string() + ".log"));
  if (ran.cancelled) return make_error("aot: compile cancelled (the process is stopping)");
  if (ran.exit_code != 0) {
    return make_error("aot: the C compiler failed on " + source.filename().string() + " (exit " +
                      std::to_string(ran.exit_code) + "): " + tail(ran.output, 2000));
  }
  return {};
}

Result<void> NativeCompiler::link_shared_object(const std::vector<std::filesystem::path>& objects,
                                                const std::filesystem::path& output) const {
  std::vector<std::string> args = argv_;
  args.insert(args.end(), {"-shared", "-fPIC", "-o", output.string()});
  for (const auto& o : objects) args.push_back(o.string());
  args.push_back("-lm");
  ACTR_TRY(RunResult ran, run(args, output.string() + ".log"));
  if (ran.cancelled) return make_error("aot: compile cancelled (the process is stopping)");
  if (ran.exit_code != 0) {
    return make_error("aot: linking the compiled units failed (exit " +
                      std::to_string(ran.exit_code) + "): " + tail(ran.output, 2000));
  }
  return {};
}

uint64_t compiler_invocations() { return g_invocations.load(std::memory_order_relaxed); }

}  // namespace actr::wasm::aot
