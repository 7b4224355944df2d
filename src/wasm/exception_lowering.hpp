// Lowering of the exception-handling proposal's final form (`try_table`, wasm 3.0) into its legacy
// form (`try`/`catch`/`catch_all`). Toolchains (LLVM, wasm-tools, Binaryen) now emit `try_table`,
// but wabt 1.0.32 (Debian 12's libwabt, which the interpreter and wasm2c read modules with) knows
// only the legacy form and rejects opcode 0x1f. Every `try_table` whose clauses are `catch` or
// `catch_all` has an exact legacy equivalent; the exnref forms (`catch_ref`, `catch_all_ref`,
// `throw_ref`) have none and are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::wasm {

// Rewrites every try_table of the module's code section into legacy try/catch/catch_all.
// Returns nullopt when the module has no try_table (the caller keeps its bytes), the rewritten
// module otherwise, or an error naming what cannot be lowered.
//
// Input that is not a core module (no `\0asm` version 1 preamble) also yields nullopt, so that the
// caller's decoder reports it. Only changed function bodies are re-encoded; every other body and
// section is copied byte for byte.
Result<std::optional<std::vector<uint8_t>>> lower_try_table(std::span<const uint8_t> module);

// wabt 1.0.32's interpreter drops a function's declared locals when a catch handler is entered
// (wabt#2476, fixed upstream after 1.0.34): the handler resizes the value stack to the frame's
// base plus its operand height, without the locals, so the next local.get past the parameters
// aborts. Parameters lie below the frame base and survive.
//
// Rewrites every function that contains a legacy `try` (0x06) and declares locals into a thunk
// with no locals that calls a new function taking the original parameters followed by the locals
// as parameters (zero/null initial values pushed by the thunk). Function indices of existing
// functions do not change (the new functions and their types are appended). Returns nullopt when
// no function needs it, or when the input is not a core module (left to the decoder). Meant for a
// module already through lower_try_table: a try_table in a function with locals is an error, as
// are locals without a default value (typed references) and GC type definitions.
//
// When `defined_functions` is given and a module is returned, it receives the number of functions
// the input defines: the first bodies of the output's code section; the hoisted bodies follow.
Result<std::optional<std::vector<uint8_t>>> hoist_locals_out_of_try_functions(
    std::span<const uint8_t> module, uint32_t* defined_functions = nullptr);

}  // namespace actr::wasm
