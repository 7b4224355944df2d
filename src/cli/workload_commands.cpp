// `actr new` and `actr build`: workload projects that find the actr SDK with find_package(actr).
// The SDK is the one installed beside this executable, else the source and build trees that built
// it (compile definitions, src/cli/CMakeLists.txt and cmake/ActrInstall.cmake).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "actr/common/result.hpp"
#include "cli/commands.hpp"

namespace actr::cli {
namespace {

namespace fs = std::filesystem;

int fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 1;
}

// Lower-case words of letters and digits joined by single '-' or '_', starting with a letter:
// usable as a file name, a CMake target and (camel-cased) a C++ class name.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::islower(static_cast<unsigned char>(name[0])))
    return false;
  char prev = 0;
  for (char c : name) {
    bool word =
        std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
    bool sep = c == '-' || c == '_';
    if (!word && !sep) return false;
    if (sep && (prev == '-' || prev == '_')) return false;
    prev = c;
  }
  return prev != '-' && prev != '_';
}

// "my-greeter" -> "MyGreeter".
std::string class_name(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read " + path.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<void> write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return make_error("cannot write " + path.string());
  return {};
}

std::string substitute(std::string text,
                       const std::vector<std::pair<std::string, std::string>>& vars) {
  for (const auto& [key, value] : vars) {
    std::string marker = "@" + key + "@";
    for (size_t at = text.find(marker); at != std::string::npos;
         at = text.find(marker, at + value.size())) {
      text.replace(at, marker.size(), value);
    }
  }
  return text;
}

// Where this actr's SDK is.
struct Sdk {
  fs::path root;         // cmake/, sdk/cpp/template/, web/: PREFIX/share/actr or the source tree
  fs::path package_dir;  // actrConfig.cmake, for find_package(actr)
};

// An installed actr (PREFIX/bin/actr) uses the SDK installed with it, found relative to the
// executable so that the prefix can be anywhere; otherwise this is an actr in its build tree.
Sdk locate_sdk() {
  std::error_code ec;
  fs::path bin = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    Sdk installed{(bin / ACTR_INSTALLED_SDK_FROM_BINDIR).lexically_normal(),
                  (bin / ACTR_INSTALLED_PACKAGE_FROM_BINDIR).lexically_normal()};
    if (fs::exists(installed.root / "cmake" / "ActrWorkload.cmake", ec) &&
        fs::exists(installed.package_dir / "actrConfig.cmake", ec)) {
      return installed;
    }
  }
  return {ACTR_SOURCE_TREE, ACTR_BUILD_PACKAGE_DIR};
}

// `path` as the inside of a quoted CMake argument.
std::string cmake_quoted(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == '"' || c == '$') out += '\\';
    out += c;
  }
  return out;
}

struct NewOptions {
  std::string name;
  std::string parent = ".";
};

int run_new(const NewOptions& o) {
  if (!valid_name(o.name)) {
    return fail("invalid workload name `" + o.name +
                "`: use lower-case letters and digits in words joined by '-' or '_', starting "
                "with a letter");
  }
  std::error_code ec;
  fs::path parent = fs::weakly_canonical(o.parent, ec);
  if (ec || !fs::is_directory(parent, ec)) return fail("no directory " + o.parent);
  fs::path dir = parent / o.name;
  if (fs::exists(dir, ec)) return fail(dir.string() + " already exists");

  Sdk sdk = locate_sdk();
  fs::path templates = sdk.root / "sdk" / "cpp" / "template";
  const std::vector<std::pair<std::string, std::string>> vars{
      {"NAME", o.name},
      {"CLASS", class_name(o.name)},
      {"ACTR_PACKAGE_DIR", cmake_quoted(sdk.package_dir.string())},
      {"ACTR_SDK", sdk.root.string()},
  };
  const std::vector<std::pair<std::string, std::string>> files{
      {"CMakeLists.txt.in", "CMakeLists.txt"},
      {"src/workload.cpp.in", "src/" + o.name + ".cpp"},
      {"README.md.in", "README.md"},
      {"gitignore.in", ".gitignore"},
  };
  // Read every template before creating anything, so a broken installation leaves no half
  // project behind.
  std::vector<std::string> texts;
  for (const auto& [from, to] : files) {
    auto text = read_text(templates / from);
    if (!text) return fail(text.error().message + " (the actr SDK templates)");
    texts.push_back(substitute(std::move(*text), vars));
  }
  if (!fs::create_directories(dir / "src", ec) || ec) {
    return fail("cannot create " + dir.string() + (ec ? ": " + ec.message() : ""));
  }
  for (size_t i = 0; i < files.size(); ++i) {
    if (auto w = write_text(dir / files[i].second, texts[i]); !w) return fail(w.error().message);
  }
  std::printf("created %s\n", dir.string().c_str());
  return 0;
}

// Runs `argv` with stdout and stderr appended to `log`; answers the exit status (-1: not run).
int run_logged(const std::vector<std::string>& argv, const fs::path& log) {
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execvp(args[0], args.data());
    // Only write(2) between fork and _exit; the log then says what was missing.
    const char prefix[] = "actr: cannot run ";
    [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    n = ::write(STDERR_FILENO, args[0], std::strlen(args[0]));
    n = ::write(STDERR_FILENO, "\n", 1);
    _exit(127);
  }
  ::close(fd);
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A tool at the path found when actr was configured, else by `name` on PATH: an installed actr
// copied to a machine whose cmake, ninja or node live elsewhere.
std::string tool_path(const char* configured, const char* name) {
  std::error_code ec;
  if (*configured != '\0' && fs::exists(configured, ec)) return configured;
  return name;
}

// The project name from its `project(NAME ...)` line.
std::string project_name(const std::string& cmakelists) {
  size_t at = cmakelists.find("project(");
  if (at == std::string::npos) return {};
  at += 8;
  size_t end = at;
  while (end < cmakelists.size() && !std::isspace(static_cast<unsigned char>(cmakelists[end])) &&
         cmakelists[end] != ')')
    ++end;
  return cmakelists.substr(at, end - at);
}

// `actr build --web`: the component as ES modules for a web node (web/tools/transpile.mjs runs
// the pinned jco for JSPI), in DIR/build/web.
int transpile_for_web(const fs::path& wasm, const fs::path& out, const std::string& name,
                      const fs::path& log) {
  fs::path tool = locate_sdk().root / "web" / "tools" / "transpile.mjs";
  if (run_logged({tool_path(ACTR_NODE_PATH, "node"), tool.string(), wasm.string(), out.string(),
                  "--name", name},
                 log) != 0) {
    return fail("transpiling " + wasm.string() + " for the web failed (see " + log.string() + ")");
  }
  std::printf("%s\n", (out / (name + ".js")).string().c_str());
  return 0;
}

int run_build(const std::string& dir_arg, bool web) {
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(dir_arg, ec);
  if (ec) return fail("bad directory " + dir_arg);
  auto cmakelists = read_text(dir / "CMakeLists.txt");
  if (!cmakelists) return fail(dir.string() + " is not a workload project (no CMakeLists.txt)");
  std::string name = project_name(*cmakelists);
  if (!valid_name(name))
    return fail("no project(NAME) with a workload name in " + (dir / "CMakeLists.txt").string());

  fs::path build = dir / "build";
  fs::create_directories(build, ec);
  if (ec) return fail("cannot create " + build.string() + ": " + ec.message());
  fs::path log = build / "actr-build.log";
  fs::remove(log, ec);
  std::string cmake = tool_path(ACTR_CMAKE_COMMAND, "cmake");
  if (!fs::exists(build / "build.ninja")) {
    std::vector<std::string> configure{
        cmake,          "-S", dir.string(), "-B",
        build.string(), "-G", "Ninja",      "-DCMAKE_BUILD_TYPE=Release"};
    // Without it, CMake looks for ninja on PATH itself.
    if (std::string ninja = tool_path(ACTR_MAKE_PROGRAM, ""); !ninja.empty()) {
      configure.push_back("-DCMAKE_MAKE_PROGRAM=" + ninja);
    }
    if (run_logged(configure, log) != 0) {
      return fail("configuring " + dir.string() + " failed (see " + log.string() + ")");
    }
  }
  if (run_logged({cmake, "--build", build.string()}, log) != 0) {
    return fail("building " + dir.string() + " failed (see " + log.string() + ")");
  }
  fs::path wasm = build / "guests" / (name + ".wasm");
  if (!fs::exists(wasm)) {
    return fail("the build produced no " + wasm.string() +
                " (guest toolchain missing? see the warnings in " + log.string() + ")");
  }
  std::printf("%s\n", wasm.string().c_str());
  if (web) return transpile_for_web(wasm, build / "web", name, log);
  return 0;
}

}  // namespace

void add_workload_commands(CLI::App& app, int& exit_code) {
  auto* create = app.add_subcommand("new", "Create a C++ workload project NAME in PARENT/NAME");
  auto opts = std::make_shared<NewOptions>();
  create->add_option("NAME", opts->name, "workload name (kebab-case or snake_case)")->required();
  create->add_option("--dir", opts->parent, "parent directory (default: .)");
  create->callback([opts, &exit_code] { exit_code = run_new(*opts); });

  auto* build = app.add_subcommand(
      "build", "Build the workload project in DIR into DIR/build; prints the component's path");
  auto dir = std::make_shared<std::string>(".");
  auto web = std::make_shared<bool>(false);
  build->add_option("DIR", *dir, "project directory (default: .)");
  build->add_flag("--web", *web,
                  "also write ES modules for a web node (jco, JSPI) to DIR/build/web; prints "
                  "their path");
  build->callback([dir, web, &exit_code] { exit_code = run_build(*dir, *web); });
}

}  // namespace actr::cli
