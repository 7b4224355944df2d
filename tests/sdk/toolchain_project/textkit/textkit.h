// A stand-in for a third-party library: one C function and one C++ function.
#ifndef TEXTKIT_H
#define TEXTKIT_H

#include <stdint.h>

#ifdef __cplusplus
#include <string>
#include <vector>

namespace textkit {
std::string join(const std::vector<std::string>& parts, const std::string& separator);
}  // namespace textkit

extern "C" {
#endif

// FNV-1a of `size` bytes.
uint32_t textkit_checksum(const void* data, uint32_t size);

#ifdef __cplusplus
}
#endif

#endif
