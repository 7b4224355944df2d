// The initial contents of a module's linear memory, made once per module and mapped copy-on-write
// into each new instance's reservation, so that instances share the pages they only read and an
// instantiation maps pages instead of copying data segments.
//
// An image is taken from a module's first instance right after instantiation: when the module has
// no start function and every active data segment lands at a constant offset, that memory is
// zeros plus the data segments, the same for every instance (docs/RUNTIME.md, "Memory images").
// The image is a sealed memfd laid out like a reservation's accessible part (header, then the
// memory); only its non-zero pages are written, the rest are holes that read as zero. One mapping
// covers the header and the whole initial memory, so a reservation has as many mappings as without
// an image (the number of mappings a process may have is limited). Writes go to private copies
// (MAP_PRIVATE), so no instance ever sees another's writes, and growing past the image is the
// usual mprotect of anonymous pages.
#pragma once

#include <cstdint>
#include <memory>

namespace actr::wasm::aot {

class MemoryImage {
 public:
  // An image of the `bytes` bytes at `data` (a whole number of wasm pages). Null when the
  // system refuses a memfd.
  static std::unique_ptr<MemoryImage> capture(const uint8_t* data, uint64_t bytes);
  ~MemoryImage();
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;

  // The size of the memory the image was taken of.
  uint64_t bytes() const { return bytes_; }
  // Maps the image over the readable and writable header and first `bytes()` of the reservation
  // at `base` (memory_pool.hpp). False, with the reservation as it was, when the mapping fails.
  bool map_into(uint8_t* base) const;
  // Turns the image's pages at `base` back into anonymous zero pages (before a reservation is
  // reused for another memory).
  bool unmap_from(uint8_t* base) const;
  // How many bytes of the memory the image holds (its non-zero pages).
  uint64_t kept_bytes() const { return kept_; }

 private:
  MemoryImage(int fd, uint64_t bytes, uint64_t kept) : fd_(fd), bytes_(bytes), kept_(kept) {}

  int fd_;
  uint64_t bytes_;
  uint64_t kept_;
};

}  // namespace actr::wasm::aot
