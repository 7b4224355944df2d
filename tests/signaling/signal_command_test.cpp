// `actr signal` as a process: prints its address, serves clients, stops on SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "signaling/client.hpp"
#include "signaling/enrollment.hpp"
#include "signaling/turn_credentials.hpp"
#include "support/run_actr.hpp"
#include "temp_dir.hpp"

namespace actr::signaling::server {
namespace {

using namespace std::chrono_literals;

class SignalProcess {
 public:
  explicit SignalProcess(std::vector<std::string> args) {
    std::string actr = std::string(ACTR_BINARY_DIR) + "/actr";
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    std::vector<char*> argv{const_cast<char*>("actr"), const_cast<char*>("signal")};
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::execv(actr.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~SignalProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  // The next line of stdout, or "" when none arrives in time.
  std::string read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (size_t nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char buf[512];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return "";
      pending_.append(buf, static_cast<size_t>(n));
    }
  }

  // Sends `sig` and waits for the exit status (-1 if it did not exit normally in time).
  int stop(int sig) {
    ::kill(pid_, sig);
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string pending_;
};

TEST(SignalCommand, ServesUntilSigterm) {
  testing::TempDir dir;
  SignalProcess process({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(),
                         "--credential-ttl", "5", "--heartbeat", "1", "--log-level", "warn"});
  std::string line = process.read_line(20s);
  ASSERT_TRUE(line.starts_with("signaling: ws://127.0.0.1:")) << "got: `" << line << "`";
  std::string url = line.substr(std::string("signaling: ").size());
  // Closed by default: a token of its own, in a file only its owner can read, named on stdout.
  std::string token_line = process.read_line(5s);
  auto token_file = dir.path() / "enroll-token";
  EXPECT_TRUE(
      token_line.starts_with("enrollment token: " + std::filesystem::absolute(token_file).string()))
      << token_line;
  EXPECT_EQ(std::filesystem::status(token_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto token = read_enroll_token_file(token_file);
  ASSERT_TRUE(token) << token.error().message;
  auto stranger = Client::connect(url);
  ASSERT_FALSE(stranger);
  EXPECT_TRUE(stranger.error().is(ErrorCategory::Signaling, kSignalingUnauthorized));

  ClientOptions options;
  options.enroll_token = *token;
  auto client = Client::connect(url, options);
  ASSERT_TRUE(client) << client.error().message;
  RegisterParams params;
  params.type = ActrType{"acme", "echo", "1.2.0"};
  params.realm = 1;
  auto reg = (*client)->register_actor(params);
  ASSERT_TRUE(reg) << reg.error().message;
  EXPECT_EQ(reg->heartbeat_interval, 1000ms);
  int64_t ttl = reg->expires_at - system_unix_seconds();
  EXPECT_GE(ttl, 3);
  EXPECT_LE(ttl, 5);
  // Discovery in the command uses semver compatibility: ^1.0 accepts 1.2.0.
  auto found = (*client)->discover(ActrType{"acme", "echo", "1.0"});
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "signaling.db"));

  EXPECT_EQ(process.stop(SIGTERM), 0);
  EXPECT_TRUE((*client)->wait_closed(2s));
}

TEST(SignalCommand, InsecureOpenLetsAnyoneInAndSaysSo) {
  testing::TempDir dir;
  SignalProcess process({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(),
                         "--insecure-open", "--log-level", "warn"});
  std::string line = process.read_line(20s);
  ASSERT_TRUE(line.starts_with("signaling: ws://127.0.0.1:")) << "got: `" << line << "`";
  std::string url = line.substr(std::string("signaling: ").size());
  EXPECT_EQ(process.read_line(5s), "enrollment: OPEN (--insecure-open; development only)");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "enroll-token"));
  auto client = Client::connect(url);
  ASSERT_TRUE(client) << client.error().message;
  RegisterParams params;
  params.type = ActrType{"anyone", "anything", "1.0.0"};
  params.realm = 1;
  EXPECT_TRUE((*client)->register_actor(params));
  EXPECT_EQ(process.stop(SIGTERM), 0);
}

TEST(SignalCommand, ATokenFileLimitsWhatATokenRegisters) {
  testing::TempDir dir;
  auto tokens = dir.path() / "tokens";
  std::ofstream(tokens) << "echo-nodes-token-0123 acme/echo\n";
  SignalProcess process({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(),
                         "--enroll-token-file", tokens.string(), "--log-level", "warn"});
  std::string line = process.read_line(20s);
  ASSERT_TRUE(line.starts_with("signaling: ws://127.0.0.1:")) << "got: `" << line << "`";
  std::string url = line.substr(std::string("signaling: ").size());
  ClientOptions options;
  options.enroll_token = "echo-nodes-token-0123";
  auto client = Client::connect(url, options);
  ASSERT_TRUE(client) << client.error().message;
  RegisterParams params;
  params.type = ActrType{"acme", "echo", "1.0.0"};
  params.realm = 1;
  EXPECT_TRUE((*client)->register_actor(params));
  params.type = ActrType{"acme", "greeter", "1.0.0"};
  EXPECT_FALSE((*client)->register_actor(params));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "enroll-token"));
}

TEST(SignalCommand, TokenOptionsThatCannotWorkAreRefused) {
  auto both = test::run_actr("signal --insecure-open --enroll-token abcdefghijklmnopq 2>&1");
  EXPECT_NE(both.status, 0);
  auto short_token = test::run_actr("signal --listen 127.0.0.1:0 --enroll-token short 2>&1");
  EXPECT_EQ(short_token.status, 1);
  EXPECT_NE(short_token.output.find("at least 16 characters"), std::string::npos)
      << short_token.output;
  testing::TempDir dir;
  auto empty = dir.path() / "empty";
  std::ofstream(empty) << "# nothing\n";
  auto no_token =
      test::run_actr("signal --listen 127.0.0.1:0 --enroll-token-file " + empty.string() + " 2>&1");
  EXPECT_EQ(no_token.status, 1);
  EXPECT_NE(no_token.output.find("no enrollment token"), std::string::npos) << no_token.output;
}

TEST(SignalCommand, TurnServersGiveRegisteredActorsCredentials) {
  testing::TempDir dir;
  auto secret = dir.path() / "turn-secret";
  std::ofstream(secret) << "shared-with-coturn-0123\n";
  SignalProcess process({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(),
                         "--insecure-open", "--turn", "127.0.0.1:3479", "--turn", "turn.example",
                         "--turn-secret-file", secret.string(), "--log-level", "warn"});
  std::string line = process.read_line(20s);
  ASSERT_TRUE(line.starts_with("signaling: ws://127.0.0.1:")) << "got: `" << line << "`";
  auto client = Client::connect(line.substr(std::string("signaling: ").size()));
  ASSERT_TRUE(client) << client.error().message;
  RegisterParams params;
  params.type = ActrType{"acme", "echo", "1.0.0"};
  params.realm = 1;
  auto reg = (*client)->register_actor(params);
  ASSERT_TRUE(reg) << reg.error().message;
  ASSERT_EQ(reg->turn.size(), 2u);
  EXPECT_EQ(reg->turn[0].host, "127.0.0.1");
  EXPECT_EQ(reg->turn[0].port, 3479);
  EXPECT_EQ(reg->turn[1].host, "turn.example");
  EXPECT_EQ(reg->turn[1].port, 3478) << "coturn's default port";
  auto expected = turn_rest_credentials(
      "shared-with-coturn-0123", "1-" + std::to_string(reg->id.serial_number),
      std::chrono::seconds(3600),
      std::chrono::system_clock::time_point(std::chrono::seconds(reg->expires_at - 3600)));
  EXPECT_EQ(reg->turn[0].username, expected.username);
  EXPECT_EQ(reg->turn[0].password, expected.password);
  EXPECT_EQ(process.stop(SIGTERM), 0);
}

TEST(SignalCommand, TurnOptionsThatCannotWorkAreRefused) {
  auto no_secret = test::run_actr("signal --insecure-open --listen 127.0.0.1:0 --turn t 2>&1");
  EXPECT_EQ(no_secret.status, 1);
  EXPECT_NE(no_secret.output.find("--turn-secret-file"), std::string::npos) << no_secret.output;
  testing::TempDir dir;
  auto short_secret = dir.path() / "short";
  std::ofstream(short_secret) << "short\n";
  auto too_short = test::run_actr(
      "signal --insecure-open --listen 127.0.0.1:0 --turn t "
      "--turn-secret-file " +
      short_secret.string() + " 2>&1");
  EXPECT_EQ(too_short.status, 1);
  EXPECT_NE(too_short.output.find("at least 16 characters"), std::string::npos) << too_short.output;
  auto bad_port = test::run_actr(
      "signal --insecure-open --listen 127.0.0.1:0 --turn t:none "
      "--turn-secret-file " +
      short_secret.string() + " 2>&1");
  EXPECT_EQ(bad_port.status, 1);
  EXPECT_NE(bad_port.output.find("HOST:PORT"), std::string::npos) << bad_port.output;
}

TEST(SignalCommand, BadListenAddressFails) {
  auto run = test::run_actr("signal --listen nonsense:port 2>&1");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("--listen"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace actr::signaling::server
