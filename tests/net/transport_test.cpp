// Two transports in one process over loopback: calls, tells, streams, multiplexing, connection
// sharing, authentication, events, and a peer that disappears.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "net_fixture.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;

struct Pair {
  std::unique_ptr<Transport> server;
  std::unique_ptr<Transport> client;
  std::shared_ptr<Peer> peer;  // client -> server
};

Pair make_pair(RequestHandler handler, TransportOptions server_options = options("b", "node:2"),
               TransportOptions client_options = options("a", "node:1")) {
  Pair p;
  server_options.on_request = std::move(handler);
  p.server = start(std::move(server_options));
  p.client = start(std::move(client_options));
  if (p.server && p.client) p.peer = p.client->peer(p.server->listen_address()).value();
  return p;
}

TEST(NetTransport, CallRoundTrip) {
  std::promise<std::pair<PeerInfo, Request>> seen;
  auto p = make_pair([&](const PeerInfo& peer, Request request, Responder responder) {
    seen.set_value({peer, request});
    responder.reply(CallResult::Ok(bytes("hi " + text(request.message.payload))));
  });
  ASSERT_TRUE(p.peer);
  Request request = make_request(Kind::Call, "greet", "world");
  request.message.chain = {3};
  auto result = call_and_wait(*p.peer, request);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->is_ok());
  EXPECT_EQ(text(result->value()), "hi world");
  auto [peer, got] = seen.get_future().get();
  EXPECT_EQ(peer.id, actor(1, "node"));  // the client's verified credential
  EXPECT_EQ(peer.node_id, "a");
  EXPECT_TRUE(peer.inbound);
  EXPECT_EQ(got.target, request.target);
  EXPECT_EQ(got.message.route_key, "greet");
  EXPECT_EQ(got.message.caller, request.message.caller);
  EXPECT_EQ(got.message.chain, request.message.chain);
  EXPECT_EQ(got.message.request_id, request.message.request_id);
  EXPECT_FALSE(got.message.reply);
}

TEST(NetTransport, CallAcceptedThenReplied) {
  auto p = make_pair([](const PeerInfo&, Request, Responder responder) {
    responder.accept(Status::Ok());
    std::thread([responder] {
      std::this_thread::sleep_for(20ms);
      responder.reply(CallResult::Ok(bytes("later")));
    }).detach();
  });
  std::promise<Status> accepted;
  std::promise<CallResult> replied;
  std::atomic<bool> accepted_first{false};
  p.peer->call(
      make_request(Kind::Call, "slow", ""), [&](Status s) { accepted.set_value(s); },
      [&](CallResult r) {
        accepted_first = true;
        replied.set_value(r);
      });
  auto a = accepted.get_future();
  ASSERT_EQ(a.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(a.get().is_ok());
  auto r = replied.get_future();
  ASSERT_EQ(r.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(text(r.get().value()), "later");
}

TEST(NetTransport, RefusedCallGetsOnlyTheRefusal) {
  auto p = make_pair([](const PeerInfo&, Request, Responder responder) {
    responder.accept(Status::Err(ActrError::unavailable("mailbox full")));
    responder.reply(CallResult::Ok(bytes("ignored")));  // after a refusal: dropped
  });
  std::promise<Status> accepted;
  std::atomic<int> replies{0};
  p.peer->call(
      make_request(Kind::Call, "x", ""), [&](Status s) { accepted.set_value(s); },
      [&](CallResult) { replies++; });
  auto a = accepted.get_future();
  ASSERT_EQ(a.wait_for(5s), std::future_status::ready);
  auto status = a.get();
  ASSERT_TRUE(status.is_err());
  EXPECT_EQ(status.error(), ActrError::unavailable("mailbox full"));
  // A later call on the same connection still works, and no reply came for the refused one.
  auto again = call_and_wait(*p.peer, make_request(Kind::Call, "x", ""));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(replies.load(), 0);
}

TEST(NetTransport, TellIsAccepted) {
  std::promise<Request> seen;
  auto p = make_pair([&](const PeerInfo&, Request request, Responder responder) {
    EXPECT_FALSE(responder.is_call());
    seen.set_value(request);
    responder.accept(Status::Ok());
  });
  auto status = tell_and_wait(*p.peer, make_request(Kind::Tell, "note", "n1"));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->is_ok());
  auto got = seen.get_future().get();
  EXPECT_EQ(got.message.kind, Kind::Tell);
  EXPECT_EQ(text(got.message.payload), "n1");

  auto refused = make_pair([](const PeerInfo&, Request, Responder responder) {
    responder.accept(Status::Err(ActrError::not_found("no actor 1:7")));
  });
  auto s = tell_and_wait(*refused.peer, make_request(Kind::Tell, "note", ""));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->error(), ActrError::not_found("no actor 1:7"));
}

TEST(NetTransport, StreamChunksArriveInOrderIntact) {
  std::mutex m;
  std::vector<workload::DataStream> chunks;
  auto p = make_pair([&](const PeerInfo&, Request request, Responder responder) {
    std::lock_guard lock(m);
    chunks.push_back(*request.message.chunk);
    responder.accept(Status::Ok());
  });
  for (uint64_t i = 0; i < 50; ++i) {
    Request r = make_request(Kind::Stream, "", "");
    r.message.payload_type = workload::PayloadType::stream_reliable();
    r.message.chunk =
        workload::DataStream{"s1", i, bytes("chunk" + std::to_string(i)), {{"k", "v"}}, 5};
    p.peer->tell(std::move(r), [](Status s) { EXPECT_TRUE(s.is_ok()); });
  }
  auto last = tell_and_wait(*p.peer, [] {
    Request r = make_request(Kind::Stream, "", "");
    r.message.chunk = workload::DataStream{"s1", 50, {}, {}, std::nullopt};
    return r;
  }());
  ASSERT_TRUE(last.has_value());
  std::lock_guard lock(m);
  ASSERT_EQ(chunks.size(), 51u);
  for (uint64_t i = 0; i < 50; ++i) {
    EXPECT_EQ(chunks[i].sequence, i);
    EXPECT_EQ(text(chunks[i].payload), "chunk" + std::to_string(i));
    EXPECT_EQ(chunks[i].metadata.at(0).key, "k");
  }
}

TEST(NetTransport, EveryErrorCaseReachesTheCallerUnchanged) {
  std::vector<ActrError> cases = {ActrError::unavailable("u"),
                                  ActrError::timed_out(),
                                  ActrError::not_found("nf"),
                                  ActrError::permission_denied("pd"),
                                  ActrError::invalid_argument("ia"),
                                  ActrError::unknown_route("ur"),
                                  ActrError::dependency_not_found({"svc", "dnf"}),
                                  ActrError::decode_failure("df"),
                                  ActrError::not_implemented("ni"),
                                  ActrError::internal("in")};
  auto p = make_pair([&](const PeerInfo&, Request request, Responder responder) {
    size_t i = std::stoul(request.message.route_key);
    responder.reply(CallResult::Err(cases[i]));
  });
  for (size_t i = 0; i < cases.size(); ++i) {
    auto r = call_and_wait(*p.peer, make_request(Kind::Call, std::to_string(i), ""));
    ASSERT_TRUE(r.has_value());
    ASSERT_TRUE(r->is_err());
    EXPECT_EQ(r->error(), cases[i]) << "case " << i;
    // And as a refusal (Accepted frame).
  }
  auto refusals = make_pair([&](const PeerInfo&, Request request, Responder responder) {
    responder.accept(Status::Err(cases[std::stoul(request.message.route_key)]));
  });
  for (size_t i = 0; i < cases.size(); ++i) {
    auto s = tell_and_wait(*refusals.peer, make_request(Kind::Tell, std::to_string(i), ""));
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->error(), cases[i]) << "case " << i;
  }
}

TEST(NetTransport, ThousandConcurrentCallsShareOneConnection) {
  auto p = make_pair(echo_handler());
  constexpr int kCalls = 1000;
  std::mutex m;
  std::condition_variable cv;
  int done = 0, ok = 0;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int i = t; i < kCalls; i += 4) {
        p.peer->call(make_request(Kind::Call, "echo", std::to_string(i)), [&, i](CallResult r) {
          std::lock_guard lock(m);
          if (r.is_ok() && text(r.value()) == "echo:" + std::to_string(i)) ok++;
          done++;
          cv.notify_all();
        });
      }
    });
  }
  for (auto& c : callers) c.join();
  std::unique_lock lock(m);
  ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return done == kCalls; })) << done;
  EXPECT_EQ(ok, kCalls);
  EXPECT_EQ(p.client->stats().outbound_opened, 1u);
  EXPECT_EQ(p.server->stats().inbound_accepted, 1u);
}

TEST(NetTransport, PeersToOneAddressShareTheConnection) {
  auto p = make_pair(echo_handler());
  auto again = p.client->peer(p.server->listen_address());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().get(), p.peer.get());
  auto via_ws = p.client->peer("ws://" + p.server->listen_address() + "/actr");
  ASSERT_TRUE(via_ws.ok());
  EXPECT_EQ(via_ws.value().get(), p.peer.get());
  for (int i = 0; i < 20; ++i) {
    auto& peer = (i % 2) ? *p.peer : *again.value();
    auto r = call_and_wait(peer, make_request(Kind::Call, "echo", "x"));
    ASSERT_TRUE(r.has_value() && r->is_ok());
  }
  EXPECT_TRUE(p.peer->connected());
  EXPECT_EQ(p.client->stats().outbound_opened, 1u);
  EXPECT_EQ(p.server->stats().inbound_accepted, 1u);
  EXPECT_EQ(p.server->stats().live, 1u);
  EXPECT_FALSE(p.client->peer("nonsense").ok());
}

TEST(NetTransport, BothDirectionsWork) {
  auto a_options = options("a", "node:1");
  a_options.on_request = echo_handler();
  auto p = make_pair(echo_handler(), options("b", "node:2"), std::move(a_options));
  auto back = p.server->peer(p.client->listen_address());
  ASSERT_TRUE(back.ok());
  auto r1 = call_and_wait(*p.peer, make_request(Kind::Call, "echo", "ab"));
  auto r2 = call_and_wait(*back.value(), make_request(Kind::Call, "echo", "ba"));
  ASSERT_TRUE(r1 && r1->is_ok() && r2 && r2->is_ok());
  EXPECT_EQ(text(r1->value()), "echo:ab");
  EXPECT_EQ(text(r2->value()), "echo:ba");
}

TEST(NetTransport, PeerKilledFailsInFlightCallsPromptlyAndTheNextCallReconnects) {
  std::mutex m;
  std::vector<Responder> held;  // the server never answers these
  auto server_options = options("b", "node:2");
  server_options.on_request = [&](const PeerInfo&, Request, Responder responder) {
    std::lock_guard lock(m);
    held.push_back(responder);
  };
  auto server = start(std::move(server_options));
  auto client = start(options("a", "node:1"));
  std::string address = server->listen_address();
  auto peer = client->peer(address).value();

  constexpr int kCalls = 10;
  std::mutex rm;
  std::condition_variable cv;
  std::vector<CallResult> results;
  for (int i = 0; i < kCalls; ++i) {
    peer->call(make_request(Kind::Call, "hang", ""), [&](CallResult r) {
      std::lock_guard lock(rm);
      results.push_back(std::move(r));
      cv.notify_all();
    });
  }
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(m);
      if (held.size() == kCalls) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(held.size(), static_cast<size_t>(kCalls));
  auto killed_at = std::chrono::steady_clock::now();
  server->stop();
  std::unique_lock lock(rm);
  ASSERT_TRUE(cv.wait_for(lock, 2s, [&] { return results.size() == kCalls; }));
  auto took = std::chrono::steady_clock::now() - killed_at;
  lock.unlock();
  EXPECT_LT(took, 100ms) << "in-flight calls must fail promptly, not at a timeout";
  for (auto& r : results) {
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().tag(), ActrError::Tag::Unavailable);
  }
  held.clear();
  server.reset();

  // A node comes back on the same address: the next call opens a new connection.
  auto revived_options = options("b2", "node:2");
  revived_options.on_request = echo_handler();
  auto revived = start(std::move(revived_options), address);
  ASSERT_TRUE(revived);
  auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "again"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_ok());
  EXPECT_EQ(text(r->value()), "echo:again");
  EXPECT_EQ(client->stats().outbound_opened, 2u);
}

TEST(NetTransport, RequestTimeoutFailsWithTimedOutAndIgnoresTheLateAnswer) {
  std::mutex m;
  std::vector<Responder> held;
  auto server_options = options("b", "node:2");
  server_options.on_request = [&](const PeerInfo&, Request request, Responder responder) {
    if (request.message.route_key == "hang") {
      std::lock_guard lock(m);
      held.push_back(responder);
      return;
    }
    responder.reply(CallResult::Ok(bytes("fine")));
  };
  auto server = start(std::move(server_options));
  auto client_options = options("a", "node:1");
  client_options.request_timeout = 100ms;
  auto client = start(std::move(client_options));
  auto peer = client->peer(server->listen_address()).value();
  auto started = std::chrono::steady_clock::now();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "hang", ""));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error(), ActrError::timed_out());
  EXPECT_GE(took, 100ms);
  EXPECT_LT(took, 1s);
  {
    std::lock_guard lock(m);
    ASSERT_EQ(held.size(), 1u);
    held[0].reply(CallResult::Ok(bytes("late")));  // must not disturb the connection
    held.clear();
  }
  auto ok = call_and_wait(*peer, make_request(Kind::Call, "echo", ""));
  ASSERT_TRUE(ok.has_value() && ok->is_ok());
  EXPECT_EQ(text(ok->value()), "fine");
  EXPECT_EQ(client->stats().outbound_opened, 1u);
}

TEST(NetTransport, RefusedCredentialGivesPermissionDenied) {
  std::atomic<int> handled{0};
  auto p = make_pair(
      [&](const PeerInfo&, Request, Responder r) {
        handled++;
        r.reply(CallResult::Ok({}));
      },
      options("b", "node:2"), options("mallory", "forged"));
  auto r = call_and_wait(*p.peer, make_request(Kind::Call, "echo", "x"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::PermissionDenied) << r->error().as_unavailable();
  auto t = tell_and_wait(*p.peer, make_request(Kind::Tell, "echo", "x"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->error().tag(), ActrError::Tag::PermissionDenied);
  EXPECT_EQ(handled.load(), 0);
}

TEST(NetTransport, ClientRefusesAServerWithABadCredential) {
  std::atomic<int> handled{0};
  auto p = make_pair(
      [&](const PeerInfo&, Request, Responder r) {
        handled++;
        r.reply(CallResult::Ok({}));
      },
      options("impostor", "forged"), options("a", "node:1"));
  auto r = call_and_wait(*p.peer, make_request(Kind::Call, "echo", "secret"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::PermissionDenied);
  EXPECT_EQ(handled.load(), 0);  // the request never left the client
}

TEST(NetTransport, DroppedResponderAnswersInternal) {
  auto p = make_pair([](const PeerInfo&, Request, Responder) {});
  auto r = call_and_wait(*p.peer, make_request(Kind::Call, "echo", "x"));
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->is_err());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::Internal);

  auto accepted_only =
      make_pair([](const PeerInfo&, Request, Responder r) { r.accept(Status::Ok()); });
  auto r2 = call_and_wait(*accepted_only.peer, make_request(Kind::Call, "echo", "x"));
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->error().tag(), ActrError::Tag::Internal);
}

TEST(NetTransport, WithoutAHandlerRequestsAreRefused) {
  auto p = make_pair(nullptr);
  auto r = call_and_wait(*p.peer, make_request(Kind::Call, "echo", "x"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::Unavailable);
}

TEST(NetTransport, MisusedKindsAreRefusedLocally) {
  auto p = make_pair(echo_handler());
  auto r = call_and_wait(*p.peer, make_request(Kind::Tell, "echo", "x"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::InvalidArgument);
  auto t = tell_and_wait(*p.peer, make_request(Kind::Call, "echo", "x"));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->error().tag(), ActrError::Tag::InvalidArgument);
}

TEST(NetTransport, EventsFireForBothEnds) {
  std::mutex m;
  std::vector<std::string> log;
  auto record = [&](std::string side) {
    TransportEvents e;
    e.connecting = [&, side](const std::string& address) {
      std::lock_guard lock(m);
      log.push_back(side + " connecting " + (address.empty() ? "?" : "addr"));
    };
    e.connected = [&, side](const PeerInfo& peer) {
      std::lock_guard lock(m);
      log.push_back(side + " connected " + std::to_string(peer.id->serial_number));
    };
    e.disconnected = [&, side](const PeerInfo& peer, const ActrError& reason) {
      std::lock_guard lock(m);
      log.push_back(
          side + " disconnected " + (peer.id ? std::to_string(peer.id->serial_number) : "?") + " " +
          std::string(reason.tag() == ActrError::Tag::Unavailable ? "unavailable" : "other"));
    };
    return e;
  };
  auto a = options("a", "node:1");
  a.events = record("a");
  auto b = options("b", "node:2");
  b.events = record("b");
  auto p = make_pair(echo_handler(), std::move(b), std::move(a));
  ASSERT_TRUE(call_and_wait(*p.peer, make_request(Kind::Call, "echo", "x")).has_value());
  p.server->stop();
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(m);
      if (log.size() >= 5) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  std::lock_guard lock(m);
  std::multiset<std::string> got(log.begin(), log.end());
  std::multiset<std::string> want = {"a connecting addr", "a connected 2", "b connected 1",
                                     "b disconnected 1 unavailable",
                                     "a disconnected 2 unavailable"};
  EXPECT_EQ(got, want);
}

TEST(NetTransport, UnreachablePeerFailsFast) {
  auto client = start(options("a", "node:1"));
  // A port nothing listens on: bind one, learn it, and close it again.
  std::string address;
  {
    auto probe = start(options("p", "node:9"));
    address = probe->listen_address();
  }
  auto peer = client->peer(address).value();
  auto started = std::chrono::steady_clock::now();
  auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "x"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error().tag(), ActrError::Tag::Unavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST(NetTransport, ANodeWithoutAListenerIsNeverDialed) {
  auto client = start(options("a", "node:1"));
  for (const char* address : {"ws://browser-0a1b2c.invalid:9", "ws://INVALID.:9"}) {
    SCOPED_TRACE(address);
    ASSERT_TRUE(parse_address(address)->has_no_listener());
    auto peer = client->peer(address).value();
    auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "x"));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->error().tag(), ActrError::Tag::Unavailable);
    EXPECT_NE(workload::message_of(r->error()).find("without a WebSocket listener"),
              std::string::npos)
        << workload::message_of(r->error());
  }
  EXPECT_FALSE(parse_address("ws://invalid.example:9")->has_no_listener());
  EXPECT_FALSE(parse_address("ws://127.0.0.1:9")->has_no_listener());
}

TEST(NetTransport, StartValidatesItsOptions) {
  TransportOptions o;
  EXPECT_FALSE(Transport::start(o).ok());  // no verifier
  EXPECT_FALSE(Transport::start(options("a", "node:1"), "not an address").ok());
  auto t = Transport::start(options("a", "node:1"), "");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value()->listen_address(), "");
}

}  // namespace
}  // namespace actr::net::test
