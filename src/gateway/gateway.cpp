#include "gateway/gateway.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <exception>

#include "gateway/http_session.hpp"
#include "gateway/server_state.hpp"

namespace actr::gateway {

namespace net = boost::asio;
using tcp = boost::asio::ip::tcp;

namespace detail {

namespace {
// How long stop() waits for connections to wind down before it stops the io_context outright.
constexpr std::chrono::seconds kStopGrace{5};
}  // namespace

ServerState::ServerState(GatewayOptions opts, Backend& b)
    : options(std::move(opts)),
      backend(b),
      work(ioc.get_executor()),
      accept_strand(ioc.get_executor()),
      acceptor(accept_strand),
      accept_retry(accept_strand),
      admission({options.max_connections, options.max_connections_per_address}) {}

void ServerState::accept() {
  acceptor.async_accept(
      net::make_strand(ioc),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
}

void ServerState::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // E.g. out of file descriptors: try again shortly instead of spinning.
    accept_retry.expires_after(std::chrono::milliseconds(50));
    accept_retry.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto remote = socket.remote_endpoint(ignored);
  std::string address = ignored ? std::string("?") : remote.address().to_string();
  std::shared_ptr<HttpSession> session;
  std::vector<std::shared_ptr<HttpSession>> evicted;
  {
    std::lock_guard lock(mu);
    if (stopped) return;
    auto decision = admission.admit(address);
    for (auto id : decision.evicted) {
      auto it = sessions.find(id);
      if (it == sessions.end()) continue;
      if (auto s = it->second.lock()) evicted.push_back(std::move(s));
    }
    if (decision.admitted) {
      session = std::make_shared<HttpSession>(shared_from_this(), std::move(socket), decision.id);
      sessions.emplace(decision.id, session);
    }
  }
  for (auto& s : evicted) s->close();  // idle longest: room for a client with a request
  if (session) session->start();       // else `socket` closes here: every connection is busy
  accept();
}

}  // namespace detail

Gateway::Gateway(std::shared_ptr<detail::ServerState> state, uint16_t port)
    : state_(std::move(state)), port_(port) {}

Result<std::unique_ptr<Gateway>> Gateway::start(GatewayOptions options, Backend& backend) {
  boost::system::error_code ec;
  auto address = net::ip::make_address(options.address, ec);
  if (ec) return make_error("gateway: bad listen address '" + options.address + "'");
  if (options.threads == 0) options.threads = 1;
  std::string where = options.address + ":" + std::to_string(options.port);
  unsigned threads = options.threads;
  auto state = std::make_shared<detail::ServerState>(std::move(options), backend);
  tcp::endpoint endpoint(address, state->options.port);
  auto& acceptor = state->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return make_error("gateway: cannot listen on " + where + ": " + ec.message());
  uint16_t port = acceptor.local_endpoint(ec).port();
  if (ec) return make_error("gateway: " + ec.message());

  std::unique_ptr<Gateway> gateway(new Gateway(state, port));
  state->accept();
  state->running_threads = threads;
  for (unsigned i = 0; i < threads; ++i) {
    gateway->threads_.emplace_back([state] {
      for (;;) {
        try {
          state->ioc.run();
          break;
        } catch (const std::exception&) {
          // A handler threw (e.g. bad_alloc); the session it served is gone, keep serving.
        }
      }
      {
        std::lock_guard lock(state->threads_mu);
        --state->running_threads;
      }
      state->threads_cv.notify_all();
    });
  }
  return gateway;
}

void Gateway::stop() {
  std::lock_guard stop_lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  std::vector<std::weak_ptr<detail::HttpSession>> sessions;
  {
    std::lock_guard lock(state_->mu);
    state_->stopped = true;
    for (auto& [id, session] : state_->sessions) sessions.push_back(session);
  }
  net::post(state_->accept_strand, [state = state_] {
    boost::system::error_code ignored;
    state->acceptor.close(ignored);
    state->accept_retry.cancel();
  });
  for (auto& weak : sessions)
    if (auto session = weak.lock()) session->close();
  // Sessions waiting for the backend hold no pending operation, so once the connections are
  // closed and the guard is gone, run() returns.
  state_->work.reset();
  {
    std::unique_lock lock(state_->threads_mu);
    if (!state_->threads_cv.wait_for(lock, detail::kStopGrace,
                                     [&] { return state_->running_threads == 0; }))
      state_->ioc.stop();
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
}

Gateway::~Gateway() { stop(); }

}  // namespace actr::gateway
