// The fast path of the generated host bindings (Abi<T> over canonical::GuestMemory,
// ExportedFunc::call_raw, Linker functions with a RawHostFunction) given bad guest data: every
// case is a clean Error with a trap code, never an access outside the guest's memory. On both
// engines: a real engine memory (a one-page core module), and the echo guest end to end.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "echo_guest_host.hpp"
#include "support/missing.hpp"

namespace actr::witgen {
namespace {

namespace types = ::actr::workload::types;
namespace kinds = ::actr::echo::kinds;
using ::actr::component::canonical::GuestMemory;
using ::actr::wit::host::Abi;
using ::actr::wit::host::Params;
using ::actr::wit::host::Ret;
using ::actr::wit::host::Slot;
using wasm::TrapKind;

// (module (memory (export "memory") 1))
const uint8_t kMemoryModule[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05,
                                 0x03, 0x01, 0x00, 0x01, 0x07, 0x0a, 0x01, 0x06, 'm',
                                 'e',  'm',  'o',  'r',  'y',  0x02, 0x00};
constexpr uint32_t kPage = 65536;

std::string kind_name(const ::testing::TestParamInfo<wasm::EngineKind>& info) {
  return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
}

class FastPathMemory : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    auto engine = wasm::make_engine(GetParam());
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    auto module = engine_->compile(kMemoryModule);
    ASSERT_TRUE(module.ok()) << module.error().message;
    store_ = engine_->new_store();
    auto instance = store_->instantiate(**module, {});
    ASSERT_TRUE(instance.ok()) << instance.error().message;
    auto memory = (*instance)->get_export("memory");
    ASSERT_TRUE(memory.has_value());
    memory_ = std::get<std::shared_ptr<wasm::Memory>>(*memory);
    ASSERT_EQ(memory_->size(), kPage);
  }

  GuestMemory guest() { return GuestMemory(memory_.get(), nullptr, nullptr); }
  void put(uint32_t at, const void* bytes, size_t n) {
    std::memcpy(memory_->data() + at, bytes, n);
  }
  template <class T>
  void put_scalar(uint32_t at, T v) {
    put(at, &v, sizeof v);
  }

  // Lifts T from flat slots and expects a trap whose message contains `what`.
  template <class T>
  void expect_lift_trap(std::initializer_list<Slot> slots, const std::string& what,
                        TrapKind kind = TrapKind::Other) {
    GuestMemory m = guest();
    Slot s[16] = {};
    std::copy(slots.begin(), slots.end(), s);
    T out{};
    auto r = Abi<T>::lift(m, s, out);
    ASSERT_FALSE(r.ok()) << "lifting succeeded where `" << what << "` was expected";
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().code, static_cast<int>(kind)) << r.error().message;
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::unique_ptr<wasm::Store> store_;
  std::shared_ptr<wasm::Memory> memory_;
};

TEST_P(FastPathMemory, StringsOutsideMemoryTrap) {
  expect_lift_trap<std::string>({kPage - 4, 5}, "string pointer/length out of bounds",
                                TrapKind::MemoryOutOfBounds);
  // ptr + len overflows 32 bits: still outside, not wrapped around to the start
  expect_lift_trap<std::string>({0xFFFFFFFFu, 2}, "out of bounds", TrapKind::MemoryOutOfBounds);
  expect_lift_trap<std::string>({0, 0x7FFFFFFFu}, "string too long");
  // the last bytes of memory are fine
  put(kPage - 2, "ok", 2);
  GuestMemory m = guest();
  Slot s[2] = {kPage - 2, 2};
  std::string out;
  ASSERT_TRUE(Abi<std::string>::lift(m, s, out).ok());
  EXPECT_EQ(out, "ok");
}

TEST_P(FastPathMemory, InvalidUtf8Traps) {
  const uint8_t bad[] = {'a', 0xC3, 0x28};  // a lead byte without its continuation
  put(100, bad, sizeof bad);
  expect_lift_trap<std::string>({100, 3}, "utf-8");
  const uint8_t surrogate[] = {0xED, 0xA0, 0x80};  // U+D800 encoded
  put(200, surrogate, sizeof surrogate);
  expect_lift_trap<std::string>({200, 3}, "utf-8");
  // a string inside a record in memory: the nested pointer is checked too
  put_scalar<uint32_t>(300, 100);
  put_scalar<uint32_t>(304, 3);
  GuestMemory m = guest();
  types::MetadataEntry entry;
  auto r = Abi<types::MetadataEntry>::load(m, 300, entry);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("utf-8"), std::string::npos) << r.error().message;
}

TEST_P(FastPathMemory, ListsOutsideMemoryOrUnalignedTrap) {
  expect_lift_trap<std::vector<kinds::Point>>({2, 1}, "unaligned pointer");
  expect_lift_trap<std::vector<kinds::Point>>({kPage - 8, 2}, "list pointer/length out of bounds",
                                              TrapKind::MemoryOutOfBounds);
  expect_lift_trap<std::vector<kinds::Point>>({0, 0x20000000u}, "list too long");
  expect_lift_trap<std::vector<uint8_t>>({kPage, 1}, "out of bounds", TrapKind::MemoryOutOfBounds);
  // a list of strings whose second string points outside memory
  put_scalar<uint32_t>(400, 0);
  put_scalar<uint32_t>(404, 0);
  put_scalar<uint32_t>(408, kPage);
  put_scalar<uint32_t>(412, 1);
  expect_lift_trap<std::vector<std::string>>({400, 2}, "out of bounds",
                                             TrapKind::MemoryOutOfBounds);
}

TEST_P(FastPathMemory, BadDiscriminantsTrap) {
  expect_lift_trap<kinds::Shape>({8}, "invalid variant discriminant: 8");
  expect_lift_trap<kinds::Shape>({0x100000000ull + 8}, "invalid variant discriminant: 8");
  expect_lift_trap<std::optional<std::string>>({2}, "invalid variant discriminant: 2");
  expect_lift_trap<kinds::Color>({3}, "invalid variant discriminant: 3");
  expect_lift_trap<::actr::wit::Result<uint32_t, std::string>>({2}, "invalid variant discriminant");
  expect_lift_trap<types::ActrError>({10}, "invalid variant discriminant: 10");
  // in memory: the discriminant byte of a variant and of an option
  GuestMemory m = guest();
  put_scalar<uint8_t>(500, 9);
  kinds::Shape shape;
  auto r = Abi<kinds::Shape>::load(m, 500, shape);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("invalid variant discriminant: 9"), std::string::npos);
  put_scalar<uint8_t>(600, 7);
  std::optional<uint64_t> maybe;
  EXPECT_FALSE((Abi<std::optional<uint64_t>>::load(m, 600, maybe).ok()));
}

TEST_P(FastPathMemory, CharsAndFlagsAreChecked) {
  expect_lift_trap<char32_t>({0xD800}, "invalid `char` bit pattern: 0xd800");
  expect_lift_trap<char32_t>({0x110000}, "invalid `char` bit pattern");
  // flags: bits beyond the labels are ignored, as the spec says
  GuestMemory m = guest();
  Slot s[1] = {0xFF};
  kinds::Perms perms;
  ASSERT_TRUE(Abi<kinds::Perms>::lift(m, s, perms).ok());
  EXPECT_EQ(perms.bits, 7u);
}

TEST_P(FastPathMemory, ResultTuplesAreCheckedBeforeReading) {
  GuestMemory m = guest();
  types::ActrId id;
  Slot unaligned[1] = {4};  // ActrId aligns to 8
  auto r = Ret<types::ActrId>::lift(m, unaligned, id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unaligned pointer");
  Slot outside[1] = {kPage - 8};
  r = Ret<types::ActrId>::lift(m, outside, id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, static_cast<int>(TrapKind::MemoryOutOfBounds));
}

TEST_P(FastPathMemory, StoreAndLoadRoundTripWithoutAllocation) {
  GuestMemory m = guest();
  kinds::Scalars in{true,        -8,           200,        -16000, 60000, -2000000000,
                    4000000000u, -(1ll << 60), 1ull << 63, 1.5f,   -2.25, U'ß'};
  ASSERT_TRUE(Abi<kinds::Scalars>::store(m, 800, in).ok());
  kinds::Scalars out;
  ASSERT_TRUE(Abi<kinds::Scalars>::load(m, 800, out).ok());
  EXPECT_TRUE(out == in);
  Slot s[16] = {};
  ASSERT_TRUE(Abi<kinds::Scalars>::lower(m, in, s).ok());
  kinds::Scalars flat;
  ASSERT_TRUE(Abi<kinds::Scalars>::lift(m, s, flat).ok());
  EXPECT_TRUE(flat == in);
  // flat integers: signed ones sign-extended to i32, unsigned ones zero-extended
  EXPECT_EQ(s[1], 0xFFFFFFF8u);  // s8 -8
  EXPECT_EQ(s[2], 200u);         // u8 200
  EXPECT_EQ(s[3], static_cast<uint32_t>(-16000));
  EXPECT_EQ(s[4], 60000u);
  // NaNs cross canonicalized, as the Value path does
  Slot nan[1] = {};
  ASSERT_TRUE(Abi<float>::lower(m, std::bit_cast<float>(0x7fa00001u), nan).ok());
  EXPECT_EQ(nan[0], 0x7fc00000u);
}

TEST_P(FastPathMemory, HostValuesTheGuestMayNotSeeAreErrors) {
  GuestMemory m = guest();
  Slot s[2] = {};
  // no realloc option: strings cannot be passed
  auto r = Abi<std::string>::lower(m, "x", s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("realloc"), std::string::npos) << r.error().message;
  // invalid UTF-8 and non-scalar chars from the host: errors with code 0, as check_value gives
  r = Abi<std::string>::lower(m, std::string("\xC3\x28"), s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
  EXPECT_NE(r.error().message.find("utf-8"), std::string::npos) << r.error().message;
  r = Abi<char32_t>::lower(m, char32_t{0xDFFF}, s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
}

TEST_P(FastPathMemory, HostImportsCheckWhatTheGuestPasses) {
  component::Linker linker(*engine_);
  class Host : public ::actr::workload::host::Host {
   public:
    using R = ::actr::wit::Result<void, types::ActrError>;
    using B = ::actr::wit::Result<std::vector<uint8_t>, types::ActrError>;
    actr::Result<B> call(const types::Dest&, const std::string&,
                         const std::vector<uint8_t>&) override {
      return B::Ok({});
    }
    actr::Result<R> tell(const types::Dest&, const std::string&,
                         const std::vector<uint8_t>&) override {
      return R::Ok();
    }
    actr::Result<B> call_raw(const types::ActrId&, const std::string&,
                             const std::vector<uint8_t>&) override {
      return B::Ok({});
    }
    actr::Result<::actr::wit::Result<types::ActrId, types::ActrError>> discover(
        const types::ActrType&) override {
      return ::actr::wit::Result<types::ActrId, types::ActrError>::Ok({});
    }
    actr::Result<R> register_stream(const std::string&) override { return R::Ok(); }
    actr::Result<R> unregister_stream(const std::string&) override { return R::Ok(); }
    actr::Result<R> send_data_stream(const types::Dest&, const types::DataStream&,
                                     const types::PayloadType&) override {
      return R::Ok();
    }
    actr::Result<void> log_message(const std::string& level, const std::string& text) override {
      logged = level + ":" + text;
      return {};
    }
    actr::Result<types::ActrId> get_self_id() override {
      return types::ActrId{{7}, 42, {"m", "n", "v"}};
    }
    actr::Result<std::optional<types::ActrId>> get_caller_id() override {
      return std::optional<types::ActrId>();
    }
    actr::Result<std::string> get_request_id() override { return std::string("r"); }
    std::string logged;
  };
  auto host = std::make_shared<Host>();
  ::actr::workload::host::add_to_linker(linker, host);
  const auto& defs = linker.definitions().at("actr:workload/host@0.1.0").funcs;
  const auto& log = defs.at("log-message").raw;
  const auto& self_id = defs.at("get-self-id").raw;
  ASSERT_TRUE(log && self_id) << "the generated bindings define no fast path";

  GuestMemory m = guest();
  put(16, "infohello", 9);
  Slot args[4] = {16, 4, 20, 5};
  ASSERT_TRUE(log(m, args, nullptr).ok());
  EXPECT_EQ(host->logged, "info:hello");

  Slot outside[4] = {16, 4, kPage - 2, 5};
  auto r = log(m, outside, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, static_cast<int>(TrapKind::MemoryOutOfBounds));
  const uint8_t bad[] = {0xFF};
  put(40, bad, 1);
  Slot invalid[4] = {40, 1, 20, 5};
  r = log(m, invalid, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("utf-8"), std::string::npos) << r.error().message;

  // get-self-id returns through a return pointer: checked before anything is written
  Slot retptr[1] = {kPage - 8};
  r = self_id(m, retptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, static_cast<int>(TrapKind::MemoryOutOfBounds));
  Slot unaligned[1] = {1028};
  r = self_id(m, unaligned, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unaligned pointer");
  // strings in the result need the guest's realloc, which this memory has not
  Slot good[1] = {1024};
  r = self_id(m, good, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("realloc"), std::string::npos) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(Engines, FastPathMemory,
                         ::testing::Values(wasm::EngineKind::Aot, wasm::EngineKind::Interp),
                         kind_name);

// End to end: the echo guest's exports through call_raw, with the guest's answer tampered with
// before it is lifted.
class FastPathGuest : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    std::filesystem::path path =
        std::filesystem::path(ACTR_BINARY_DIR) / "guests" / "witgen_echo.wasm";
    if (!std::filesystem::exists(path)) {
      ACTR_SKIP_MISSING(path << " is not built (needs clang-19, wasi-libc and jco)");
    }
    auto engine = wasm::make_engine(GetParam());
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    auto component = component::Component::load_file(*engine_, path);
    ASSERT_TRUE(component.ok()) << component.error().message;
    component_ = *component;
    component::Linker linker(*engine_);
    linker.trap_unknown_imports(true);
    auto instance = linker.instantiate(*component_);
    ASSERT_TRUE(instance.ok()) << instance.error().message;
    instance_ = std::move(*instance);
    echo_string_ = instance_->func("actr:echo/echo@0.1.0#echo-string");
    ASSERT_NE(echo_string_, nullptr);
  }

  // Calls echo-string("hello") and lifts its result after `tamper` changed the core result or
  // the guest's memory.
  actr::Result<void> echo_tampered(const std::function<void(GuestMemory&, Slot&)>& tamper,
                                   std::string& out) {
    std::string in = "hello";
    return echo_string_->call_raw(
        [&](GuestMemory& m, Slot* args) { return Params<std::string>::lower(m, args, in); },
        [&](GuestMemory& m, const Slot* results) -> actr::Result<void> {
          Slot ptr = results[0];
          tamper(m, ptr);
          return Ret<std::string>::lift(m, &ptr, out);
        });
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const component::Component> component_;
  std::unique_ptr<component::Instance> instance_;
  component::ExportedFunc* echo_string_ = nullptr;
};

TEST_P(FastPathGuest, GeneratedProxiesTakeTheFastPath) {
  for (const std::string& name : instance_->func_names()) {
    EXPECT_TRUE(instance_->func(name)->supports_raw()) << name;
  }
  std::string out;
  auto r = echo_tampered([](GuestMemory&, Slot&) {}, out);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(out, "hello");
}

TEST_P(FastPathGuest, ResultPointerOutsideMemoryTrapsAndPoisons) {
  std::string out;
  auto r = echo_tampered([](GuestMemory& m, Slot& ptr) { ptr = m.size() - 4; }, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, static_cast<int>(TrapKind::MemoryOutOfBounds)) << r.error().message;
  EXPECT_TRUE(instance_->poisoned());
  // every further call fails at once
  r = echo_tampered([](GuestMemory&, Slot&) {}, out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, static_cast<int>(TrapKind::Poisoned));
}

TEST_P(FastPathGuest, InvalidUtf8FromTheGuestTraps) {
  std::string out;
  auto r = echo_tampered(
      [](GuestMemory& m, Slot& ptr) {
        auto p = static_cast<uint32_t>(ptr);
        uint32_t text = m.load<uint32_t>(p);
        m.store<uint8_t>(text + 1, 0xFF);
      },
      out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("utf-8"), std::string::npos) << r.error().message;
  EXPECT_TRUE(instance_->poisoned());
}

TEST_P(FastPathGuest, StringLengthOutsideMemoryTraps) {
  std::string out;
  auto r = echo_tampered(
      [](GuestMemory& m, Slot& ptr) { m.store<uint32_t>(static_cast<uint32_t>(ptr) + 4, ~0u); },
      out);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().code, 0) << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(Engines, FastPathGuest,
                         ::testing::Values(wasm::EngineKind::Aot, wasm::EngineKind::Interp),
                         kind_name);

}  // namespace
}  // namespace actr::witgen
