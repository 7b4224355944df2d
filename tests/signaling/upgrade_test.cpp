// The signaling server checks the WebSocket upgrade before accepting it: the enrollment token
// (401 without the right one) and any presented credentials (403 unless signed by this server).
// Raw HTTP clients see the status; refused clients are never registered.
#include "signaling/upgrade.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <thread>

#include "signaling/client.hpp"
#include "signaling/node_link.hpp"
#include "signaling/server/server.hpp"
#include "temp_dir.hpp"

namespace actr::signaling {
namespace {

using server::Server;
using server::ServerOptions;

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Headers = std::vector<std::pair<std::string, std::string>>;

const ActrType kEcho{"acme", "echo", "0.1.0"};

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// An HTTP request written by hand (a WebSocket upgrade unless `upgrade` is false); the answer.
http::response<http::string_body> raw_request(uint16_t port, const Headers& headers,
                                              bool upgrade = true) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::empty_body> req(http::verb::get, "/", 11);
  req.set(http::field::host, "127.0.0.1");
  if (upgrade) {
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
  }
  for (const auto& [name, value] : headers) req.set(name, value);
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::read(socket, buffer, res, ec);
  EXPECT_FALSE(ec) << ec.message();
  return res;
}

RegisterParams echo_params() {
  RegisterParams p;
  p.type = kEcho;
  p.realm = 1;
  p.advertised_address = "ws://127.0.0.1:9001";
  return p;
}

class SignalingUpgradeTest : public ::testing::Test {
 protected:
  // No token: open enrollment (asked for by name).
  std::unique_ptr<Server> start(std::string token = "", std::vector<std::string> types = {}) {
    ServerOptions o;
    o.data_dir = dir_.path();
    if (token.empty()) {
      o.enrollment.open = true;
    } else {
      o.enrollment.tokens.push_back({std::move(token), std::move(types)});
    }
    auto server = Server::start(std::move(o));
    EXPECT_TRUE(server) << server.error().message;
    return server ? std::move(*server) : nullptr;
  }
  static bool nobody_left(const Server& server) {
    return eventually([&] { return server.connection_count() == 0; }) &&
           server.live_actor_count() == 0;
  }
  testing::TempDir dir_;
};

TEST_F(SignalingUpgradeTest, EnrollmentTokenIsRequiredWhenConfigured) {
  auto server = start("s3cret-token-0123");
  auto missing = raw_request(server->port(), {});
  EXPECT_EQ(missing.result(), http::status::unauthorized);
  EXPECT_NE(missing.body().find("enrollment token"), std::string::npos) << missing.body();
  EXPECT_EQ(missing[http::field::www_authenticate], "Bearer");
  auto wrong = raw_request(server->port(), {{"Authorization", "Bearer s3cret-token-0124"}});
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  auto prefix = raw_request(server->port(), {{"Authorization", "Bearer s3cret"}});
  EXPECT_EQ(prefix.result(), http::status::unauthorized);
  auto scheme = raw_request(server->port(), {{"Authorization", "Basic s3cret-token-0123"}});
  EXPECT_EQ(scheme.result(), http::status::unauthorized);
  auto right = raw_request(server->port(), {{"Authorization", "Bearer s3cret-token-0123"}});
  EXPECT_EQ(right.result(), http::status::switching_protocols);

  // The client: refused without the token (a distinct error), registered with it.
  auto refused = Client::connect(server->listen_address());
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(ErrorCategory::Signaling, kSignalingUnauthorized));
  EXPECT_NE(refused.error().message.find("401"), std::string::npos) << refused.error().message;
  ClientOptions with_token;
  with_token.enroll_token = "s3cret-token-0123";
  auto client = Client::connect(server->listen_address(), with_token);
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE((*client)->register_actor(echo_params()));
  EXPECT_EQ(server->live_actor_count(), 1u);
  (*client)->close();
  EXPECT_TRUE(nobody_left(*server));
}

// A browser's WebSocket cannot carry headers: the token comes as a subprotocol, which the
// accepted upgrade names back (browsers refuse an upgrade that does not).
TEST_F(SignalingUpgradeTest, TheTokenMayComeAsASubprotocol) {
  auto server = start("s3cret-token-0123");
  auto right = raw_request(server->port(),
                           {{"Sec-WebSocket-Protocol", "other, actr-enroll.s3cret-token-0123"}});
  EXPECT_EQ(right.result(), http::status::switching_protocols);
  EXPECT_EQ(right[http::field::sec_websocket_protocol], "actr-enroll.s3cret-token-0123");
  auto wrong =
      raw_request(server->port(), {{"Sec-WebSocket-Protocol", "actr-enroll.s3cret-token-0124"}});
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  auto empty = raw_request(server->port(), {{"Sec-WebSocket-Protocol", "actr-enroll."}});
  EXPECT_EQ(empty.result(), http::status::unauthorized);
  EXPECT_EQ(enroll_subprotocol(" a ,actr-enroll.x1 , actr-enroll.x2"),
            std::optional<std::string>("x1"));
  EXPECT_EQ(enroll_subprotocol("chat"), std::nullopt);
}

TEST_F(SignalingUpgradeTest, OpenEnrollmentNeedsNoToken) {
  auto server = start();
  auto client = Client::connect(server->listen_address());
  ASSERT_TRUE(client) << client.error().message;
  ClientOptions extra;
  extra.enroll_token = "whatever";  // ignored by a server with open enrollment
  EXPECT_TRUE(Client::connect(server->listen_address(), extra));
}

TEST_F(SignalingUpgradeTest, AServerWithoutTokensIsClosedByDefault) {
  ServerOptions o;
  o.data_dir = dir_.path();
  auto server = Server::start(o);
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().message.find("no enrollment token"), std::string::npos)
      << server.error().message;
}

TEST_F(SignalingUpgradeTest, ATokenLimitedToTypesRegistersOnlyThose) {
  ServerOptions o;
  o.data_dir = dir_.path();
  o.enrollment.tokens.push_back({"echo-only-token-0123", {"acme/echo"}});
  o.enrollment.tokens.push_back({"any-acme-token-01234", {"acme/*"}});
  auto server = Server::start(o);
  ASSERT_TRUE(server) << server.error().message;
  auto connect = [&](std::string token) {
    ClientOptions options;
    options.enroll_token = std::move(token);
    auto client = Client::connect((*server)->listen_address(), options);
    EXPECT_TRUE(client) << client.error().message;
    return client ? std::move(*client) : nullptr;
  };
  RegisterParams greeter = echo_params();
  greeter.type = {"acme", "greeter", "0.1.0"};
  RegisterParams other = echo_params();
  other.type = {"other", "echo", "0.1.0"};

  auto echo_only = connect("echo-only-token-0123");
  ASSERT_TRUE(echo_only);
  EXPECT_TRUE(echo_only->register_actor(echo_params()));
  auto refused = echo_only->register_actor(greeter);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("may not register actors of type acme/greeter@0.1.0"),
            std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(echo_only->register_actor(other));

  auto any_acme = connect("any-acme-token-01234");
  ASSERT_TRUE(any_acme);
  EXPECT_TRUE(any_acme->register_actor(greeter));
  EXPECT_FALSE(any_acme->register_actor(other));
  EXPECT_EQ((*server)->live_actor_count(), 2u);
}

TEST_F(SignalingUpgradeTest, PresentedCredentialsMustBeSignedByThisServer) {
  auto server = start();
  // A genuine credential, expired meanwhile or not: the signature is what counts.
  std::string genuine;
  {
    auto c = std::move(*Client::connect(server->listen_address()));
    auto reg = c->register_actor(echo_params());
    ASSERT_TRUE(reg);
    genuine = reg->credential;
  }
  CredentialIssuer other = CredentialIssuer::generate();
  Credential forged_credential = other.issue({ActrId{{1}, 1, kEcho}, 4'000'000'000, 0});
  std::string forged = forged_credential.encode();

  struct Case {
    std::string header;
    http::status status;
  };
  std::vector<Case> cases = {
      {encode_base64(genuine), http::status::switching_protocols},
      {encode_base64(genuine) + ", " + encode_base64(genuine), http::status::switching_protocols},
      {encode_base64(forged), http::status::forbidden},
      {encode_base64(genuine) + "," + encode_base64(forged), http::status::forbidden},
      {"not base64!", http::status::forbidden},
      {encode_base64("garbage"), http::status::forbidden},
      {",", http::status::forbidden},
  };
  for (const auto& c : cases) {
    auto res = raw_request(server->port(), {{kCredentialHeader, c.header}});
    EXPECT_EQ(res.result(), c.status) << c.header << ": " << res.body();
  }

  ClientOptions bad;
  bad.credentials = {genuine, forged};
  auto refused = Client::connect(server->listen_address(), bad);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().is(ErrorCategory::Signaling, kSignalingForbidden));
  ClientOptions good;
  good.credentials = {genuine};
  auto client = Client::connect(server->listen_address(), good);
  ASSERT_TRUE(client) << client.error().message;
  client->reset();
  EXPECT_TRUE(nobody_left(*server));
}

TEST_F(SignalingUpgradeTest, OtherRequestsAreRefused) {
  auto server = start();
  auto plain = raw_request(server->port(), {}, /*upgrade=*/false);
  EXPECT_EQ(plain.result(), http::status::bad_request);
  Headers huge;
  for (int i = 0; i < 3; ++i)
    huge.emplace_back("X-Pad-" + std::to_string(i), std::string(kMaxUpgradeHeaderBytes / 2, 'p'));
  auto oversized = raw_request(server->port(), huge);
  EXPECT_EQ(oversized.result(), http::status::request_header_fields_too_large);
  EXPECT_TRUE(nobody_left(*server));
}

TEST_F(SignalingUpgradeTest, NodeLinkSendsTheTokenAndComesBackAfterANewSigningKey) {
  auto server = start("node-token-0123456789");
  uint16_t port = server->port();
  std::atomic<int> connected{0};
  NodeLinkHooks hooks;
  hooks.on_connected = [&] { ++connected; };
  NodeLinkOptions options;
  options.server_url = server->listen_address();
  options.client.enroll_token = "node-token-0123456789";
  options.initial_backoff = 20ms;
  options.max_backoff = 100ms;
  auto link = NodeLink::start(options, hooks);
  size_t echo = link->add_actor(echo_params());
  ASSERT_TRUE(eventually([&] { return connected == 1 && link->registration(echo); }));

  // A server that lost its state (fresh signing key) refuses the previous credentials at the
  // upgrade; the link connects again without them and registers the actor afresh.
  server.reset();
  testing::TempDir fresh;
  ServerOptions o;
  o.data_dir = fresh.path();
  o.port = port;
  o.enrollment.tokens.push_back({"node-token-0123456789", {}});
  auto replacement = Server::start(o);
  ASSERT_TRUE(replacement) << replacement.error().message;
  ASSERT_TRUE(eventually([&] { return connected == 2; }));
  ASSERT_TRUE(eventually([&] { return (*replacement)->live_actor_count() == 1; }));
  auto reg = link->registration(echo);
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->server_public_key, (*replacement)->public_key());
  link->stop();
}

TEST_F(SignalingUpgradeTest, NodeLinkWithoutTheTokenNeverRegisters) {
  auto server = start("node-token-0123456789");
  std::atomic<int> connecting{0}, connected{0};
  NodeLinkHooks hooks;
  hooks.on_connecting = [&] { ++connecting; };
  hooks.on_connected = [&] { ++connected; };
  NodeLinkOptions options;
  options.server_url = server->listen_address();
  options.initial_backoff = 10ms;
  options.max_backoff = 20ms;
  auto link = NodeLink::start(options, hooks);
  link->add_actor(echo_params());
  ASSERT_TRUE(eventually([&] { return connecting >= 3; }));
  link->stop();
  EXPECT_EQ(connected.load(), 0);
  EXPECT_EQ(server->live_actor_count(), 0u);
}

TEST(SignalingEnrollment, TokenFilesListTokensAndTheTypesTheyMayRegister) {
  auto parsed = parse_enroll_tokens(
      "# comment\n"
      "aaaaaaaaaaaaaaaa\n"
      "bbbbbbbbbbbbbbbb acme/echo  acme/greeter # two types\n"
      "\n"
      "cccccccccccccccc acme/* echo\n",
      "tokens");
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_TRUE((*parsed)[0].types.empty());
  EXPECT_EQ((*parsed)[1].types, (std::vector<std::string>{"acme/echo", "acme/greeter"}));
  ActrType echo{"acme", "echo", "0.1.0"}, greeter{"acme", "greeter", "1.0.0"},
      alien_echo{"other", "echo", "0.1.0"}, alien{"other", "thing", "0.1.0"};
  EXPECT_TRUE((*parsed)[0].admits(alien));
  EXPECT_TRUE((*parsed)[1].admits(greeter));
  EXPECT_FALSE((*parsed)[1].admits(alien_echo));
  EXPECT_TRUE((*parsed)[2].admits(greeter));
  EXPECT_TRUE((*parsed)[2].admits(alien_echo));  // a bare name: any manufacturer
  EXPECT_FALSE((*parsed)[2].admits(alien));

  auto error = [](std::string_view text) {
    auto r = parse_enroll_tokens(text, "tokens");
    return r ? std::string("accepted") : r.error().message;
  };
  EXPECT_EQ(error("short\n"), "tokens:1: an enrollment token must be at least 16 characters");
  EXPECT_EQ(error("aaaaaaaaaaaaaaaa\naaaaaaaaaaaaaaaa\n"),
            "tokens:2: the same token appears twice");
  EXPECT_EQ(error("# only a comment\n"), "tokens: no enrollment token in the file");
  EXPECT_NE(error("aaaaaaaaaaaaaaaa a/b/c\n").find("tokens:1: bad type pattern `a/b/c`"),
            std::string::npos);

  Enrollment enrollment{*parsed, false};
  EXPECT_EQ(enrollment.match("Bearer bbbbbbbbbbbbbbbb"), &enrollment.tokens[1]);
  EXPECT_EQ(enrollment.match("Bearer bbbbbbbbbbbbbbb"), nullptr);
  EXPECT_EQ(enrollment.match("bbbbbbbbbbbbbbbb"), nullptr);
}

TEST(SignalingEnrollment, TheDefaultTokenFileIsCreatedOnceWithMode0600) {
  testing::TempDir dir;
  bool created = false;
  auto path = ensure_enroll_token_file(dir.path() / "data", &created);
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_TRUE(created);
  EXPECT_EQ(std::filesystem::status(*path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto first = read_enroll_token_file(*path);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->size(), 64u);  // 32 random bytes, hex
  auto again = ensure_enroll_token_file(dir.path() / "data", &created);
  ASSERT_TRUE(again);
  EXPECT_FALSE(created);
  EXPECT_EQ(*read_enroll_token_file(*again), *first);  // kept across restarts
  testing::TempDir other;
  auto elsewhere = ensure_enroll_token_file(other.path());
  ASSERT_TRUE(elsewhere);
  EXPECT_NE(*read_enroll_token_file(*elsewhere), *first);  // random per server
}

TEST(SignalingUpgradeHelpers, ConstantTimeEqualAndTokenFiles) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("abcd", "abc"));
  EXPECT_FALSE(constant_time_equal("", "a"));

  testing::TempDir dir;
  auto file = dir.path() / "token";
  std::ofstream(file) << "  tok-0123456789abcdef\n";
  auto token = read_enroll_token_file(file);
  ASSERT_TRUE(token) << token.error().message;
  EXPECT_EQ(*token, "tok-0123456789abcdef");
  std::ofstream(file) << "\n";
  EXPECT_FALSE(read_enroll_token_file(file));
  EXPECT_FALSE(read_enroll_token_file(dir.path() / "missing"));

  auto decoded = decode_base64(encode_base64(std::string("\0\x01\xff", 3)));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, std::string("\0\x01\xff", 3));
  EXPECT_FALSE(decode_base64("abc"));
}

}  // namespace
}  // namespace actr::signaling
