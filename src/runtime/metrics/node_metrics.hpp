// The node's standard metric families, registered once so that every layer uses the same names:
//   actr_dispatches_total{actor,route}                 counter
//   actr_dispatch_errors_total{actor,route,error}      counter (error: the actr-error case)
//   actr_dispatch_duration_seconds{actor,route}        histogram (latency_buckets)
//   actr_mailbox_depth{actor}                          gauge
//   actr_actor_restarts_total{actor}                   counter
#pragma once

#include "common/result.hpp"
#include "runtime/metrics/registry.hpp"

namespace actr::runtime::metrics {

struct NodeMetrics {
  CounterFamily* dispatches = nullptr;
  CounterFamily* dispatch_errors = nullptr;
  HistogramFamily* dispatch_duration = nullptr;
  GaugeFamily* mailbox_depth = nullptr;
  CounterFamily* restarts = nullptr;

  static Result<NodeMetrics> create(Registry& registry);
};

}  // namespace actr::runtime::metrics
