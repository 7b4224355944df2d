#include <chrono>
#include <thread>

#include "wasi_harness.hpp"

namespace actr::wasi::test {
namespace {

using component::Kind;
using component::Value;

constexpr const char* kMono = "wasi:clocks/monotonic-clock";
constexpr const char* kPoll = "wasi:io/poll";

TEST(WasiClocks, WallClockIsPlausible) {
  WasiHarness h;
  Value now = h.ok("wasi:clocks/wall-clock", "now");
  ASSERT_EQ(now.kind, Kind::Record);
  ASSERT_EQ(now.items.size(), 2u);
  uint64_t seconds = now.items[0].u;
  EXPECT_GT(seconds, 1'600'000'000u);  // after 2020
  EXPECT_LT(seconds, 4'102'444'800u);  // before 2100
  EXPECT_LT(now.items[1].u, 1'000'000'000u);
  auto host_now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  EXPECT_LE(std::llabs(static_cast<long long>(seconds) - host_now), 2);

  Value res = h.ok("wasi:clocks/wall-clock", "resolution");
  ASSERT_EQ(res.items.size(), 2u);
  EXPECT_TRUE(res.items[0].u > 0 || res.items[1].u > 0);
}

TEST(WasiClocks, MonotonicClockNeverGoesBack) {
  WasiHarness h;
  uint64_t prev = h.ok(kMono, "now").u;
  for (int i = 0; i < 1000; ++i) {
    uint64_t now = h.ok(kMono, "now").u;
    ASSERT_GE(now, prev);
    prev = now;
  }
  uint64_t before = h.ok(kMono, "now").u;
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  uint64_t after = h.ok(kMono, "now").u;
  EXPECT_GE(after - before, 5'000'000u);
  EXPECT_LT(after - before, 5'000'000'000u);
  uint64_t res = h.ok(kMono, "resolution").u;
  EXPECT_GT(res, 0u);
  EXPECT_LE(res, 1'000'000u);
}

TEST(WasiClocks, DurationPollableBecomesReadyAtItsTime) {
  WasiHarness h;
  uint64_t start = h.ok(kMono, "now").u;
  Value p = h.ok(kMono, "subscribe-duration", {Value::u64(30'000'000)});  // 30 ms
  ASSERT_EQ(p.handle.type, h.resource(kPoll, "pollable"));
  EXPECT_EQ(h.ok(kPoll, "[method]pollable.ready", {h.borrow(p)}), Value::boolean(false));
  ASSERT_TRUE(h.call(kPoll, "[method]pollable.block", {h.borrow(p)}).ok());
  EXPECT_GE(h.ok(kMono, "now").u - start, 30'000'000u);
  EXPECT_EQ(h.ok(kPoll, "[method]pollable.ready", {h.borrow(p)}), Value::boolean(true));
}

TEST(WasiClocks, InstantPollables) {
  WasiHarness h;
  uint64_t now = h.ok(kMono, "now").u;
  Value past = h.ok(kMono, "subscribe-instant", {Value::u64(now - 1)});
  Value zero = h.ok(kMono, "subscribe-duration", {Value::u64(0)});
  Value future = h.ok(kMono, "subscribe-instant", {Value::u64(now + 3'600'000'000'000ull)});
  Value never = h.ok(kMono, "subscribe-duration", {Value::u64(~0ull)});  // saturates
  EXPECT_EQ(h.ok(kPoll, "[method]pollable.ready", {h.borrow(past)}), Value::boolean(true));
  EXPECT_EQ(h.ok(kPoll, "[method]pollable.ready", {h.borrow(zero)}), Value::boolean(true));
  EXPECT_EQ(h.ok(kPoll, "[method]pollable.ready", {h.borrow(future)}), Value::boolean(false));
  EXPECT_EQ(h.ok(kPoll, "[method]pollable.ready", {h.borrow(never)}), Value::boolean(false));
  EXPECT_EQ(h.state().pollables.size(), 4u);
  h.drop(kPoll, past);
  EXPECT_EQ(h.state().pollables.size(), 3u);
}

TEST(WasiClocks, PollReturnsTheReadyIndices) {
  WasiHarness h;
  Value late = h.ok(kMono, "subscribe-duration", {Value::u64(3'600'000'000'000ull)});
  Value ready = h.ok(kMono, "subscribe-duration", {Value::u64(0)});
  Value soon = h.ok(kMono, "subscribe-duration", {Value::u64(20'000'000)});
  EXPECT_EQ(h.ok(kPoll, "poll", {Value::list({h.borrow(late), h.borrow(ready), h.borrow(soon)})}),
            Value::list({Value::u32(1)}));
  // Nothing ready: poll waits for the earliest deadline.
  uint64_t start = h.ok(kMono, "now").u;
  EXPECT_EQ(h.ok(kPoll, "poll", {Value::list({h.borrow(late), h.borrow(soon)})}),
            Value::list({Value::u32(1)}));
  EXPECT_GT(h.ok(kMono, "now").u - start, 0u);
  EXPECT_EQ(h.ok(kPoll, "poll", {Value::list({h.borrow(soon), h.borrow(ready), h.borrow(late)})}),
            Value::list({Value::u32(0), Value::u32(1)}));
}

TEST(WasiClocks, PollingNothingTraps) {
  WasiHarness h;
  auto r = h.call(kPoll, "poll", {Value::list({})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("empty"), std::string::npos);
}

}  // namespace
}  // namespace actr::wasi::test
