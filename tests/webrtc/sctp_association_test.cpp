// Data channels on SCTP between two associations of this process, their packets handed to each
// other through the loop (as DTLS would carry them): the association comes up, channels open
// from either end with their reliability, messages of every size and kind cross, junk is dropped.
#include "webrtc/sctp_association.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/waiter.hpp"
#include "webrtc/glib_loop.hpp"

namespace actr::webrtc {
namespace {

using namespace std::chrono_literals;

std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Message {
  uint16_t stream;
  std::string text;
  bool binary;
};

struct Seen : actr::test::Waiter {
  bool open = false;
  std::string closed;
  std::vector<Channel> channels;
  std::vector<Message> messages;
};

struct Pair {
  GlibLoop loop;
  Seen a_seen, b_seen;
  std::unique_ptr<SctpAssociation> a, b;  // a: the DTLS client
  std::atomic<bool> closing{false};

  SctpEvents events(Seen& seen, std::unique_ptr<SctpAssociation>* peer) {
    SctpEvents e;
    e.send_packet = [this, peer](std::span<const uint8_t> p) {
      loop.post([this, peer, packet = std::vector<uint8_t>(p.begin(), p.end())] {
        if (!closing && *peer) (*peer)->receive_packet(packet);
      });
    };
    e.on_open = [&seen] { seen.update([&] { seen.open = true; }); };
    e.on_channel = [&seen](const Channel& c) { seen.update([&] { seen.channels.push_back(c); }); };
    e.on_message = [&seen](uint16_t stream, std::span<const uint8_t> m, bool binary) {
      seen.update([&] {
        seen.messages.push_back({stream, std::string(m.begin(), m.end()), binary});
      });
    };
    e.on_closed = [&seen](std::string why) { seen.update([&] { seen.closed = why; }); };
    return e;
  }
  void start() {
    auto ca = SctpAssociation::create(loop, true, events(a_seen, &b));
    auto cb = SctpAssociation::create(loop, false, events(b_seen, &a));
    ASSERT_TRUE(ca) << ca.error().message;
    ASSERT_TRUE(cb) << cb.error().message;
    // Published on the loop: packets delivered there read `a` and `b`.
    loop.run_sync([&] {
      a = std::move(*ca);
      b = std::move(*cb);
    });
    auto started_a = a->start();
    auto started_b = b->start();
    ASSERT_TRUE(started_a) << started_a.error().message;
    ASSERT_TRUE(started_b) << started_b.error().message;
    ASSERT_TRUE(a_seen.wait([&] { return a_seen.open; }));
    ASSERT_TRUE(b_seen.wait([&] { return b_seen.open; }));
  }
  ~Pair() {
    closing = true;
    loop.run_sync([&] {
      a.reset();
      b.reset();
    });
  }
};

TEST(SctpAssociation, ChannelsOpenFromBothEndsAndCarryMessages) {
  Pair p;
  p.start();
  auto rpc = p.a->open_channel("rpc-reliable", {});
  ASSERT_TRUE(rpc) << rpc.error().message;
  EXPECT_EQ(*rpc % 2, 0) << "the DTLS client opens even streams";
  ASSERT_TRUE(p.a->send(*rpc, bytes("hello")));
  ASSERT_TRUE(p.b_seen.wait([&] { return !p.b_seen.messages.empty(); }));
  {
    std::lock_guard lock(p.b_seen.mutex());
    ASSERT_EQ(p.b_seen.channels.size(), 1u);
    EXPECT_EQ(p.b_seen.channels[0].label, "rpc-reliable");
    EXPECT_TRUE(p.b_seen.channels[0].reliability.ordered);
    EXPECT_FALSE(p.b_seen.channels[0].reliability.max_retransmits);
    EXPECT_EQ(p.b_seen.messages[0].stream, *rpc);
    EXPECT_EQ(p.b_seen.messages[0].text, "hello");
    EXPECT_TRUE(p.b_seen.messages[0].binary);
  }
  // The other end answers on the channel it was given.
  ASSERT_TRUE(p.b->send(*rpc, bytes("world"), /*binary=*/false));
  ASSERT_TRUE(p.a_seen.wait([&] { return !p.a_seen.messages.empty(); }));
  EXPECT_EQ(p.a_seen.messages[0].text, "world");
  EXPECT_FALSE(p.a_seen.messages[0].binary);

  // A latency-first channel from the server side: odd stream, unordered, 2 retransmissions.
  auto fast = p.b->open_channel("stream-latency-first", {false, 2}, "actr");
  ASSERT_TRUE(fast);
  EXPECT_EQ(*fast % 2, 1);
  ASSERT_TRUE(p.b->send(*fast, {}));  // an empty message
  ASSERT_TRUE(p.a_seen.wait([&] { return p.a_seen.messages.size() == 2; }));
  {
    std::lock_guard lock(p.a_seen.mutex());
    ASSERT_EQ(p.a_seen.channels.size(), 1u);
    EXPECT_EQ(p.a_seen.channels[0].label, "stream-latency-first");
    EXPECT_EQ(p.a_seen.channels[0].protocol, "actr");
    EXPECT_FALSE(p.a_seen.channels[0].reliability.ordered);
    EXPECT_EQ(p.a_seen.channels[0].reliability.max_retransmits, std::optional<uint32_t>(2));
    EXPECT_EQ(p.a_seen.messages[1].stream, *fast);
    EXPECT_EQ(p.a_seen.messages[1].text, "");
  }
}

TEST(SctpAssociation, BigMessagesArriveWholeAndInOrder) {
  Pair p;
  p.start();
  auto ch = p.a->open_channel("stream-reliable", {});
  ASSERT_TRUE(ch);
  std::vector<std::string> sent;
  for (int i = 0; i < 20; ++i) {
    std::string m(1000 + i * 5000, static_cast<char>('a' + i));  // up to ~96 KB
    sent.push_back(m);
    Result<void> r = p.a->send(*ch, bytes(m));
    while (!r && r.error().message.find("full") != std::string::npos) {
      std::this_thread::sleep_for(1ms);  // the send buffer drains as the peer acknowledges
      r = p.a->send(*ch, bytes(m));
    }
    ASSERT_TRUE(r) << r.error().message;
  }
  ASSERT_TRUE(p.b_seen.wait([&] { return p.b_seen.messages.size() == sent.size(); }));
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(p.b_seen.messages[i].text, sent[i]) << i;
  std::string huge(300 * 1024, 'x');
  EXPECT_FALSE(p.a->send(*ch, bytes(huge))) << "over the 256 KiB message limit";
}

TEST(SctpAssociation, RefusesWhatItCannotCarryAndDropsJunk) {
  Pair p;
  p.start();
  EXPECT_FALSE(p.a->send(7, bytes("no channel")));
  std::string junk(64, '\x5a');
  p.b->receive_packet(bytes(junk));  // not an SCTP packet of this association
  p.b->receive_packet({});
  auto ch = p.a->open_channel("rpc-signal", {});
  ASSERT_TRUE(ch);
  ASSERT_TRUE(p.a->send(*ch, bytes("still fine")));
  ASSERT_TRUE(p.b_seen.wait([&] { return !p.b_seen.messages.empty(); }));
  EXPECT_EQ(p.b_seen.messages[0].text, "still fine");
  EXPECT_TRUE(p.b_seen.closed.empty());
}

}  // namespace
}  // namespace actr::webrtc
