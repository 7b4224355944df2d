// Credentials at the WebSocket upgrade: a peer without a valid credential never gets a WebSocket
// (raw HTTP clients see 400/401/403), the accepting node presents its own credential in the 101
// response, and both ends verify each other before any request flows.
#include "net/upgrade.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "common/base64.hpp"
#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Kind = workload::Message::Kind;

struct Upgrade {
  beast::error_code ec;
  http::response<http::string_body> response;
};

// A WebSocket upgrade request written by hand, with `headers` added; the raw HTTP answer.
Upgrade raw_upgrade(uint16_t port, std::vector<std::pair<std::string, std::string>> headers) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  Upgrade out;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), out.ec);
  if (out.ec) return out;
  http::request<http::empty_body> req(http::verb::get, "/actr", 11);
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  for (const auto& [name, value] : headers) req.set(name, value);
  http::write(socket, req, out.ec);
  if (out.ec) return out;
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  http::read(socket, buffer, parser, out.ec);
  out.response = parser.release();
  return out;
}

std::string header(const http::response<http::string_body>& r, const char* name) {
  return std::string(r[name]);
}

struct CountingServer {
  std::atomic<int> handled{0};
  std::unique_ptr<Transport> transport;

  explicit CountingServer(TransportOptions o = options("b", "node:2")) {
    o.on_request = [this](const PeerInfo&, Request, Responder r) {
      handled++;
      r.reply(CallResult::Ok(bytes("ok")));
    };
    transport = start(std::move(o));
  }
  // Waits until the transport has no connection left.
  bool drained() {
    for (int i = 0; i < 200; ++i) {
      if (transport->stats().live == 0) return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }
};

TEST(NetUpgrade, MissingCredentialIsRefusedWith401) {
  CountingServer server;
  auto u = raw_upgrade(server.transport->port(), {{kNodeHeader, "nobody"}});
  ASSERT_FALSE(u.ec) << u.ec.message();
  EXPECT_EQ(u.response.result(), http::status::unauthorized);
  EXPECT_NE(u.response.body().find(kCredentialHeader), std::string::npos) << u.response.body();
  EXPECT_EQ(header(u.response, kCredentialHeader), "");  // the refusing node shows nothing
  EXPECT_TRUE(server.drained());
  EXPECT_EQ(server.handled.load(), 0);
}

TEST(NetUpgrade, CredentialThatIsNotBase64IsRefusedWith401) {
  CountingServer server;
  auto u = raw_upgrade(server.transport->port(), {{kCredentialHeader, "node:1!"}});
  ASSERT_FALSE(u.ec) << u.ec.message();
  EXPECT_EQ(u.response.result(), http::status::unauthorized);
  EXPECT_NE(u.response.body().find("base64"), std::string::npos) << u.response.body();
}

TEST(NetUpgrade, ForgedCredentialIsRefusedWith403) {
  CountingServer server;
  auto u = raw_upgrade(server.transport->port(), {{kCredentialHeader, encode_base64("forged")}});
  ASSERT_FALSE(u.ec) << u.ec.message();
  EXPECT_EQ(u.response.result(), http::status::forbidden);
  EXPECT_NE(u.response.body().find("forged credential"), std::string::npos) << u.response.body();
  EXPECT_TRUE(server.drained());
  EXPECT_EQ(server.handled.load(), 0);
}

TEST(NetUpgrade, PlainHttpRequestIsRefusedWith400) {
  CountingServer server;
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.transport->port()));
  http::request<http::empty_body> req(http::verb::get, "/actr", 11);
  req.set(http::field::host, "127.0.0.1");
  req.set(kCredentialHeader, encode_base64("node:1"));
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(socket, buffer, res, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result(), http::status::bad_request);
  EXPECT_FALSE(res.keep_alive());
}

TEST(NetUpgrade, OversizedUpgradeRequestIsRefused) {
  CountingServer server;
  std::vector<std::pair<std::string, std::string>> padding;
  for (int i = 0; i < 3; ++i)
    padding.emplace_back("X-Pad-" + std::to_string(i),
                         std::string(kMaxUpgradeHeaderBytes / 2, 'p'));
  auto u = raw_upgrade(server.transport->port(), padding);
  // 431, unless the server cut the connection before the whole request was sent.
  if (!u.ec) {
    EXPECT_EQ(u.response.result(), http::status::request_header_fields_too_large);
  }
  EXPECT_TRUE(server.drained());
  EXPECT_EQ(server.handled.load(), 0);
}

TEST(NetUpgrade, AcceptedUpgradeCarriesTheAcceptingNodesCredential) {
  CountingServer server;
  auto u = raw_upgrade(server.transport->port(), {{kCredentialHeader, encode_base64("node:5")}});
  ASSERT_FALSE(u.ec) << u.ec.message();
  EXPECT_EQ(u.response.result(), http::status::switching_protocols);
  auto credential = decode_base64(header(u.response, kCredentialHeader));
  ASSERT_TRUE(credential.ok());
  EXPECT_EQ(credential.value(), "node:2");
  EXPECT_EQ(header(u.response, kNodeHeader), "b");
  EXPECT_EQ(header(u.response, kListenHeader), server.transport->listen_address());
}

TEST(NetUpgrade, BothEndsSeeTheOthersVerifiedIdentity) {
  std::mutex m;
  std::vector<PeerInfo> client_saw;
  auto client_options = options("a", "node:1,11,12@1900000000");
  client_options.events.connected = [&](const PeerInfo& peer) {
    std::lock_guard lock(m);
    client_saw.push_back(peer);
  };
  auto server_options = options("b", "node:2,21");
  std::promise<PeerInfo> server_saw;
  server_options.on_request = [&](const PeerInfo& peer, Request, Responder r) {
    server_saw.set_value(peer);
    r.reply(CallResult::Ok({}));
  };
  auto server = start(std::move(server_options));
  auto client = start(std::move(client_options));
  auto peer = client->peer(server->listen_address()).value();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "who", ""));
  ASSERT_TRUE(r && r->is_ok());

  PeerInfo seen = server_saw.get_future().get();
  EXPECT_EQ(seen.id, actor(1, "node"));
  EXPECT_EQ(seen.actors,
            (std::vector<ActrId>{actor(1, "node"), actor(11, "node"), actor(12, "node")}));
  EXPECT_EQ(seen.expires_at, 1900000000);
  EXPECT_EQ(seen.node_id, "a");
  EXPECT_EQ(seen.listen_address, client->listen_address());
  EXPECT_TRUE(seen.inbound);

  std::lock_guard lock(m);
  ASSERT_EQ(client_saw.size(), 1u);
  EXPECT_EQ(client_saw[0].actors, (std::vector<ActrId>{actor(2, "node"), actor(21, "node")}));
  EXPECT_EQ(client_saw[0].node_id, "b");
  EXPECT_EQ(client_saw[0].listen_address, server->listen_address());
  EXPECT_FALSE(client_saw[0].inbound);
}

TEST(NetUpgrade, EveryPendingRequestOfARefusedNodeFailsWithPermissionDenied) {
  // The server judges the upgrade only once every call is pending: on a busy machine the calls
  // could otherwise straddle the refusal, and a late one would start a second attempt.
  std::promise<void> all_pending;
  std::shared_future<void> pending = all_pending.get_future().share();
  auto server_options = options("b", "node:2");
  server_options.verify = [pending,
                           verify = server_options.verify](std::span<const uint8_t> credential) {
    pending.wait_for(5s);
    return verify(credential);
  };
  CountingServer server(std::move(server_options));
  std::atomic<int> connected{0}, disconnected{0};
  auto o = options("mallory", "forged");
  o.events.connected = [&](const PeerInfo&) { connected++; };
  o.events.disconnected = [&](const PeerInfo&, const ActrError&) { disconnected++; };
  auto client = start(std::move(o));
  auto peer = client->peer(server.transport->listen_address()).value();
  constexpr int kCalls = 8;
  std::mutex m;
  std::condition_variable cv;
  std::vector<CallResult> results;
  for (int i = 0; i < kCalls; ++i) {
    peer->call(make_request(Kind::Call, "x", ""), [&](CallResult r) {
      std::lock_guard lock(m);
      results.push_back(std::move(r));
      cv.notify_all();
    });
  }
  all_pending.set_value();
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return results.size() == kCalls; }));
  for (const auto& r : results) {
    ASSERT_TRUE(r.is_err());
    ASSERT_EQ(r.error().tag(), ActrError::Tag::PermissionDenied);
    EXPECT_NE(r.error().as_permission_denied().find("403"), std::string::npos)
        << r.error().as_permission_denied();
  }
  EXPECT_EQ(server.handled.load(), 0);
  EXPECT_EQ(connected.load(), 0);
  EXPECT_EQ(client->stats().outbound_opened, 1u);  // one upgrade attempt served every request
  EXPECT_FALSE(peer->connected());
}

TEST(NetUpgrade, CredentialTooLargeForAHeaderTravelsAsTheFirstFrame) {
  // Serials padded with zeros: the same set, encoded far beyond kMaxCredentialHeaderBytes.
  std::string big = "node:2";
  for (int i = 0; i < 2000; ++i) big += ",0000" + std::to_string(100 + i);
  ASSERT_GT(encode_base64(big).size(), kMaxCredentialHeaderBytes);
  CountingServer server(options("b", big));
  std::promise<PeerInfo> client_saw;
  auto o = options("a", big);  // requests take large headers
  o.events.connected = [&](const PeerInfo& peer) { client_saw.set_value(peer); };
  auto client = start(std::move(o));
  auto peer = client->peer(server.transport->listen_address()).value();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "x", ""));
  ASSERT_TRUE(r && r->is_ok()) << (r && r->is_err() ? r->error().as_unavailable() : "");
  auto seen = client_saw.get_future().get();
  EXPECT_EQ(seen.actors.size(), 2001u);
  EXPECT_EQ(seen.id, actor(2, "node"));

  // A forged large credential is refused by the connecting side just the same.
  CountingServer forged(options("f", "forged" + std::string(8000, 'x')));
  auto refused = call_and_wait(*client->peer(forged.transport->listen_address()).value(),
                               make_request(Kind::Call, "x", ""));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->error().tag(), ActrError::Tag::PermissionDenied);
  EXPECT_EQ(forged.handled.load(), 0);
}

TEST(NetUpgrade, OwnCredentialTooLargeForTheUpgradeFailsLocally) {
  CountingServer server;
  std::string huge = "node:1";
  for (int i = 0; i < 30000; ++i) huge += ",1";
  auto client = start(options("a", huge));
  auto r = call_and_wait(*client->peer(server.transport->listen_address()).value(),
                         make_request(Kind::Call, "x", ""));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::InvalidArgument);
  EXPECT_EQ(server.handled.load(), 0);
}

TEST(NetBase64, RoundTripsAndRefusesBadInput) {
  std::vector<std::string> samples = {"",     "f",     "fo",     "foo",
                                      "foob", "fooba", "foobar", std::string("\0\xff\x10", 3)};
  for (const auto& s : samples) {
    auto encoded = encode_base64(s);
    auto decoded = decode_base64(encoded);
    ASSERT_TRUE(decoded.ok()) << encoded;
    EXPECT_EQ(decoded.value(), s);
  }
  EXPECT_EQ(encode_base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode_base64("fo"), "Zm8=");
  for (const char* bad : {"Zm8", "Zm8=Zm8=", "Z===", "Zm9v!mFy", "Zm9=", "Zm8 "})
    EXPECT_FALSE(decode_base64(bad).ok()) << bad;
}

}  // namespace
}  // namespace actr::net::test
