// Resources through generated bindings on both engines: the resources guest
// (tests/witgen/guests/resources) uses the host's `counter` through the generated Counter class
// and implements `accumulator`, which the host calls through the generated Proxy.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "component/component.hpp"
#include "component/linker.hpp"
#include "resources_host.hpp"
#include "wasm/engine.hpp"

namespace actr::witgen {
namespace {

namespace counters = ::actr::resources::counters;
using AccumProxy = ::actr::resources::exports::accum::Proxy;
using ::actr::resources::exports::accum::Accumulator;

std::filesystem::path guest_path() {
  return std::filesystem::path(ACTR_BINARY_DIR) / "guests" / "witgen_resources.wasm";
}

struct Stats {
  uint32_t created = 0;
  uint32_t destroyed = 0;
  uint32_t live() const { return created - destroyed; }
};

class HostCounter : public counters::Counter {
 public:
  HostCounter(uint32_t start, std::shared_ptr<Stats> stats) : value_(start), stats_(stats) {
    ++stats_->created;
  }
  ~HostCounter() override { ++stats_->destroyed; }
  actr::Result<uint32_t> get() override { return value_; }
  actr::Result<void> add(uint32_t n) override {
    value_ += n;
    return {};
  }

 private:
  uint32_t value_;
  std::shared_ptr<Stats> stats_;
};

class CountersHost : public counters::Host {
 public:
  std::shared_ptr<Stats> stats = std::make_shared<Stats>();

  actr::Result<uint32_t> live() override { return stats->live(); }
  actr::Result<std::unique_ptr<counters::Counter>> counter_new(uint32_t start) override {
    return std::unique_ptr<counters::Counter>(std::make_unique<HostCounter>(start, stats));
  }
  actr::Result<std::unique_ptr<counters::Counter>> counter_make(uint32_t start) override {
    return counter_new(start);
  }
  actr::Result<uint32_t> counter_consume(std::unique_ptr<counters::Counter> c) override {
    return c->get();  // the host owns it now: destroyed on return
  }
  actr::Result<uint32_t> counter_peek(counters::Counter& c) override { return c.get(); }
};

class Resources : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(guest_path())) {
      GTEST_SKIP() << guest_path() << " is not built (needs clang-19, wasi-libc and jco)";
    }
    auto engine = wasm::make_engine(GetParam());
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    auto component = component::Component::load_file(*engine_, guest_path());
    ASSERT_TRUE(component.ok()) << component.error().message;
    component_ = *component;
    linker_ = std::make_unique<component::Linker>(*engine_);
    host_ = std::make_shared<CountersHost>();
    counters::add_to_linker(*linker_, host_);
    instance_ = instantiate();
    ASSERT_NE(instance_, nullptr);
    auto proxy = AccumProxy::bind(*instance_);
    ASSERT_TRUE(proxy.ok()) << proxy.error().message;
    proxy_ = std::make_unique<AccumProxy>(std::move(*proxy));
  }

  std::unique_ptr<component::Instance> instantiate() {
    auto instance = linker_->instantiate(*component_);
    EXPECT_TRUE(instance.ok()) << instance.error().message;
    return instance.ok() ? std::move(*instance) : nullptr;
  }

  uint64_t total(const Accumulator& a) {
    auto t = proxy_->accumulator_total(a);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : 0;
  }
  uint32_t guest_live() {
    auto n = proxy_->accumulator_live();
    EXPECT_TRUE(n.ok()) << n.error().message;
    return n.ok() ? *n : ~0u;
  }

  std::unique_ptr<wasm::Engine> engine_;
  std::shared_ptr<const component::Component> component_;
  std::unique_ptr<component::Linker> linker_;
  std::shared_ptr<CountersHost> host_;
  std::unique_ptr<component::Instance> instance_;
  std::unique_ptr<AccumProxy> proxy_;
};

TEST_P(Resources, GuestUsesHostCounters) {
  // Constructor, methods, static functions; borrow keeps the handle, own moves it to the host.
  auto failed = proxy_->check_counters();
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_EQ(*failed, 0u) << "first failed check in the guest";
  EXPECT_EQ(host_->stats->created, 2u);
  EXPECT_EQ(host_->stats->destroyed, 2u);  // each exactly once
}

TEST_P(Resources, ManyCountersDoNotLeak) {
  auto n = proxy_->churn(10000);
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(*n, 10000u);
  EXPECT_EQ(host_->stats->created, 10000u);
  EXPECT_EQ(host_->stats->live(), 0u);
}

TEST_P(Resources, UnknownOrDroppedHandlesTrap) {
  auto never = proxy_->misuse(0);
  ASSERT_FALSE(never.ok());
  EXPECT_NE(never.error().message.find("handle"), std::string::npos) << never.error().message;
  EXPECT_TRUE(instance_->poisoned());

  auto other = instantiate();
  ASSERT_NE(other, nullptr);
  auto proxy = AccumProxy::bind(*other);
  ASSERT_TRUE(proxy.ok()) << proxy.error().message;
  auto dropped = proxy->misuse(1);
  ASSERT_FALSE(dropped.ok());
  EXPECT_NE(dropped.error().message.find("handle"), std::string::npos) << dropped.error().message;
  EXPECT_TRUE(other->poisoned());
  EXPECT_EQ(host_->stats->created, 1u);
  EXPECT_EQ(host_->stats->destroyed, 1u);
}

TEST_P(Resources, HostPassesCountersToTheGuest) {
  // Borrow: the host keeps its object; the guest only sees it during the call.
  HostCounter mine(7, host_->stats);
  auto seen = proxy_->read(mine);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(*seen, 7u);
  EXPECT_EQ(host_->stats->destroyed, 0u);

  // Own: the counter goes to the guest and comes back as a new own handle.
  auto back = proxy_->bump(std::make_unique<HostCounter>(10, host_->stats), 5);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_NE(*back, nullptr);
  auto value = (*back)->get();
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 15u);
  EXPECT_EQ(host_->stats->created, 2u);
  EXPECT_EQ(host_->stats->destroyed, 0u);
  back->reset();
  EXPECT_EQ(host_->stats->destroyed, 1u);
}

TEST_P(Resources, HostUsesGuestAccumulators) {
  auto a = proxy_->accumulator_new(5);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(proxy_->accumulator_add(*a, 3).ok());
  EXPECT_EQ(total(*a), 8u);

  auto b = proxy_->accumulator_new(100);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(guest_live(), 2u);

  // Borrows: both stay ours.
  auto sum = proxy_->accumulator_merge(*a, *b);
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_EQ(total(*sum), 108u);
  EXPECT_TRUE(a->valid());
  EXPECT_TRUE(b->valid());
  EXPECT_EQ(guest_live(), 3u);

  // Own: `b` moves into the guest, which destroys it after absorbing it.
  ASSERT_TRUE(proxy_->accumulator_absorb(*a, std::move(*b)).ok());
  EXPECT_FALSE(b->valid());
  EXPECT_EQ(total(*a), 108u);
  EXPECT_EQ(guest_live(), 2u);

  // Dropping runs the guest's destructor once; the destructor of the handle drops too.
  ASSERT_TRUE(sum->drop().ok());
  EXPECT_FALSE(sum->valid());
  EXPECT_TRUE(sum->drop().ok());  // already dropped: nothing to do
  EXPECT_EQ(guest_live(), 1u);
  { Accumulator gone = std::move(*a); }
  EXPECT_EQ(guest_live(), 0u);
}

TEST_P(Resources, DroppedOrForeignAccumulatorsAreRejected) {
  auto a = proxy_->accumulator_new(1);
  ASSERT_TRUE(a.ok()) << a.error().message;
  Accumulator moved = std::move(*a);
  auto stale = proxy_->accumulator_total(*a);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("dropped or moved"), std::string::npos)
      << stale.error().message;

  auto other = instantiate();
  ASSERT_NE(other, nullptr);
  auto other_proxy = AccumProxy::bind(*other);
  ASSERT_TRUE(other_proxy.ok()) << other_proxy.error().message;
  auto foreign = other_proxy->accumulator_total(moved);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("another instance"), std::string::npos)
      << foreign.error().message;
  EXPECT_FALSE(other->poisoned());

  // The component layer rejects a foreign handle too, without crashing.
  std::vector<component::Value> args{component::Value::borrow(moved.handle())};
  auto raw = other->call("actr:resources/accum@0.1.0#[method]accumulator.total", args);
  ASSERT_FALSE(raw.ok());
  EXPECT_NE(raw.error().message.find("resource `accumulator`"), std::string::npos)
      << raw.error().message;
  EXPECT_EQ(total(moved), 1u);  // still usable where it belongs
}

TEST_P(Resources, ManyAccumulatorsDoNotLeak) {
  for (uint32_t i = 0; i < 10000; ++i) {
    auto a = proxy_->accumulator_new(i);
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(proxy_->accumulator_add(*a, 1).ok());
  }
  EXPECT_EQ(guest_live(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, Resources,
                         ::testing::Values(wasm::EngineKind::Aot, wasm::EngineKind::Interp),
                         [](const auto& info) {
                           return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
                         });

}  // namespace
}  // namespace actr::witgen
