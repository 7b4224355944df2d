// wasi:cli/exit stops the guest with a trap that carries the exit status.
#pragma once

#include <optional>

#include "common/result.hpp"

namespace actr::wasi {

// Error::code of the trap raised by `exit` (ASCII "EXIT"); distinct from every wasm::TrapKind.
inline constexpr int kExitErrorCode = 0x45584954;

// The trap a guest's exit(status) turns into: "exit with status N".
Error exit_error(int status);

// The status of a trap raised by `exit`, also when a caller has prefixed its message (the
// component layer may add context) or replaced its code; nullopt for any other error.
std::optional<int> exit_status_of(const Error& error);

}  // namespace actr::wasi
