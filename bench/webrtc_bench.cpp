// WebRTC data channels between two peer connections of this process on 127.0.0.1 (ICE host
// pair, DTLS 1.2, SCTP): connection setup, 64-byte round trips, and a bulk transfer on a
// reliable channel in 64 KiB messages.
//   build/bench/bench_webrtc_bench [--mib N]      (default 256)
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/harness.hpp"
#include "support/waiter.hpp"
#include "webrtc/peer_connection.hpp"

using namespace actr;
using namespace actr::webrtc;
using namespace std::chrono_literals;

namespace {

struct Side : actr::test::Waiter {
  std::string description;
  bool connected = false;
  std::string closed;
  uint64_t received_bytes = 0;
  uint64_t received_messages = 0;
  std::function<void(uint16_t, std::span<const uint8_t>)> on_message;

  PeerEvents events() {
    PeerEvents e;
    e.on_description = [this](std::string d) { update([&] { description = std::move(d); }); };
    e.on_state = [this](PeerState s) {
      update([&] { connected = connected || s == PeerState::Connected; });
    };
    e.on_closed = [this](std::string why) { update([&] { closed = why; }); };
    e.on_message = [this](uint16_t stream, std::span<const uint8_t> m, bool) {
      if (on_message) on_message(stream, m);
      update([&] {
        received_bytes += m.size();
        ++received_messages;
      });
    };
    return e;
  }
};

PeerOptions loopback(bool offerer) {
  PeerOptions o;
  o.offerer = offerer;
  o.ice.local_addresses = {"127.0.0.1"};
  o.certificate = *Certificate::generate();
  return o;
}

struct Pair {
  GlibLoop loop;
  Side o, a;
  std::unique_ptr<PeerConnection> offerer, answerer;

  double connect() {
    auto t0 = bench::Clock::now();
    offerer = std::move(*PeerConnection::create(loop, loopback(true), o.events()));
    answerer = std::move(*PeerConnection::create(loop, loopback(false), a.events()));
    (void)offerer->start();
    o.wait([&] { return !o.description.empty(); });
    (void)answerer->set_remote_description(o.description);
    (void)answerer->start();
    a.wait([&] { return !a.description.empty(); });
    (void)offerer->set_remote_description(a.description);
    bool up = o.wait([&] { return o.connected || !o.closed.empty(); }) &&
              a.wait([&] { return a.connected || !a.closed.empty(); });
    if (!up || !o.connected || !a.connected) {
      std::fprintf(stderr, "not connected: %s %s\n", o.closed.c_str(), a.closed.c_str());
      std::exit(1);
    }
    return bench::seconds_since(t0);
  }
  ~Pair() {
    offerer.reset();
    answerer.reset();
  }
};

// Sends `message` on `stream`, waiting while the association's send buffer is full.
void send_all(PeerConnection& pc, uint16_t stream, std::span<const uint8_t> message) {
  for (;;) {
    auto r = pc.send(stream, message);
    if (r) return;
    if (r.error().message.find("full") == std::string::npos) {
      std::fprintf(stderr, "send: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(50us);
  }
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 256;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::printf("load average before: %s\n\n", bench::load_average().c_str());
  std::printf("| measure | figure |\n|---|---|\n");

  std::vector<double> setups;
  for (int i = 0; i < 5; ++i) {
    Pair p;
    setups.push_back(p.connect() * 1e3);
  }
  std::printf("| connection setup (offer to both Connected), median of 5 | %.1f ms |\n",
              bench::median(setups));

  Pair p;
  p.connect();
  // The answerer echoes every message of the offerer's channel.
  p.a.on_message = [&](uint16_t stream, std::span<const uint8_t> m) {
    (void)p.answerer->send(stream, m);
  };
  auto rpc = p.offerer->open_channel("rpc-reliable", {});
  std::vector<uint8_t> ping(64, 0x42);
  std::vector<double> rtts;
  for (int i = 0; i < 2200; ++i) {
    uint64_t before;
    {
      std::lock_guard lock(p.o.mutex());
      before = p.o.received_messages;
    }
    auto t0 = bench::Clock::now();
    send_all(*p.offerer, *rpc, ping);
    p.o.wait([&] { return p.o.received_messages > before; });
    if (i >= 200) rtts.push_back(bench::seconds_since(t0) * 1e6);
  }
  std::printf(
      "| round trip, 64 B message and its echo (2000 after 200 warm-up) | p50 %.1f us, "
      "p99 %.1f us |\n",
      bench::percentile(rtts, 50), bench::percentile(rtts, 99));

  p.a.on_message = nullptr;
  auto bulk = p.offerer->open_channel("stream-reliable", {});
  std::vector<uint8_t> chunk(64 * 1024, 0x5a);
  uint64_t total = static_cast<uint64_t>(mib) << 20;
  uint64_t base;
  {
    std::lock_guard lock(p.a.mutex());
    base = p.a.received_bytes;
  }
  auto t0 = bench::Clock::now();
  for (uint64_t sent = 0; sent < total; sent += chunk.size()) send_all(*p.offerer, *bulk, chunk);
  p.a.wait([&] { return p.a.received_bytes - base >= total; }, 600s);
  double s = bench::seconds_since(t0);
  std::printf(
      "| bulk transfer, %zu MiB in 64 KiB messages, reliable ordered | %.2f s, %.0f "
      "Mbit/s |\n",
      mib, s, static_cast<double>(total) * 8 / s / 1e6);
  return 0;
}
