#include "support/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace actr::test {

namespace {

bool run(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

Netns::Netns(const std::string& role) : name_("actr-" + role + "-" + std::to_string(::getpid())) {
  run("ip netns del " + name_);  // left over by a crashed run with this pid
  ok_ = run("ip netns add " + name_) && run("ip -n " + name_ + " link set lo up");
}

Netns::~Netns() {
  if (ok_) run("ip netns del " + name_);
}

bool Netns::sh(const std::string& command) const {
  return run("ip netns exec " + name_ + " " + command);
}

std::string shell_output(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  ::pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string Netns::output(const std::string& command) const {
  return shell_output("ip netns exec " + name_ + " " + command);
}

std::vector<std::string> Netns::inside(std::vector<std::string> argv) const {
  argv.insert(argv.begin(), {"/usr/sbin/ip", "netns", "exec", name_});
  return argv;
}

int Netns::socket(int domain, int type) const {
  // setns(2) moves the calling thread only: a short-lived thread makes the socket, which then
  // belongs to the namespace whatever thread uses it.
  int fd = -1;
  std::thread([&] {
    int ns = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) return;
    if (::setns(ns, CLONE_NEWNET) == 0) fd = ::socket(domain, type, 0);
    ::close(ns);
  }).join();
  return fd;
}

bool Netns::link(const Netns& a, const std::string& a_if, const std::string& a_cidr, const Netns& b,
                 const std::string& b_if, const std::string& b_cidr) {
  return run("ip -n " + a.name_ + " link add " + a_if + " type veth peer name " + b_if + " netns " +
             b.name_) &&
         run("ip -n " + a.name_ + " addr add " + a_cidr + " dev " + a_if) &&
         run("ip -n " + b.name_ + " addr add " + b_cidr + " dev " + b_if) &&
         run("ip -n " + a.name_ + " link set " + a_if + " up") &&
         run("ip -n " + b.name_ + " link set " + b_if + " up");
}

bool Netns::add_interface(const std::string& name, const std::string& cidr) const {
  std::string n = "ip -n " + name_ + " ";
  return run(n + "link add " + name + " type veth peer name " + name + "p") &&
         run(n + "addr add " + cidr + " dev " + name) && run(n + "link set " + name + " up") &&
         run(n + "link set " + name + "p up");
}

}  // namespace actr::test
