#include "wasm/aot/memory_pool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "wasm/aot/memory_image.hpp"

namespace actr::wasm::aot {
namespace {

// /proc/self/pagemap: one 64-bit entry per page; these bits say the page has contents.
constexpr uint64_t kPagePresent = 1ull << 63;
constexpr uint64_t kPageSwapped = 1ull << 62;

size_t system_page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

bool all_zero(const uint8_t* page, size_t size) {
  const auto* words = reinterpret_cast<const uint64_t*>(page);
  for (size_t i = 0; i < size / sizeof(uint64_t); i += 8) {
    uint64_t any = 0;
    for (size_t j = 0; j < 8; ++j) any |= words[i + j];
    if (any != 0) return false;
  }
  return true;
}

uint8_t* reserve(uint64_t data_bytes) {
  void* base = mmap(nullptr, kReservationBytes, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  if (mprotect(base, kMemoryHeaderBytes + data_bytes, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, kReservationBytes);
    return nullptr;
  }
  return static_cast<uint8_t*>(base);
}

// Makes exactly the first `want` data bytes accessible, given that `have` are. Pages made
// inaccessible are discarded, so that only accessible pages can ever have contents.
bool resize_access(uint8_t* data, uint64_t have, uint64_t want) {
  if (have > want) {
    return madvise(data + want, have - want, MADV_DONTNEED) == 0 &&
           mprotect(data + want, have - want, PROT_NONE) == 0;
  }
  if (have < want) return mprotect(data + have, want - have, PROT_READ | PROT_WRITE) == 0;
  return true;
}

}  // namespace

MemoryPool::MemoryPool(Limits limits) : limits_(limits) {
  // Without pagemap we cannot tell touched pages from untouched ones; every release then
  // discards its pages (still cheaper than a new reservation).
  pagemap_fd_ = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
}

MemoryPool::~MemoryPool() {
  for (const Region& r : free_) munmap(r.base, kReservationBytes);
  if (pagemap_fd_ >= 0) close(pagemap_fd_);
}

MemoryPool& MemoryPool::process() {
  static MemoryPool* pool = new MemoryPool();  // leaked: memories may be freed during exit
  return *pool;
}

uint8_t* MemoryPool::acquire(uint64_t data_bytes) {
  std::unique_lock lock(mu_);
  while (!free_.empty()) {
    // A plain reservation if there is one, else one that still maps an image.
    auto it = std::find_if(free_.rbegin(), free_.rend(),
                           [](const Region& r) { return r.image == nullptr; });
    if (it == free_.rend()) it = free_.rbegin();
    Region r = *it;
    free_.erase(std::next(it).base());
    resident_ -= r.resident;
    ++reused_;
    lock.unlock();
    // The image's pages become anonymous zero pages again; the rest was discarded on release.
    if ((r.image == nullptr || r.image->unmap_from(r.base)) &&
        resize_access(r.base + kMemoryHeaderBytes, r.data_bytes, data_bytes)) {
      return r.base;
    }
    munmap(r.base, kReservationBytes);
    lock.lock();
  }
  lock.unlock();
  return reserve(data_bytes);
}

uint8_t* MemoryPool::acquire_image(const MemoryImage* image) {
  std::unique_lock lock(mu_);
  auto it =
      std::find_if(free_.rbegin(), free_.rend(), [&](const Region& r) { return r.image == image; });
  if (it == free_.rend()) return nullptr;
  Region r = *it;
  free_.erase(std::next(it).base());
  ++reused_;
  ++image_reused_;
  lock.unlock();
  // Pages past the image (the memory grew) were discarded on release; close them again.
  if (resize_access(r.base + kMemoryHeaderBytes, r.data_bytes, image->bytes())) return r.base;
  munmap(r.base, kReservationBytes);
  return nullptr;
}

bool MemoryPool::release_image(uint8_t* base, uint64_t data_bytes, const MemoryImage* image) {
  {
    std::lock_guard lock(mu_);
    if (free_.size() + pending_ >= limits_.max_regions) return false;
    ++pending_;
  }
  // On a private file mapping MADV_DONTNEED drops the private copies the instance wrote, and the
  // pages read as the file (the image) again; past the image they read as zero.
  bool ok = madvise(base, kMemoryHeaderBytes + data_bytes, MADV_DONTNEED) == 0;
  std::lock_guard lock(mu_);
  --pending_;
  if (ok) free_.push_back({base, data_bytes, 0, image});
  return ok;
}

void MemoryPool::forget_image(const MemoryImage* image) {
  std::vector<uint8_t*> bases;
  {
    std::lock_guard lock(mu_);
    for (auto it = free_.begin(); it != free_.end();) {
      if (it->image != image) {
        ++it;
        continue;
      }
      bases.push_back(it->base);
      it = free_.erase(it);
    }
  }
  for (uint8_t* base : bases) munmap(base, kReservationBytes);
}

void MemoryPool::release(uint8_t* base, uint64_t data_bytes) {
  uint64_t budget = 0;
  bool keep = false;
  {
    std::lock_guard lock(mu_);
    if (free_.size() + pending_ >= limits_.max_regions) {
      ++unmapped_;
    } else {
      ++pending_;
      // Claim the resident budget now so that concurrent releases cannot overshoot it together.
      uint64_t left = limits_.max_resident_bytes - std::min(resident_, limits_.max_resident_bytes);
      budget = std::min(left, data_bytes);
      resident_ += budget;
      keep = true;
    }
  }
  if (!keep) {
    munmap(base, kReservationBytes);
    return;
  }
  uint64_t kept = scrub(base + kMemoryHeaderBytes, data_bytes, budget);
  std::lock_guard lock(mu_);
  --pending_;
  resident_ -= budget - kept;
  free_.push_back({base, data_bytes, kept, nullptr});
}

uint64_t MemoryPool::scrub(uint8_t* data, uint64_t bytes, uint64_t budget) {
  if (bytes == 0) return 0;
  auto discard = [&] {
    // Anonymous private pages read as zero after MADV_DONTNEED; the protection is unchanged.
    madvise(data, bytes, MADV_DONTNEED);
    return uint64_t{0};
  };
  if (pagemap_fd_ < 0 || bytes > limits_.max_scrub_bytes) return discard();
  const size_t page = system_page_size();
  const uint64_t first = reinterpret_cast<uintptr_t>(data) / page;
  const uint64_t pages = bytes / page;
  // Zero only the pages that have contents, a chunk of pagemap entries at a time; a memory with
  // more touched pages than the pool may keep resident is discarded instead.
  uint64_t entries[512];
  uint64_t resident = 0;
  for (uint64_t done = 0; done < pages;) {
    uint64_t count = std::min<uint64_t>(pages - done, std::size(entries));
    auto* buffer = reinterpret_cast<char*>(entries);
    size_t want = count * sizeof(uint64_t);
    size_t got = 0;
    while (got < want) {
      ssize_t n = pread(pagemap_fd_, buffer + got, want - got,
                        static_cast<off_t>((first + done) * sizeof(uint64_t) + got));
      if (n <= 0) return discard();
      got += static_cast<size_t>(n);
    }
    for (uint64_t i = 0; i < count; ++i) {
      if (!(entries[i] & (kPagePresent | kPageSwapped))) continue;
      resident += page;
      if (resident > budget) return discard();
      uint8_t* p = data + (done + i) * page;
      // A page only ever read maps the shared zero page: writing it would fault a copy in.
      if (!all_zero(p, page)) std::memset(p, 0, page);
    }
    done += count;
  }
  return resident;
}

MemoryPool::Stats MemoryPool::stats() const {
  std::lock_guard lock(mu_);
  return {free_.size(), resident_, reused_, unmapped_, image_reused_};
}

}  // namespace actr::wasm::aot
