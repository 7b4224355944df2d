// Randomness behind wasi:random: the kernel's CSPRNG for `random`, a fast seeded generator for
// `insecure`.
#pragma once

#include <cstddef>
#include <cstdint>

#include "actr/common/result.hpp"

namespace actr::wasi {

// Fills `out` from getrandom(2).
Result<void> secure_random_fill(uint8_t* out, size_t n);
Result<uint64_t> secure_random_u64();

// xoshiro256**: not for secrets, only for guests that asked for insecure randomness.
class InsecureRandom {
 public:
  explicit InsecureRandom(uint64_t seed);
  uint64_t next();
  void fill(uint8_t* out, size_t n);

 private:
  uint64_t s_[4];
};

}  // namespace actr::wasi
