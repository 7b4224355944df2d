// The node-to-node transport on its paths, side by side in one run and one process on
// 127.0.0.1: the WebSocket connection, and a WebRTC peer connection whose data channels carry
// the same frames (runtime::DataChannelCarrier, net::Transport::attach) as nodes use them,
// direct and relayed through a coturn this bench starts (skipped when coturn is missing).
//   - 64-byte call round trips, sequential;
//   - a transfer of --mib MiB (default 256) on the stream-reliable lane: tells of 64 KiB chunks,
//     at most --window (default 32) unacknowledged, each acknowledged by the receiver.
// The peer anchor, measured in the same run when the bench may create a network namespace
// (root) and Chromium and the npm tools are installed: two RTCPeerConnections of one Chromium
// page (bench/browser/bulk.mjs) move the same bytes in 64 KiB messages, in a namespace of its
// own (Chromium gathers no loopback candidates).
//
//   build/bench/bench_path_bench [--mib N] [--window N] [--calls N]
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "net/transport.hpp"
#include "runtime/network/data_channel_carrier.hpp"
#include "signaling/turn_credentials.hpp"
#include "support/coturn.hpp"
#include "support/harness.hpp"
#include "support/netns.hpp"
#include "webrtc/certificate.hpp"
#include "webrtc/glib_loop.hpp"
#include "webrtc/peer_connection.hpp"

using namespace actr;
using Clock = bench::Clock;
using workload::Bytes;
namespace fs = std::filesystem;

namespace {

size_t g_mib = 256, g_window = 32, g_calls = 5000;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

net::TransportOptions options(const std::string& node) {
  net::TransportOptions o;
  o.node_id = node;
  o.credential = [node] { return bytes_of("bench:" + node); };
  o.verify = [](std::span<const uint8_t>) -> Result<net::PeerInfo> {
    net::PeerInfo info;
    info.id = workload::ActrId{};
    return info;
  };
  o.on_request = [](const net::PeerInfo&, net::Request request, net::Responder responder) {
    if (responder.is_call()) {
      responder.reply(workload::CallResult::Ok(std::move(request.message.payload)));
    } else {
      responder.accept(workload::Status::Ok());
    }
  };
  return o;
}

net::Request request(workload::Message::Kind kind, Bytes payload) {
  net::Request r;
  r.target.realm.realm_id = 1;
  r.target.serial_number = 2;
  r.message.kind = kind;
  r.message.route_key = "echo";
  r.message.request_id = "bench";
  r.message.payload = std::move(payload);
  if (kind == workload::Message::Kind::Stream) {
    r.message.payload_type = workload::PayloadType::stream_reliable();
    r.message.chunk = workload::types::DataStream{};
    r.message.chunk->stream_id = "s";
  }
  return r;
}

// A WebRTC path between two transports of this process, as WebRtcLinks sets one up.
struct WebRtcPath {
  webrtc::GlibLoop loop;
  std::shared_ptr<const webrtc::Certificate> cert = *webrtc::Certificate::generate();
  struct End {
    std::unique_ptr<webrtc::PeerConnection> pc;
    std::shared_ptr<runtime::DataChannelCarrier> carrier;
    std::promise<std::string> description;
    std::atomic<bool> connected{false};
  } o, a;

  webrtc::PeerEvents events(End& e) {
    webrtc::PeerEvents ev;
    ev.on_description = [&e](std::string d) { e.description.set_value(std::move(d)); };
    ev.on_state = [&e](webrtc::PeerState s) {
      if (s == webrtc::PeerState::Connected) e.connected = true;
    };
    ev.on_channel = [&e](const webrtc::Channel& c) { e.carrier->channel_opened(c); };
    ev.on_message = [&e](uint16_t stream, std::span<const uint8_t> m, bool) {
      e.carrier->deliver(stream, m);
    };
    ev.on_writable = [&e] { e.carrier->writable(); };
    ev.on_selected_pair = [&e](bool relayed) { e.carrier->set_relayed(relayed); };
    return ev;
  }

  bool open(net::Transport& offerer, net::Transport& answerer,
            std::optional<webrtc::TurnServer> turn = std::nullopt) {
    for (End* e : {&o, &a}) {
      webrtc::PeerOptions p;
      p.offerer = e == &o;
      p.ice.local_addresses = {"127.0.0.1"};
      p.ice.turn = turn;
      p.ice.relay_only = turn.has_value();
      p.certificate = cert;
      auto pc = webrtc::PeerConnection::create(loop, p, events(*e));
      if (!pc) return false;
      e->pc = std::move(*pc);
      e->carrier = std::make_shared<runtime::DataChannelCarrier>(
          e->pc.get(), net::TransportOptions{}.limits.max_frame_bytes, "bench");
    }
    (void)o.pc->start();
    std::string offer = o.description.get_future().get();
    (void)a.pc->set_remote_description(offer);
    (void)a.pc->start();
    (void)o.pc->set_remote_description(a.description.get_future().get());
    auto until = Clock::now() + std::chrono::seconds(10);
    while (!(o.connected && a.connected) && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!o.connected || !a.connected || !o.carrier->open_channels()) return false;
    while (!a.carrier->ready() && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return offerer.attach(answerer.listen_address(), o.carrier, false).ok() &&
           answerer.attach(offerer.listen_address(), a.carrier, true).ok();
  }
  ~WebRtcPath() {
    for (End* e : {&o, &a}) {
      if (e->carrier) e->carrier->detach("bench over");
      e->pc.reset();
    }
  }
};

struct Figures {
  double rtt_p50 = 0, rtt_p99 = 0, mbit = 0;
};

std::optional<Figures> measure(net::Peer& peer) {
  Figures f;
  std::vector<double> rtts;
  for (size_t i = 0; i < g_calls + 200; ++i) {
    std::promise<workload::CallResult> done;
    auto t0 = Clock::now();
    peer.call(request(workload::Message::Kind::Call, Bytes(64, 0x42)),
              [&](workload::CallResult r) { done.set_value(std::move(r)); });
    if (!done.get_future().get().is_ok()) return std::nullopt;
    if (i >= 200) rtts.push_back(bench::seconds_since(t0) * 1e6);
  }
  f.rtt_p50 = bench::median(rtts);
  f.rtt_p99 = bench::percentile(rtts, 99);

  const size_t chunk = 64 * 1024, chunks = g_mib * 1024 * 1024 / chunk;
  std::mutex mu;
  std::condition_variable cv;
  size_t in_flight = 0, acked = 0;
  bool failed = false;
  Bytes data(chunk, 0x5a);
  auto t0 = Clock::now();
  for (size_t i = 0; i < chunks; ++i) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight < g_window || failed; });
      if (failed) return std::nullopt;
      ++in_flight;
    }
    auto r = request(workload::Message::Kind::Stream, data);
    r.message.chunk->sequence = i;
    peer.tell(std::move(r), [&](workload::Status s) {
      std::lock_guard lock(mu);
      --in_flight;
      ++acked;
      failed |= s.is_err();
      cv.notify_all();
    });
  }
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return acked == chunks || failed; });
  if (failed) return std::nullopt;
  f.mbit = static_cast<double>(chunks * chunk) * 8 / bench::seconds_since(t0) / 1e6;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--mib") == 0)
      g_mib = std::strtoull(argv[++i], nullptr, 10);
    else if (std::strcmp(argv[i], "--window") == 0)
      g_window = std::strtoull(argv[++i], nullptr, 10);
    else if (std::strcmp(argv[i], "--calls") == 0)
      g_calls = std::strtoull(argv[++i], nullptr, 10);
  }
  std::printf("# node-to-node paths on 127.0.0.1, one process, %u hardware threads\n",
              std::thread::hardware_concurrency());
  std::printf("load average before: %s\n\n", bench::load_average().c_str());
  std::printf(
      "| path | call round trip p50 / p99 (64 B) | %zu MiB on stream-reliable (64 KiB chunks, "
      "window %zu) |\n|---|---|---|\n",
      g_mib, g_window);
  std::optional<Figures> ws, rtc, relayed;
  std::string relayed_note, anchor_note;
  {
    auto a = net::Transport::start(options("a"));
    auto b = net::Transport::start(options("b"));
    if (!a || !b) return 1;
    auto peer = (*a)->peer((*b)->listen_address());
    ws = measure(**peer);
  }
  {
    auto a = net::Transport::start(options("a"));
    auto b = net::Transport::start(options("b"));
    if (!a || !b) return 1;
    WebRtcPath path;
    if (!path.open(**a, **b)) {
      std::fprintf(stderr, "the WebRTC path did not open\n");
      return 1;
    }
    auto peer = (*a)->peer((*b)->listen_address());
    auto until = Clock::now() + std::chrono::seconds(5);
    while (!(*peer)->carried() && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!(*peer)->carried()) return 1;
    rtc = measure(**peer);
    if ((*a)->stats().outbound_opened != 0) {
      std::fprintf(stderr, "traffic left the WebRTC path\n");
      return 1;
    }
  }
  // Relayed: both ends only through a coturn on 127.0.0.1 (REST-API credentials).
  fs::path turn_dir = fs::temp_directory_path() / ("actr-path-bench-" + std::to_string(getpid()));
  if (fs::exists(test::Coturn::kBinary)) {
    const std::string secret = "path-bench-turn-secret-0123";
    test::Coturn coturn(turn_dir, secret);
    if (coturn.ready()) {
      auto cred = signaling::turn_rest_credentials(secret, "bench", std::chrono::hours(1));
      webrtc::TurnServer turn{"127.0.0.1", coturn.port(), cred.username, cred.password};
      auto a = net::Transport::start(options("a"));
      auto b = net::Transport::start(options("b"));
      if (!a || !b) return 1;
      WebRtcPath path;
      if (path.open(**a, **b, turn)) {
        auto peer = (*a)->peer((*b)->listen_address());
        auto until = Clock::now() + std::chrono::seconds(5);
        while (!(*peer)->carried() && Clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if ((*peer)->carried() && path.o.carrier->relayed()) relayed = measure(**peer);
      }
      if (!relayed) relayed_note = "the relayed path did not open";
    } else {
      relayed_note = "coturn did not start";
    }
  } else {
    relayed_note = "coturn is not installed";
  }
  fs::remove_all(turn_dir);

  // The peer anchor: Chromium, two peer connections in one page, in a namespace of its own.
  std::optional<Figures> anchor;
  fs::path script = fs::path(ACTR_BENCH_SOURCE_DIR) / "bench/browser/bulk.mjs";
  if (!fs::exists("/usr/bin/chromium") ||
      !fs::exists(fs::path(ACTR_BENCH_SOURCE_DIR) / "node_modules/puppeteer-core")) {
    anchor_note = "Chromium or the npm tools are not installed";
  } else {
    test::Netns ns("path-bench");
    // A default route: without one Chromium offers no host candidate at all.
    if (!ns.ok() || !ns.add_interface("b0", "10.80.0.1/24") ||
        !ns.sh("ip route add default via 10.80.0.2 dev b0")) {
      anchor_note = "no network namespace (needs root)";
    } else {
      std::string out = ns.output("node " + script.string() + " --mib " + std::to_string(g_mib));
      auto number = [&](const std::string& key) -> std::optional<double> {
        auto at = out.find("\"" + key + "\":");
        if (at == std::string::npos) return std::nullopt;
        return std::strtod(out.c_str() + at + key.size() + 3, nullptr);
      };
      if (auto mbit = number("mbit"), rtt = number("rtt_us"); mbit && rtt) {
        anchor = Figures{*rtt, std::nan(""), *mbit};
      } else {
        anchor_note = "bulk.mjs: " + out.substr(0, 300);
      }
    }
  }

  auto row = [](const char* name, const std::optional<Figures>& f) {
    if (!f) {
      std::printf("| %s | failed | failed |\n", name);
      return;
    }
    std::printf("| %s | %.1f us / %.1f us | %.0f Mbit/s |\n", name, f->rtt_p50, f->rtt_p99,
                f->mbit);
  };
  row("WebSocket", ws);
  row("WebRTC direct (DTLS 1.2 + SCTP data channels)", rtc);
  if (relayed || relayed_note.empty()) {
    row("WebRTC relayed through coturn on 127.0.0.1", relayed);
  } else {
    std::printf("| WebRTC relayed through coturn | not measured: %s | |\n", relayed_note.c_str());
  }
  if (anchor) {
    std::printf(
        "| Chromium 156, two peer connections in one page (anchor) | %.0f us (p50; the "
        "page's clock has 100 us steps) | %.0f Mbit/s |\n",
        anchor->rtt_p50, anchor->mbit);
  } else {
    std::printf("| Chromium (anchor) | not measured: %s | |\n", anchor_note.c_str());
  }
  if (ws && rtc) {
    std::printf("\nWebRTC direct / WebSocket: round trip x%.2f, transfer x%.2f\n",
                rtc->rtt_p50 / ws->rtt_p50, rtc->mbit / ws->mbit);
  }
  if (rtc && relayed) {
    std::printf("WebRTC relayed / direct: round trip x%.2f, transfer x%.2f\n",
                relayed->rtt_p50 / rtc->rtt_p50, relayed->mbit / rtc->mbit);
  }
  if (rtc && anchor) {
    std::printf("WebRTC direct / Chromium: transfer x%.2f\n", rtc->mbit / anchor->mbit);
  }
  std::printf("load average after: %s\n", bench::load_average().c_str());
  return ws && rtc ? 0 : 1;
}
