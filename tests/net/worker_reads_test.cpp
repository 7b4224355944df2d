// Reads of open connections by the threads that wait for them (WorkerReads, the raw socket mode of
// connection_raw.cpp): a thread that polls reads and handles requests and replies itself, in
// order and each once; a thread that sleeps on the connections is woken by the frame; when the
// polling threads are busy or end, the transport thread reads again; frames other than requests
// and answers a worker reads are handled on the transport thread.
#include "net/worker_reads.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net_fixture.hpp"
#include "raw_client.hpp"

namespace actr::net::test {
namespace {

using Kind = workload::Message::Kind;

// A thread that does what a node's idle worker does with a WorkerReads: poll on every turn
// (`sleeps`: and sleep on the connections in its own io_context when a turn found nothing).
class FakeWorker {
 public:
  FakeWorker(std::shared_ptr<WorkerReads> reads, bool sleeps) : reads_(std::move(reads)) {
    thread_ = std::thread([this, sleeps] {
      id_ = std::this_thread::get_id();
      started_ = true;
      reads_->begin();
      while (!stop_) {
        if (pause_) {  // busy: guest code that computes, say
          std::this_thread::sleep_for(1ms);
          continue;
        }
        if (reads_->poll() || !sleeps) continue;
        reads_->sleep(io_);
        io_.run_one();
        reads_->woke();
        io_.restart();
      }
      reads_->end();
    });
    while (!started_) std::this_thread::yield();
  }
  ~FakeWorker() {
    stop_ = true;
    boost::asio::post(io_, [] {});
    thread_.join();
  }
  std::thread::id id() const { return id_; }
  void pause(bool on) { pause_ = on; }

 private:
  std::shared_ptr<WorkerReads> reads_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      io_.get_executor()};
  std::atomic<bool> stop_{false}, pause_{false}, started_{false};
  std::thread::id id_;
  std::thread thread_;
};

// The server records the thread each request was handled on, in arrival order.
struct Recorded {
  std::mutex mu;
  std::vector<std::string> payloads;
  std::vector<std::thread::id> threads;
};
TransportOptions recording_server(Recorded& r) {
  auto o = options("b", "node:2");
  auto echo = echo_handler();
  o.on_request = [&r, echo](const PeerInfo& peer, Request request, Responder responder) {
    {
      std::lock_guard lock(r.mu);
      r.payloads.push_back(text(request.message.payload));
      r.threads.push_back(std::this_thread::get_id());
    }
    echo(peer, std::move(request), std::move(responder));
  };
  return o;
}

// Sends `n` calls one after the other; the threads their replies ran on.
std::vector<std::thread::id> calls_in_turn(Peer& peer, int n) {
  std::vector<std::thread::id> threads;
  for (int i = 0; i < n; ++i) {
    auto promise = std::make_shared<std::promise<std::thread::id>>();
    auto future = promise->get_future();
    std::string p = std::to_string(i);
    peer.call(make_request(Kind::Call, "echo", p), [promise, p](CallResult r) {
      EXPECT_TRUE(r.is_ok() && text(r.value()) == "echo:" + p);
      promise->set_value(std::this_thread::get_id());
    });
    EXPECT_EQ(future.wait_for(5s), std::future_status::ready) << "call " << i;
    threads.push_back(future.get());
  }
  return threads;
}

TEST(NetWorkerReads, APollingThreadHandlesRequestsAndRepliesItselfInOrderAndOnce) {
  Recorded recorded;
  auto server = start(recording_server(recorded));
  auto client = start(options("a", "node:1"));
  ASSERT_TRUE(server->worker_reads() && client->worker_reads());
  auto peer = client->peer(server->listen_address()).value();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "echo", "open")).has_value());
  FakeWorker server_worker(server->worker_reads(), false);
  FakeWorker client_worker(client->worker_reads(), false);

  constexpr int kCalls = 300;
  auto reply_threads = calls_in_turn(*peer, kCalls);
  // Concurrent ones too: tells and calls from several threads, each answered once.
  std::atomic<int> answered{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto r = call_and_wait(*peer, make_request(Kind::Call, "echo", "c" + std::to_string(t)));
        if (r && r->is_ok()) answered++;
      }
    });
  }
  for (auto& s : senders) s.join();
  EXPECT_EQ(answered.load(), 400);

  size_t on_client_worker = 0;
  for (auto id : reply_threads) on_client_worker += id == client_worker.id();
  std::lock_guard lock(recorded.mu);
  size_t on_server_worker = 0;
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_EQ(recorded.payloads[i + 1], std::to_string(i)) << "request " << i << " out of order";
    on_server_worker += recorded.threads[i + 1] == server_worker.id();
  }
  // The polling threads read what came while they polled; a poller the machine does not run for
  // WorkerReads::kStale (a loaded machine, two threads spinning here) leaves the reading to the
  // transport thread meanwhile (the guard), so not every frame is theirs.
  EXPECT_GT(on_client_worker, 0u);
  EXPECT_GT(on_server_worker, 0u);
  EXPECT_GT(client->stats().worker_reads, 0u);
  EXPECT_GT(server->stats().worker_reads, 0u);
  EXPECT_EQ(client->stats().outbound_opened, 1u);
}

TEST(NetWorkerReads, AThreadSleepingOnTheConnectionsIsWokenByTheFrame) {
  Recorded recorded;
  auto server = start(recording_server(recorded));
  auto client = start(options("a", "node:1"));
  auto peer = client->peer(server->listen_address()).value();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "echo", "open")).has_value());
  FakeWorker server_worker(server->worker_reads(), true);
  FakeWorker client_worker(client->worker_reads(), true);

  std::vector<std::thread::id> threads;
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(3ms);  // both asleep by then
    auto t = calls_in_turn(*peer, 1);
    threads.push_back(t.front());
  }
  size_t on_worker = 0;
  for (auto id : threads) on_worker += id == client_worker.id();
  EXPECT_GE(on_worker, 19u);
  std::lock_guard lock(recorded.mu);
  size_t on_server_worker = 0;
  for (auto id : recorded.threads) on_server_worker += id == server_worker.id();
  EXPECT_GE(on_server_worker, 19u);
}

TEST(NetWorkerReads, WhenThePollingThreadsAreBusyOrGoneTheTransportThreadReads) {
  auto so = options("b", "node:2");
  so.on_request = echo_handler();
  auto server = start(std::move(so));
  auto client = start(options("a", "node:1"));
  auto peer = client->peer(server->listen_address()).value();
  ASSERT_TRUE(call_and_wait(*peer, make_request(Kind::Call, "echo", "open")).has_value());
  {
    FakeWorker client_worker(client->worker_reads(), false);
    calls_in_turn(*peer, 10);   // the connection is the worker's now
    client_worker.pause(true);  // computing, for as long as the calls below take
    std::this_thread::sleep_for(2ms);
    for (int i = 0; i < 10; ++i) {
      auto start = std::chrono::steady_clock::now();
      auto threads = calls_in_turn(*peer, 1);
      EXPECT_NE(threads.front(), client_worker.id());
      // The guard looks every WorkerReads::kStale: far below this, even on a loaded machine.
      EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    }
    client_worker.pause(false);
  }
  // The worker ended: the transport thread reads, at once.
  auto threads = calls_in_turn(*peer, 20);
  EXPECT_EQ(threads.size(), 20u);
}

TEST(NetWorkerReads, ControlFramesAWorkerReadsAreHandledOnTheTransportThread) {
  auto so = options("b", "node:2");
  so.on_request = echo_handler();
  auto server = start(std::move(so));
  FakeWorker server_worker(server->worker_reads(), false);
  RawClient raw(server->port());
  // A WebSocket ping is answered with a pong; a transport Ping with a Pong.
  std::atomic<bool> ponged{false};
  raw.ws.control_callback([&](boost::beast::websocket::frame_type kind, boost::beast::string_view) {
    if (kind == boost::beast::websocket::frame_type::pong) ponged = true;
  });
  raw.ws.ping({});
  transport::Frame ping;
  ping.set_version(wire::kProtocolVersion);
  ping.mutable_ping()->set_nonce(78);
  raw.write(wire::serialize(ping));
  auto pong = raw.read();
  ASSERT_TRUE(pong && pong->has_pong());
  EXPECT_EQ(pong->pong().nonce(), 78u);
  EXPECT_TRUE(ponged.load());
  // A request after them is still answered, in order.
  transport::Frame request;
  request.set_version(wire::kProtocolVersion);
  wire::to_proto(make_request(Kind::Call, "echo", "after"), 1, request.mutable_request());
  raw.write(wire::serialize(request));
  auto reply = raw.read();
  ASSERT_TRUE(reply && reply->has_reply());
  EXPECT_EQ(reply->reply().ok(), "echo:after");
}

}  // namespace
}  // namespace actr::net::test
