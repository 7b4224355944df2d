// Resources through generated bindings on both engines: the resources guest
// (tests/witgen/guests/resources) uses the host's `counter` through the generated Counter class
// and implements `accumulator`, which the host calls through the generated Proxy.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "actr/wasm/engine.hpp"
#include "resources_host.hpp"
#include "support/missing.hpp"

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

  // Handles inside other types.
  bool null_in_make_many = false;  // returns a list with no object in the middle: an Error
  actr::Result<std::vector<std::unique_ptr<counters::Counter>>> make_many(uint32_t n) override {
    std::vector<std::unique_ptr<counters::Counter>> out;
    for (uint32_t i = 0; i < n; ++i) {
      if (null_in_make_many && i == 1) {
        out.push_back(nullptr);
        continue;
      }
      out.push_back(std::make_unique<HostCounter>(i, stats));
    }
    return out;
  }
  actr::Result<uint64_t> sum_all(std::vector<counters::Counter*> xs) override {
    uint64_t sum = 0;
    for (counters::Counter* c : xs) {
      ACTR_TRY(uint32_t v, c->get());
      sum += v;
    }
    return sum;
  }
  actr::Result<uint32_t> take_tagged(counters::Tagged t) override {
    ACTR_TRY(uint32_t v, t.c->get());
    return v + static_cast<uint32_t>(t.name.size());  // `t.c` is destroyed on return
  }
  actr::Result<std::optional<std::unique_ptr<counters::Counter>>> maybe_keep(
      std::optional<std::unique_ptr<counters::Counter>> c, bool keep) override {
    if (!keep) return std::optional<std::unique_ptr<counters::Counter>>();
    return c;
  }
  actr::Result<counters::Slot> pair_up(
      std::tuple<std::unique_ptr<counters::Counter>, uint32_t> p) override {
    auto& [c, n] = p;
    if (n == 0) return counters::Slot::empty();  // `c` is destroyed on return
    ACTR_TRY_VOID(c->add(n));
    return counters::Slot::held(std::move(c));
  }
};

// Uses the counters of CountersHost through another interface.
class LedgerHost : public ::actr::resources::ledger::Host {
 public:
  actr::Result<uint32_t> note(counters::Counter& c) override { return c.get(); }
  actr::Result<uint32_t> collect(std::vector<std::unique_ptr<counters::Counter>> cs) override {
    uint32_t sum = 0;
    for (const auto& c : cs) {
      ACTR_TRY(uint32_t v, c->get());
      sum += v;
    }
    return sum;  // the counters are destroyed on return
  }
};

class Resources : public ::testing::TestWithParam<wasm::EngineKind> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(guest_path())) {
      ACTR_SKIP_MISSING(guest_path() << " is not built (needs clang-19, wasi-libc and jco)");
    }
    auto engine = wasm::make_engine(GetParam());
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    auto component = component::Component::load_file(*engine_, guest_path());
    ASSERT_TRUE(component.ok()) << component.error().message;
    component_ = *component;
    linker_ = std::make_unique<component::Linker>(*engine_);
    host_ = std::make_shared<CountersHost>();
    // `ledger` first: whichever add_to_linker comes first defines the shared `counter`.
    ::actr::resources::ledger::add_to_linker(*linker_, std::make_shared<LedgerHost>());
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

TEST_P(Resources, GuestPassesCountersInsideOtherTypes) {
  // Lists of own and borrow handles, an own handle in a record, options of own handles.
  auto failed = proxy_->check_nested();
  ASSERT_TRUE(failed.ok()) << failed.error().message;
  EXPECT_EQ(*failed, 0u) << "first failed check in the guest";
  // 3 in lists, records and options, 2 in tuples and variants, 2 through `ledger`.
  EXPECT_EQ(host_->stats->created, 7u);
  EXPECT_EQ(host_->stats->destroyed, 7u);  // each exactly once
}

TEST_P(Resources, HostErrorInsideAListLeaksNothing) {
  // The host's list holds no object in the middle: the call fails (the guest traps) and the
  // counters already moved into the table are destroyed, once.
  host_->null_in_make_many = true;
  auto failed = proxy_->check_nested();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("no object"), std::string::npos) << failed.error().message;
  EXPECT_EQ(host_->stats->created, 2u);
  EXPECT_EQ(host_->stats->destroyed, 2u);
}

TEST_P(Resources, StaleHandleInsideAListTraps) {
  auto stale = proxy_->misuse(2);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("handle"), std::string::npos) << stale.error().message;
  EXPECT_TRUE(instance_->poisoned());
  EXPECT_EQ(host_->stats->live(), 0u);
}

TEST_P(Resources, HostPassesAccumulatorsInsideOtherTypes) {
  auto made = proxy_->make_accumulators(3);
  ASSERT_TRUE(made.ok()) << made.error().message;
  ASSERT_EQ(made->size(), 3u);
  EXPECT_EQ(guest_live(), 3u);
  EXPECT_EQ(total((*made)[2]), 2u);

  // Borrows in a list: all stay ours.
  auto sum = proxy_->total_all({&(*made)[0], &(*made)[1], &(*made)[2]});
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_EQ(*sum, 3u);
  EXPECT_TRUE((*made)[0].valid());

  // Own in an option, both ways: kept comes back, dropped is destroyed by the guest.
  auto kept = proxy_->pass_accumulator(std::move((*made)[0]), true);
  ASSERT_TRUE(kept.ok()) << kept.error().message;
  ASSERT_TRUE(kept->has_value());
  EXPECT_FALSE((*made)[0].valid());
  EXPECT_EQ(total(**kept), 0u);
  auto gone = proxy_->pass_accumulator(std::move((*made)[1]), false);
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(guest_live(), 2u);
  auto none = proxy_->pass_accumulator(std::nullopt, true);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  // Own handles in a list, moved into the guest.
  auto into = proxy_->accumulator_new(100);
  ASSERT_TRUE(into.ok()) << into.error().message;
  std::vector<Accumulator> xs;
  xs.push_back(std::move((*made)[2]));
  xs.push_back(std::move(**kept));
  ASSERT_TRUE(proxy_->accumulator_absorb_all(*into, std::move(xs)).ok());
  EXPECT_EQ(total(*into), 102u);
  EXPECT_EQ(guest_live(), 1u);
  made->clear();
  kept->reset();
  ASSERT_TRUE(into->drop().ok());
  EXPECT_EQ(guest_live(), 0u);
}

TEST_P(Resources, FailedArgumentConversionReleasesHandles) {
  // The middle handle was moved away: the call is not made, and the handles already moved into
  // the arguments are dropped (each once), as the guest would have.
  auto made = proxy_->make_accumulators(3);
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto into = proxy_->accumulator_new(0);
  ASSERT_TRUE(into.ok()) << into.error().message;
  Accumulator elsewhere = std::move((*made)[1]);
  auto r = proxy_->accumulator_absorb_all(*into, std::move(*made));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("dropped or moved"), std::string::npos) << r.error().message;
  EXPECT_EQ(total(*into), 0u);
  EXPECT_EQ(guest_live(), 2u);  // `into` and `elsewhere`
  EXPECT_FALSE(instance_->poisoned());
}

TEST_P(Resources, HostLendsAndGivesCountersInsideOtherTypes) {
  HostCounter a(4, host_->stats), b(6, host_->stats);
  auto sum = proxy_->sum_counters({&a, &b});
  ASSERT_TRUE(sum.ok()) << sum.error().message;
  EXPECT_EQ(*sum, 10u);
  EXPECT_EQ(host_->stats->destroyed, 0u);       // lent only
  auto sum_again = proxy_->sum_counters({&a});  // the lent reps were forgotten, new ones work
  ASSERT_TRUE(sum_again.ok()) << sum_again.error().message;
  EXPECT_EQ(*sum_again, 4u);

  counters::Tagged t{"x", std::make_unique<HostCounter>(41, host_->stats)};
  auto retagged = proxy_->retag(std::move(t));
  ASSERT_TRUE(retagged.ok()) << retagged.error().message;
  ASSERT_TRUE(retagged->is_ok());
  EXPECT_EQ(retagged->value().name, "x'");
  ASSERT_NE(retagged->value().c, nullptr);
  auto v = retagged->value().c->get();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 42u);
  EXPECT_EQ(host_->stats->created, 4u);    // a, b, 41, 42
  EXPECT_EQ(host_->stats->destroyed, 1u);  // 41, dropped by the guest
  retagged->value().c.reset();
  EXPECT_EQ(host_->stats->destroyed, 2u);

  counters::Tagged nameless{"", std::make_unique<HostCounter>(1, host_->stats)};
  auto err = proxy_->retag(std::move(nameless));
  ASSERT_TRUE(err.ok()) << err.error().message;
  ASSERT_FALSE(err->is_ok());
  EXPECT_EQ(err->error(), "no name");
  EXPECT_EQ(host_->stats->destroyed, 3u);  // the guest dropped it with its record
}

INSTANTIATE_TEST_SUITE_P(Engines, Resources,
                         ::testing::Values(wasm::EngineKind::Aot, wasm::EngineKind::Interp),
                         [](const auto& info) {
                           return info.param == wasm::EngineKind::Aot ? "aot" : "interp";
                         });

}  // namespace
}  // namespace actr::witgen
