// wasi:clocks: wall-clock and monotonic-clock.
#include <limits>

#include "wasi/host.hpp"
#include "wasi/host_clock.hpp"
#include "wasi/interface_builder.hpp"

namespace actr::wasi {

using component::Kind;
using component::primitive;
using component::Value;
using Args = std::span<const Value>;

namespace {

Value datetime(WallTime t) {
  return Value::record({Value::u64(t.seconds), Value::u32(t.nanoseconds)});
}

}  // namespace

void add_clocks(component::Linker& linker, const std::shared_ptr<const Host>& host) {
  InterfaceBuilder wall(linker, "wasi:clocks/wall-clock");
  wall.func("now", {}, host->types.datetime,
            [](Args) -> Result<Value> { return datetime(wall_now()); });
  wall.func("resolution", {}, host->types.datetime,
            [](Args) -> Result<Value> { return datetime(wall_resolution()); });

  InterfaceBuilder mono(linker, "wasi:clocks/monotonic-clock");
  auto u64 = primitive(Kind::U64);  // instant and duration
  auto pollable = component::own_of(host->resources.pollable);
  mono.func("now", {}, u64, [](Args) -> Result<Value> { return Value::u64(monotonic_now()); });
  mono.func("resolution", {}, u64,
            [](Args) -> Result<Value> { return Value::u64(monotonic_resolution()); });
  mono.func("subscribe-instant", {{"when", u64}}, pollable, [host](Args args) {
    return host->give(host->state().pollables, host->resources.pollable, Pollable::at(args[0].u));
  });
  mono.func("subscribe-duration", {{"when", u64}}, pollable, [host](Args args) {
    uint64_t now = monotonic_now();
    uint64_t when = args[0].u;
    uint64_t deadline = when > std::numeric_limits<uint64_t>::max() - now
                            ? std::numeric_limits<uint64_t>::max()
                            : now + when;
    return host->give(host->state().pollables, host->resources.pollable, Pollable::at(deadline));
  });
}

}  // namespace actr::wasi
