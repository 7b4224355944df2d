#include "runtime/metrics/node_metrics.hpp"

namespace actr::runtime::metrics {

Result<NodeMetrics> NodeMetrics::create(Registry& registry) {
  NodeMetrics m;
  ACTR_TRY(m.dispatches, registry.counter("actr_dispatches_total", "Calls dispatched to actors."));
  ACTR_TRY(m.dispatch_errors,
           registry.counter("actr_dispatch_errors_total",
                            "Dispatches that ended in an actr-error, by error case."));
  ACTR_TRY(m.dispatch_duration, registry.histogram("actr_dispatch_duration_seconds",
                                                   "Time from dispatch to reply, in seconds."));
  ACTR_TRY(m.mailbox_depth,
           registry.gauge("actr_mailbox_depth", "Messages waiting in an actor's mailbox."));
  ACTR_TRY(m.restarts,
           registry.counter("actr_actor_restarts_total", "Actor restarts by the supervisor."));
  ACTR_TRY(m.traps,
           registry.counter("actr_actor_traps_total",
                            "Traps of actor instances, by kind (deadline, unreachable...)."));
  ACTR_TRY(m.failures,
           registry.counter("actr_actor_failures_total",
                            "Times an actor was failed: restart limit reached or no start."));
  ACTR_TRY(m.failed, registry.gauge("actr_actor_failed", "1 while the actor is failed."));
  ACTR_TRY(m.dead_letters,
           registry.counter("actr_dead_letters_total", "Messages moved to the dead-letter queue."));
  ACTR_TRY(m.network_connections,
           registry.gauge("actr_network_connections",
                          "Open connections to other nodes, by path (websocket, webrtc)."));
  ACTR_TRY(m.webrtc_requests, registry.counter("actr_network_webrtc_requests_total",
                                               "Requests sent to other nodes on WebRTC paths."));
  return m;
}

}  // namespace actr::runtime::metrics
