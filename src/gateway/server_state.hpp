// Internal: what the gateway's sessions share. Sessions hold it by shared_ptr, so the io_context
// outlives every socket, even a session kept alive by a backend callback after Gateway::stop().
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "common/connection_admission.hpp"
#include "gateway/backend.hpp"
#include "gateway/gateway.hpp"

namespace actr::gateway::detail {

class HttpSession;

struct ServerState : std::enable_shared_from_this<ServerState> {
  ServerState(GatewayOptions options, Backend& backend);

  void accept();

  const GatewayOptions options;
  Backend& backend;
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  boost::asio::strand<boost::asio::io_context::executor_type> accept_strand;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer accept_retry;

  // Who may connect; session ids are its ids.
  ConnectionAdmission admission;

  // Guards `stopped` and `sessions`. Once `stopped` is set nothing new is posted to `ioc`.
  std::mutex mu;
  bool stopped = false;
  std::map<uint64_t, std::weak_ptr<HttpSession>> sessions;

  // I/O threads still inside ioc.run(), for the bounded wait in Gateway::stop().
  std::mutex threads_mu;
  std::condition_variable threads_cv;
  unsigned running_threads = 0;

 private:
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
};

}  // namespace actr::gateway::detail
