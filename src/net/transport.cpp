#include "net/transport.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/connection.hpp"
#include "net/connection_internal.hpp"

namespace actr::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Transport::Impl {
  using Strand = detail::Connection::Strand;

  // Declared first: destroyed last, after everything that refers to it.
  asio::io_context ioc;
  std::shared_ptr<detail::Context> ctx;
  Strand accept_strand{asio::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
      ioc.get_executor()};
  std::vector<std::thread> threads;
  std::string listen_address;
  uint16_t port = 0;
  std::unordered_map<std::string, std::shared_ptr<Peer>> peers;  // guarded by ctx->mutex
  bool joined = false;

  explicit Impl(TransportOptions options)
      : ctx(std::make_shared<detail::Context>(std::move(options), ioc)) {}

  Result<void> configure_tls() {
    namespace ssl = asio::ssl;
    const TlsOptions& tls = ctx->options.tls;
    auto failed = [](const char* what, const boost::system::error_code& ec) {
      return make_error(std::string("TLS: ") + what + ": " + ec.message());
    };
    boost::system::error_code ec;
    auto client = std::make_unique<ssl::context>(ssl::context::tls_client);
    client->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1,
                        ec);
    if (tls.trusted_ca_pem.empty())
      client->set_default_verify_paths(ec);
    else
      client->add_certificate_authority(asio::buffer(tls.trusted_ca_pem), ec);
    if (ec) return failed("trusted CA", ec);
    ctx->client_tls = std::move(client);
    if (tls.certificate_chain_pem.empty()) return {};
    auto server = std::make_unique<ssl::context>(ssl::context::tls_server);
    server->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1,
                        ec);
    server->use_certificate_chain(asio::buffer(tls.certificate_chain_pem), ec);
    if (ec) return failed("certificate chain", ec);
    server->use_private_key(asio::buffer(tls.private_key_pem), ssl::context::pem, ec);
    if (ec) return failed("private key", ec);
    ctx->server_tls = std::move(server);
    return {};
  }

  Result<void> listen(std::string_view text) {
    ACTR_TRY(Address address, parse_address(text));
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(address.host, ec);
    if (ec) {
      tcp::resolver resolver(ioc);
      auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
      if (ec || results.empty())
        return make_error("cannot resolve listen address `" + std::string(text) +
                          "`: " + ec.message());
      ip = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint(ip, address.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return make_error("cannot listen on `" + std::string(text) + "`: " + ec.message());
    auto bound = acceptor.local_endpoint(ec);
    port = bound.port();
    Address shown{bound.address().to_string(), port, address.path};
    listen_address = shown.to_string();
    return {};
  }

  void accept() {
    auto strand = asio::make_strand(ioc);
    acceptor.async_accept(strand, [this, strand](boost::system::error_code ec,
                                                 asio::basic_stream_socket<tcp, Strand> socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        boost::system::error_code ignored;
        auto remote = socket.remote_endpoint(ignored);
        std::string address = ignored ? std::string("?") : remote.address().to_string();
        std::vector<std::shared_ptr<detail::Connection>> evicted;
        std::lock_guard lock(ctx->mutex);
        if (ctx->stopped) return;
        auto decision = ctx->admission.admit(address);
        for (auto id : decision.evicted) {
          for (const auto& c : ctx->connections) {
            if (c->admission_id() == id) evicted.push_back(c);
          }
        }
        for (auto& c : evicted) {  // still in its upgrade: room for a newcomer
          c->abort(ActrError::unavailable("evicted: the listener is full and it was idle longest"),
                   nullptr);
        }
        if (!decision.admitted) {
          spdlog::warn(
              "net: refusing a connection from {}: {} connections are open and none is "
              "idle",
              address, ctx->admission.size());
        } else {
          auto c = detail::Connection::inbound(ctx, strand, tcp::socket(std::move(socket)));
          c->set_admission_id(decision.id);
          ctx->connections.insert(c);
          c->start();
        }
      } else {
        spdlog::warn("net: accept failed: {}", ec.message());
      }
      accept();
    });
  }

  void stop() {
    std::vector<std::shared_ptr<detail::Connection>> connections;
    {
      std::lock_guard lock(ctx->mutex);
      if (ctx->stopped) return;
      ctx->stopped = true;
      connections.assign(ctx->connections.begin(), ctx->connections.end());
      for (auto& [key, peer] : peers) {
        peer->connection_.reset();
        peer->carried_.reset();
      }
      peers.clear();
    }
    std::vector<std::future<void>> done;
    {
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      asio::post(accept_strand, [this, p] {
        boost::system::error_code ignored;
        acceptor.close(ignored);
        p->set_value();
      });
    }
    for (auto& c : connections) {
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      c->abort(ActrError::unavailable("the node's transport stopped"), [p] { p->set_value(); });
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (auto& f : done) f.wait_until(deadline);
    work.reset();
    ioc.stop();
    for (auto& t : threads) t.join();
    threads.clear();
    if (ctx->worker_reads) ctx->worker_reads->shutdown();
    std::lock_guard lock(ctx->mutex);
    ctx->connections.clear();
  }
};

Transport::Transport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Transport::~Transport() { stop(); }

Result<std::unique_ptr<Transport>> Transport::start(TransportOptions options,
                                                    std::string_view listen_address) {
  if (!options.verify) return make_error("TransportOptions::verify is required");
  if (options.threads == 0) options.threads = 1;
  if (const char* e = std::getenv("ACTR_NET_SENDER_WRITES"); e && std::string_view(e) == "0") {
    options.sender_writes = false;
  }
  if (const char* e = std::getenv("ACTR_NET_WORKER_READS"); e && std::string_view(e) == "0") {
    options.worker_reads = false;
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (impl->ctx->options.sender_writes && impl->ctx->options.worker_reads) {
    impl->ctx->worker_reads = std::make_shared<WorkerReads>(impl->ioc);
  }
  ACTR_TRY_VOID(impl->configure_tls());
  if (!listen_address.empty()) {
    ACTR_TRY_VOID(impl->listen(listen_address));
    impl->accept();
  }
  impl->ctx->advertised_address = impl->ctx->options.advertised_address.empty()
                                      ? impl->listen_address
                                      : impl->ctx->options.advertised_address;
  for (unsigned i = 0; i < impl->ctx->options.threads; ++i) {
    impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
  }
  return std::unique_ptr<Transport>(new Transport(std::move(impl)));
}

void Transport::stop() { impl_->stop(); }

const std::string& Transport::listen_address() const { return impl_->listen_address; }
uint16_t Transport::port() const { return impl_->port; }

void Transport::refresh_credentials() {
  std::vector<std::shared_ptr<detail::Connection>> connections;
  {
    std::lock_guard lock(impl_->ctx->mutex);
    if (impl_->ctx->stopped) return;
    impl_->ctx->credential_generation++;
    connections.assign(impl_->ctx->connections.begin(), impl_->ctx->connections.end());
  }
  for (auto& c : connections) c->refresh();
}

Result<std::shared_ptr<Peer>> Transport::peer(std::string_view address) {
  ACTR_TRY(Address parsed, parse_address(address));
  std::string key = parsed.key();
  if (parsed.tls && !impl_->ctx->client_tls) return make_error("TLS is not configured");
  std::lock_guard lock(impl_->ctx->mutex);
  if (impl_->ctx->stopped) return make_error("the transport is stopped");
  auto& slot = impl_->peers[key];
  if (!slot) slot = std::shared_ptr<Peer>(new Peer(impl_->ctx, std::move(parsed)));
  return slot;
}

Result<void> Transport::attach(std::string_view address, std::shared_ptr<MessageCarrier> carrier,
                               bool inbound) {
  ACTR_TRY(Address parsed, parse_address(address));
  std::string key = parsed.key();
  auto c = detail::Connection::over(impl_->ctx, std::move(carrier), std::string(address), inbound);
  std::shared_ptr<detail::Connection> replaced;
  {
    std::lock_guard lock(impl_->ctx->mutex);
    if (impl_->ctx->stopped) return make_error("the transport is stopped");
    auto& slot = impl_->peers[key];
    if (!slot) slot = std::shared_ptr<Peer>(new Peer(impl_->ctx, std::move(parsed)));
    replaced = std::exchange(slot->carried_, c);
    c->set_resend([peer = std::weak_ptr<Peer>(slot)](auto requests, const ActrError& why) {
      if (auto p = peer.lock()) return p->resend(std::move(requests), why);
      for (auto& [request, pending] : requests) {
        detail::fail(pending, ActrError::unavailable("the node's transport stopped"));
      }
    });
    impl_->ctx->connections.insert(c);
    impl_->ctx->carried++;
    c->start();
  }
  if (replaced) replaced->abort(ActrError::unavailable("replaced by a new WebRTC path"), nullptr);
  return {};
}

std::shared_ptr<WorkerReads> Transport::worker_reads() const { return impl_->ctx->worker_reads; }

Transport::Stats Transport::stats() const {
  Stats s;
  s.outbound_opened = impl_->ctx->opened.load();
  s.inbound_accepted = impl_->ctx->accepted.load();
  s.batches_sent = impl_->ctx->batches.load();
  s.frames_batched = impl_->ctx->batched.load();
  s.direct_writes = impl_->ctx->direct_writes.load();
  s.deferred_writes = impl_->ctx->deferred_writes.load();
  if (impl_->ctx->worker_reads) s.worker_reads = impl_->ctx->worker_reads->worker_reads();
  s.carried = impl_->ctx->carried.load();
  s.carried_requests = impl_->ctx->carried_requests.load();
  std::lock_guard lock(impl_->ctx->mutex);
  s.live = impl_->ctx->connections.size();
  for (const auto& c : impl_->ctx->connections) {
    s.live_carried += c->carried() ? 1 : 0;
    s.live_relay += c->path() == PeerInfo::Path::Relay ? 1 : 0;
  }
  return s;
}

}  // namespace actr::net
