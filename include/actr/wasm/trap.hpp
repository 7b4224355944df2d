// Guest traps: how a failed guest call is classified and reported.
#pragma once

#include <string>

#include "actr/common/result.hpp"

namespace actr::wasm {

// Error::code of an ErrorCategory::Trap error: why a guest call failed. Messages are stable,
// lowercase and readable (e.g. "out of bounds memory access"); the component layer and the CLI
// print them.
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
  return make_error(std::move(message), ErrorCategory::Trap, kind);
}

// The kind of a trap; None for an error that is not one.
inline TrapKind trap_kind(const Error& e) {
  return e.is(ErrorCategory::Trap) ? static_cast<TrapKind>(e.code) : TrapKind::None;
}

// A failed guest call that ended the guest's activation: a trap, or the guest's own exit.
inline bool ends_guest_call(const Error& e) {
  return e.is(ErrorCategory::Trap) || e.is(ErrorCategory::GuestExit);
}

// What an error of a host function becomes when it crosses into the guest: a trap (kind Host)
// unless it already ends the guest's call.
inline void as_guest_trap(Error& e) {
  if (ends_guest_call(e)) return;
  e.category = ErrorCategory::Trap;
  e.code = static_cast<int>(TrapKind::Host);
}

}  // namespace actr::wasm
