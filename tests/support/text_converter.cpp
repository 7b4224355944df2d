#include "support/text_converter.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#ifndef ACTR_NODE_EXECUTABLE
#define ACTR_NODE_EXECUTABLE ""
#endif

extern char** environ;

namespace actr::test {

namespace fs = std::filesystem;

std::string content_hash(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

namespace {

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error("cannot read " + p.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<void> write_file(const fs::path& p, const std::string& data) {
  fs::path tmp = p;
  tmp += "." + std::to_string(::getpid()) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) return make_error("cannot write " + tmp.string());
    out << data;
    if (!out) return make_error("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) return make_error("cannot rename " + tmp.string() + ": " + ec.message());
  return {};
}

// Runs argv with stderr redirected to `err_path`; returns the exit status.
Result<int> run(const std::vector<std::string>& argv, const fs::path& err_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return make_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return make_error("waitpid failed: " + std::string(std::strerror(errno)));
  }
  if (!WIFEXITED(status)) return make_error(argv[0] + " was killed by a signal");
  return WEXITSTATUS(status);
}

}  // namespace

TextConverter::TextConverter(TextConverterConfig config) : config_(std::move(config)) {}

std::optional<std::string> TextConverter::unavailable() const {
  if (config_.node.empty() || !fs::exists(config_.node)) {
    return "node is not installed (needed to turn component text into binaries)";
  }
  if (!fs::exists(config_.jco_api)) {
    return "jco is not installed at " + config_.jco_api.string() + " (run `npm ci` in the repo)";
  }
  if (!fs::exists(config_.script)) return "missing " + config_.script.string();
  return std::nullopt;
}

std::string TextConverter::name_for(const std::string& text, Source source) {
  return content_hash(text) + (source == Source::Wit ? "-wit" : "");
}

fs::path TextConverter::path_for(const std::string& text, Source source, const char* ext) const {
  return config_.cache_dir / (name_for(text, source) + ext);
}

Result<void> TextConverter::prepare(const std::vector<std::string>& texts, Source source) {
  if (auto why = unavailable()) return make_error(*why);
  std::error_code ec;
  fs::create_directories(config_.cache_dir, ec);
  if (ec) return make_error("cannot create " + config_.cache_dir.string() + ": " + ec.message());

  std::set<std::string> pending;
  for (const std::string& text : texts) {
    if (fs::exists(path_for(text, source, ".wasm")) || fs::exists(path_for(text, source, ".err")))
      continue;
    std::string name = name_for(text, source);
    if (!pending.insert(name).second) continue;
    const char* ext = source == Source::Wit ? ".wit" : ".wat";
    ACTR_TRY_VOID(write_file(config_.cache_dir / (name + ext), text));
  }
  if (pending.empty()) return {};

  std::vector<std::string> argv = {config_.node.string(), config_.script.string(),
                                   config_.jco_api.string(), config_.cache_dir.string()};
  argv.insert(argv.end(), pending.begin(), pending.end());
  fs::path err_path = config_.cache_dir / ("node-" + std::to_string(::getpid()) + ".log");
  ACTR_TRY(int status, run(argv, err_path));
  if (status != 0) {
    auto log = read_file(err_path);
    return make_error("wat2component.mjs failed (exit " + std::to_string(status) +
                      "): " + (log ? *log : std::string("no output")));
  }
  fs::remove(err_path, ec);
  return {};
}

Result<std::vector<uint8_t>> TextConverter::binary(const std::string& text, Source source) {
  fs::path wasm = path_for(text, source, ".wasm");
  fs::path err = path_for(text, source, ".err");
  if (!fs::exists(wasm) && !fs::exists(err)) ACTR_TRY_VOID(prepare({text}, source));
  if (fs::exists(err)) {
    ACTR_TRY(std::string message, read_file(err));
    return make_error("text does not parse: " + message);
  }
  ACTR_TRY(std::string bytes, read_file(wasm));
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

fs::path find_node() {
  fs::path configured = ACTR_NODE_EXECUTABLE;
  if (!configured.empty() && fs::exists(configured)) return configured;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir) / "node";
    if (!dir.empty() && fs::exists(candidate)) return candidate;
  }
  return {};
}

TextConverterConfig default_text_converter_config() {
  fs::path jco = fs::path(ACTR_SOURCE_ROOT) / "node_modules" / "@bytecodealliance" / "jco";
  std::string version = "unknown";
  if (std::ifstream in(jco / "package.json"); in) {
    std::string json((std::istreambuf_iterator<char>(in)), {});
    static const std::regex field(R"re("version"\s*:\s*"([^"]+)")re");
    if (std::smatch m; std::regex_search(json, m, field)) version = m[1];
  }
  TextConverterConfig c;
  c.node = find_node();
  c.script = fs::path(ACTR_SOURCE_ROOT) / "tools" / "wast" / "wat2component.mjs";
  c.jco_api = jco / "dist" / "api.js";
  c.cache_dir = fs::path(ACTR_BINARY_DIR) / "test-cache" / ("jco-" + version);
  return c;
}

}  // namespace actr::test
