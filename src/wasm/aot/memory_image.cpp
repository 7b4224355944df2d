#include "wasm/aot/memory_image.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wasm/aot/memory_pool.hpp"

namespace actr::wasm::aot {
namespace {

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

bool zero_page(const uint8_t* p, size_t size) {
  const auto* words = reinterpret_cast<const uint64_t*>(p);
  for (size_t i = 0; i < size / sizeof(uint64_t); ++i) {
    if (words[i] != 0) return false;
  }
  return true;
}

bool write_all(int fd, const uint8_t* data, uint64_t length, uint64_t offset) {
  for (uint64_t done = 0; done < length;) {
    ssize_t n = pwrite(fd, data + done, length - done, static_cast<off_t>(offset + done));
    if (n <= 0) return false;
    done += static_cast<uint64_t>(n);
  }
  return true;
}

}  // namespace

std::unique_ptr<MemoryImage> MemoryImage::capture(const uint8_t* data, uint64_t bytes) {
  int fd = memfd_create("actr-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return nullptr;
  bool ok = ftruncate(fd, static_cast<off_t>(kMemoryHeaderBytes + bytes)) == 0;
  const size_t page = page_size();
  uint64_t kept = 0;
  for (uint64_t at = 0; ok && at < bytes; at += page) {
    if (zero_page(data + at, page)) continue;  // a hole reads as zero
    ok = write_all(fd, data + at, page, kMemoryHeaderBytes + at);
    kept += page;
  }
  // Sealed, the image cannot change under the instances that map it.
  ok = ok && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0;
  if (!ok) {
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<MemoryImage>(new MemoryImage(fd, bytes, kept));
}

MemoryImage::~MemoryImage() {
  // Pooled reservations that still map this image must not serve a later image at this address.
  MemoryPool::process().forget_image(this);
  close(fd_);
}

bool MemoryImage::map_into(uint8_t* base) const {
  // A MAP_FIXED mapping that fails for want of resources leaves the old one in place.
  void* at = mmap(base, kMemoryHeaderBytes + bytes_, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd_, 0);
  return at != MAP_FAILED;
}

bool MemoryImage::unmap_from(uint8_t* base) const {
  void* at = mmap(base, kMemoryHeaderBytes + bytes_, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  return at != MAP_FAILED;
}

}  // namespace actr::wasm::aot
