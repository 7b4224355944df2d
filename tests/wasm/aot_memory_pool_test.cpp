// The aot engine's pool of linear-memory reservations: a released reservation is handed out again
// reading as zero whatever its last user wrote, with exactly the requested bytes accessible, and
// the pool's bounds send memory back to the system.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "support/missing.hpp"
#include "support/wat.hpp"
#include "wasm/aot/aot_engine.hpp"
#include "wasm/aot/memory_image.hpp"
#include "wasm/aot/memory_pool.hpp"

namespace actr::wasm::aot {
namespace {

constexpr uint64_t kPage = 64 * 1024;

bool reads_zero(const uint8_t* p, uint64_t bytes) {
  for (uint64_t i = 0; i < bytes; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// The permissions /proc/self/maps gives the mapping holding `p` ("rw-p", "---p"), or "" when
// unmapped: asks the kernel rather than touching the page.
std::string protection_of(const void* p) {
  FILE* maps = fopen("/proc/self/maps", "r");
  if (maps == nullptr) return "";
  auto addr = reinterpret_cast<uintptr_t>(p);
  char line[512];
  std::string result;
  while (fgets(line, sizeof line, maps) != nullptr) {
    uintptr_t lo = 0, hi = 0;
    char perms[8] = {};
    if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) {
      result = perms;
      break;
    }
  }
  fclose(maps);
  return result;
}

uint8_t* data_of(uint8_t* base) { return base + kMemoryHeaderBytes; }

TEST(AotMemoryPool, AReleasedRegionIsReusedAndReadsAsZero) {
  MemoryPool pool;
  uint8_t* base = pool.acquire(2 * kPage);
  ASSERT_NE(base, nullptr);
  uint8_t* data = data_of(base);
  EXPECT_TRUE(reads_zero(data, 2 * kPage));
  std::memset(data, 0xab, 100);
  std::memset(data + kPage + 5000, 0xcd, 3000);
  volatile uint8_t read_only = data[kPage - 1];  // a page only read (maps the zero page)
  (void)read_only;
  pool.release(base, 2 * kPage);
  EXPECT_EQ(pool.stats().pooled, 1u);
  EXPECT_GT(pool.stats().resident, 0u);

  uint8_t* again = pool.acquire(2 * kPage);
  EXPECT_EQ(again, base);
  EXPECT_EQ(pool.stats().reused, 1u);
  EXPECT_EQ(pool.stats().pooled, 0u);
  EXPECT_EQ(pool.stats().resident, 0u);
  EXPECT_TRUE(reads_zero(data_of(again), 2 * kPage));
  pool.release(again, 2 * kPage);
}

// A reservation kept with its image mapped: after its user wrote pages (of the image's and beyond)
// and grew, the next user of the image sees exactly the image and its size, and a plain memory
// that takes it reads zero.
TEST(AotMemoryPool, AReservationKeptWithItsImageReadsAsTheImageAgain) {
  std::vector<uint8_t> initial(2 * kPage, 0);
  std::memcpy(initial.data() + 10, "image", 5);
  std::memcpy(initial.data() + kPage + 7, "second", 6);
  auto image = MemoryImage::capture(initial.data(), initial.size());
  ASSERT_NE(image, nullptr);
  MemoryPool pool;
  EXPECT_EQ(pool.acquire_image(image.get()), nullptr);  // none kept yet
  uint8_t* base = pool.acquire(2 * kPage);
  ASSERT_NE(base, nullptr);
  ASSERT_TRUE(image->map_into(base));
  uint8_t* data = data_of(base);
  ASSERT_EQ(std::memcmp(data, initial.data(), initial.size()), 0);
  std::memset(data + 8, 0xab, 20);                                          // a page of the image
  std::memset(data + kPage + 4000, 1, 100);                                 // another one
  ASSERT_EQ(mprotect(data + 2 * kPage, kPage, PROT_READ | PROT_WRITE), 0);  // grown by a page
  std::memset(data + 2 * kPage + 3, 0xcd, 50);
  ASSERT_TRUE(pool.release_image(base, 3 * kPage, image.get()));
  EXPECT_EQ(pool.stats().pooled, 1u);

  uint8_t* again = pool.acquire_image(image.get());
  ASSERT_EQ(again, base);
  EXPECT_EQ(pool.stats().image_reused, 1u);
  EXPECT_EQ(std::memcmp(data_of(again), initial.data(), initial.size()), 0);
  EXPECT_TRUE(reads_zero(again, kMemoryHeaderBytes));
  EXPECT_EQ(protection_of(data_of(again) + 2 * kPage - 1), "rw-p");
  EXPECT_EQ(protection_of(data_of(again) + 2 * kPage), "---p");

  // Written again and kept; a plain memory then takes it and reads zero throughout.
  std::memset(data_of(again) + 10, 0x11, 5);
  ASSERT_TRUE(pool.release_image(again, 2 * kPage, image.get()));
  uint8_t* plain = pool.acquire(3 * kPage);
  ASSERT_EQ(plain, base);
  EXPECT_EQ(pool.stats().image_reused, 1u);
  EXPECT_TRUE(reads_zero(data_of(plain), 3 * kPage));
  EXPECT_EQ(protection_of(data_of(plain) + 3 * kPage), "---p");
  pool.release(plain, 3 * kPage);
}

TEST(AotMemoryPool, ForgettingAnImageUnmapsTheReservationsKeptWithIt) {
  std::vector<uint8_t> initial(kPage, 0);
  initial[0] = 1;
  auto image = MemoryImage::capture(initial.data(), initial.size());
  ASSERT_NE(image, nullptr);
  MemoryPool pool;
  uint8_t* base = pool.acquire(kPage);
  ASSERT_NE(base, nullptr);
  ASSERT_TRUE(image->map_into(base));
  ASSERT_TRUE(pool.release_image(base, kPage, image.get()));
  pool.forget_image(image.get());
  EXPECT_EQ(pool.stats().pooled, 0u);
  EXPECT_EQ(pool.acquire_image(image.get()), nullptr);
  EXPECT_EQ(protection_of(data_of(base)), "");
}

TEST(AotMemoryPool, ReuseMakesExactlyTheRequestedBytesAccessible) {
  MemoryPool pool;
  uint8_t* base = pool.acquire(3 * kPage);
  ASSERT_NE(base, nullptr);
  std::memset(data_of(base), 0x11, 3 * kPage);
  pool.release(base, 3 * kPage);

  uint8_t* smaller = pool.acquire(1 * kPage);
  ASSERT_EQ(smaller, base);
  EXPECT_TRUE(reads_zero(data_of(smaller), kPage));
  EXPECT_EQ(protection_of(data_of(smaller)).substr(0, 2), "rw");
  EXPECT_EQ(protection_of(data_of(smaller) + kPage).substr(0, 3), "---");
  std::memset(data_of(smaller), 0x22, kPage);
  pool.release(smaller, 1 * kPage);

  uint8_t* larger = pool.acquire(4 * kPage);
  ASSERT_EQ(larger, base);
  EXPECT_EQ(protection_of(data_of(larger) + 3 * kPage).substr(0, 2), "rw");
  EXPECT_EQ(protection_of(data_of(larger) + 4 * kPage).substr(0, 3), "---");
  EXPECT_TRUE(reads_zero(data_of(larger), 4 * kPage));
  pool.release(larger, 4 * kPage);
}

TEST(AotMemoryPool, ABoundedPoolUnmapsBeyondItsCap) {
  MemoryPool::Limits limits;
  limits.max_regions = 2;
  MemoryPool pool(limits);
  std::vector<uint8_t*> regions;
  for (int i = 0; i < 3; ++i) {
    regions.push_back(pool.acquire(kPage));
    ASSERT_NE(regions.back(), nullptr);
  }
  for (uint8_t* r : regions) pool.release(r, kPage);
  EXPECT_EQ(pool.stats().pooled, 2u);
  EXPECT_EQ(pool.stats().unmapped, 1u);
  // The third reservation is gone from the address space.
  EXPECT_EQ(protection_of(regions[2]), "");
}

TEST(AotMemoryPool, MemoryBeyondTheResidentBudgetIsDiscardedAndStillReadsZero) {
  MemoryPool::Limits limits;
  limits.max_resident_bytes = kPage;  // less than what the user touches
  MemoryPool pool(limits);
  uint8_t* base = pool.acquire(4 * kPage);
  ASSERT_NE(base, nullptr);
  std::memset(data_of(base), 0x5a, 4 * kPage);
  pool.release(base, 4 * kPage);
  EXPECT_EQ(pool.stats().pooled, 1u);
  EXPECT_EQ(pool.stats().resident, 0u);
  uint8_t* again = pool.acquire(4 * kPage);
  ASSERT_EQ(again, base);
  EXPECT_TRUE(reads_zero(data_of(again), 4 * kPage));
  pool.release(again, 4 * kPage);
}

TEST(AotMemoryPool, LargeMemoriesAreDiscardedRatherThanScrubbed) {
  MemoryPool::Limits limits;
  limits.max_scrub_bytes = kPage;
  MemoryPool pool(limits);
  uint8_t* base = pool.acquire(2 * kPage);
  ASSERT_NE(base, nullptr);
  std::memset(data_of(base) + kPage, 0x77, kPage);
  pool.release(base, 2 * kPage);
  EXPECT_EQ(pool.stats().resident, 0u);
  uint8_t* again = pool.acquire(2 * kPage);
  EXPECT_TRUE(reads_zero(data_of(again), 2 * kPage));
  pool.release(again, 2 * kPage);
}

// Through the engine: a new store's memory never shows what an earlier store wrote.
TEST(AotMemoryPool, ANewInstanceNeverSeesAnEarlierInstancesMemory) {
  if (!aot_compiler_available()) ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
  auto engine = make_engine(EngineKind::Aot);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  auto bytes = test::wat_to_wasm(R"((module
    (memory 2)
    (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
    (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))))");
  auto module = (*engine)->compile(bytes);
  ASSERT_TRUE(module.ok()) << module.error().message;
  uint64_t reused_before = MemoryPool::process().stats().reused;
  for (int round = 0; round < 3; ++round) {
    auto store = (*engine)->new_store({});
    auto inst = store->instantiate(**module, {});
    ASSERT_TRUE(inst.ok()) << inst.error().message;
    auto peek = std::get<std::shared_ptr<Func>>(*(*inst)->get_export("peek"));
    auto poke = std::get<std::shared_ptr<Func>>(*(*inst)->get_export("poke"));
    for (Slot addr : {Slot{0}, Slot{4096}, Slot{70000}, Slot{131068}}) {
      Slot result = 1;
      ASSERT_TRUE(peek->call(&addr, &result).ok());
      EXPECT_EQ(result, 0u) << "round " << round << ", address " << addr;
      Slot args[2] = {addr, 0xdeadbeef};
      Slot none = 0;
      ASSERT_TRUE(poke->call(args, &none).ok());
    }
  }
  EXPECT_GE(MemoryPool::process().stats().reused, reused_before + 2);
}

}  // namespace
}  // namespace actr::wasm::aot
