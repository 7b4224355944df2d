// A node as the HTTP gateway's backend (calls by target, Prometheus metrics, health), and the
// gateway the CLI starts in front of a node with the node's [gateway] settings. The gateway is a
// layer above the runtime: the node does not know it is served over HTTP.
#pragma once

#include <cstdint>
#include <memory>

#include "gateway/backend.hpp"
#include "gateway/gateway.hpp"

namespace actr::runtime {
class Node;
}

namespace actr::gateway {

class NodeBackend final : public Backend {
 public:
  explicit NodeBackend(runtime::Node& node) : node_(node) {}
  void call(std::string target, std::string route_key, std::vector<uint8_t> payload,
            std::function<void(CallResult)> done) override;
  std::string metrics_text() override;
  Health health() override;

 private:
  runtime::Node& node_;
};

class NodeGateway {
 public:
  // Serves `node` at its [gateway] address and port (port 0: any free port). The node must be
  // started; it must outlive the gateway.
  static Result<std::unique_ptr<NodeGateway>> start(runtime::Node& node);
  ~NodeGateway();

  uint16_t port() const;
  // "http://ADDRESS:PORT".
  std::string url() const;
  // Stops accepting and closes connections; calls in flight are answered. Idempotent.
  void stop();

 private:
  explicit NodeGateway(runtime::Node& node) : backend_(node) {}
  NodeBackend backend_;
  std::string address_;
  std::unique_ptr<Gateway> server_;
};

}  // namespace actr::gateway
