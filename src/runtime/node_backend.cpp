#include "runtime/node_backend.hpp"

#include "runtime/node.hpp"

namespace actr::runtime {

void NodeBackend::call(std::string target, std::string route_key, std::vector<uint8_t> payload,
                       std::function<void(gateway::CallResult)> done) {
  node_.call(target, std::move(route_key), std::move(payload), std::move(done));
}

std::string NodeBackend::metrics_text() { return node_.metrics_registry().render(); }

gateway::Health NodeBackend::health() {
  auto problems = node_.health_problems();
  if (problems.empty()) return {true, "ok\n"};
  std::string text;
  for (const auto& p : problems) text += p + "\n";
  return {false, std::move(text)};
}

}  // namespace actr::runtime
