// Locals that survive a caught exception in wasm2c 1.0.32's output.
//
// A try is a setjmp, and a throw from a callee a longjmp back to it. C leaves an automatic
// variable of the function that called setjmp indeterminate after the longjmp if it was changed
// in between, unless it is volatile (C17 7.13.2.1). wasm2c 1.0.32 declares parameters and locals
// plain (upstream fixed it in wabt#2479), so a local set inside a try and read in its handler may
// read a stale register. This marks the parameters and locals of every function that contains a
// try volatile, as upstream does.
#pragma once

#include <string>

#include "actr/common/result.hpp"

namespace actr::wasm::aot {

// Rewrites wasm2c's C source in place.
Result<void> make_try_locals_volatile(std::string& source);

}  // namespace actr::wasm::aot
