#include "support/coturn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

extern char** environ;

namespace actr::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// True when nothing holds `port` on 127.0.0.1, for UDP and for TCP (coturn listens on both).
bool port_is_free(uint16_t port) {
  for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
    int fd = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (!bound) return false;
  }
  return true;
}

// A listening port below the kernel's ephemeral range (32768-60999 by default), so that no
// socket another test opens in the meantime can be handed the port coturn is about to bind.
// coturn also binds the next port up (its alternate port), so both must be free.
uint16_t pick_listening_port(int attempt) {
  for (int i = 0; i < 1000; ++i) {
    auto port = static_cast<uint16_t>(20000 + 2 * ((::getpid() * 7 + attempt * 131 + i) % 6000));
    if (port_is_free(port) && port_is_free(port + 1)) return port;
  }
  return 0;
}

std::string tail_of(const fs::path& file, std::size_t bytes = 1500) {
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > bytes) text = "..." + text.substr(text.size() - bytes);
  return text.empty() ? "(empty)" : text;
}

}  // namespace

// True once something answers a STUN Binding request on the listening address.
bool Coturn::answers_stun() const {
  int fd = place_.ns ? place_.ns->socket(AF_INET, SOCK_DGRAM) : ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  timeval tv{0, 200000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  ::inet_pton(AF_INET, place_.listening_ip.c_str(), &a.sin_addr);
  // Binding request: type 0x0001, length 0, the magic cookie, a transaction id.
  uint8_t request[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                         3,    4,    5,    6,    7,    8,    9,    10,   11, 12};
  ::sendto(fd, request, sizeof request, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  uint8_t response[512];
  ssize_t n = ::recv(fd, response, sizeof response, 0);
  ::close(fd);
  return n >= 20 && response[0] == 0x01 && response[1] == 0x01;  // Binding success
}

Coturn::Coturn(const fs::path& dir, std::string secret, CoturnPlace place)
    : dir_(dir), secret_(std::move(secret)), place_(std::move(place)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  for (int attempt = 0; attempt < 3 && !ready_; ++attempt) {
    // A namespace of the test's own has every port free.
    port_ = place_.ns ? static_cast<uint16_t>(3478 + 2 * attempt) : pick_listening_port(attempt);
    if (port_ == 0) {
      diagnosis_ += "no free listening port below the ephemeral range\n";
      continue;
    }
    if (!start(attempt)) continue;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string exited;
    while (!ready_ && exited.empty() && std::chrono::steady_clock::now() < deadline) {
      ready_ = answers_stun();
      int status = 0;
      if (!ready_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exited = WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                   : "killed by signal " + std::to_string(WTERMSIG(status));
      }
    }
    if (ready_) break;
    diagnosis_ += "attempt " + std::to_string(attempt + 1) + " on port " + std::to_string(port_) +
                  ": " + (exited.empty() ? "no STUN answer in 30 s" : exited) +
                  "\n  output: " + tail_of(dir_ / "turn.out") +
                  "\n  log: " + tail_of(dir_ / "turn.log") + "\n";
    stop();
  }
}

Coturn::~Coturn() { stop(); }

bool Coturn::start(int attempt) {
  // Relay ports of its own per process and attempt, so that parallel tests do not collide.
  int low = 40000 + static_cast<int>((::getpid() + attempt * 67) % 200) * 100;
  std::vector<std::string> args = {
      "turnserver", "-n", "--listening-ip=" + place_.listening_ip, "--relay-ip=" + place_.relay_ip,
      "--listening-port=" + std::to_string(port_), "--min-port=" + std::to_string(low),
      "--max-port=" + std::to_string(low + 99),
      // One relay thread: the default is one per CPU the
      // machine reports, which a container may overstate.
      "--relay-threads=1", "--allow-loopback-peers", "--use-auth-secret",
      "--static-auth-secret=" + secret_, "--realm=actr.test", "--no-tls", "--no-dtls", "--no-cli",
      "--log-file=" + (dir_ / "turn.log").string(), "--simple-log",
      "--pidfile=" + (dir_ / "turn.pid").string(), "--userdb=" + (dir_ / "turndb").string()};
  std::string program = kBinary;
  if (place_.ns) {
    args = place_.ns->inside(std::move(args));
    args[4] = kBinary;  // `ip netns exec NAME /usr/bin/turnserver ...`
    program = args[0];
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  fs::remove(dir_ / "turn.log");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (dir_ / "turn.out").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int error = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    pid_ = -1;
    diagnosis_ += std::string("posix_spawn turnserver: ") + std::strerror(error) + "\n";
    return false;
  }
  return true;
}

void Coturn::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
}

}  // namespace actr::test
