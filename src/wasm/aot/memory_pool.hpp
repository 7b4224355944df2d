// Reservations for the aot engine's linear memories, kept for reuse.
//
// A linear memory is an 8 GiB reservation (see kReservationBytes) of which the first pages are
// readable and writable. Creating one is cheap, but dropping one is not: munmap of a reservation
// that had pages touched tears down its page tables, and the next instance faults every page in
// again. The pool keeps released reservations, scrubs the pages the last user touched back to zero
// (only the touched ones: /proc/self/pagemap says which), and hands them out again with the
// protection adjusted to the new size. A reservation that mapped a module's memory image
// (memory_image.hpp) is kept with the image still mapped: MADV_DONTNEED drops the pages its
// instance wrote, so it reads as the image again, and the next memory of that image takes it
// without mapping anything. It is bounded by the number of reservations and by the
// resident bytes it keeps; beyond either, memory goes back to the system.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace actr::wasm::aot {

class MemoryImage;

// The layout of one reservation: a header page (owner bookkeeping), the addressable bytes (any i32
// address plus any i32 offset, so generated code needs no bounds checks), and a guard page.
inline constexpr uint64_t kMemoryHeaderBytes = 64 * 1024;
inline constexpr uint64_t kAddressableBytes = 8ull << 30;
inline constexpr uint64_t kMemoryGuardBytes = 64 * 1024;
inline constexpr uint64_t kReservationBytes =
    kMemoryHeaderBytes + kAddressableBytes + kMemoryGuardBytes;

class MemoryPool {
 public:
  struct Limits {
    size_t max_regions = 32;                    // reservations kept for reuse
    uint64_t max_resident_bytes = 64ull << 20;  // zeroed pages kept mapped across all of them
    uint64_t max_scrub_bytes = 16ull << 20;     // larger memories are returned to the kernel
  };

  explicit MemoryPool(Limits limits);
  MemoryPool() : MemoryPool(Limits{}) {}
  ~MemoryPool();
  MemoryPool(const MemoryPool&) = delete;
  MemoryPool& operator=(const MemoryPool&) = delete;

  // The one pool the runtime's wasm_rt_allocate_memory uses (the wasm-rt.h API has no engine
  // argument, and reservations are interchangeable between engines).
  static MemoryPool& process();

  // A reservation whose header and first `data_bytes` addressable bytes are readable, writable
  // and zero, and whose remaining bytes are inaccessible. Null when the address space is
  // exhausted.
  uint8_t* acquire(uint64_t data_bytes);
  // Gives back a reservation from acquire() of which `data_bytes` are accessible now (the memory
  // may have grown).
  void release(uint8_t* base, uint64_t data_bytes);

  // A pooled reservation that maps `image` over its header and first image->bytes(), reading
  // exactly as the image, with the rest inaccessible; null when the pool holds none.
  uint8_t* acquire_image(const MemoryImage* image);
  // Gives back a reservation that maps `image` (acquire_image, or acquire then map_into) of which
  // `data_bytes` are accessible now. False when the pool does not keep it (the caller then
  // unmaps the image or the reservation).
  bool release_image(uint8_t* base, uint64_t data_bytes, const MemoryImage* image);
  // Unmaps the pooled reservations that map `image` (before the image goes away).
  void forget_image(const MemoryImage* image);

  struct Stats {
    size_t pooled = 0;          // reservations waiting for reuse
    uint64_t resident = 0;      // bytes of zeroed pages they keep mapped
    uint64_t reused = 0;        // acquisitions served from the pool
    uint64_t unmapped = 0;      // releases that went back to the system
    uint64_t image_reused = 0;  // of `reused`, acquisitions that found their image mapped
  };
  Stats stats() const;

 private:
  struct Region {
    uint8_t* base;
    uint64_t data_bytes;                 // accessible now
    uint64_t resident;                   // bytes kept resident (zeroed)
    const MemoryImage* image = nullptr;  // mapped over the first pages, reading as the image
  };

  // Zeroes the touched pages of [data, data + bytes) and returns how many bytes stay resident, or
  // discards them all (returns 0) when that would keep more than `budget` resident.
  uint64_t scrub(uint8_t* data, uint64_t bytes, uint64_t budget);

  const Limits limits_;
  int pagemap_fd_ = -1;
  mutable std::mutex mu_;
  std::vector<Region> free_;
  size_t pending_ = 0;  // releases being scrubbed that hold a slot
  uint64_t resident_ = 0;
  uint64_t reused_ = 0;
  uint64_t unmapped_ = 0;
  uint64_t image_reused_ = 0;
};

}  // namespace actr::wasm::aot
