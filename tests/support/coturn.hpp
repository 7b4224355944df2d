// coturn (Debian package `coturn`) started by a test on 127.0.0.1 with a REST-API shared secret,
// ready once it answers a STUN Binding request (never after a fixed sleep). Started up to three
// times on different ports; when it never answers, diagnosis() says what each attempt saw (exit
// status, the ends of its output and log).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "support/netns.hpp"

namespace actr::test {

struct CoturnPlace {
  const Netns* ns = nullptr;               // null: this machine's loopback
  std::string listening_ip = "127.0.0.1";  // inside `ns` when given
  std::string relay_ip = "127.0.0.1";
};

class Coturn {
 public:
  static constexpr const char* kBinary = "/usr/bin/turnserver";
  Coturn(const std::filesystem::path& dir, std::string secret, CoturnPlace place = {});
  ~Coturn();
  Coturn(const Coturn&) = delete;
  Coturn& operator=(const Coturn&) = delete;

  bool ready() const { return ready_; }
  uint16_t port() const { return port_; }
  const std::string& secret() const { return secret_; }
  const std::string& diagnosis() const { return diagnosis_; }

 private:
  bool start(int attempt);
  void stop();

  bool answers_stun() const;

  std::filesystem::path dir_;
  std::string secret_;
  CoturnPlace place_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
  std::string diagnosis_;
};

}  // namespace actr::test
