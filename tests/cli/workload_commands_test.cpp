// `actr new` and `actr build` end to end: a project created from the SDK template is built into a
// component of the world actr:workload/actr-workload-guest that answers its `hello` route.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
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

}  // namespace
}  // namespace actr::test
