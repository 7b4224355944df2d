// The node as the HTTP gateway's backend: calls by target, Prometheus metrics, health.
#pragma once

#include "gateway/backend.hpp"

namespace actr::runtime {

class Node;

class NodeBackend final : public gateway::Backend {
 public:
  explicit NodeBackend(Node& node) : node_(node) {}
  void call(std::string target, std::string route_key, std::vector<uint8_t> payload,
            std::function<void(gateway::CallResult)> done) override;
  std::string metrics_text() override;
  gateway::Health health() override;

 private:
  Node& node_;
};

}  // namespace actr::runtime
