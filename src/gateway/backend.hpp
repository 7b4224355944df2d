// What the gateway needs from the node: routing one call, the metrics text and a health bit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "actr_wit_runtime.hpp"
#include "actr_workload_guest_types.hpp"

namespace actr::gateway {

using CallResult = actr::wit::Result<std::vector<uint8_t>, actr::workload::types::ActrError>;

// GET /healthz: 200 with `text` when ok, 503 with `text` otherwise (one line per problem, e.g.
// each failed actor with its reason).
struct Health {
  bool ok = false;
  std::string text;
};

// Implemented by the node. Every method may be called from the gateway's I/O thread(s), so
// implementations must be thread-safe and must not block for long: call() hands the work off and
// answers through `done`.
class Backend {
 public:
  virtual ~Backend() = default;
  // Route one call. `target` is what the client wrote: an actor type name (`echo`, `acme/echo`)
  // or an actor id; the node interprets it. `done` is called exactly once, from any thread
  // (possibly before call() returns); it may outlive the Gateway, and then does nothing.
  virtual void call(std::string target, std::string route_key, std::vector<uint8_t> payload,
                    std::function<void(CallResult)> done) = 0;
  // Prometheus text exposition (format 0.0.4).
  virtual std::string metrics_text() = 0;
  virtual Health health() = 0;
};

}  // namespace actr::gateway
