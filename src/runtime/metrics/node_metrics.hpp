// The node's standard metric families, registered once so that every layer uses the same names:
//   actr_dispatches_total{actor,route}                 counter
//   actr_dispatch_errors_total{actor,route,error}      counter (error: the actr-error case)
//   actr_dispatch_duration_seconds{actor,route}        histogram (latency_buckets)
//   actr_mailbox_depth{actor}                          gauge
//   actr_actor_restarts_total{actor}                   counter
//   actr_actor_traps_total{actor,kind}                 counter (kind: deadline, unreachable, ...)
//   actr_actor_failures_total{actor}                   counter (restart limit reached, or no start)
//   actr_actor_failed{actor}                           gauge (1 while the actor is failed)
//   actr_dead_letters_total{actor}                     counter
//   actr_network_connections{path}                     gauge (open node-to-node connections:
//                                                      websocket, webrtc, relay)
//   actr_network_webrtc_requests_total                 counter (requests sent on carried paths: WebRTC, relay)
#pragma once

#include "actr/common/result.hpp"
#include "runtime/metrics/registry.hpp"

namespace actr::runtime::metrics {

struct NodeMetrics {
  CounterFamily* dispatches = nullptr;
  CounterFamily* dispatch_errors = nullptr;
  HistogramFamily* dispatch_duration = nullptr;
  GaugeFamily* mailbox_depth = nullptr;
  CounterFamily* restarts = nullptr;
  CounterFamily* traps = nullptr;
  CounterFamily* failures = nullptr;
  GaugeFamily* failed = nullptr;
  CounterFamily* dead_letters = nullptr;
  GaugeFamily* network_connections = nullptr;
  CounterFamily* webrtc_requests = nullptr;

  static Result<NodeMetrics> create(Registry& registry);
};

}  // namespace actr::runtime::metrics
