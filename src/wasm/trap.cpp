#include "actr/wasm/trap.hpp"

namespace actr::wasm {

const char* default_message(TrapKind kind) {
  switch (kind) {
    case TrapKind::None:
      return "no trap";
    case TrapKind::Unreachable:
      return "unreachable";
    case TrapKind::MemoryOutOfBounds:
      return "out of bounds memory access";
    case TrapKind::TableOutOfBounds:
      return "out of bounds table access";
    case TrapKind::IndirectCallTypeMismatch:
      return "indirect call type mismatch";
    case TrapKind::UninitializedElement:
      return "uninitialized element";
    case TrapKind::IntegerDivideByZero:
      return "integer divide by zero";
    case TrapKind::IntegerOverflow:
      return "integer overflow";
    case TrapKind::InvalidConversion:
      return "invalid conversion to integer";
    case TrapKind::StackExhausted:
      return "call stack exhausted";
    case TrapKind::DeadlineExceeded:
      return "deadline exceeded";
    case TrapKind::MemoryLimit:
      return "memory limit exceeded";
    case TrapKind::Poisoned:
      return "instance is poisoned by an earlier trap";
    case TrapKind::Host:
      return "host function trapped";
    case TrapKind::Other:
      return "trap";
  }
  return "trap";
}

}  // namespace actr::wasm
