// TURN: credentials by the REST-API scheme coturn checks, and two peer connections forced onto
// relayed candidates through a coturn the test starts on 127.0.0.1 (Debian package `coturn`).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/missing.hpp"
#include "webrtc/peer_pair.hpp"
#include "webrtc/turn_credentials.hpp"

extern char** environ;

namespace actr::webrtc {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(TurnCredentials, FollowTheRestApiScheme) {
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  TurnCredentials c = turn_rest_credentials("s3cret", "alice", 3600s, now);
  EXPECT_EQ(c.username, "1700003600:alice");
  EXPECT_EQ(c.password, "YAFdW/YDZewZsR1QSgUk2IrfbRI=");  // base64(HMAC-SHA1), by Python's hmac
  EXPECT_EQ(c.expires, now + 3600s);
  EXPECT_NE(turn_rest_credentials("other", "alice", 3600s, now).password, c.password);
}

uint16_t free_udp_port() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// True once something answers a STUN Binding request on 127.0.0.1:port.
bool answers_stun(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  timeval tv{0, 100000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Binding request: type 0x0001, length 0, the magic cookie, a transaction id.
  uint8_t request[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                         3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
  ::sendto(fd, request, sizeof request, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  uint8_t response[512];
  ssize_t n = ::recv(fd, response, sizeof response, 0);
  ::close(fd);
  return n >= 20 && response[0] == 0x01 && response[1] == 0x01;  // Binding success
}

// coturn on 127.0.0.1 with a shared secret, relaying between loopback peers, its files in `dir`.
class Coturn {
 public:
  Coturn(const fs::path& dir, std::string secret) : secret_(std::move(secret)) {
    port_ = free_udp_port();
    // A relay port range of its own per process, so that parallel tests do not collide.
    int low = 40000 + static_cast<int>(::getpid() % 200) * 100;
    std::vector<std::string> args = {"turnserver",
                                     "-n",
                                     "--listening-ip=127.0.0.1",
                                     "--relay-ip=127.0.0.1",
                                     "--listening-port=" + std::to_string(port_),
                                     "--min-port=" + std::to_string(low),
                                     "--max-port=" + std::to_string(low + 99),
                                     "--allow-loopback-peers",
                                     "--use-auth-secret",
                                     "--static-auth-secret=" + secret_,
                                     "--realm=actr.test",
                                     "--no-tls",
                                     "--no-dtls",
                                     "--no-cli",
                                     "--log-file=" + (dir / "turn.log").string(),
                                     "--simple-log",
                                     "--pidfile=" + (dir / "turn.pid").string(),
                                     "--userdb=" + (dir / "turndb").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, (dir / "turn.out").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    started_ =
        posix_spawn(&pid_, "/usr/bin/turnserver", &actions, nullptr, argv.data(), environ) == 0;
    posix_spawn_file_actions_destroy(&actions);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (started_ && !ready_ && std::chrono::steady_clock::now() < deadline) {
      ready_ = answers_stun(port_);
    }
  }
  ~Coturn() {
    if (started_) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ready() const { return ready_; }
  uint16_t port() const { return port_; }
  const std::string& secret() const { return secret_; }

 private:
  std::string secret_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool started_ = false, ready_ = false;
};

TEST(TurnRelay, PeersWithOnlyRelayedCandidatesConnectThroughCoturn) {
  if (!fs::exists("/usr/bin/turnserver")) {
    ACTR_SKIP_MISSING("coturn is not installed (Debian package coturn)");
  }
  fs::path dir = fs::temp_directory_path() / ("actr-turn-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    Coturn turn(dir, "test-secret");
    ASSERT_TRUE(turn.ready()) << "coturn did not answer STUN on 127.0.0.1:" << turn.port();
    auto options = [&](bool offerer, const std::string& who) {
      PeerOptions o;
      o.offerer = offerer;
      o.ice.local_addresses = {"127.0.0.1"};
      o.ice.relay_only = true;
      TurnCredentials c = turn_rest_credentials(turn.secret(), who, 600s);
      o.ice.turn = TurnServer{"127.0.0.1", turn.port(), c.username, c.password};
      o.certificate = *Certificate::generate();
      return o;
    };
    GlibLoop loop;
    test::PeerPair p;
    ASSERT_TRUE(p.exchange(loop, options(true, "1:1"), options(false, "1:2")));
    auto& os = p.offerer_seen;
    auto& as = p.answerer_seen;
    EXPECT_NE(os.description.find("typ relay"), std::string::npos) << os.description;
    EXPECT_EQ(os.description.find("typ host"), std::string::npos) << "relay only";
    ASSERT_TRUE(os.connected_or_closed());
    ASSERT_TRUE(as.connected_or_closed());
    ASSERT_EQ(os.state, PeerState::Connected) << os.closed;
    EXPECT_EQ(os.relayed, std::optional<bool>(true));
    EXPECT_EQ(p.answerer->relayed(), std::optional<bool>(true));

    auto ch = p.answerer->open_channel("rpc-reliable", {});
    ASSERT_TRUE(ch);
    ASSERT_TRUE(p.answerer->send(*ch, test::bytes("through the relay")));
    ASSERT_TRUE(os.wait([&] { return !os.messages.empty(); }));
    EXPECT_EQ(os.messages[0].second, "through the relay");
    p.offerer.reset();
    p.answerer.reset();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace actr::webrtc
