// Repairs of wasm2c 1.0.32's exception-handling output (beside instance_tags.hpp, which moves
// tags into the instance).
//
// Volatile locals. A try is a setjmp, and a throw from a callee a longjmp back to it. C leaves an
// automatic variable of the function that called setjmp indeterminate after the longjmp if it was
// changed in between, unless it is volatile (C17 7.13.2.1). wasm2c 1.0.32 declares parameters and
// locals plain (upstream fixed it in wabt#2479), so a local set inside a try and read in its
// handler may read a stale register. The parameters and locals of every function that contains a
// try become volatile, as upstream does.
//
// Payloads of tags with several values. wasm2c 1.0.32 fills the payload struct
// (`struct wasm_tag_<types>`, one field per tag parameter) in reverse at the throw and reads it
// in reverse at the catch: each value passes through the field of another parameter, and an i64
// next to an i32 loses its high half. The fields' types are reversed to match (each value then
// travels in a field of its own type), which both sides agree on. The struct definitions also
// move before the module's code, so that every compilation unit of a split module sees them.
#pragma once

#include <string>

#include "actr/common/result.hpp"

namespace actr::wasm::aot {

// Rewrites wasm2c's C source in place.
Result<void> make_try_locals_volatile(std::string& source);
Result<void> repair_tag_payloads(std::string& source);

}  // namespace actr::wasm::aot
