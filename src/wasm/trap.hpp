// Guest traps: how a failed guest call is classified and reported.
#pragma once

#include <string>

#include "common/result.hpp"

namespace actr::wasm {

// Stored in actr::Error::code when a guest call fails. Messages are stable, lowercase and
// readable (e.g. "out of bounds memory access"); the component layer and the CLI print them.
enum class TrapKind : int {
  None = 0,
  Unreachable = 1,           // "unreachable"
  MemoryOutOfBounds,         // "out of bounds memory access"
  TableOutOfBounds,          // "undefined element" / "out of bounds table access"
  IndirectCallTypeMismatch,  // "indirect call type mismatch"
  UninitializedElement,      // "uninitialized element"
  IntegerDivideByZero,       // "integer divide by zero"
  IntegerOverflow,           // "integer overflow"
  InvalidConversion,         // "invalid conversion to integer"
  StackExhausted,            // "call stack exhausted"
  DeadlineExceeded,          // "deadline exceeded"
  MemoryLimit,  // growth refused by the store's memory limit (memory.grow returns -1, no trap;
                // used when instantiation itself needs more than the limit)
  Poisoned,     // "instance is poisoned by an earlier trap: <first trap>"
  Host,         // a host function asked to trap; message is the host's
  Other,
};

const char* default_message(TrapKind kind);

inline Error make_trap(TrapKind kind, std::string message = {}) {
  if (message.empty()) message = default_message(kind);
  return Error{std::move(message), static_cast<int>(kind)};
}

inline TrapKind trap_kind(const Error& e) { return static_cast<TrapKind>(e.code); }

}  // namespace actr::wasm
