// `actr new` and `actr build` end to end: a project created from the SDK template is built into a
// component of the world actr:workload/actr-workload-guest that answers its `hello` route.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "support/actr_types.hpp"
#include "support/missing.hpp"
#include "support/run_actr.hpp"

namespace actr::test {
namespace {

namespace fs = std::filesystem;

CommandRun actr(const std::string& args) { return run_actr(args); }

size_t lines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A shell word.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string without(std::string text, const std::string& part) {
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at)) {
    text.erase(at, part.size());
  }
  return text;
}

size_t occurrences(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// The component of a project made by `actr new` answers its `hello` route, on both engines.
void expect_answers_hello(const fs::path& wasm) {
  for (auto kind : {wasm::EngineKind::Aot, wasm::EngineKind::Interp}) {
    SCOPED_TRACE(kind == wasm::EngineKind::Aot ? "aot" : "interp");
    auto engine = wasm::make_engine(kind);
    ASSERT_TRUE(engine) << engine.error().message;
    auto comp = component::Component::load_file(**engine, wasm);
    ASSERT_TRUE(comp) << comp.error().message;
    component::Linker linker(**engine);
    linker.trap_unknown_imports(true);  // the hello route asks nothing of the host
    auto instance = linker.instantiate(**comp);
    ASSERT_TRUE(instance) << instance.error().message;
    std::string dispatch = std::string(kWorkloadInterface) + "#dispatch";
    std::vector<component::Value> args{to_value(RpcEnvelope{"r-1", "hello", bytes_of("wörld")})};
    auto reply = (*instance)->call(dispatch, args);
    ASSERT_TRUE(reply) << reply.error().message;
    ASSERT_EQ(reply->size(), 1u);
    ASSERT_TRUE((*reply)[0].is_ok);
    EXPECT_EQ(bytes_from((*reply)[0].payload()).value(), bytes_of("hello, wörld"));
    args = {to_value(RpcEnvelope{"r-2", "nope", {}})};
    reply = (*instance)->call(dispatch, args);
    ASSERT_TRUE(reply) << reply.error().message;
    ASSERT_FALSE((*reply)[0].is_ok);
    EXPECT_EQ(actr_error_from((*reply)[0].payload()).value().kind, ActrError::UnknownRoute);
  }
}

// The project in `dir` (made by `actr new demo`, built) compiled its one source and linked the
// precompiled SDK archive `archive`: no SDK source, no generated binding was compiled there.
void expect_links_the_prebuilt_sdk(const fs::path& dir, const fs::path& archive) {
  std::string ninja = read_file(dir / "build" / "build.ninja");
  EXPECT_NE(ninja.find("--whole-archive " + archive.string() + " -Wl,--no-whole-archive"),
            std::string::npos)
      << archive;
  EXPECT_EQ(ninja.find("sdk/cpp/src"), std::string::npos);
  EXPECT_EQ(ninja.find("_guest.cpp"), std::string::npos);
  EXPECT_EQ(ninja.find("actr-witgen"), std::string::npos);
  std::string log = read_file(dir / "build" / "actr-build.log");
  EXPECT_EQ(occurrences(log, "Compiling wasm32 guest object"), 1u) << log;
  EXPECT_NE(log.find("Compiling wasm32 guest object src/demo.cpp"), std::string::npos) << log;
}

// A fresh directory under the temporary directory, removed with the fixture.
class WorkloadCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "actr-new-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    tmp_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
  fs::path tmp_;
};

TEST_F(WorkloadCommands, NewCreatesTheProject) {
  CommandRun r = actr("new my-demo --dir " + tmp_.string());
  ASSERT_EQ(r.status, 0) << r.output;
  fs::path dir = tmp_ / "my-demo";
  EXPECT_TRUE(fs::exists(dir / "CMakeLists.txt"));
  EXPECT_TRUE(fs::exists(dir / "README.md"));
  ASSERT_TRUE(fs::exists(dir / "src" / "my-demo.cpp"));
  std::ifstream in(dir / "src" / "my-demo.cpp");
  std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(source.find("class MyDemo : public actr::Workload"), std::string::npos) << source;
  EXPECT_NE(source.find("ACTR_WORKLOAD(MyDemo)"), std::string::npos) << source;
  EXPECT_EQ(source.find('@'), std::string::npos) << "unsubstituted marker:\n" << source;
}

TEST_F(WorkloadCommands, NewRefusesAnExistingDirectory) {
  fs::create_directories(tmp_ / "taken");
  CommandRun r = actr("new taken --dir " + tmp_.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  EXPECT_EQ(lines(r.output), 1u) << r.output;
  EXPECT_TRUE(fs::is_empty(tmp_ / "taken"));
}

TEST_F(WorkloadCommands, NewRejectsBadNames) {
  for (const char* name : {"Demo", "1demo", "de--mo", "demo-", "de.mo", "'de mo'"}) {
    CommandRun r = actr(std::string("new ") + name + " --dir " + tmp_.string());
    EXPECT_NE(r.status, 0) << name;
    EXPECT_NE(r.output.find("rror"), std::string::npos) << name << ": " << r.output;
  }
  EXPECT_TRUE(fs::is_empty(tmp_));
  CommandRun r = actr("new demo --dir " + (tmp_ / "missing").string());
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_EQ(lines(r.output), 1u) << r.output;
}

TEST_F(WorkloadCommands, BuildOfANonProjectIsAOneLineError) {
  CommandRun r = actr("build " + tmp_.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  EXPECT_EQ(lines(r.output), 1u) << r.output;
}

TEST_F(WorkloadCommands, BuildErrorsAreOneLine) {
  ASSERT_EQ(actr("new broken --dir " + tmp_.string()).status, 0);
  std::ofstream(tmp_ / "broken" / "CMakeLists.txt")
      << "cmake_minimum_required(VERSION 3.25)\nproject(broken)\nmessage(FATAL_ERROR boom)\n";
  CommandRun r = actr("build " + (tmp_ / "broken").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("error: "), std::string::npos) << r.output;
  EXPECT_EQ(lines(r.output), 1u) << r.output;
}

// The project finds the SDK as a CMake package: here, with the actr of a build tree, the package
// config of that build tree (lib/cmake/actr); no path into the source tree is written.
TEST_F(WorkloadCommands, NewProjectFindsTheSdkWithFindPackage) {
  ASSERT_EQ(actr("new demo --dir " + tmp_.string()).status, 0);
  std::string cmakelists = read_file(tmp_ / "demo" / "CMakeLists.txt");
  EXPECT_NE(cmakelists.find("find_package(actr REQUIRED)"), std::string::npos) << cmakelists;
  fs::path package = fs::path(ACTR_BINARY_DIR) / "lib" / "cmake" / "actr";
  EXPECT_NE(cmakelists.find("set(actr_DIR \"" + package.string() + "\" CACHE PATH"),
            std::string::npos)
      << cmakelists;
  EXPECT_TRUE(fs::exists(package / "actrConfig.cmake"));
  // The build tree may lie inside the source tree (build/): only its own path may name it.
  EXPECT_EQ(without(cmakelists, ACTR_BINARY_DIR).find(ACTR_SOURCE_ROOT), std::string::npos)
      << cmakelists;
  EXPECT_EQ(cmakelists.find('@'), std::string::npos) << "unsubstituted marker:\n" << cmakelists;
}

// `cmake --install` of this build into a prefix, then `actr new` and `actr build --web` by the
// installed actr: the project is built from the prefix alone (SDK, actr-witgen, jco, web tools).
TEST_F(WorkloadCommands, InstalledActrCreatesAndBuildsAProject) {
  if (!fs::exists(fs::path(ACTR_BINARY_DIR) / "guests" / "echo.wasm")) {
    ACTR_SKIP_MISSING("the guest toolchain is missing (guests/echo.wasm was not built)");
  }
  // Installed in one directory and used from another: the install must be relocatable.
  fs::path staged = tmp_ / "staged";
  fs::path prefix = tmp_ / "prefix";
  CommandRun install =
      run_command(quoted(ACTR_CMAKE_COMMAND) + " --install " + quoted(ACTR_BINARY_DIR) +
                  " --prefix " + quoted(staged.string()));
  ASSERT_EQ(install.status, 0) << install.output;
  fs::rename(staged, prefix);
  for (const char* file :
       {"bin/actr", "bin/actr-witgen", "bin/actr-componentize", "lib/cmake/actr/actrConfig.cmake",
        "lib/cmake/actr/actrConfigVersion.cmake", "lib/cmake/actr/actrTargets.cmake",
        "share/actr/cmake/ActrWorkload.cmake", "share/actr/cmake/wasm32-wasi-toolchain.cmake",
        "share/actr/wit/actr-workload.wit", "share/actr/sdk/cpp/include/actr/workload.hpp",
        "share/actr/sdk/cpp/src/exports.cpp", "share/actr/sdk/cpp/wasm32/lib/libactr_guest_sdk.a",
        "share/actr/sdk/cpp/wasm32/include/actr_workload_guest_guest.hpp",
        "share/actr/node_modules/.bin/jco", "share/actr/web/tools/transpile.mjs",
        "share/actr/web/serve.mjs"}) {
    EXPECT_TRUE(fs::exists(prefix / file)) << file;
  }

  std::string installed_actr = quoted((prefix / "bin" / "actr").string());
  CommandRun created = run_command(installed_actr + " new demo --dir " + quoted(tmp_.string()));
  ASSERT_EQ(created.status, 0) << created.output;
  fs::path dir = tmp_ / "demo";
  std::string cmakelists = read_file(dir / "CMakeLists.txt");
  EXPECT_NE(cmakelists.find("find_package(actr REQUIRED)"), std::string::npos) << cmakelists;
  EXPECT_NE(cmakelists.find("set(actr_DIR \"" + (prefix / "lib/cmake/actr").string() + "\""),
            std::string::npos)
      << cmakelists;

  CommandRun built = run_command(installed_actr + " build --web " + quoted(dir.string()));
  fs::path wasm = dir / "build" / "guests" / "demo.wasm";
  fs::path js = dir / "build" / "web" / "demo.js";
  ASSERT_EQ(built.status, 0) << built.output << read_file(dir / "build" / "actr-build.log");
  EXPECT_EQ(built.output, wasm.string() + "\n" + js.string() + "\n");
  ASSERT_TRUE(fs::exists(wasm));
  EXPECT_TRUE(fs::exists(js));
  // The component was wrapped by the installed actr-componentize, not by jco.
  std::string ninja = read_file(dir / "build" / "build.ninja");
  EXPECT_NE(ninja.find((prefix / "bin" / "actr-componentize").string()), std::string::npos);
  EXPECT_EQ(ninja.find("jco"), std::string::npos);
  // Only the project's source was compiled: the SDK is the installed archive.
  expect_links_the_prebuilt_sdk(dir, prefix / "share/actr/sdk/cpp/wasm32/lib/libactr_guest_sdk.a");
  // Neither the project nor its build names actr's source or build tree.
  for (const fs::path& file :
       {dir / "CMakeLists.txt", dir / "build" / "CMakeCache.txt", dir / "build" / "build.ninja"}) {
    std::string text = read_file(file);
    EXPECT_EQ(text.find(ACTR_SOURCE_ROOT), std::string::npos) << file;
    EXPECT_EQ(text.find(ACTR_BINARY_DIR), std::string::npos) << file;
  }

  CommandRun wit = run_command(installed_actr + " component wit " + quoted(wasm.string()));
  ASSERT_EQ(wit.status, 0) << wit.output;
  EXPECT_NE(wit.output.find("import actr:workload/types@0.1.0;"), std::string::npos) << wit.output;
  EXPECT_NE(wit.output.find("export actr:workload/workload@0.1.0;"), std::string::npos)
      << wit.output;
  expect_answers_hello(wasm);
}

// The slow one: a cmake configure and a guest build.
TEST_F(WorkloadCommands, NewThenBuildGivesAWorkingComponent) {
  if (!fs::exists(fs::path(ACTR_BINARY_DIR) / "guests" / "echo.wasm")) {
    ACTR_SKIP_MISSING("the guest toolchain is missing (guests/echo.wasm was not built)");
  }
  ASSERT_EQ(actr("new demo --dir " + tmp_.string()).status, 0);
  fs::path dir = tmp_ / "demo";
  CommandRun r = actr("build " + dir.string());
  ASSERT_EQ(r.status, 0) << r.output;
  fs::path wasm = dir / "build" / "guests" / "demo.wasm";
  EXPECT_EQ(r.output, wasm.string() + "\n");
  ASSERT_TRUE(fs::exists(wasm));

  CommandRun wit = actr("component wit " + wasm.string());
  ASSERT_EQ(wit.status, 0) << wit.output;
  // The hello route asks nothing of the host, so only the types are imported.
  EXPECT_NE(wit.output.find("import actr:workload/types@0.1.0;"), std::string::npos) << wit.output;
  EXPECT_NE(wit.output.find("export actr:workload/workload@0.1.0;"), std::string::npos)
      << wit.output;

  // --web: the same component as ES modules for a web node, its exports promising (JSPI).
  CommandRun web = actr("build --web " + dir.string());
  ASSERT_EQ(web.status, 0) << web.output;
  fs::path js = dir / "build" / "web" / "demo.js";
  EXPECT_EQ(web.output, wasm.string() + "\n" + js.string() + "\n");
  std::ifstream in(js);
  std::string module((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(module.find("WebAssembly.promising"), std::string::npos);

  expect_answers_hello(wasm);
}

// The developer loop: the first build compiles the project's one source (the SDK is this build's
// archive) and precompiles actr/workload.hpp; after the source changes, only it is compiled again,
// with the precompiled header.
TEST_F(WorkloadCommands, BuildCompilesOnlyTheProjectsSources) {
  if (!fs::exists(fs::path(ACTR_BINARY_DIR) / "guests" / "echo.wasm")) {
    ACTR_SKIP_MISSING("the guest toolchain is missing (guests/echo.wasm was not built)");
  }
  ASSERT_EQ(actr("new demo --dir " + tmp_.string()).status, 0);
  fs::path dir = tmp_ / "demo";
  CommandRun first = actr("build " + dir.string());
  ASSERT_EQ(first.status, 0) << first.output;
  fs::path archive = fs::path(ACTR_BINARY_DIR) / "sdk/cpp/wasm32/lib/libactr_guest_sdk.a";
  expect_links_the_prebuilt_sdk(dir, archive);
  std::string log = read_file(dir / "build" / "actr-build.log");
  EXPECT_NE(log.find("Precompiling wasm32 guest header workload.hpp"), std::string::npos) << log;
  EXPECT_NE(log.find("-- Configuring done"), std::string::npos) << log;

  // A changed source, newer than its object (its time set explicitly: no wait for the clock).
  fs::path object = dir / "build" / "demo.guest" / "src_demo.cpp.o";
  ASSERT_TRUE(fs::exists(object));
  fs::path source = dir / "src" / "demo.cpp";
  std::string text = read_file(source);
  size_t at = text.find("\"hello, \"");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 9, "\"hi, \"");
  std::ofstream(source, std::ios::binary | std::ios::trunc) << text;
  fs::last_write_time(source, fs::last_write_time(object) + std::chrono::seconds(1));
  CommandRun again = actr("build " + dir.string());
  ASSERT_EQ(again.status, 0) << again.output;
  log = read_file(dir / "build" / "actr-build.log");
  // Only ninja ran: no configure, no precompiled header, one compile.
  EXPECT_EQ(log.find("-- Configuring"), std::string::npos) << log;
  EXPECT_EQ(log.find("Precompiling"), std::string::npos) << log;
  EXPECT_EQ(occurrences(log, "Compiling wasm32 guest object"), 1u) << log;
  EXPECT_NE(log.find("Compiling wasm32 guest object src/demo.cpp"), std::string::npos) << log;

  fs::path wasm = dir / "build" / "guests" / "demo.wasm";
  auto engine = wasm::make_engine(wasm::EngineKind::Interp);
  ASSERT_TRUE(engine) << engine.error().message;
  auto comp = component::Component::load_file(**engine, wasm);
  ASSERT_TRUE(comp) << comp.error().message;
  component::Linker linker(**engine);
  linker.trap_unknown_imports(true);
  auto instance = linker.instantiate(**comp);
  ASSERT_TRUE(instance) << instance.error().message;
  std::vector<component::Value> args{to_value(RpcEnvelope{"r-1", "hello", bytes_of("you")})};
  auto reply = (*instance)->call(std::string(kWorkloadInterface) + "#dispatch", args);
  ASSERT_TRUE(reply) << reply.error().message;
  ASSERT_TRUE((*reply)[0].is_ok);
  EXPECT_EQ(bytes_from((*reply)[0].payload()).value(), bytes_of("hi, you"));
}

// Without the precompiled SDK (ACTR_GUEST_SDK_PREBUILT OFF, as when a package has no archive),
// the project compiles the SDK's sources and the generated bindings itself, to the same workload.
TEST_F(WorkloadCommands, BuildWithoutThePrebuiltSdkCompilesIt) {
  if (!fs::exists(fs::path(ACTR_BINARY_DIR) / "guests" / "echo.wasm")) {
    ACTR_SKIP_MISSING("the guest toolchain is missing (guests/echo.wasm was not built)");
  }
  ASSERT_EQ(actr("new demo --dir " + tmp_.string()).status, 0);
  fs::path dir = tmp_ / "demo";
  std::string cmakelists = read_file(dir / "CMakeLists.txt");
  size_t at = cmakelists.find("find_package(actr REQUIRED)");
  ASSERT_NE(at, std::string::npos) << cmakelists;
  cmakelists.insert(at, "set(ACTR_GUEST_SDK_PREBUILT OFF CACHE BOOL \"\" FORCE)\n");
  std::ofstream(dir / "CMakeLists.txt", std::ios::binary | std::ios::trunc) << cmakelists;
  CommandRun r = actr("build " + dir.string());
  ASSERT_EQ(r.status, 0) << r.output;
  std::string ninja = read_file(dir / "build" / "build.ninja");
  EXPECT_EQ(ninja.find("libactr_guest_sdk.a"), std::string::npos);
  std::string log = read_file(dir / "build" / "actr-build.log");
  for (const char* source :
       {"src/abort.cpp", "src/context.cpp", "src/exports.cpp", "src/memory_builtins.cpp",
        "src/workload.cpp", "actr_workload_guest_guest.cpp", "src/demo.cpp"}) {
    EXPECT_NE(log.find(source), std::string::npos) << source << "\n" << log;
  }
  EXPECT_EQ(occurrences(log, "Compiling wasm32 guest object"), 7u) << log;
  expect_answers_hello(dir / "build" / "guests" / "demo.wasm");
}

}  // namespace
}  // namespace actr::test
