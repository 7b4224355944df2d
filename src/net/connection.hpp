// Internal: one WebSocket connection to another node, either direction. Its state lives on the
// connection's strand, except the send side (see "Sending from the sender's thread" below); the
// public members are safe from any thread.
//
// Life: outbound: resolve, connect, [TLS,] WebSocket upgrade carrying this node's credential ->
// the peer's credential (101 response header, or its first frame) is verified -> open.
// Inbound: [TLS,] read the HTTP upgrade request -> verify its credential -> refuse with
// 400/401/403 and close, or accept with this node's credential -> open. Open: requests flow both
// ways, either side may refresh its credential -> closed. Closing fails every request in flight at
// once (unavailable, or permission-denied when a credential was refused); frames that break the
// protocol or the limits close the connection with a Close frame first.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/address.hpp"
#include "net/message_carrier.hpp"
#include "net/request.hpp"
#include "net/responder.hpp"
#include "net/token_bucket.hpp"
#include "net/transport_context.hpp"
#include "proto/transport.pb.h"

namespace actr::net {
class WorkerReads;
}

namespace actr::net::detail {

// The callbacks of one outbound request; exactly one of them runs, once (on_reply only after an
// ok acceptance of a call).
struct Pending {
  bool call = false;
  std::function<void(Status)> on_accepted;
  std::function<void(CallResult)> on_reply;
  bool accepted = false;
  std::chrono::steady_clock::time_point deadline{};  // with TransportOptions::request_timeout
  // On a carrier, a reliable-lane request is kept until it is answered: when the carrier dies
  // first it is sent again on another path (Connection::set_resend).
  std::optional<Request> request;
};

// Where a carried connection hands the requests it could not finish.
// `why`: what ended the connection.
using Resend = std::function<void(std::vector<std::pair<Request, Pending>>, const ActrError& why)>;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  using PlainStream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using TlsStream =
      boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

  static std::shared_ptr<Connection> outbound(std::shared_ptr<Context> ctx, Address address);
  // `socket` was accepted on `strand`.
  static std::shared_ptr<Connection> inbound(std::shared_ptr<Context> ctx, Strand strand,
                                             boost::asio::ip::tcp::socket socket);
  // Over `carrier` (a WebRTC peer connection to the node that advertises `peer_address`): both
  // ends present their credentials in the first frame, then it is open as a WebSocket one is.
  static std::shared_ptr<Connection> over(std::shared_ptr<Context> ctx,
                                          std::shared_ptr<MessageCarrier> carrier,
                                          std::string peer_address, bool inbound);
  ~Connection();

  void start();
  // True once the connection stopped taking requests (closing or closed).
  bool closed() const { return closed_flag_.load(); }
  bool open() const { return open_flag_.load(); }
  bool carried() const { return carrier_ != nullptr; }  // set before start, never changed
  PeerInfo::Path path() const { return peer_.path; }    // the same

  // Posted to the strand (the transport thread sends it), in order behind earlier sends.
  void send(Request request, Pending pending);
  // Sends from the calling thread when the connection is an open plain WebSocket and nothing sent
  // earlier is still on its way to the strand (no hop to the transport thread: the frame goes to
  // the socket here, or behind the frames already queued); true then, also when the connection
  // had closed meanwhile (`pending` failed). False, with both untouched, when it must be send().
  bool send_now(Request& request, Pending& pending);
  // Serialized Accepted/Reply frames of a Responder (`last`: the request needs no other answer);
  // from the calling thread when it can be, as send_now.
  void send_answer(std::string frame, bool last);
  // Closes at once: fails everything in flight with `reason`, no Close frame. `done` runs after.
  void abort(ActrError reason, std::function<void()> done);
  // Sends the current credential when it is newer than the one this connection presented.
  void refresh();
  // A carried connection that closes gives its unanswered reliable-lane requests to `resend`
  // (once, off the strand) instead of failing them; set before start().
  void set_resend(Resend resend) { resend_ = std::move(resend); }
  // Inbound: the connection's id in Context::admission (0 for outbound ones).
  void set_admission_id(ConnectionAdmission::Id id) { admission_id_ = id; }
  ConnectionAdmission::Id admission_id() const { return admission_id_; }

  // Raw socket mode (connection_raw.cpp), for WorkerReads: reads what arrived, on the calling
  // thread, when no one else reads the connection now; whether anything was read.
  bool worker_read();
  // Any thread: the transport thread watches the socket again (after it was parked).
  void rearm_watch();

 private:
  friend class actr::net::WorkerReads;
  // AwaitCredentials: outbound, upgraded, waiting for the peer's credential in its first frame.
  enum class Stage { Connecting, AwaitCredentials, Open, Closed };
  using UpgradeRequest = boost::beast::http::request<boost::beast::http::empty_body>;

  // `tls`: the SSL context when the connection uses TLS, else null.
  Connection(std::shared_ptr<Context> ctx, Strand strand, boost::beast::tcp_stream next,
             bool inbound, boost::asio::ssl::context* tls);
  Connection(std::shared_ptr<Context> ctx, Strand strand, bool inbound);

  // Runs `f` on the WebSocket stream, whichever kind it is.
  template <class F>
  decltype(auto) with_ws(F&& f) {
    return tls_ ? f(*tls_) : f(*plain_);
  }
  boost::asio::ip::tcp::socket& socket();
  void start_websocket();  // after TCP (and TLS): the upgrade, either side

  void start_outbound();
  void start_inbound();
  void start_carrier();
  void arm_keepalive();
  void arm_timer(std::chrono::milliseconds after, const char* what);

  // Outbound upgrade.
  void on_handshake(boost::beast::error_code ec);
  void on_upgrade_declined();
  // Inbound upgrade.
  void read_upgrade_request();
  void on_upgrade_request(boost::beast::error_code ec);
  void refuse_upgrade(boost::beast::http::status status, const std::string& reason);
  void accept_upgrade();

  // This node's credential as presented now; remembers the generation it belongs to.
  std::string own_credential();
  Result<PeerInfo> verify(std::string_view credential);
  // Verifies the peer's (initial or refreshed) credential and takes its PeerInfo; on refusal
  // closes with permission-denied and returns false.
  bool adopt_credential(std::string_view credential);
  void send_credentials();
  void open_now();  // credentials verified both ways

  void do_read();  // the next message: Beast's read, or the raw reader's
  void on_read(boost::beast::error_code ec);

  // Raw socket mode (connection_raw.cpp): an open plain WebSocket whose sends may come from any
  // thread (sender_writes). Its descriptor is taken out of Asio's reactor once the upgrade is
  // done (the accepting side's Beast accept; the connecting side's own upgrade, raw_handshake),
  // and from then on the connection frames, reads and writes it itself, so that whichever thread
  // is at hand can read it (WorkerReads) while the transport thread watches it through a one-shot
  // epoll registration (watch_fd_) that wakes it only when it is the one to read.
  bool raw_wanted() const;
  void raw_handshake(const std::string& credential, const std::string& node,
                     const std::string& listen);
  void on_raw_response(boost::beast::error_code ec, const std::string& key);
  void upgraded();   // the connecting side's upgrade is done (either way)
  bool enter_raw();  // on the strand, right after the upgrade; false: finished instead
  void arm_watch();  // the next wake-up of watch_
  void on_watch(boost::beast::error_code ec);
  void apply_watch();  // with arm_mu_ held: arms the one-shot registration with what is wanted
  void strand_read();  // the transport thread reads (on the strand)
  // With read_mu_ held: recv()s until the socket is drained and handles every whole message.
  bool read_raw();
  void parse_raw();  // with read_mu_ held: the whole frames in rbuf_
  // With read_mu_ held: the reading stops for `why`; the connection ends on the strand.
  void raw_fail(std::string why, bool protocol);
  void raw_ended(const std::string& why);  // on the strand
  void raw_pong(std::span<const uint8_t> payload);
  // With read_mu_ held, on a worker: `job` runs on the strand before anything read later.
  void hand_off(std::function<void()> job);
  // With read_mu_ held: a protocol breach, from either thread.
  void broke(const std::string& reason);
  void raw_write_loop();  // on the strand, with writing_ set
  void raw_close();       // close_path() of a raw connection
  // One whole binary message of the peer (a frame or a batch), from either path.
  void on_message(std::span<const uint8_t> bytes);
  void handle(transport::Frame& frame);
  void handle_batch(const transport::Batch& batch);
  void rate_limited();  // closes with CLOSE_RATE_LIMITED
  void on_credentials(const transport::Credentials& credentials);
  void on_request(const transport::Request& request);
  void on_accepted(const transport::Accepted& accepted);
  void on_reply(transport::Reply& reply);
  void on_close_frame(const transport::Close& close);

  void transmit(Request& request, Pending pending);
  // The frame of request `id`; empty, with `pending` failed, when it exceeds the frame limit.
  std::string request_frame(const Request& request, uint64_t id, Pending& pending) const;
  // Any thread: the sweep timer is armed, or posted to be (pending_ just got an entry).
  void want_sweep();
  void arm_sweep();  // on the strand, with sweeping_ set
  // `lane`: the channel a carrier sends it on (none: control frames).
  void enqueue(std::string bytes, std::optional<workload::PayloadType::Tag> lane = std::nullopt);
  size_t batch_limit() const;  // largest message that batches queued frames
  // With write_mu_ held and writes_ not empty: takes the next message to write. Everything queued
  // goes out as one message (one send, one wake-up of the peer); a lone frame, or one too large
  // to share a message, goes out as it is.
  std::string take_next_message();
  // Off the strand, while direct sends are allowed: writes `frame` to the socket now when nothing
  // is queued or being written, else queues it behind them (posting the writer if idle). On a
  // thread that owns a TurnEnd (a node's worker) "now" is the end of the thread's turn: the
  // frames its tasks send meanwhile go out together (flush_turn), or every kTurnBatch frames.
  // `alone`: no other call is in flight on the connection either way, so no other frame is coming
  // to share the message; it goes out at once (with any queued before it).
  void push(std::string frame, bool alone);
  // A batch of this many goes out before the turn ends: the peer starts on it while this side
  // makes the next, where whole turns would make the two sides take turns. (8 callers across two
  // one-worker nodes: 1.4x the calls/s of a write per frame with 4, 0.95x with whole turns.)
  static constexpr size_t kTurnBatch = 4;
  // At the end of a sending thread's turn (common::TurnEnd; or another thread's while it cannot):
  // writes what senders queued as one message, unless the strand's writer took it meanwhile.
  void flush_turn();
  // With write_mu_ held: writes what is queued from this thread, in messages of as many frames as
  // fit, unless the strand's writer has it; hands the rest to the strand when the socket is full
  // (the lock is then released).
  void write_queued(std::unique_lock<std::mutex>& lock);
  // With write_mu_ held, the socket free and no frame queued: one non-blocking send. What the
  // socket does not take (all of it when it would block) is written next by the strand.
  void write_direct(std::string& frame, std::unique_lock<std::mutex>& lock);
  void do_write();  // on the strand, with writing_ set
  void on_write(boost::beast::error_code ec);
  // No more writes from senders' threads; waits for one in progress (before the socket closes).
  void end_direct_writes();

  // Sends Close(code, reason), then ends the connection; in-flight requests fail with `fail_with`.
  void close_with(transport::CloseCode code, const std::string& reason, ActrError fail_with);
  void protocol_error(const std::string& reason);
  // Stops taking requests and fails everything in flight.
  void stop_taking(ActrError reason);
  void finish();  // closes the socket or carrier, deregisters, fires `disconnected`
  void close_path();
  void shutdown_send();  // the WebSocket's TCP send side; a carrier closes when the peer does
  void shutdown_after_writes();

  std::string describe() const;

  std::shared_ptr<Context> ctx_;
  Strand strand_;
  std::unique_ptr<PlainStream> plain_;  // exactly one of these two is set
  std::unique_ptr<TlsStream> tls_;
  std::shared_ptr<MessageCarrier> carrier_;  // instead of both when the path is a carrier
  Resend resend_;
  const bool inbound_;
  ConnectionAdmission::Id admission_id_ = 0;
  std::optional<Address> address_;  // outbound only
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer sweep_timer_;  // expires requests past their deadline
  // On a carrier: pings after half the idle timeout of silence, closes after all of it (what the
  // WebSocket stream does for itself).
  boost::asio::steady_timer keepalive_timer_;
  // When the peer was last heard (steady_clock ticks); set by whoever reads.
  std::atomic<std::chrono::steady_clock::rep> last_heard_{0};
  bool quiet_reported_ = false;        // carrier_->quiet() ran since the peer was last heard
  std::atomic<bool> sweeping_{false};  // the sweep timer is armed or about to be
  boost::beast::flat_buffer buffer_;
  TokenBucket bucket_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::empty_body>> parser_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::string_body>>
      response_parser_;                                      // outbound raw upgrade
  UpgradeRequest upgrade_request_;                           // inbound
  boost::beast::websocket::response_type upgrade_response_;  // outbound
  uint64_t credential_generation_ = 0;    // of the credential this connection presented
  bool full_credential_pending_ = false;  // the upgrade carried upgrade_credential()

  std::atomic<Stage> stage_{Stage::Connecting};
  std::atomic<bool> closed_flag_{false};
  std::atomic<bool> open_flag_{false};
  bool ws_up_ = false;  // WebSocket handshake done: frames may be written
  bool finished_ = false;
  bool close_after_writes_ = false;
  bool events_started_ = false;  // `connecting` or `connected` fired
  std::optional<ActrError> closed_error_;
  PeerInfo peer_;

  std::atomic<uint64_t> next_id_{0};
  std::vector<std::pair<Request, Pending>> waiting_;  // sent before the connection opened

  // Requests in flight, shared with the threads that send. Never held with write_mu_.
  std::mutex pending_mu_;
  std::unordered_map<uint64_t, Pending> pending_;  // guarded by pending_mu_
  // Open plain WebSocket, not closing: senders may send from their own thread (send_now).
  bool direct_ok_ = false;  // guarded by pending_mu_
  // Sends and answers posted to the strand and not yet queued: while there are any, later ones
  // are posted too, so that frames keep the order they were sent in.
  size_t posted_ = 0;  // guarded by pending_mu_
  // Requests of the peer not yet answered (for the choice in direct_now()).
  std::atomic<size_t> unanswered_{0};
  // Many requests in flight mean frames come faster than round trips: they then go through the
  // strand, which sends all that queued up meanwhile as one message (one send and one wake-up of
  // the peer for many frames); a sender's own write is for the few that would wait alone.
  static constexpr size_t kDirectInFlight = 16;
  // With pending_mu_ held: the next request or answer may be written from the sender's thread.
  bool direct_now() const {
    return direct_ok_ && posted_ == 0 && pending_.size() + unanswered_.load() < kDirectInFlight;
  }

  // Frames that came on a carrier before the peer's credential (see handle()).
  static constexpr size_t kMaxEarlyFrames = 256;
  std::vector<transport::Frame> early_;

  // Sending from the sender's thread: a worker that sends a request or an answer writes its frame
  // to the socket itself (one non-blocking sendmsg, framed by websocket_frame.hpp) instead of
  // waking the transport thread, when the socket's send side is free. The transport thread writes
  // whatever is queued (batched) and the rest of a direct write the socket did not take. Beast's
  // stream never writes data frames then, and WebSocket pings are replaced by Ping frames
  // (arm_keepalive), so its own writes do not interleave with these.
  std::mutex write_mu_;
  std::deque<std::string> writes_;  // guarded: serialized frames not yet written
  std::string raw_rest_;            // guarded: the unwritten rest of a direct write, framed
  bool writing_ = false;            // guarded: the strand's write is under way or posted
  int direct_fd_ = -1;              // guarded: the socket, while senders may write to it
  bool write_closed_ = false;       // guarded: closing; senders' frames are dropped
  bool flush_deferred_ = false;     // guarded: flush_turn() is due at a thread's turn end
  std::string in_flight_;  // the message being written: a frame or a Batch of them (the writer's)
  size_t in_flight_done_ = 0;  // raw mode: how much of in_flight_ (framed) the socket took

  // Raw socket mode (see raw_wanted()).
  bool raw_ = false;   // the strand's; set once by enter_raw()
  int raw_fd_ = -1;    // the socket (owned); the strand's, closed by raw_close()
  int watch_fd_ = -1;  // an epoll set of raw_fd_ alone, one-shot; owned by watch_
  std::unique_ptr<boost::asio::posix::stream_descriptor> watch_;  // watch_fd_, on the strand
  // Whether the one-shot registration is to be armed: guarded by arm_mu_ (apply_watch()).
  std::mutex arm_mu_;
  bool watch_open_ = false;                   // guarded
  bool want_out_ = false;                     // guarded: a strand write waits for room
  std::atomic<bool> parked_{false};           // workers read it (WorkerReads::park)
  std::atomic<bool> read_deferred_{false};    // the strand waits for handed-off frames first
  std::atomic<bool> read_over_{false};        // end of stream, an error, or closed: no more reads
  std::atomic<bool> worker_readable_{false};  // registered with WorkerReads, still read
  // Reading: one reader at a time, frames handled in order. Recursive: the strand may finish
  // the connection from inside a read.
  std::recursive_mutex read_mu_;
  int read_fd_ = -1;              // guarded: -1 once reading ended
  bool worker_reads_ok_ = false;  // guarded: open, registered with WorkerReads
  uint64_t reads_id_ = 0;         // guarded: the id in WorkerReads
  bool on_worker_ = false;        // guarded: the reader now is not the strand
  size_t handed_off_ = 0;         // guarded: jobs a worker posted to the strand, not yet run
  bool draining_ = false;         // guarded: after a protocol error, bytes are dropped
  bool fragmented_ = false;       // guarded: a fragmented message is under way
  std::string fragments_;         // guarded: its payload so far
  std::vector<uint8_t> rbuf_;     // guarded: bytes read, [rbegin_, rend_) not yet handled
  size_t rbegin_ = 0, rend_ = 0;  // guarded
  size_t needed_ = 0;             // guarded: bytes from rbegin_ the next frame needs
};

}  // namespace actr::net::detail
