// Memory images (src/wasm/aot/memory_image.hpp): an instance whose memory starts from its module's
// image is in exactly the state of a plain instantiation (memory bytes and globals, compared with
// the aot engine without images and with the interpreter), its writes stay its own, and growth
// past the image, traps and the reuse of pooled reservations behave as without images.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "support/missing.hpp"
#include "support/wat.hpp"
#include "wasm/aot/aot_engine.hpp"
#include "wasm/aot/memory_pool.hpp"

namespace actr::wasm {
namespace {

namespace fs = std::filesystem;

// What a fresh instance holds: every defined memory's bytes and every defined global's value.
struct State {
  std::vector<std::vector<uint8_t>> memories;
  std::vector<Slot> globals;
  bool operator==(const State&) const = default;
};

State state_of(Instance& instance) {
  DefinedState defined = instance.defined_state();
  State s;
  for (const auto& m : defined.memories) s.memories.emplace_back(m->data(), m->data() + m->size());
  for (const auto& g : defined.globals) s.globals.push_back(g->get());
  return s;
}

std::shared_ptr<Func> func(Instance& instance, const char* name) {
  auto e = instance.get_export(name);
  if (!e || kind_of(*e) != ExternKind::Func) return nullptr;
  return std::get<std::shared_ptr<Func>>(*e);
}

Result<Slot> call(Instance& instance, const char* name, std::vector<Slot> args = {}) {
  auto f = func(instance, name);
  if (!f) return make_error(std::string("no export ") + name);
  std::vector<Slot> slots(std::max<size_t>(args.size(), f->type().results.size()) + 1);
  std::copy(args.begin(), args.end(), slots.begin());
  auto r = f->call(slots.data(), slots.data());
  if (!r) return r.take_error();
  return slots[0];
}

// Data in several places (page 0, a page boundary, far into the memory, the very end), globals of
// every numeric type; `poke` writes, `peek` reads, `grow` grows, `boom` traps.
constexpr const char* kDataGuest = R"((module
  (memory (export "memory") 6)
  (global $a (mut i32) (i32.const 7))
  (global $b (mut i64) (i64.const -5))
  (global $c f32 (f32.const 1.5))
  (global $d (mut f64) (f64.const 2.25))
  (data (i32.const 0) "head")
  (data (i32.const 65530) "across-a-page-boundary")
  (data (i32.const 262144) "\01\02\03\04")
  (data (i32.const 393212) "tail")
  (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "boom") unreachable))
)";

// A start function that writes memory and a global: instances need not start alike, so the
// module gets no image and takes the plain path.
constexpr const char* kStartGuest = R"((module
  (memory (export "memory") 2)
  (global $g (mut i32) (i32.const 1))
  (data (i32.const 16) "before-start")
  (func $start
    (i32.store (i32.const 70000) (i32.const 0x11223344))
    (global.set $g (i32.add (global.get $g) (i32.const 41))))
  (start $start))
)";

// Grows itself on its first call and writes past its initial size.
constexpr const char* kGrowGuest = R"((module
  (memory (export "memory") 1 8)
  (global $pages (mut i32) (i32.const 0))
  (data (i32.const 100) "small")
  (func (export "grow-and-write") (result i32)
    (global.set $pages (memory.grow (i32.const 2)))
    (i32.store (i32.const 131072) (i32.const 0x5a5a5a5a))
    (memory.size)))
)";

// A data segment at an offset that an imported global gives: instances differ.
constexpr const char* kImportedOffsetGuest = R"((module
  (import "env" "base" (global $base i32))
  (memory (export "memory") 1)
  (data (global.get $base) "moves"))
)";

class MemoryImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aot_compiler_available())
      ACTR_SKIP_MISSING("no C compiler: the aot engine is unavailable");
    EngineOptions options;
    options.cache_dir = fs::path(ACTR_BINARY_DIR) / "test-aot-cache";
    auto with = make_aot_engine(options, AotOptions{.memory_images = true});
    auto without = make_aot_engine(options, AotOptions{.memory_images = false});
    auto interp = make_engine(EngineKind::Interp);
    ASSERT_TRUE(with.ok() && without.ok() && interp.ok());
    images_ = std::move(*with);
    plain_ = std::move(*without);
    interp_ = std::move(*interp);
  }

  struct Made {
    std::unique_ptr<Store> store;
    std::shared_ptr<Instance> instance;
  };

  static Made make(Engine& engine, const std::shared_ptr<Module>& module,
                   std::vector<Extern> imports = {}) {
    Made m;
    m.store = engine.new_store(StoreLimits{});
    auto instance = m.store->instantiate(*module, imports);
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    if (instance.ok()) m.instance = *instance;
    return m;
  }

  static std::shared_ptr<Module> compile(Engine& engine, const char* wat) {
    auto module = engine.compile(test::wat_to_wasm(wat));
    EXPECT_TRUE(module.ok()) << module.error().message;
    return module.ok() ? *module : nullptr;
  }

  // Instantiates `wat` the plain way and on the interpreter, then twice with images (the first
  // instance offers the image, the second starts from it); returns whether the second one did.
  bool same_start_state(const char* wat) {
    auto with = compile(*images_, wat);
    auto without = compile(*plain_, wat);
    auto interpreted = compile(*interp_, wat);
    if (!with || !without || !interpreted) return false;
    Made reference = make(*plain_, without);
    Made interp = make(*interp_, interpreted);
    Made first = make(*images_, with);
    uint64_t before = aot_memory_image_stats().instances;
    Made second = make(*images_, with);
    bool from_image = aot_memory_image_stats().instances > before;
    if (!reference.instance || !interp.instance || !first.instance || !second.instance) {
      ADD_FAILURE() << "an instantiation failed";
      return false;
    }
    State expected = state_of(*reference.instance);
    EXPECT_EQ(state_of(*interp.instance), expected) << "the interpreter disagrees";
    EXPECT_EQ(state_of(*first.instance), expected) << "the instance that offered the image";
    EXPECT_EQ(state_of(*second.instance), expected) << "the instance made from the image";
    return from_image;
  }

  std::unique_ptr<Engine> images_, plain_, interp_;
};

TEST_F(MemoryImageTest, AnInstanceFromTheImageStartsAsAPlainOne) {
  EXPECT_TRUE(same_start_state(kDataGuest));
}

TEST_F(MemoryImageTest, AStartFunctionThatWritesMemoryKeepsThePlainPath) {
  EXPECT_FALSE(same_start_state(kStartGuest));
}

TEST_F(MemoryImageTest, GrowingPastTheImageWorks) {
  EXPECT_TRUE(same_start_state(kGrowGuest));
  auto with = compile(*images_, kGrowGuest);
  auto without = compile(*plain_, kGrowGuest);
  Made a = make(*images_, with);
  Made b = make(*images_, with);
  Made reference = make(*plain_, without);
  for (Made* m : {&a, &b, &reference}) {
    auto pages = call(*m->instance, "grow-and-write");
    ASSERT_TRUE(pages.ok()) << pages.error().message;
    EXPECT_EQ(*pages, 3u);
  }
  EXPECT_EQ(state_of(*a.instance), state_of(*reference.instance));
  EXPECT_EQ(state_of(*b.instance), state_of(*reference.instance));
}

TEST_F(MemoryImageTest, DataAtOffsetsFromImportedGlobalsKeepsThePlainPath) {
  auto module = compile(*images_, kImportedOffsetGuest);
  auto plain_module = compile(*plain_, kImportedOffsetGuest);
  ASSERT_TRUE(module && plain_module);
  uint64_t before = aot_memory_image_stats().instances;
  for (uint32_t base : {8u, 4000u, 8u, 4000u}) {
    std::string provider_wat =
        "(module (global (export \"base\") i32 (i32.const " + std::to_string(base) + ")))";
    State states[2];
    Engine* engines[2] = {images_.get(), plain_.get()};
    Module* modules[2] = {module.get(), plain_module.get()};
    for (int e = 0; e < 2; ++e) {
      auto provider = compile(*engines[e], provider_wat.c_str());
      ASSERT_TRUE(provider);
      Made p = make(*engines[e], provider);
      ASSERT_TRUE(p.instance);
      auto g = p.instance->get_export("base");
      ASSERT_TRUE(g);
      auto i = p.store->instantiate(*modules[e], std::vector<Extern>{*g});
      ASSERT_TRUE(i.ok()) << i.error().message;
      states[e] = state_of(**i);
    }
    EXPECT_EQ(states[0], states[1]);
    ASSERT_EQ(states[0].memories.size(), 1u);
    EXPECT_EQ(std::memcmp(states[0].memories[0].data() + base, "moves", 5), 0) << base;
  }
  EXPECT_EQ(aot_memory_image_stats().instances, before);
}

TEST_F(MemoryImageTest, WritesAndTrapsStayInTheirInstance) {
  auto module = compile(*images_, kDataGuest);
  Made offer = make(*images_, module);
  Made a = make(*images_, module);
  Made b = make(*images_, module);
  State fresh = state_of(*b.instance);
  // A write to a page the image holds (and to a zero page) changes only the writer.
  ASSERT_TRUE(call(*a.instance, "poke", {1, 'X'}).ok());
  ASSERT_TRUE(call(*a.instance, "poke", {262145, 0xee}).ok());
  ASSERT_TRUE(call(*a.instance, "poke", {200000, 0x77}).ok());
  EXPECT_EQ(*call(*a.instance, "peek", {1}), uint64_t{'X'});
  EXPECT_EQ(*call(*b.instance, "peek", {1}), uint64_t{'e'});
  EXPECT_EQ(*call(*offer.instance, "peek", {262145}), 2u);
  EXPECT_EQ(state_of(*b.instance), fresh);
  // A trap poisons its own store only.
  EXPECT_FALSE(call(*a.instance, "boom").ok());
  EXPECT_TRUE(a.store->poisoned());
  EXPECT_FALSE(b.store->poisoned());
  EXPECT_EQ(*call(*b.instance, "peek", {262145}), 2u);
  // And a new instance still starts from the untouched image.
  Made c = make(*images_, module);
  EXPECT_EQ(state_of(*c.instance), fresh);
}

TEST_F(MemoryImageTest, AReservationThatHeldAnImageIsZeroForTheNextMemory) {
  auto module = compile(*images_, kDataGuest);
  Made offer = make(*images_, module);
  {
    Made a = make(*images_, module);
    ASSERT_TRUE(call(*a.instance, "poke", {5, 1}).ok());
  }  // the reservation goes back to the pool
  // A memory of the same size without data (no image: its module has a start function) must
  // read zero everywhere, whichever reservation it gets.
  auto empty = compile(*images_, R"((module (memory (export "memory") 6)
                                      (func $s) (start $s)))");
  Made e = make(*images_, empty);
  State s = state_of(*e.instance);
  ASSERT_EQ(s.memories.size(), 1u);
  EXPECT_EQ(s.memories[0], std::vector<uint8_t>(6 * kPageSize, 0));
}

// A released memory's reservation is kept with the image still mapped and given to the next
// instance of the module: whatever the last instance wrote and however far it grew, the next one
// starts exactly as a plain instantiation.
TEST_F(MemoryImageTest, AnInstanceAfterOneThatWroteAndGrewSeesTheImageAgain) {
  auto module = compile(*images_, kDataGuest);
  auto plain = compile(*plain_, kDataGuest);
  ASSERT_TRUE(module && plain);
  Made reference = make(*plain_, plain);
  ASSERT_TRUE(reference.instance);
  const State expected = state_of(*reference.instance);
  Made offer = make(*images_, module);
  const uint64_t reused_before = aot::MemoryPool::process().stats().image_reused;
  for (int round = 0; round < 3; ++round) {
    Made m = make(*images_, module);
    ASSERT_TRUE(m.instance);
    EXPECT_EQ(state_of(*m.instance), expected) << "round " << round;
    for (uint64_t at : {1u, 65535u, 200000u, 262145u, 393215u})
      ASSERT_TRUE(call(*m.instance, "poke", {at, 0xee}).ok());
    auto grown = call(*m.instance, "grow", {3});
    ASSERT_TRUE(grown.ok());
    EXPECT_EQ(*grown, 6u);
    ASSERT_TRUE(call(*m.instance, "poke", {6 * kPageSize + 10, 0x99}).ok());
    EXPECT_EQ(state_of(*m.instance).memories[0].size(), 9 * kPageSize);
  }
  // Rounds 1 and 2 (at least) took the reservation the round before released.
  EXPECT_GE(aot::MemoryPool::process().stats().image_reused, reused_before + 2);
}

size_t mapping_count() {
  std::ifstream maps("/proc/self/maps");
  size_t lines = 0;
  for (std::string line; std::getline(maps, line);) ++lines;
  return lines;
}

// The number of mappings a process may have is limited (vm.max_map_count), and each idle actor
// holds a reservation: an image must not split a reservation into more mappings.
TEST_F(MemoryImageTest, AnImageAddsNoMappingsToAReservation) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under ASan its allocator maps memory of its own while instances are made, so "
                  "the process's mapping count is not the reservations'";
#endif
  auto with = compile(*images_, kDataGuest);
  auto without = compile(*plain_, kDataGuest);
  ASSERT_TRUE(with && without);
  Made offer = make(*images_, with);
  // Every instance below lives to the end, so each takes a fresh reservation once the pool of
  // released ones (at most 32) is used up.
  std::vector<Made> made;
  for (int i = 0; i < 40; ++i) made.push_back(make(*plain_, without));
  constexpr int kInstances = 20;
  auto grow_by = [&](Engine& engine, const std::shared_ptr<Module>& module) {
    size_t before = mapping_count();
    for (int i = 0; i < kInstances; ++i) made.push_back(make(engine, module));
    return mapping_count() - before;
  };
  size_t plain = grow_by(*plain_, without);
  uint64_t from_images = aot_memory_image_stats().instances;
  size_t with_images = grow_by(*images_, with);
  EXPECT_EQ(aot_memory_image_stats().instances, from_images + kInstances);
  EXPECT_GT(plain, 0u);
  EXPECT_LE(with_images, plain);
}

}  // namespace
}  // namespace actr::wasm
