// Ports for tests that start servers in other processes and must name the port up front.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace actr::test {

// `n` distinct loopback ports nothing listens on right now: the kernel picks them (all held until
// each is known), so tests running in parallel never fight over fixed port numbers. Fewer than
// `n` when the kernel refuses.
std::vector<uint16_t> free_ports(size_t n);

}  // namespace actr::test
