// A nats-server with JetStream for one test: its store in a directory of the test's, on a free
// loopback port, ready once that port accepts connections; killed (SIGKILL) with the object.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace actr::signaling::testing {

class NatsServerProcess {
 public:
  // The nats-server executable (Debian's package puts it in /usr/sbin), or "" when none.
  static std::string binary() {
    for (const char* candidate : {"/usr/sbin/nats-server", "/usr/bin/nats-server"}) {
      if (::access(candidate, X_OK) == 0) return candidate;
    }
    return "";
  }

  // Starts it with its JetStream store and log under `dir`; ready() tells whether it answers.
  explicit NatsServerProcess(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_ / "jetstream");
    // A port the kernel just gave out and took back is free unless something takes it in
    // between: then nats-server exits and the next attempt uses another.
    for (int attempt = 0; attempt < 5 && !ready_; ++attempt) {
      port_ = free_port();
      if (port_ == 0) continue;
      launch();
      ready_ = wait_until_answering(std::chrono::seconds(10));
      if (!ready_) kill();
    }
  }
  ~NatsServerProcess() { kill(); }
  NatsServerProcess(const NatsServerProcess&) = delete;
  NatsServerProcess& operator=(const NatsServerProcess&) = delete;

  bool ready() const { return ready_; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  std::filesystem::path log_file() const { return dir_ / "nats-server.log"; }

  // Starts it again after kill(): the same port, the same JetStream store. True once it answers.
  bool restart(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    kill();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // The port may still be held for a moment by the old process' sockets: try again.
    while (std::chrono::steady_clock::now() < deadline) {
      launch();
      ready_ = wait_until_answering(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (ready_) return true;
      kill();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  static uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
  }

  void launch() {
    std::string exe = binary();
    std::string port = std::to_string(port_);
    std::string store = (dir_ / "jetstream").string();
    std::string log = log_file().string();
    std::vector<std::string> args{exe,  "-js", "-sd",       store, "-p",
                                  port, "-a",  "127.0.0.1", "-l",  log};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execv(exe.c_str(), argv.data());
      ::_exit(127);
    }
  }

  bool wait_until_answering(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pid_ <= 0 || ::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;  // it exited (the port was taken, or it cannot start)
      }
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(port_);
      bool answered = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (answered) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace actr::signaling::testing
