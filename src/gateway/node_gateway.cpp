#include "gateway/node_gateway.hpp"

#include <spdlog/spdlog.h>

#include "runtime/node.hpp"

namespace actr::gateway {

void NodeBackend::call(std::string target, std::string route_key, std::vector<uint8_t> payload,
                       std::function<void(CallResult)> done) {
  node_.call(target, std::move(route_key), std::move(payload), std::move(done));
}

std::string NodeBackend::metrics_text() { return node_.metrics_registry().render(); }

Health NodeBackend::health() {
  auto problems = node_.health_problems();
  if (problems.empty()) return {true, "ok\n"};
  std::string text;
  for (const auto& p : problems) text += p + "\n";
  return {false, std::move(text)};
}

Result<std::unique_ptr<NodeGateway>> NodeGateway::start(runtime::Node& node) {
  const auto& config = node.config();
  GatewayOptions options;
  options.address = config.gateway.address;
  options.port = config.gateway.port;
  options.max_body_bytes = config.mailbox.max_payload_bytes;
  std::unique_ptr<NodeGateway> gateway(new NodeGateway(node));
  gateway->address_ = options.address;
  auto server = Gateway::start(options, gateway->backend_);
  if (!server) return make_error("gateway: " + server.error().message);
  gateway->server_ = std::move(*server);
  spdlog::info("gateway listening on {}", gateway->url());
  return gateway;
}

NodeGateway::~NodeGateway() { stop(); }

uint16_t NodeGateway::port() const { return server_ ? server_->port() : 0; }

std::string NodeGateway::url() const {
  bool v6 = address_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + address_ + "]" : address_) + ":" + std::to_string(port());
}

void NodeGateway::stop() {
  if (server_) server_->stop();
}

}  // namespace actr::gateway
