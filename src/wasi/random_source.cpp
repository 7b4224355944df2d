#include "wasi/random_source.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace actr::wasi {

Result<void> secure_random_fill(uint8_t* out, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(out, n, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    out += got;
    n -= static_cast<size_t>(got);
  }
  return {};
}

Result<uint64_t> secure_random_u64() {
  uint64_t v = 0;
  ACTR_TRY_VOID(secure_random_fill(reinterpret_cast<uint8_t*>(&v), sizeof v));
  return v;
}

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

InsecureRandom::InsecureRandom(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

uint64_t InsecureRandom::next() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void InsecureRandom::fill(uint8_t* out, size_t n) {
  while (n > 0) {
    uint64_t v = next();
    size_t k = n < sizeof v ? n : sizeof v;
    std::memcpy(out, &v, k);
    out += k;
    n -= k;
  }
}

}  // namespace actr::wasi
