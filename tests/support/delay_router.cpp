#include "support/delay_router.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <random>
#include <vector>

namespace actr::test {

namespace {

constexpr const char* kDevice = "actrdelay";
constexpr const char* kTable = "77";

// Opens the TUN device `name` of the namespace `ns` (the ioctl looks the device up in the calling
// thread's namespace, so a short-lived thread enters it).
int open_tun(const std::string& ns, const char* name) {
  int fd = -1;
  std::thread([&] {
    int nsfd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) return;
    if (::setns(nsfd, CLONE_NEWNET) == 0) {
      fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
      ifreq ifr{};
      ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
      std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
      if (fd >= 0 && ::ioctl(fd, TUNSETIFF, &ifr) < 0) {
        ::close(fd);
        fd = -1;
      }
    }
    ::close(nsfd);
  }).join();
  return fd;
}

}  // namespace

DelayRouter::DelayRouter(const Netns& ns) : ns_(ns) {
  std::string dev = kDevice;
  // Packets written back come in on the TUN device with sources that route elsewhere: reverse
  // path filtering must not drop them.
  for (const std::string& command : std::vector<std::string>{
           "sysctl -w net.ipv4.ip_forward=1", "sysctl -w net.ipv4.conf.all.rp_filter=0",
           "sysctl -w net.ipv4.conf.default.rp_filter=0", "ip tuntap add dev " + dev + " mode tun",
           "sysctl -w net.ipv4.conf." + dev + ".rp_filter=0", "ip link set " + dev + " up",
           "ip route add default dev " + dev + " table " + kTable}) {
    if (!ns.sh(command)) {
      diagnosis_ = "`" + command + "` failed in " + ns.name() + ": " + ns.output(command);
      return;
    }
  }
  fd_ = open_tun(ns.name(), kDevice);
  if (fd_ < 0) {
    diagnosis_ =
        "cannot open the TUN device " + dev + " in " + ns.name() + ": " + std::strerror(errno);
    return;
  }
  thread_ = std::thread([this] { run(); });
}

DelayRouter::~DelayRouter() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

bool DelayRouter::route_through(const std::string& interface, const std::string& destination) {
  return ok() &&
         ns_.sh("ip rule add iif " + interface + " to " + destination + " lookup " + kTable);
}

void DelayRouter::set(std::chrono::milliseconds delay, double loss) {
  delay_us_ = std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
  loss_per_million_ = static_cast<uint32_t>(loss * 1e6);
}

void DelayRouter::run() {
  using Clock = std::chrono::steady_clock;
  struct Held {
    Clock::time_point due;
    std::vector<unsigned char> bytes;
  };
  std::deque<Held> held;
  std::mt19937 random(20261207);
  std::uniform_int_distribution<uint32_t> million(0, 999'999);
  std::vector<unsigned char> buf(65536);
  while (!stop_) {
    auto now = Clock::now();
    // Everything due goes back to the kernel, in arrival order.
    while (!held.empty() && held.front().due <= now) {
      if (::write(fd_, held.front().bytes.data(), held.front().bytes.size()) > 0) ++forwarded_;
      held.pop_front();
    }
    int wait_ms = 20;
    if (!held.empty()) {
      auto until = std::chrono::ceil<std::chrono::milliseconds>(held.front().due - now).count();
      wait_ms = static_cast<int>(std::clamp<int64_t>(until, 0, 20));
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, wait_ms) <= 0) continue;
    for (;;) {
      ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n <= 0) break;
      if (million(random) < loss_per_million_) {
        ++dropped_;
        continue;
      }
      held.push_back({Clock::now() + std::chrono::microseconds(delay_us_.load()),
                      std::vector<unsigned char>(buf.begin(), buf.begin() + n)});
    }
  }
}

}  // namespace actr::test
