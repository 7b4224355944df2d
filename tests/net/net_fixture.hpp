// Shared helpers of the transport tests: transports over loopback with a test credential scheme,
// requests, and waiting for callbacks.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "net/transport.hpp"

namespace actr::net::test {

using namespace std::chrono_literals;

inline ActrId actor(uint64_t serial, std::string name = "echo") {
  ActrId id;
  id.realm.realm_id = 1;
  id.serial_number = serial;
  id.type = {"acme", std::move(name), "0.1.0"};
  return id;
}

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

inline Request make_request(workload::Message::Kind kind, std::string route, std::string payload,
                            uint64_t target = 7) {
  Request r;
  r.target = actor(target);
  r.message.kind = kind;
  r.message.route_key = std::move(route);
  r.message.payload = bytes(payload);
  r.message.request_id = "test-" + r.message.route_key;
  r.message.caller = actor(3, "caller");
  return r;
}

// Credentials are the text "node:<serial>[,<serial>...][@<expires_at>]": a set of actors (the
// first is the id) and their expiry; anything else is refused.
inline Verifier test_verifier() {
  return [](std::span<const uint8_t> credential) -> Result<PeerInfo> {
    std::string c(credential.begin(), credential.end());
    if (!c.starts_with("node:") || c.size() == 5)
      return make_error("forged credential `" + c + "`");
    PeerInfo info;
    std::string list = c.substr(5);
    if (size_t at = list.find('@'); at != std::string::npos) {
      info.expires_at = std::stoll(list.substr(at + 1));
      list.resize(at);
    }
    for (size_t start = 0; start <= list.size();) {
      size_t comma = std::min(list.find(',', start), list.size());
      info.actors.push_back(actor(std::stoull(list.substr(start, comma - start)), "node"));
      start = comma + 1;
    }
    info.id = info.actors.front();
    return info;
  };
}

inline TransportOptions options(std::string node, std::string credential) {
  TransportOptions o;
  o.node_id = std::move(node);
  o.credential = [credential] { return bytes(credential); };
  o.verify = test_verifier();
  return o;
}

// A handler that answers every call with "echo:<payload>" and accepts every tell.
inline RequestHandler echo_handler() {
  return [](const PeerInfo&, Request request, Responder responder) {
    if (responder.is_call()) {
      responder.reply(CallResult::Ok(bytes("echo:" + text(request.message.payload))));
    } else {
      responder.accept(Status::Ok());
    }
  };
}

inline std::unique_ptr<Transport> start(TransportOptions o,
                                        std::string_view listen = "127.0.0.1:0") {
  auto t = Transport::start(std::move(o), listen);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? std::move(t).value() : nullptr;
}

// Blocks for a call's outcome (at most `timeout`).
inline std::optional<CallResult> call_and_wait(Peer& peer, Request request,
                                               std::chrono::milliseconds timeout = 5s) {
  auto promise = std::make_shared<std::promise<CallResult>>();
  auto future = promise->get_future();
  peer.call(std::move(request), [promise](CallResult r) { promise->set_value(std::move(r)); });
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

inline std::optional<Status> tell_and_wait(Peer& peer, Request request,
                                           std::chrono::milliseconds timeout = 5s) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto future = promise->get_future();
  peer.tell(std::move(request), [promise](Status s) { promise->set_value(std::move(s)); });
  if (future.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return future.get();
}

}  // namespace actr::net::test
