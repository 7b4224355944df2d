// The node's local HTTP gateway (off unless the node starts it):
//   POST /actors/{target}/{route-key}   body = payload; 200 application/octet-stream = reply bytes,
//                                       or an actr-error as JSON + `x-actr-error` (see
//                                       error_mapping.hpp and docs/GATEWAY.md)
//   GET  /metrics                       Backend::metrics_text(), Prometheus text format 0.0.4
//   GET  /healthz                       200 "ok" or 503 with the reasons (Backend::health())
// HTTP/1.1 with keep-alive, served by asynchronous sessions on the gateway's own io_context.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actr/common/result.hpp"
#include "gateway/backend.hpp"

namespace actr::gateway {

struct GatewayOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, see Gateway::port()
  size_t max_body_bytes = 1 << 20;
  size_t max_header_bytes = 16 << 10;
  // Bounds waiting for the next request on a kept-alive connection, reading one request body, and
  // writing one reply; a client slower than that is disconnected.
  std::chrono::seconds idle_timeout{60};
  // A new connection must send its first byte within it, and every request header must be
  // complete within it of its first byte (not reset per byte, unlike nginx's
  // client_header_timeout): a client that dribbles a header is cut off.
  std::chrono::milliseconds header_timeout{10'000};
  // How long a call may wait for the backend before the gateway answers 504 timed-out itself;
  // zero leaves timing out to the node.
  std::chrono::milliseconds call_timeout{0};
  // Connections open at once, in all and from one client address. At a limit the connection idle
  // longest (waiting for a request) is closed to make room; a newcomer is refused only when every
  // connection is serving a request (common/connection_admission.hpp).
  size_t max_connections = 1024;
  size_t max_connections_per_address = 256;
  unsigned threads = 1;  // I/O threads
};

namespace detail {
struct ServerState;
}

class Gateway {
 public:
  // Binds, listens and starts serving. `backend` must outlive the Gateway.
  static Result<std::unique_ptr<Gateway>> start(GatewayOptions options, Backend& backend);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  uint16_t port() const { return port_; }

  // Stops accepting, closes every connection (calls still waiting for the backend are answered
  // to nobody) and joins the I/O threads. Idempotent; never call it from a Backend callback on
  // a gateway thread.
  void stop();

 private:
  Gateway(std::shared_ptr<detail::ServerState> state, uint16_t port);

  std::shared_ptr<detail::ServerState> state_;
  std::vector<std::thread> threads_;
  uint16_t port_;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace actr::gateway
