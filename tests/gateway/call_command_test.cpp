// `actr call` end to end: the built binary against a Gateway with a fake Backend in this process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fake_backend.hpp"
#include "gateway/gateway.hpp"
#include "support/missing.hpp"

namespace actr::gateway {
namespace {

namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs build/actr with `args` (shell syntax), stdout and stderr kept apart.
Run run_actr(const std::string& args) {
  fs::path err_file =
      fs::temp_directory_path() / ("actr-call-test-" + std::to_string(::getpid()) + ".err");
  std::string cmd = std::string(ACTR_BINARY_DIR) + "/actr " + args + " 2>" + err_file.string();
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err_file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  fs::remove(err_file);
  return r;
}

class ActrCallCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(fs::path(ACTR_BINARY_DIR) / "actr"))
      ACTR_SKIP_MISSING("build/actr is not built");
    auto started = Gateway::start({}, backend);
    ASSERT_TRUE(started.ok()) << started.error().message;
    gateway = std::move(*started);
    node = "--node http://127.0.0.1:" + std::to_string(gateway->port()) + " ";
  }

  test::FakeBackend backend;
  std::unique_ptr<Gateway> gateway;
  std::string node;
};

TEST_F(ActrCallCommand, PrintsTheReplyBytes) {
  auto r = run_actr("call " + node + "echo echo 'hello, world'");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "hello, world");
  EXPECT_EQ(r.err, "");

  r = run_actr("call " + node + "acme/echo who");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "acme/echo|who");

  r = run_actr("call " + node + "echo echo");  // no payload: empty bytes
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(ActrCallCommand, PayloadFromAFileOrStdin) {
  fs::path file = fs::temp_directory_path() / ("actr-call-payload-" + std::to_string(::getpid()));
  std::string bytes("\0\x01\xfe\xff binary\n", 12);
  {
    std::ofstream out(file, std::ios::binary);
    out << bytes;
  }
  auto r = run_actr("call " + node + "echo echo @" + file.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, bytes);

  r = run_actr("call " + node + "echo later @- < " + file.string());
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, bytes + "!");
  fs::remove(file);

  r = run_actr("call " + node + "echo echo @/no/such/file");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/no/such/file"), std::string::npos) << r.err;
}

TEST_F(ActrCallCommand, ActrErrorsExitTwo) {
  auto r = run_actr("call " + node + "x error:not-found");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: not-found: message of not-found\n");

  r = run_actr("call " + node + "x error:timed-out");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "error: timed-out\n");
}

TEST_F(ActrCallCommand, TransportFailuresExitOne) {
  uint16_t port = gateway->port();
  gateway.reset();
  auto r = run_actr("call --node http://127.0.0.1:" + std::to_string(port) + " echo echo hi");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;

  r = run_actr("call --node ftp://x echo echo hi");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("http://"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace actr::gateway
