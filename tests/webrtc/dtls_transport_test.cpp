// DTLS between two transports of this process: wired directly through the loop, and over ICE on
// loopback. The handshake checks the peer's certificate against its signaled fingerprint.
#include "webrtc/dtls_transport.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "support/waiter.hpp"
#include "webrtc/certificate.hpp"
#include "webrtc/glib_loop.hpp"
#include "webrtc/ice_transport.hpp"

namespace actr::webrtc {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// What one end's events reported.
struct Seen : actr::test::Waiter {
  bool connected = false;
  std::string closed;
  std::vector<std::string> data;
};

// Two DTLS ends whose datagrams go to each other through the loop (never under the sender's
// lock), through `tamper` when set.
struct Pair {
  GlibLoop loop;
  std::shared_ptr<const Certificate> client_cert, server_cert;
  Seen client_seen, server_seen;
  std::unique_ptr<DtlsTransport> client, server;
  std::atomic<bool> closing{false};
  // Sees every datagram; false drops it (a lossy path).
  std::function<bool(std::vector<uint8_t>&)> tamper;

  Pair() {
    client_cert = *Certificate::generate();
    server_cert = *Certificate::generate();
  }
  ~Pair() {
    closing = true;
    loop.run_sync([] {});  // no delivery runs past this point
    client.reset();
    server.reset();
  }
  DtlsEvents events(Seen& seen, std::unique_ptr<DtlsTransport>* peer) {
    DtlsEvents e;
    e.send_datagram = [this, peer](std::span<const uint8_t> d) {
      std::vector<uint8_t> copy(d.begin(), d.end());
      if (tamper && !tamper(copy)) return;
      loop.post([this, peer, copy = std::move(copy)] {
        if (!closing && *peer) (*peer)->receive(copy);
      });
    };
    e.on_connected = [&seen] { seen.update([&] { seen.connected = true; }); };
    e.on_data = [&seen](std::span<const uint8_t> d) {
      seen.update([&] { seen.data.emplace_back(d.begin(), d.end()); });
    };
    e.on_closed = [&seen](std::string why) { seen.update([&] { seen.closed = why; }); };
    return e;
  }
  void make(const std::string& client_expects, const std::string& server_expects) {
    auto c = DtlsTransport::create(loop, client_cert, DtlsRole::Client, client_expects,
                                   events(client_seen, &server));
    auto s = DtlsTransport::create(loop, server_cert, DtlsRole::Server, server_expects,
                                   events(server_seen, &client));
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_TRUE(s) << s.error().message;
    client = std::move(*c);
    server = std::move(*s);
  }
};

TEST(DtlsTransport, HandshakesWithTheSignaledFingerprintsAndCarriesDataBothWays) {
  Pair p;
  EXPECT_NE(p.client_cert->fingerprint(), p.server_cert->fingerprint());
  EXPECT_EQ(p.client_cert->fingerprint().rfind("sha-256 ", 0), 0u);
  EXPECT_EQ(p.client_cert->fingerprint().size(), 8u + 32 * 3 - 1);
  p.make(p.server_cert->fingerprint(), p.client_cert->fingerprint());
  EXPECT_FALSE(p.client->send(bytes("early"))) << "sent before the handshake";
  p.server->start();
  p.client->start();
  ASSERT_TRUE(
      p.client_seen.wait([&] { return p.client_seen.connected || !p.client_seen.closed.empty(); }));
  ASSERT_TRUE(
      p.server_seen.wait([&] { return p.server_seen.connected || !p.server_seen.closed.empty(); }));
  ASSERT_TRUE(p.client_seen.connected) << p.client_seen.closed;
  ASSERT_TRUE(p.server_seen.connected) << p.server_seen.closed;

  ASSERT_TRUE(p.client->send(bytes("to the server")));
  ASSERT_TRUE(p.server->send(bytes("to the client")));
  ASSERT_TRUE(p.server_seen.wait([&] { return !p.server_seen.data.empty(); }));
  ASSERT_TRUE(p.client_seen.wait([&] { return !p.client_seen.data.empty(); }));
  EXPECT_EQ(p.server_seen.data.front(), "to the server");
  EXPECT_EQ(p.client_seen.data.front(), "to the client");

  p.client->close();
  ASSERT_TRUE(p.server_seen.wait([&] { return !p.server_seen.closed.empty(); }));
  EXPECT_NE(p.server_seen.closed.find("closed"), std::string::npos) << p.server_seen.closed;
  EXPECT_EQ(p.server->state(), DtlsState::Closed);
}

TEST(DtlsTransport, ACertificateThatDoesNotMatchTheSignaledFingerprintIsRefused) {
  Pair p;
  auto other = *Certificate::generate();
  // The client expects another certificate than the one the server holds.
  p.make(other->fingerprint(), p.client_cert->fingerprint());
  p.server->start();
  p.client->start();
  ASSERT_TRUE(p.client_seen.wait([&] { return !p.client_seen.closed.empty(); }));
  EXPECT_NE(p.client_seen.closed.find("does not match the fingerprint"), std::string::npos)
      << p.client_seen.closed;
  EXPECT_EQ(p.client->state(), DtlsState::Failed);
  EXPECT_FALSE(p.client_seen.connected);
  EXPECT_FALSE(p.client->send(bytes("x")));
}

TEST(DtlsTransport, LostHandshakeFlightsAreRetransmittedOnTheTimer) {
  Pair p;
  std::atomic<int> seen{0};
  p.tamper = [&](std::vector<uint8_t>&) { return ++seen > 2; };  // the first two are lost
  p.make(p.server_cert->fingerprint(), p.client_cert->fingerprint());
  p.server->start();
  p.client->start();
  ASSERT_TRUE(
      p.client_seen.wait([&] { return p.client_seen.connected || !p.client_seen.closed.empty(); }));
  ASSERT_TRUE(p.client_seen.connected) << p.client_seen.closed;
  EXPECT_GT(seen.load(), 2);
}

TEST(DtlsTransport, GarbageAndBadFingerprintsAreRefusedWithoutHarm) {
  GlibLoop loop;
  auto cert = *Certificate::generate();
  auto bad = DtlsTransport::create(loop, cert, DtlsRole::Server, "md5 00:11", {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("sha-256"), std::string::npos);

  Seen seen;
  DtlsEvents events;
  events.on_closed = [&](std::string why) { seen.update([&] { seen.closed = why; }); };
  auto server = DtlsTransport::create(loop, cert, DtlsRole::Server, cert->fingerprint(), events);
  ASSERT_TRUE(server);
  std::string junk(300, '\x17');  // looks like application data records, is not
  (*server)->receive(bytes(junk));
  (*server)->receive({});
  EXPECT_NE((*server)->state(), DtlsState::Connected);
  loop.run_sync([] {});
}

TEST(DtlsTransport, RunsOverIceOnLoopback) {
  GlibLoop loop;
  auto a_cert = *Certificate::generate();
  auto b_cert = *Certificate::generate();
  std::unique_ptr<IceTransport> a_ice, b_ice;
  std::unique_ptr<DtlsTransport> a_dtls, b_dtls;
  Seen a_seen, b_seen;
  std::mutex mu;
  std::condition_variable cv;
  std::string a_desc, b_desc;
  int ready = 0;

  auto ice_events = [&](std::string* desc, std::unique_ptr<DtlsTransport>* dtls) {
    IceEvents e;
    e.on_gathered = [&, desc](std::string d, bool) {
      std::lock_guard lock(mu);
      *desc = d;
      cv.notify_all();
    };
    e.on_state = [&](IceState s) {
      if (s != IceState::Ready) return;
      std::lock_guard lock(mu);
      ++ready;
      cv.notify_all();
    };
    e.on_datagram = [dtls](std::span<const uint8_t> d) {
      if (*dtls) (*dtls)->receive(d);
    };
    return e;
  };
  IceOptions ao, bo;
  ao.controlling = true;
  ao.local_addresses = bo.local_addresses = {"127.0.0.1"};
  a_ice = std::move(*IceTransport::create(loop, ao, ice_events(&a_desc, &a_dtls)));
  b_ice = std::move(*IceTransport::create(loop, bo, ice_events(&b_desc, &b_dtls)));
  auto dtls_events = [&](Seen& seen, std::unique_ptr<IceTransport>* ice) {
    DtlsEvents e;
    e.send_datagram = [ice](std::span<const uint8_t> d) { (void)(*ice)->send(d); };
    e.on_connected = [&seen] { seen.update([&] { seen.connected = true; }); };
    e.on_data = [&seen](std::span<const uint8_t> d) {
      seen.update([&] { seen.data.emplace_back(d.begin(), d.end()); });
    };
    e.on_closed = [&seen](std::string why) { seen.update([&] { seen.closed = why; }); };
    return e;
  };
  // The offerer (a) is the DTLS server (a=setup:actpass), the answerer the client.
  a_dtls = std::move(*DtlsTransport::create(loop, a_cert, DtlsRole::Server, b_cert->fingerprint(),
                                            dtls_events(a_seen, &a_ice)));
  b_dtls = std::move(*DtlsTransport::create(loop, b_cert, DtlsRole::Client, a_cert->fingerprint(),
                                            dtls_events(b_seen, &b_ice)));
  ASSERT_TRUE(a_ice->gather(false));
  ASSERT_TRUE(b_ice->gather(false));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return !a_desc.empty() && !b_desc.empty(); }));
  }
  ASSERT_TRUE(a_ice->set_remote_description(b_desc, true));
  ASSERT_TRUE(b_ice->set_remote_description(a_desc, true));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return ready == 2; }));
  }
  a_dtls->start();
  b_dtls->start();
  ASSERT_TRUE(b_seen.wait([&] { return b_seen.connected || !b_seen.closed.empty(); }));
  ASSERT_TRUE(b_seen.connected) << b_seen.closed;
  ASSERT_TRUE(b_dtls->send(bytes("over ice")));
  ASSERT_TRUE(a_seen.wait([&] { return !a_seen.data.empty(); }));
  EXPECT_EQ(a_seen.data.front(), "over ice");

  // Teardown in dependency order: DTLS (uses ICE to send) first, on a quiet loop.
  loop.run_sync([&] {
    a_dtls.reset();
    b_dtls.reset();
  });
  a_ice.reset();
  b_ice.reset();
}

}  // namespace
}  // namespace actr::webrtc
