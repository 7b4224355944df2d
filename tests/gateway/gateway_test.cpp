#include "gateway/gateway.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "fake_backend.hpp"
#include "gateway/client.hpp"
#include "gateway/error_mapping.hpp"
#include "gateway/json.hpp"
#include "raw_http.hpp"

namespace actr::gateway {
namespace {

using namespace std::chrono_literals;
using test::FakeBackend;
using test::get_request;
using test::post_request;
using test::RawConnection;

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

class GatewayServer : public ::testing::Test {
 protected:
  void start(GatewayOptions options = {}) {
    auto started = Gateway::start(std::move(options), backend);
    ASSERT_TRUE(started.ok()) << started.error().message;
    gateway = std::move(*started);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(gateway->port()); }

  // Declared first: the backend outlives the gateway.
  FakeBackend backend;
  std::unique_ptr<Gateway> gateway;
};

TEST_F(GatewayServer, PostReturnsTheReplyBytes) {
  start();
  RawConnection c(gateway->port());
  ASSERT_TRUE(c.connected());
  std::string payload("a\0b\xff", 4);
  ASSERT_TRUE(c.send(post_request("/actors/echo/echo", payload)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/octet-stream");
  EXPECT_EQ(r->header("x-actr-error"), "");
  EXPECT_EQ(r->body, payload);
}

TEST_F(GatewayServer, EveryActrErrorCaseHasItsStatusHeaderAndBody) {
  start();
  const std::pair<const char*, int> cases[] = {
      {"invalid-argument", 400}, {"decode-failure", 400},  {"permission-denied", 403},
      {"not-found", 404},        {"unknown-route", 404},   {"dependency-not-found", 404},
      {"internal", 500},         {"not-implemented", 501}, {"unavailable", 503},
      {"timed-out", 504}};
  RawConnection c(gateway->port());
  Client client;
  for (auto [name, status] : cases) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(c.send(post_request(std::string("/actors/x/error:") + name, "")));
    auto r = c.read_response();  // one keep-alive connection for all of them
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->header("x-actr-error"), name);
    EXPECT_EQ(r->header("content-type"), "application/json");
    auto fields = json::parse_string_object(r->body);
    ASSERT_TRUE(fields) << r->body;
    EXPECT_EQ((*fields)["error"], name);
    std::string expected_message =
        std::string(name) == "timed-out" ? "" : "message of " + std::string(name);
    EXPECT_EQ((*fields)["message"], expected_message);

    // The client turns it back into the same ActrError.
    auto result = client.post(url(), "x", std::string("error:") + name, {});
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_TRUE(result->is_err());
    auto expected = make_actr_error(name, "message of " + std::string(name), "svc");
    ASSERT_TRUE(expected);
    EXPECT_EQ(result->error(), *expected);
  }
}

TEST_F(GatewayServer, TargetAndRouteSegmentsArePercentDecoded) {
  start();
  Client client;
  auto who = [&](const std::string& path) {
    RawConnection c(gateway->port());
    EXPECT_TRUE(c.send(post_request(path, "")));
    auto r = c.read_response();
    return r ? std::to_string(r->status) + " " + r->body : std::string("no response");
  };
  EXPECT_EQ(who("/actors/echo/who"), "200 echo|who");
  EXPECT_EQ(who("/actors/acme%2Fecho/who"), "200 acme/echo|who");
  EXPECT_EQ(who("/actors/acme/echo/who"), "200 acme/echo|who");
  EXPECT_EQ(who("/actors/a%20b/wh%6f?ignored=1"), "200 a b|who");

  auto reply = client.post(url(), "acme/echo", "who", {});
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(reply->is_ok());
  EXPECT_EQ(std::string(reply->value().begin(), reply->value().end()), "acme/echo|who");

  RawConnection c(gateway->port());
  ASSERT_TRUE(c.send(post_request("/actors/e/%zz", "")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("x-actr-error"), "invalid-argument");
}

TEST_F(GatewayServer, BodyOverTheLimitIsRefusedWithoutReadingIt) {
  GatewayOptions options;
  options.max_body_bytes = 1024;
  start(options);
  {
    RawConnection c(gateway->port());
    ASSERT_TRUE(
        c.send("POST /actors/echo/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000"
               "\r\n\r\nonly the first bytes"));
    auto started = std::chrono::steady_clock::now();
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // chunked: found out while reading
    RawConnection c(gateway->port());
    std::string chunk(600, 'x');
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    std::string req =
        "POST /actors/echo/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 2; ++i) req += std::string(size) + "\r\n" + chunk + "\r\n";
    req += "0\r\n\r\n";
    ASSERT_TRUE(c.send(req));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_EQ(backend.calls.load(), 0);
  {  // exactly at the limit is fine
    RawConnection c(gateway->port());
    ASSERT_TRUE(c.send(post_request("/actors/echo/echo", std::string(1024, 'y'))));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.size(), 1024u);
  }
}

TEST_F(GatewayServer, WrongMethodIs405AndUnknownPathIs404) {
  start();
  RawConnection c(gateway->port());
  ASSERT_TRUE(c.send(get_request("/actors/echo/echo")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "POST");

  ASSERT_TRUE(c.send(post_request("/metrics", "")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "GET");

  for (const char* path : {"/", "/nope", "/actors/echo", "/actors//echo", "/actors/echo/"}) {
    SCOPED_TRACE(path);
    ASSERT_TRUE(c.send(post_request(path, "")));
    r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(r->header("x-actr-error"), "");  // not an actor's error
    auto fields = json::parse_string_object(r->body);
    ASSERT_TRUE(fields);
    EXPECT_EQ((*fields)["error"], "no-such-endpoint");
  }
  EXPECT_EQ(backend.calls.load(), 0);
}

TEST_F(GatewayServer, MalformedRequestGets400AndTheConnectionCloses) {
  start();
  for (const char* garbage : {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                              "POST /actors/a/echo HTTP/1.1\r\nHost: t\r\nContent-Length: "
                              "1\r\nContent-Length: 2\r\n\r\nxy",
                              "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n"}) {
    SCOPED_TRACE(garbage);
    RawConnection c(gateway->port());
    ASSERT_TRUE(c.send(garbage));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_TRUE(c.closed_by_peer());
  }
  RawConnection c(gateway->port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(64 << 10, 'h') + "\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST_F(GatewayServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  RawConnection c(gateway->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(post_request("/actors/echo/echo", "ping" + std::to_string(i))));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "ping" + std::to_string(i));
    EXPECT_NE(r->header("connection"), "close");
  }
  // Pipelined: both in one write, answered in order, one of them later from another thread.
  ASSERT_TRUE(c.send(post_request("/actors/echo/later", "first") + get_request("/healthz") +
                     post_request("/actors/echo/echo", "third")));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->body, "first!");
  EXPECT_EQ(b->body, "ok\n");
  EXPECT_EQ(d->body, "third");
}

TEST_F(GatewayServer, Http10AndConnectionCloseEndTheConnection) {
  start();
  RawConnection c(gateway->port());
  ASSERT_TRUE(c.send("POST /actors/echo/echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hi");
  EXPECT_TRUE(c.closed_by_peer());

  RawConnection d(gateway->port());
  ASSERT_TRUE(d.send(post_request("/actors/echo/echo", "yo", "Connection: close\r\n")));
  r = d.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "yo");
  EXPECT_TRUE(d.closed_by_peer());
}

TEST_F(GatewayServer, ConcurrentClientsAreAllServed) {
  GatewayOptions options;
  options.threads = 2;
  start(options);
  backend.later_delay = 5ms;
  constexpr int kClients = 8;
  constexpr int kCalls = 20;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      Client client;
      for (int i = 0; i < kCalls; ++i) {
        std::string payload = std::to_string(t) + ":" + std::to_string(i);
        auto route = i % 2 ? "later" : "echo";
        auto r = client.post(url(), "echo", route, bytes(payload));
        if (!r.ok() || !r->is_ok()) continue;
        std::string expected = payload + (i % 2 ? "!" : "");
        if (std::string(r->value().begin(), r->value().end()) == expected) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), kClients * kCalls);
}

TEST_F(GatewayServer, BackendAnsweringLaterDoesNotBlockOtherRequests) {
  start();
  backend.later_delay = 1000ms;
  std::string slow_reply;
  auto began = std::chrono::steady_clock::now();
  std::thread slow([&] {
    Client client;
    auto r = client.post(url(), "echo", "later", bytes("slow"));
    if (r.ok() && r->is_ok()) slow_reply.assign(r->value().begin(), r->value().end());
  });
  std::this_thread::sleep_for(50ms);
  Client client;
  auto health = client.get(url(), "/healthz");
  auto fast = std::chrono::steady_clock::now() - began;
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200u);
  EXPECT_LT(fast, 800ms);  // not held up by the pending call
  slow.join();
  EXPECT_EQ(slow_reply, "slow!");
  EXPECT_GE(std::chrono::steady_clock::now() - began, 1000ms);
}

TEST_F(GatewayServer, SlowClientsAreCutOffAndDoNotBlockOthers) {
  GatewayOptions options;
  options.idle_timeout = 2s;
  options.header_timeout = 2s;
  start(options);
  RawConnection dribbling(gateway->port());
  ASSERT_TRUE(dribbling.send("POST /actors/echo/echo HTTP/1.1\r\nHost: t\r\n"));
  RawConnection silent(gateway->port());
  RawConnection short_body(gateway->port());
  ASSERT_TRUE(short_body.send("POST /actors/echo/echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc"));

  Client client;
  auto began = std::chrono::steady_clock::now();
  auto r = client.post(url(), "echo", "echo", bytes("meanwhile"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->is_ok());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 1500ms);  // before any idle timeout

  EXPECT_TRUE(dribbling.closed_by_peer());
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_TRUE(short_body.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 5s);
  EXPECT_EQ(backend.calls.load(), 1);
}

TEST_F(GatewayServer, MetricsAndHealth) {
  start();
  Client client;
  auto metrics = client.get(url(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200u);
  EXPECT_EQ(metrics->content_type.rfind("text/plain; version=0.0.4", 0), 0u)
      << metrics->content_type;
  EXPECT_EQ(metrics->body_text(), backend.metrics);

  auto health = client.get(url(), "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200u);
  EXPECT_EQ(health->body_text(), "ok\n");
  backend.is_healthy = false;
  health = client.get(url(), "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 503u);
}

TEST_F(GatewayServer, CallTimeoutAnswers504AndTheLateReplyIsDropped) {
  GatewayOptions options;
  options.call_timeout = 100ms;
  start(options);
  RawConnection c(gateway->port());
  ASSERT_TRUE(c.send(post_request("/actors/x/hold", "")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(r->header("x-actr-error"), "timed-out");
  ASSERT_TRUE(backend.wait_held(1));
  backend.release_held(CallResult::Ok(bytes("too late")));
  ASSERT_TRUE(c.send(post_request("/actors/echo/echo", "next")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "next");
}

TEST_F(GatewayServer, ExpectContinueGetsA100First) {
  start();
  RawConnection c(gateway->port());
  ASSERT_TRUE(
      c.send("POST /actors/echo/echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: "
             "100-continue\r\n\r\n"));
  auto interim = c.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("body"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "body");
}

TEST_F(GatewayServer, BackendExceptionBecomesInternal) {
  start();
  Client client;
  auto r = client.post(url(), "x", "throw", {});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(error_case(r->error()), "internal");
  EXPECT_NE(error_message(r->error()).find("backend exploded"), std::string::npos);
}

TEST_F(GatewayServer, AtTheConnectionLimitTheLongestIdleConnectionMakesRoom) {
  GatewayOptions options;
  options.max_connections = 2;
  start(options);
  RawConnection a(gateway->port()), b(gateway->port());
  ASSERT_TRUE(a.send(get_request("/healthz")));
  ASSERT_TRUE(a.read_response());
  ASSERT_TRUE(b.send(get_request("/healthz")));
  ASSERT_TRUE(b.read_response());
  // a and b wait for their next request (kept alive); a has waited longest.
  RawConnection c(gateway->port(), 2000ms);
  ASSERT_TRUE(c.send(get_request("/healthz")));
  EXPECT_TRUE(c.read_response());
  EXPECT_TRUE(a.closed_by_peer());
  ASSERT_TRUE(b.send(get_request("/healthz")));
  EXPECT_TRUE(b.read_response());
}

TEST_F(GatewayServer, ANewcomerIsRefusedOnlyWhenEveryConnectionIsBusy) {
  GatewayOptions options;
  options.max_connections = 2;
  start(options);
  RawConnection a(gateway->port()), b(gateway->port());
  ASSERT_TRUE(a.send(post_request("/actors/x/hold", "")));
  ASSERT_TRUE(b.send(post_request("/actors/x/hold", "")));
  ASSERT_TRUE(backend.wait_held(2));
  RawConnection c(gateway->port(), 2000ms);
  c.send(get_request("/healthz"));
  EXPECT_FALSE(c.read_response());
  backend.release_held(CallResult::Ok(bytes("done")));
  EXPECT_TRUE(a.read_response());
  EXPECT_TRUE(b.read_response());
}

// The attack: one client fills the gateway with idle connections. A call from the same
// address (loopback) is still served at once; the oldest idle connections make room.
TEST_F(GatewayServer, AFloodOfIdleConnectionsDoesNotLockOutACall) {
  GatewayOptions options;
  options.max_connections = 100;
  start(options);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 150; ++i) idle.push_back(std::make_unique<RawConnection>(gateway->port()));
  for (int round = 0; round < 3; ++round) {
    Client client;
    auto began = std::chrono::steady_clock::now();
    auto r = client.post(url(), "echo", "echo", bytes("through"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(r->is_ok());
    EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  }
}

TEST_F(GatewayServer, APerAddressLimitEvictsThatAddressesIdleConnections) {
  GatewayOptions options;
  options.max_connections_per_address = 3;
  start(options);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 3; ++i) {
    idle.push_back(std::make_unique<RawConnection>(gateway->port()));
    std::this_thread::sleep_for(20ms);  // a known order of idleness
  }
  RawConnection d(gateway->port());
  ASSERT_TRUE(d.send(get_request("/healthz")));
  EXPECT_TRUE(d.read_response());
  EXPECT_TRUE(idle[0]->closed_by_peer());
  ASSERT_TRUE(idle[2]->send(get_request("/healthz")));
  EXPECT_TRUE(idle[2]->read_response());
}

// The header timeout is absolute from the first byte: trickling bytes do not extend it.
TEST_F(GatewayServer, AHeaderThatTricklesInIsCutOffAtTheHeaderTimeout) {
  GatewayOptions options;
  options.header_timeout = 1s;
  start(options);
  RawConnection slow(gateway->port(), 5000ms);
  auto began = std::chrono::steady_clock::now();
  std::string header = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: ";
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {
    cut = !slow.send(i == 0 ? header : std::string("a"));
    std::this_thread::sleep_for(100ms);
    if (std::chrono::steady_clock::now() - began > 3s) break;
  }
  EXPECT_TRUE(slow.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3500ms);
}

TEST_F(GatewayServer, StopWithCallsInFlightNeitherCrashesNorHangs) {
  start();
  backend.later_delay = 300ms;
  std::atomic<int> finished{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      Client client(ClientOptions{10s});
      auto r = client.post(url(), "x", i < 3 ? "hold" : "later", {});
      EXPECT_FALSE(r.ok());  // the connection closes without a reply
      ++finished;
    });
  }
  ASSERT_TRUE(backend.wait_held(3));
  RawConnection idle(gateway->port());  // and one idle keep-alive connection
  std::this_thread::sleep_for(50ms);
  auto began = std::chrono::steady_clock::now();
  gateway->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  for (auto& t : clients) t.join();
  EXPECT_EQ(finished.load(), 4);
  EXPECT_TRUE(idle.closed_by_peer());
  gateway.reset();
  // Answers after the gateway is gone go nowhere.
  backend.release_held(CallResult::Ok(bytes("nobody listens")));
  backend.drain();
}

TEST_F(GatewayServer, StopDropsHeldCallbacksSafely) {
  start();
  RawConnection c(gateway->port());
  ASSERT_TRUE(c.send(post_request("/actors/x/hold", "")));
  ASSERT_TRUE(backend.wait_held(1));
  gateway->stop();
  gateway->stop();      // idempotent
  backend.drop_held();  // the session dies with the callback, after the gateway stopped
  gateway.reset();
}

TEST(GatewayStart, ReportsBadAddressesAndBusyPorts) {
  FakeBackend backend;
  GatewayOptions bad;
  bad.address = "not-an-ip";
  auto r = Gateway::start(bad, backend);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not-an-ip"), std::string::npos);

  auto first = Gateway::start({}, backend);
  ASSERT_TRUE(first.ok());
  GatewayOptions same;
  same.port = (*first)->port();
  auto second = Gateway::start(same, backend);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen"), std::string::npos);
}

TEST(GatewayClient, TransportFailuresAreErrors) {
  FakeBackend backend;
  uint16_t port;
  {
    auto g = Gateway::start({}, backend);
    ASSERT_TRUE(g.ok());
    port = (*g)->port();
  }
  Client client;
  auto r = client.post("http://127.0.0.1:" + std::to_string(port), "echo", "echo", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos) << r.error().message;

  auto bad_url = client.post("https://127.0.0.1:1", "echo", "echo", {});
  ASSERT_FALSE(bad_url.ok());
  EXPECT_NE(bad_url.error().message.find("http://"), std::string::npos);
}

TEST(GatewayClient, TimesOutAndReportsNonGatewayAnswers) {
  FakeBackend backend;
  auto g = Gateway::start({}, backend);
  ASSERT_TRUE(g.ok());
  std::string url = "http://127.0.0.1:" + std::to_string((*g)->port());
  Client quick(ClientOptions{200ms});
  auto began = std::chrono::steady_clock::now();
  auto r = quick.post(url, "x", "hold", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos) << r.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);

  auto wrong_prefix = Client().post(url + "/not-here", "echo", "echo", {});
  ASSERT_FALSE(wrong_prefix.ok());
  EXPECT_NE(wrong_prefix.error().message.find("HTTP 404"), std::string::npos)
      << wrong_prefix.error().message;
  (*g)->stop();
  backend.drop_held();
}

}  // namespace
}  // namespace actr::gateway
