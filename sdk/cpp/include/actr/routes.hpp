// Maps route keys to member functions of a workload:
//
//   Reply dispatch(Context& ctx, RpcEnvelope envelope) override {
//     static const Routes<Echo> routes{{"echo", &Echo::echo}, {"reverse", &Echo::reverse}};
//     return routes.dispatch(*this, ctx, envelope);
//   }
//
// A key without a handler answers unknown-route(key), as the contract asks.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "actr/context.hpp"
#include "actr/types.hpp"

namespace actr {

template <class W>
class Routes {
 public:
  using Handler = Reply (W::*)(Context& ctx, const Bytes& payload);

  Routes() = default;
  Routes(std::initializer_list<std::pair<std::string, Handler>> routes) : routes_(routes) {}

  Routes& add(std::string key, Handler handler) {
    routes_.emplace_back(std::move(key), handler);
    return *this;
  }

  // The handler of the envelope's route key, or unknown-route(key).
  Reply dispatch(W& self, Context& ctx, const RpcEnvelope& envelope) const {
    // A linear scan: workloads have a handful of routes, and it keeps the guest small.
    for (const auto& [key, handler] : routes_) {
      if (key == envelope.route_key) return (self.*handler)(ctx, envelope.payload);
    }
    return Reply::Err(ActrError::unknown_route(envelope.route_key));
  }

 private:
  std::vector<std::pair<std::string, Handler>> routes_;
};

}  // namespace actr
