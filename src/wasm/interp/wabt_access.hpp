// The few wabt interpreter internals the engine needs and wabt 1.0.32 keeps private.
//
// wabt's public entry point (Func::Call) runs a guest call to completion, so a deadline could not
// be enforced and a call stack could not be sized. The engine instead pushes the call itself and
// runs the thread in bounded chunks, which needs the thread's frame stack and its push/pop
// helpers. The memory type is needed to make memory.grow honour the store's byte budget.
// The accessors are defined in one translation unit (wabt_access.cpp).
#pragma once

#include <vector>

#include "wabt/interp/interp.h"

namespace actr::wasm::interp {

namespace wi = wabt::interp;

// The thread's call frames. Its capacity is the frame limit: a push at capacity traps.
std::vector<wi::Frame>& thread_frames(wi::Thread& thread);

void thread_push_values(wi::Thread& thread, const wi::ValueTypes& types, const wi::Values& values);
wi::RunResult thread_push_call(wi::Thread& thread, const wi::DefinedFunc& func,
                               wi::Trap::Ptr* out_trap);
void thread_pop_values(wi::Thread& thread, const wi::ValueTypes& types, wi::Values* out);

// The memory's live type; memory.grow refuses to exceed limits.max.
wi::MemoryType& memory_type(wi::Memory& memory);

}  // namespace actr::wasm::interp
