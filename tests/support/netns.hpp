// Network namespaces a test creates (`ip netns`), so that WebRTC, TURN and browsers only ever
// use addresses the test owns: never the machine's own interfaces. Needs root (CAP_NET_ADMIN);
// ok() says whether the namespace exists. Removed, with what runs in it, when the object goes.
#pragma once

#include <string>
#include <vector>

namespace actr::test {

// What a shell command line prints (stdout and stderr, trailing newlines cut).
std::string shell_output(const std::string& command);

class Netns {
 public:
  // A namespace named "actr-<role>-<pid>", with `lo` up.
  explicit Netns(const std::string& role);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  bool ok() const { return ok_; }
  const std::string& name() const { return name_; }

  // Runs `command` (a shell command line) inside; true when it exits 0.
  bool sh(const std::string& command) const;
  // Runs `command` inside and returns its output (stdout and stderr, trailing newlines cut).
  std::string output(const std::string& command) const;
  // argv that runs `argv` inside.
  std::vector<std::string> inside(std::vector<std::string> argv) const;
  // A socket (socket(2) arguments) of this namespace, or -1.
  int socket(int domain, int type) const;

  // A veth pair between `a` (interface `a_if`, address `a_cidr`) and `b` (`b_if`, `b_cidr`), up.
  static bool link(const Netns& a, const std::string& a_if, const std::string& a_cidr,
                   const Netns& b, const std::string& b_if, const std::string& b_cidr);
  // A veth pair inside one namespace, the first end at `cidr`: an interface that is not
  // loopback (Chromium gathers no loopback candidates), for processes of that namespace.
  bool add_interface(const std::string& name, const std::string& cidr) const;

 private:
  std::string name_;
  bool ok_ = false;
};

}  // namespace actr::test
