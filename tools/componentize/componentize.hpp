// Wrapping a core module built against a WIT world into a component, natively: what `jco embed` +
// `jco new` (wit-component) do for a guest that imports nothing but its world (no WASI adapter).
//
// The component has the layout wit-component gives it, so that its world (`actr component wit`)
// and the names and types of its imports and exports are those of jco's output:
//   - one imported instance per interface the core module calls, and one per interface whose
//     types are used (e.g. actr:workload/types), with the types exported as `(eq)` types and the
//     used ones aliased from the instance that defines them;
//   - imports that need the guest's memory are lowered after the main module is instantiated: the
//     main module first gets trampolines of a shim module that call through a table, then a fixup
//     module fills the table with the lowered functions (and runs `_initialize`);
//   - each exported interface is an instance of a small shim component that gives the lifted
//     functions and the interface's types their names.
//
// The core module is checked against the world first: every import must be a function of the
// world with the core signature the canonical ABI gives it, every exported function of the world
// must be exported with its signature, and `memory` / `cabi_realloc` must be there when the
// functions need them. Not supported (an Error says so): resources, types defined in the world
// itself, WASI imports (those guests need jco's preview1 adapter).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "witgen/model.hpp"

namespace actr::componentize {

Result<std::vector<uint8_t>> componentize(const witgen::World& world,
                                          std::span<const uint8_t> core_module);

}  // namespace actr::componentize
