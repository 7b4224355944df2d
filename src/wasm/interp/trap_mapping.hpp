// Classifies the interpreter's trap messages as TrapKinds with the engine-neutral messages.
#pragma once

#include <string_view>

#include "actr/common/result.hpp"
#include "actr/wasm/trap.hpp"

namespace actr::wasm::interp {

// E.g. "out of bounds memory access: access at 65536+4 >= max value 65536" becomes
// {MemoryOutOfBounds, "out of bounds memory access"}, so both engines report the same text.
// Unknown messages become TrapKind::Other with wabt's message.
Error classify_trap(std::string_view wabt_message);

}  // namespace actr::wasm::interp
