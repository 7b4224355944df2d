// The WASI 0.2 host subset that real guests import (wasi:cli, wasi:io, wasi:clocks, wasi:random,
// wasi:filesystem without preopens), defined in a component linker.
//
//   auto state = wasi::add_to_linker(linker, wasi::WasiConfig{.args = {"echo"}});
//   auto instance = linker.instantiate(*component);
//   auto r = (*instance)->call(...);
//   if (!r && (*state)->exit_status()) return *(*state)->exit_status();   // the guest exited
//
// Interfaces are defined once, under version 0.2.12; the linker matches imports of any 0.2.x.
// With a fixed state the host functions hold it: use one linker per component instance. With a
// StateProvider one linker serves many instances: each call uses the state the provider names
// (the node's actors each have their own, found through the actor that is running).
#pragma once

#include <memory>

#include "actr/common/result.hpp"
#include "actr/component/linker.hpp"
#include "wasi/config.hpp"
#include "wasi/exit_status.hpp"
#include "wasi/state.hpp"

namespace actr::wasi {

Result<void> add_to_linker(component::Linker& linker, std::shared_ptr<WasiState> state);
Result<void> add_to_linker(component::Linker& linker, StateProvider provider);

// Creates the state from `config`, then as above.
Result<std::shared_ptr<WasiState>> add_to_linker(component::Linker& linker, WasiConfig config);

}  // namespace actr::wasi
