// What `tc netem delay D loss P` does, for kernels without sch_netem: a router namespace whose
// forwarding of chosen traffic runs through this process. Packets that enter by an interface and
// go to a destination given to route_through() are routed into a TUN device; a thread here reads
// them, drops a share `loss`, holds the others for `delay` (in order) and writes them back, and
// the kernel routes them on to their destination. Needs root (the test's own namespaces only).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include "support/netns.hpp"

namespace actr::test {

class DelayRouter {
 public:
  // Turns forwarding on in `ns` and makes its TUN device; ok() says whether that worked.
  explicit DelayRouter(const Netns& ns);
  ~DelayRouter();
  DelayRouter(const DelayRouter&) = delete;
  DelayRouter& operator=(const DelayRouter&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& diagnosis() const { return diagnosis_; }

  // Packets that arrive on `interface` for `destination` (a CIDR) take the delayed path.
  bool route_through(const std::string& interface, const std::string& destination);
  // Each packet is held `delay` and dropped with probability `loss` (0..1); both apply from the
  // next packet on.
  void set(std::chrono::milliseconds delay, double loss);

  uint64_t forwarded() const { return forwarded_; }
  uint64_t dropped() const { return dropped_; }

 private:
  void run();

  const Netns& ns_;
  std::string diagnosis_;
  int fd_ = -1;
  std::atomic<int64_t> delay_us_{0};
  std::atomic<uint32_t> loss_per_million_{0};
  std::atomic<uint64_t> forwarded_{0}, dropped_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace actr::test
