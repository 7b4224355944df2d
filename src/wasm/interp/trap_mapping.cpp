#include "wasm/interp/trap_mapping.hpp"

#include <string>

namespace actr::wasm::interp {

Error classify_trap(std::string_view wabt_message) {
  struct Rule {
    std::string_view prefix;
    TrapKind kind;
  };
  // Prefixes of the messages raised by wabt 1.0.32's interpreter and instantiation.
  static constexpr Rule kRules[] = {
      {"unreachable", TrapKind::Unreachable},
      {"out of bounds memory access", TrapKind::MemoryOutOfBounds},
      {"undefined table index", TrapKind::TableOutOfBounds},
      {"out of bounds table access", TrapKind::TableOutOfBounds},
      {"uninitialized table element", TrapKind::UninitializedElement},
      {"indirect call signature mismatch", TrapKind::IndirectCallTypeMismatch},
      {"integer divide by zero", TrapKind::IntegerDivideByZero},
      {"integer overflow", TrapKind::IntegerOverflow},
      {"invalid conversion to integer", TrapKind::InvalidConversion},
      {"call stack exhausted", TrapKind::StackExhausted},
  };
  for (const Rule& rule : kRules) {
    if (wabt_message.starts_with(rule.prefix)) return make_trap(rule.kind);
  }
  return make_trap(TrapKind::Other, std::string(wabt_message));
}

}  // namespace actr::wasm::interp
