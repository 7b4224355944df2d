// `actr signal` as a process: prints its address, serves clients, stops on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "signal_process.hpp"
#include "signaling/client.hpp"
#include "signaling/enrollment.hpp"
#include "signaling/server/signing_key_file.hpp"
#include "signaling/turn_credentials.hpp"
#include "support/run_actr.hpp"
#include "temp_dir.hpp"

namespace actr::signaling::server {
namespace {

using namespace std::chrono_literals;

using testing::SignalProcess;

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

TEST(SignalCommand, KeygenWritesAPrivateKeyFileOnceAndTheServerSignsWithIt) {
  testing::TempDir dir;
  auto key = dir.path() / "realm.key";
  auto made = test::run_actr("signal keygen " + key.string() + " 2>&1");
  ASSERT_EQ(made.status, 0) << made.output;
  EXPECT_NE(made.output.find("public key: "), std::string::npos) << made.output;
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto issuer = read_signing_key_file(key);
  ASSERT_TRUE(issuer) << issuer.error().message;
  // A second keygen would invalidate every credential issued with the first key.
  auto again = test::run_actr("signal keygen " + key.string() + " 2>&1");
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.output.find("never overwritten"), std::string::npos) << again.output;

  SignalProcess process({"--listen", "127.0.0.1:0", "--data-dir", dir.path().string(),
                         "--insecure-open", "--signing-key-file", key.string(), "--log-level",
                         "warn"});
  std::string line = process.read_line(20s);
  ASSERT_TRUE(line.starts_with("signaling: ws://127.0.0.1:")) << "got: `" << line << "`";
  auto client = Client::connect(line.substr(std::string("signaling: ").size()));
  ASSERT_TRUE(client) << client.error().message;
  RegisterParams params;
  params.type = ActrType{"acme", "echo", "1.0.0"};
  params.realm = 1;
  auto reg = (*client)->register_actor(params);
  ASSERT_TRUE(reg) << reg.error().message;
  EXPECT_EQ(reg->server_public_key, issuer->public_key());
  EXPECT_EQ(process.stop(SIGTERM), 0);
}

TEST(SignalCommand, NatsNeedsTheRealmsSigningKeyFile) {
  auto run =
      test::run_actr("signal --insecure-open --listen 127.0.0.1:0 --nats nats://127.0.0.1:1 2>&1");
  EXPECT_EQ(run.status, 1);
  EXPECT_NE(run.output.find("--signing-key-file"), std::string::npos) << run.output;
  testing::TempDir dir;
  auto key = dir.path() / "realm.key";
  std::ofstream(key) << std::string(128, 'a') << "\n";
  std::filesystem::permissions(key, std::filesystem::perms::owner_read |
                                        std::filesystem::perms::owner_write |
                                        std::filesystem::perms::others_read);
  auto shared =
      test::run_actr("signal --insecure-open --listen 127.0.0.1:0 --data-dir " +
                     dir.path().string() + " --signing-key-file " + key.string() + " 2>&1");
  EXPECT_EQ(shared.status, 1);
  EXPECT_NE(shared.output.find("chmod 600"), std::string::npos) << shared.output;
}

}  // namespace
}  // namespace actr::signaling::server
