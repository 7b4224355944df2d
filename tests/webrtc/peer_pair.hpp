// Two webrtc::PeerConnections of one process brought up by offer and answer, with what their
// events reported: shared by the peer-connection and TURN tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/waiter.hpp"
#include "webrtc/peer_connection.hpp"

namespace actr::webrtc::test {

struct PeerSeen : actr::test::Waiter {
  std::string description, closed;
  PeerState state = PeerState::New;
  std::optional<bool> relayed;
  std::vector<Channel> channels;
  std::vector<std::pair<uint16_t, std::string>> messages;
  std::vector<std::string> candidates;  // trickled, "" last

  PeerEvents events() {
    PeerEvents e;
    e.on_description = [this](std::string d) { update([&] { description = d; }); };
    e.on_candidate = [this](std::string c) { update([&] { candidates.push_back(c); }); };
    e.on_state = [this](PeerState s) { update([&] { state = s; }); };
    e.on_selected_pair = [this](bool r) { update([&] { relayed = r; }); };
    e.on_channel = [this](const Channel& c) { update([&] { channels.push_back(c); }); };
    e.on_message = [this](uint16_t s, std::span<const uint8_t> m, bool) {
      update([&] { messages.emplace_back(s, std::string(m.begin(), m.end())); });
    };
    e.on_closed = [this](std::string why) { update([&] { closed = why; }); };
    return e;
  }
  bool connected_or_closed() {
    return wait([&] { return state == PeerState::Connected || !closed.empty(); });
  }
};

inline std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Offer, answer and both descriptions delivered; `rewrite_answer` may change the answer on its
// way (a man in the middle). With trickle options, the candidates each side trickled follow its
// description once its gathering is done. Returns false (with a gtest failure) when a step does
// not happen.
struct PeerPair {
  PeerSeen offerer_seen, answerer_seen;
  std::unique_ptr<PeerConnection> offerer, answerer;

  ::testing::AssertionResult exchange(GlibLoop& loop, PeerOptions offer, PeerOptions answer,
                                      std::function<std::string(std::string)> rewrite_answer = {}) {
    offer.offerer = true;
    answer.offerer = false;
    auto o = PeerConnection::create(loop, std::move(offer), offerer_seen.events());
    auto a = PeerConnection::create(loop, std::move(answer), answerer_seen.events());
    if (!o) return ::testing::AssertionFailure() << o.error().message;
    if (!a) return ::testing::AssertionFailure() << a.error().message;
    offerer = std::move(*o);
    answerer = std::move(*a);
    if (auto r = offerer->start(); !r) return ::testing::AssertionFailure() << r.error().message;
    if (!offerer_seen.wait([&] { return !offerer_seen.description.empty(); })) {
      return ::testing::AssertionFailure() << "no offer";
    }
    if (auto r = answerer->set_remote_description(offerer_seen.description); !r) {
      return ::testing::AssertionFailure() << r.error().message;
    }
    if (auto r = answerer->start(); !r) return ::testing::AssertionFailure() << r.error().message;
    if (!answerer_seen.wait([&] { return !answerer_seen.description.empty(); })) {
      return ::testing::AssertionFailure() << "no answer";
    }
    std::string answer_text = answerer_seen.description;
    if (rewrite_answer) answer_text = rewrite_answer(answer_text);
    if (auto r = offerer->set_remote_description(answer_text); !r) {
      return ::testing::AssertionFailure() << r.error().message;
    }
    for (auto [from, to] :
         {std::pair{&offerer_seen, answerer.get()}, std::pair{&answerer_seen, offerer.get()}}) {
      if (!trickled(*from)) continue;
      if (!from->wait(
              [&] { return !from->candidates.empty() && from->candidates.back().empty(); })) {
        return ::testing::AssertionFailure() << "gathering did not end";
      }
      for (const std::string& c : from->candidates) {
        if (auto r = to->add_remote_candidate(c); !r) {
          return ::testing::AssertionFailure() << r.error().message;
        }
      }
    }
    return ::testing::AssertionSuccess();
  }

  static bool trickled(PeerSeen& seen) {
    std::lock_guard lock(seen.mutex());
    return seen.description.find("a=end-of-candidates") == std::string::npos;
  }
};

}  // namespace actr::webrtc::test
