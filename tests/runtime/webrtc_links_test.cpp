// WebRtcLinks on its own: which failed offers hold the next one back. A path that was tried and
// failed (no answer within the timeout) keeps new offers to that node back for retry_after; an
// offer the signaling server never relayed (the peer is not registered at that moment, e.g. just
// after a server restart) does not, so a peer that registers again a moment later is reached.
#include "runtime/network/webrtc_links.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/transport.pb.h"

namespace actr::test {
namespace {

using namespace std::chrono_literals;
using runtime::WebRtcHooks;
using runtime::WebRtcLinks;
using runtime::WebRtcSettings;

constexpr const char* kPeer = "ws://browser-5eed.invalid:9";

workload::ActrId actor(uint64_t serial) {
  workload::ActrId id;
  id.realm.realm_id = 1;
  id.serial_number = serial;
  return id;
}

// What the links hand to the signaling relay: the OFFERs, in order, and the attempts that ended.
struct Relay {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<uint64_t> offers;  // the session of each OFFER
  std::vector<std::string> failures;

  void offered(uint64_t session) {
    std::lock_guard lock(mu);
    offers.push_back(session);
    changed.notify_all();
  }
  void failed(const std::string& why) {
    std::lock_guard lock(mu);
    failures.push_back(why);
    changed.notify_all();
  }
  bool wait(size_t offers_at_least, size_t failures_at_least, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu);
    return changed.wait_for(lock, limit, [&] {
      return offers.size() >= offers_at_least && failures.size() >= failures_at_least;
    });
  }
};

class WebRtcLinksTest : public ::testing::Test {
 protected:
  // `unrelayed`: the relay refuses every signal, as a server does for an actor not registered.
  void start(bool unrelayed) {
    WebRtcSettings settings;
    settings.own_address = "ws://127.0.0.1:7999";
    settings.local_addresses = {"127.0.0.1"};
    settings.timeout = 300ms;
    settings.retry_after = 60s;  // longer than the test: a held-back offer never comes
    settings.max_frame_bytes = 1 << 20;
    WebRtcHooks hooks;
    hooks.relay = [this, unrelayed](const workload::ActrId& to, uint64_t from_serial,
                                    std::string payload) {
      transport::PeerSignal s;
      if (s.ParseFromString(payload) && s.kind() == transport::PeerSignal::OFFER) {
        relay_.offered(s.session());
      }
      if (!unrelayed) return;
      // As the node does: the answer of the server comes on another thread, after the hook.
      std::lock_guard lock(threads_mu_);
      threads_.emplace_back([this, to, from_serial] {
        links_->unrelayed(to, from_serial, "actor 1:2 is not registered (NOT_FOUND)");
      });
    };
    hooks.on_failed = [this](const workload::ActrId&, const std::string& why) {
      relay_.failed(why);
    };
    auto links = WebRtcLinks::start(std::move(settings), std::move(hooks));
    ASSERT_TRUE(links) << links.error().message;
    links_ = std::move(*links);
  }
  void TearDown() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(threads_mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    if (links_) links_->stop();
  }

  Relay relay_;
  std::mutex threads_mu_;
  std::vector<std::thread> threads_;  // the relay's answers
  std::unique_ptr<WebRtcLinks> links_;
};

TEST_F(WebRtcLinksTest, AnOfferTheServerDidNotRelayEndsAtOnceAndHoldsNothingBack) {
  start(true);
  links_->want(kPeer, actor(2), actor(1));
  ASSERT_TRUE(relay_.wait(1, 1, 10s));
  {
    std::lock_guard lock(relay_.mu);
    EXPECT_NE(relay_.failures[0].find("did not relay the offer: actor 1:2 is not registered"),
              std::string::npos)
        << relay_.failures[0];
  }
  // Nothing is under way any more, and the next traffic offers a new path at once.
  EXPECT_FALSE(links_->when_settled(kPeer, [](bool, const std::string&) {}));
  links_->want(kPeer, actor(2), actor(1));
  ASSERT_TRUE(relay_.wait(2, 2, 10s));
  std::lock_guard lock(relay_.mu);
  EXPECT_NE(relay_.offers[0], relay_.offers[1]);  // a new attempt, not the old one again
}

TEST_F(WebRtcLinksTest, AnOfferThatWasNeverAnsweredHoldsTheNextOneBack) {
  start(false);
  links_->want(kPeer, actor(2), actor(1));
  ASSERT_TRUE(relay_.wait(1, 1, 10s));  // ends after the 300 ms timeout
  {
    std::lock_guard lock(relay_.mu);
    EXPECT_NE(relay_.failures[0].find("no WebRTC path within 300 ms"), std::string::npos)
        << relay_.failures[0];
  }
  EXPECT_FALSE(links_->when_settled(kPeer, [](bool, const std::string&) {}));
  links_->want(kPeer, actor(2), actor(1));
  // Held back: no attempt is under way to wait for.
  EXPECT_FALSE(links_->when_settled(kPeer, [](bool, const std::string&) {}));
  std::lock_guard lock(relay_.mu);
  EXPECT_EQ(relay_.offers.size(), 1u);
}

TEST_F(WebRtcLinksTest, ReconnectingToTheSignalingServerForgetsTheFailedAttempts) {
  start(false);
  links_->want(kPeer, actor(2), actor(1));
  ASSERT_TRUE(relay_.wait(1, 1, 10s));
  links_->forget_failures();
  links_->want(kPeer, actor(2), actor(1));
  EXPECT_TRUE(links_->when_settled(kPeer, [](bool, const std::string&) {}));  // under way again
  ASSERT_TRUE(relay_.wait(2, 2, 10s));
}

}  // namespace
}  // namespace actr::test
