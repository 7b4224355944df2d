// cmake/wasm32-wasi-toolchain.cmake: tests/sdk/toolchain_project (a static library of C and C++
// and a reactor module using std::string and std::vector) is configured and built with it into a
// temporary directory, once per process. The module must be a wasm32 core module that both
// engines load and run, and nothing of the host (headers, libraries, packages) may leak in.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"

namespace actr::test {
namespace {

namespace fs = std::filesystem;
using wasm::EngineKind;
using wasm::Slot;

struct ShellRun {
  int status = -1;  // exit status, or -1 when the command did not exit normally
  std::string output;
};

ShellRun run_shell(const std::string& command) {
  ShellRun r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const fs::path kWasiIncludeDir = "/usr/include/wasm32-wasi";
const fs::path kWasiLibDir = "/usr/lib/wasm32-wasi";

// Why the toolchain file cannot work on this machine, or empty.
std::string toolchain_problem() {
  if (run_shell("command -v clang-19 clang++-19 llvm-ar-19 llvm-ranlib-19").status != 0) {
    return "clang-19, clang++-19, llvm-ar-19 or llvm-ranlib-19 is missing "
           "(apt-get install clang-19 lld-19 llvm-19)";
  }
  if (!fs::exists(kWasiIncludeDir / "stdlib.h") || !fs::exists(kWasiLibDir / "libc.a")) {
    return "wasi-libc is missing (apt-get install wasi-libc)";
  }
  if (!fs::exists(kWasiLibDir / "libc++.a") || !fs::exists(kWasiLibDir / "libc++abi.a")) {
    return "the wasm32 libc++ is missing (apt-get install libc++-19-dev-wasm32 "
           "libc++abi-19-dev-wasm32 libclang-rt-19-dev-wasm32)";
  }
  return {};
}

// A project under tests/sdk configured with the toolchain file and built in a temporary
// directory, removed at exit.
struct ProjectBuild {
  std::string skip_reason;
  fs::path build_dir;
  bool configured = false, built = false;
  std::string log;

  void run(const std::string& project, const std::string& extra_args) {
    build_dir = fs::temp_directory_path() / ("actr-" + project + "-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(build_dir, ec);
    fs::path root = ACTR_SOURCE_ROOT;
    // CFLAGS and friends would reach the wasm build through CMake's flag initialisation.
    std::string cmake =
        "env -u CFLAGS -u CXXFLAGS -u LDFLAGS -u CC -u CXX '" ACTR_CMAKE_COMMAND "'";
    std::string configure =
        cmake + " -S " + quoted(root / "tests/sdk" / project) + " -B " + quoted(build_dir) +
        " -G '" ACTR_CMAKE_GENERATOR "'" +
        " -DCMAKE_TOOLCHAIN_FILE=" + quoted(root / "cmake/wasm32-wasi-toolchain.cmake") +
        extra_args;
    if (std::string(ACTR_CMAKE_MAKE_PROGRAM).size()) {
      configure += " '-DCMAKE_MAKE_PROGRAM=" ACTR_CMAKE_MAKE_PROGRAM "'";
    }
    auto run = run_shell(configure);
    log = "$ " + configure + "\n" + run.output;
    configured = run.status == 0;
    if (!configured) return;
    std::string build = cmake + " --build " + quoted(build_dir) + " --verbose";
    run = run_shell(build);
    log += "$ " + build + "\n" + run.output;
    built = run.status == 0;
  }
  ~ProjectBuild() {
    std::error_code ec;
    if (!build_dir.empty()) fs::remove_all(build_dir, ec);
  }
};

// toolchain_project, with probe-results.txt (written at configure time) read into `results`.
struct ProbeBuild : ProjectBuild {
  std::map<std::string, std::string> results;

  ProbeBuild() {
    if (auto problem = toolchain_problem(); !problem.empty()) {
      skip_reason = "the wasm32 toolchain is unusable: " + problem;
      return;
    }
    run("toolchain_project", "");
    std::ifstream in(build_dir / "probe-results.txt");
    for (std::string line; std::getline(in, line);) {
      auto eq = line.find('=');
      if (eq != std::string::npos) results[line.substr(0, eq)] = line.substr(eq + 1);
    }
  }
};

std::string result_of(const ProbeBuild& b, const std::string& key) {
  auto it = b.results.find(key);
  return it == b.results.end() ? "<no " + key + " in probe-results.txt>" : it->second;
}

const ProbeBuild& probe_build() {
  static ProbeBuild build;
  return build;
}

// Skips when the build was skipped; fails with its log when it failed.
#define REQUIRE_BUILD(b, build)                                 \
  const auto& b = build;                                        \
  if (!b.skip_reason.empty()) ACTR_SKIP_MISSING(b.skip_reason); \
  ASSERT_TRUE(b.configured) << b.log;                           \
  ASSERT_TRUE(b.built) << b.log

void expect_wasi_platform_with_private_sysroot(const ProbeBuild& b) {
  EXPECT_EQ(result_of(b, "system"), "WASI");
  EXPECT_EQ(result_of(b, "wasi"), "1");
  EXPECT_EQ(result_of(b, "build_type"), "Release");
  fs::path sysroot = b.build_dir / "wasm32-wasi-sysroot";
  EXPECT_EQ(fs::path(result_of(b, "sysroot")), sysroot);
  EXPECT_EQ(fs::read_symlink(sysroot / "include/wasm32-wasi"), kWasiIncludeDir);
  EXPECT_EQ(fs::read_symlink(sysroot / "lib/wasm32-wasi"), kWasiLibDir);
  // Two links and nothing else: no way back to the host's /usr/include.
  size_t entries = 0;
  for (const auto& e : fs::recursive_directory_iterator(sysroot)) entries += e.is_symlink();
  EXPECT_EQ(entries, 2u);
  // try_compile (check_cxx_source_compiles) compiles and links C++ for wasm32.
  EXPECT_EQ(result_of(b, "try_compile_cxx"), "1");
}

void expect_find_commands_in_sysroot(const ProbeBuild& b) {
  std::string sysroot = (b.build_dir / "wasm32-wasi-sysroot").string();
  // Host files (linux/limits.h, and zlib.h and libz when zlib1g-dev is installed) are not seen.
  EXPECT_EQ(result_of(b, "host_linux_header"), "");
  EXPECT_EQ(result_of(b, "zlib_include"), "PROBE_ZLIB_INCLUDE-NOTFOUND");
  EXPECT_EQ(result_of(b, "zlib_library"), "PROBE_ZLIB_LIBRARY-NOTFOUND");
  EXPECT_EQ(result_of(b, "zlib_package"), "FALSE");
  EXPECT_EQ(result_of(b, "stdlib_include"), sysroot + "/include/wasm32-wasi");
  EXPECT_EQ(result_of(b, "libm"), sysroot + "/lib/wasm32-wasi/libm.a");
}

void expect_guest_flags(const ProbeBuild& b) {
  for (const char* flag : {"--target=wasm32-wasi", "-fno-exceptions", "-mno-simd128",
                           "-mno-tail-call", "-mbulk-memory", "-O2", "-mexec-model=reactor",
                           "-Wl,--strip-debug", "-Wl,--stack-first", "llvm-ar-19"}) {
    EXPECT_NE(b.log.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(b.log.find("-O3"), std::string::npos);
  EXPECT_EQ(b.log.find("-I/usr/include"), std::string::npos);
}

// leak_probe.c compiled in the project (the build succeeded); the same file compiled by clang
// without the private sysroot must fail, or the probe proves nothing.
void expect_no_host_headers(const ProbeBuild& b) {
  EXPECT_TRUE(fs::exists(b.build_dir / "CMakeFiles/probe.dir/leak_probe.c.o"));
  if (!fs::exists("/usr/include/linux/limits.h") && !fs::exists("/usr/include/zlib.h")) {
    return;  // no host header to leak on this machine: the control cannot fail
  }
  fs::path probe = fs::path(ACTR_SOURCE_ROOT) / "tests/sdk/toolchain_project/leak_probe.c";
  auto control = run_shell("clang-19 --target=wasm32-wasi -fsyntax-only " + quoted(probe));
  EXPECT_NE(control.status, 0) << control.output;
  EXPECT_NE(control.output.find("host's /usr/include"), std::string::npos) << control.output;
}

void expect_wasm_static_library(const ProbeBuild& b) {
  std::string archive = read_bytes(b.build_dir / "libtextkit.a");
  ASSERT_EQ(archive.rfind("!<arch>\n", 0), 0u);
  const std::string wasm_object("\0asm\x01\0\0\0", 8);
  size_t objects = 0;
  for (size_t at = archive.find(wasm_object); at != std::string::npos;
       at = archive.find(wasm_object, at + 1)) {
    ++objects;
  }
  EXPECT_EQ(objects, 2u);  // join.cpp and checksum.c
  // llvm-ranlib indexed the symbols (wasm-ld refuses an archive without an index).
  EXPECT_NE(archive.find("textkit_checksum"), std::string::npos);
}

uint32_t fnv1a(const std::string& text) {
  uint32_t hash = 2166136261u;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 16777619u;
  }
  return hash;
}

void expect_core_module_that_runs(const ProbeBuild& b, EngineKind kind) {
  std::string module_bytes = read_bytes(b.build_dir / "probe.wasm");
  // A core module (version 1), not a component (version 0x0d, layer 1).
  ASSERT_EQ(module_bytes.substr(0, 8), std::string("\0asm\x01\0\0\0", 8));

  auto engine = wasm::make_engine(kind);
  ASSERT_TRUE(engine) << engine.error().message;
  std::vector<uint8_t> bytes(module_bytes.begin(), module_bytes.end());
  auto module = (*engine)->compile(bytes);
  ASSERT_TRUE(module) << module.error().message;

  std::vector<std::string> exports;
  for (const auto& e : (*module)->exports()) exports.push_back(e.name);
  for (const char* name : {"memory", "_initialize", "probe_joined_length", "probe_joined_checksum",
                           "probe_out_of_range"}) {
    EXPECT_NE(std::find(exports.begin(), exports.end(), name), exports.end()) << name;
  }
  // No `env` imports (wasm-ld reports undefined symbols) and no WASI: the module overrides the
  // abort paths that would print through stdio.
  for (const auto& import : (*module)->imports()) {
    ADD_FAILURE() << "unexpected import " << import.module << "." << import.name;
  }
  auto store = (*engine)->new_store();
  std::vector<wasm::Extern> imports;
  auto instance = store->instantiate(**module, imports);
  ASSERT_TRUE(instance) << instance.error().message;
  auto func = [&](const char* name) -> std::shared_ptr<wasm::Func> {
    auto e = (*instance)->get_export(name);
    if (!e || !std::holds_alternative<std::shared_ptr<wasm::Func>>(*e)) return nullptr;
    return std::get<std::shared_ptr<wasm::Func>>(*e);
  };
  for (const char* name :
       {"_initialize", "probe_joined_length", "probe_joined_checksum", "probe_out_of_range"}) {
    ASSERT_TRUE(func(name)) << name;
  }

  ASSERT_TRUE(func("_initialize")->call(nullptr, nullptr));
  std::string expected;
  for (int i = 0; i < 12; ++i) expected += (i ? ", " : "") + std::to_string(i);
  Slot arg = 12, result = 0;
  auto r = func("probe_joined_length")->call(&arg, &result);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(static_cast<uint32_t>(result), expected.size());
  r = func("probe_joined_checksum")->call(&arg, &result);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(static_cast<uint32_t>(result), fnv1a(expected));
  arg = 1;
  r = func("probe_out_of_range")->call(&arg, &result);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(static_cast<uint32_t>(result), 2u);
  // vector::at out of range: libc++'s abort path, overridden to trap.
  arg = 3;
  r = func("probe_out_of_range")->call(&arg, &result);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(wasm::TrapKind::Unreachable)) << r.error().message;
}

// One test, so that the project is configured and built once: ctest runs every test in a process
// of its own.
TEST(WasiToolchain, BuildsAPlainWasm32Project) {
  REQUIRE_BUILD(b, probe_build());
  {
    SCOPED_TRACE("WASI platform, private sysroot, try_compile");
    expect_wasi_platform_with_private_sysroot(b);
  }
  {
    SCOPED_TRACE("find_* in the sysroot");
    expect_find_commands_in_sysroot(b);
  }
  {
    SCOPED_TRACE("guest flags");
    expect_guest_flags(b);
  }
  {
    SCOPED_TRACE("host headers");
    expect_no_host_headers(b);
  }
  {
    SCOPED_TRACE("static library");
    expect_wasm_static_library(b);
  }
  for (EngineKind kind : {EngineKind::Aot, EngineKind::Interp}) {
    SCOPED_TRACE(kind == EngineKind::Aot ? "reactor module on aot" : "reactor module on interp");
    expect_core_module_that_runs(b, kind);
  }
}

// tests/sdk/toolchain_workload: a workload project configured with the toolchain file, whose
// add_library target `textkit` is linked into the component by actr_add_workload(LINK_LIBRARIES).
struct WorkloadBuild : ProjectBuild {
  WorkloadBuild() {
    fs::path root = ACTR_SOURCE_ROOT;
    if (auto problem = toolchain_problem(); !problem.empty()) {
      skip_reason = "the wasm32 toolchain is unusable: " + problem;
    } else if (!fs::exists(ACTR_TEST_WITGEN)) {
      skip_reason = "actr-witgen was not built";
    } else if (!fs::exists(root / "node_modules/.bin/jco") ||
               run_shell("command -v node").status != 0) {
      skip_reason = "node or jco is missing (run `npm ci` in the source root)";
    } else {
      run("toolchain_workload",
          " -Dactr_DIR=" + quoted(fs::path(ACTR_BINARY_DIR) / "lib" / "cmake" / "actr"));
    }
  }
};

TEST(WasiToolchain, WorkloadLinksALibraryBuiltByTheToolchain) {
  static WorkloadBuild build;
  REQUIRE_BUILD(b, build);
  // The library was compiled by the toolchain's rules and linked into the guest.
  EXPECT_NE(b.log.find("llvm-ar-19"), std::string::npos);
  EXPECT_NE(b.log.find("libtextkit.a -o"), std::string::npos);
  auto path = b.build_dir / "guests/textkit_workload.wasm";
  ASSERT_TRUE(fs::exists(path)) << b.log;

  auto engine = wasm::make_engine(EngineKind::Interp);
  ASSERT_TRUE(engine) << engine.error().message;
  auto component = component::Component::load_file(**engine, path);
  ASSERT_TRUE(component) << component.error().message;
  component::Linker linker(**engine);
  for (const auto& f : workload_host_funcs()) {
    std::string name = f.name;
    linker.func(
        kWorkloadHostInterface, f.name, f.type,
        [name](std::span<const component::Value>, std::vector<component::Value>&) -> Result<void> {
          return make_error("unexpected host call " + name);
        });
  }
  auto instance = linker.instantiate(**component);
  ASSERT_TRUE(instance) << instance.error().message;
  auto dispatch = [&](const char* route, const char* payload) -> std::string {
    std::vector<component::Value> args{to_value(RpcEnvelope{"r", route, bytes_of(payload)})};
    auto r = (*instance)->call(std::string(kWorkloadInterface) + "#dispatch", args);
    if (!r) return "trap: " + r.error().message;
    if (r->size() != 1 || !(*r)[0].is_ok) return "error reply";
    auto bytes = bytes_from((*r)[0].payload());
    return bytes ? std::string(bytes->begin(), bytes->end()) : "bad reply";
  };
  EXPECT_EQ(dispatch("join", "a bb ccc"), "a, bb, ccc");
  EXPECT_EQ(dispatch("checksum", "hello"), std::to_string(fnv1a("hello")));
}

}  // namespace
}  // namespace actr::test
