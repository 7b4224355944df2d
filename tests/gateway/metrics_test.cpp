#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "runtime/metrics/exposition.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/metrics/registry.hpp"

namespace actr::runtime::metrics {
namespace {

TEST(Metrics, RendersASmallRegistryExactly) {
  Registry registry;
  auto dispatches = registry.counter("actr_dispatches_total", "Calls dispatched.");
  ASSERT_TRUE(dispatches.ok());
  (*dispatches)->with({{"route", "echo"}, {"actor", "echo#0"}})->inc(3);
  (*dispatches)->with({{"actor", "a\"b\\c\nd"}, {"route", "x"}})->inc();

  auto depth = registry.gauge("actr_mailbox_depth", "Waiting\\messages\nper actor.");
  ASSERT_TRUE(depth.ok());
  auto g = (*depth)->with({{"actor", "echo#0"}});
  g->set(5);
  g->dec(1.5);

  auto latency = registry.histogram("actr_latency_seconds", "Latency.", {0.001, 0.01});
  ASSERT_TRUE(latency.ok());
  auto h = (*latency)->with({});
  h->observe(0.0005);
  h->observe(0.001);  // bounds are inclusive
  h->observe(0.5);

  EXPECT_EQ(registry.render(),
            "# HELP actr_dispatches_total Calls dispatched.\n"
            "# TYPE actr_dispatches_total counter\n"
            "actr_dispatches_total{actor=\"a\\\"b\\\\c\\nd\",route=\"x\"} 1\n"
            "actr_dispatches_total{actor=\"echo#0\",route=\"echo\"} 3\n"
            "# HELP actr_latency_seconds Latency.\n"
            "# TYPE actr_latency_seconds histogram\n"
            "actr_latency_seconds_bucket{le=\"0.001\"} 2\n"
            "actr_latency_seconds_bucket{le=\"0.01\"} 2\n"
            "actr_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "actr_latency_seconds_sum 0.5015\n"
            "actr_latency_seconds_count 3\n"
            "# HELP actr_mailbox_depth Waiting\\\\messages\\nper actor.\n"
            "# TYPE actr_mailbox_depth gauge\n"
            "actr_mailbox_depth{actor=\"echo#0\"} 3.5\n");
}

TEST(Metrics, HistogramWithLabelsPutsLeLast) {
  Registry registry;
  auto family = registry.histogram("d", "h", {1});
  ASSERT_TRUE(family.ok());
  (*family)->with({{"route", "r"}})->observe(std::chrono::milliseconds(2500));
  EXPECT_EQ(registry.render(),
            "# HELP d h\n# TYPE d histogram\n"
            "d_bucket{route=\"r\",le=\"1\"} 0\n"
            "d_bucket{route=\"r\",le=\"+Inf\"} 1\n"
            "d_sum{route=\"r\"} 2.5\n"
            "d_count{route=\"r\"} 1\n");
}

TEST(Metrics, LatencyBucketsSpanOneMicrosecondToTenSeconds) {
  const auto& b = latency_buckets();
  ASSERT_FALSE(b.empty());
  EXPECT_DOUBLE_EQ(b.front(), 1e-6);
  EXPECT_DOUBLE_EQ(b.back(), 10.0);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  EXPECT_EQ(format_number(b.front()), "1e-06");
  EXPECT_EQ(format_number(2.5e-05), "2.5e-05");
}

TEST(Metrics, NumbersUsePrometheusSpellings) {
  EXPECT_EQ(format_number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_number(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_number(42), "42");
}

TEST(Metrics, SameLabelsInAnyOrderAreOneSeries) {
  Registry registry;
  auto family = *registry.counter("c", "h");
  auto a = family->with({{"x", "1"}, {"y", "2"}});
  auto b = family->with({{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(a.get(), b.get());
  auto bad = family->with({{"bad-name", "v"}});
  bad->inc();
  EXPECT_NE(registry.render().find("c{bad_name=\"v\"} 1\n"), std::string::npos);
  family->remove({{"bad-name", "v"}});
  EXPECT_EQ(registry.render().find("bad_name"), std::string::npos);
}

TEST(Metrics, RegistrationConflictsAndBadNamesAreErrors) {
  Registry registry;
  auto first = registry.counter("actr_x_total", "h");
  ASSERT_TRUE(first.ok());
  auto again = registry.counter("actr_x_total", "other help");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*first, *again);
  EXPECT_FALSE(registry.gauge("actr_x_total", "h").ok());
  EXPECT_FALSE(registry.counter("9lives", "h").ok());
  EXPECT_FALSE(registry.counter("has space", "h").ok());
  EXPECT_FALSE(registry.histogram("h1", "h", {2, 1}).ok());
  ASSERT_TRUE(registry.histogram("h2", "h", {1, 2}).ok());
  EXPECT_FALSE(registry.histogram("h2", "h", {1, 3}).ok());
}

TEST(Metrics, CollectorsRunBeforeRendering) {
  Registry registry;
  auto depth = *registry.gauge("depth", "h");
  int queue = 7;
  registry.add_collector([&] { depth->with({})->set(queue); });
  EXPECT_NE(registry.render().find("depth 7\n"), std::string::npos);
  queue = 9;
  EXPECT_NE(registry.render().find("depth 9\n"), std::string::npos);
}

TEST(Metrics, ConcurrentIncrementsAreAllCounted) {
  Registry registry;
  auto counters = *registry.counter("hits_total", "h");
  auto gauges = *registry.gauge("level", "h");
  auto histograms = *registry.histogram("lat", "h");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the threads share a series, half look theirs up every time.
      auto shared = counters->with({{"actor", "shared"}});
      for (int i = 0; i < kPerThread; ++i) {
        shared->inc();
        counters->with({{"actor", "t" + std::to_string(t % 2)}})->inc();
        gauges->with({})->inc();
        histograms->with({})->observe(1e-3);
      }
      std::string text = registry.render();  // rendering while others write must be safe
      EXPECT_FALSE(text.empty());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counters->with({{"actor", "shared"}})->value(), uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(counters->with({{"actor", "t0"}})->value(), uint64_t{kThreads / 2} * kPerThread);
  EXPECT_EQ(gauges->with({})->value(), double(kThreads) * kPerThread);
  auto snapshot = histograms->with({})->snapshot();
  EXPECT_EQ(snapshot.count, uint64_t{kThreads} * kPerThread);
  EXPECT_NEAR(snapshot.sum, kThreads * kPerThread * 1e-3, 1e-6);
}

TEST(Metrics, NodeMetricsRegisterTheStandardFamilies) {
  Registry registry;
  auto node = NodeMetrics::create(registry);
  ASSERT_TRUE(node.ok()) << node.error().message;
  node->dispatches->with({{"actor", "echo#0"}, {"route", "echo"}})->inc();
  node->mailbox_depth->with({{"actor", "echo#0"}})->set(2);
  std::string text = registry.render();
  for (const char* needle :
       {"# TYPE actr_dispatches_total counter", "# TYPE actr_dispatch_errors_total counter",
        "# TYPE actr_dispatch_duration_seconds histogram", "# TYPE actr_mailbox_depth gauge",
        "# TYPE actr_actor_restarts_total counter", "actr_mailbox_depth{actor=\"echo#0\"} 2"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle;
  EXPECT_TRUE(NodeMetrics::create(registry).ok());  // idempotent
}

}  // namespace
}  // namespace actr::runtime::metrics
