// wasi:cli/exit stops the guest with a trap that carries the exit status.
#pragma once

#include <optional>

#include "actr/common/result.hpp"

namespace actr::wasi {

// What a guest's exit(status) turns into: "exit with status N", an ErrorCategory::GuestExit error
// with the status as its code. It ends the guest's call as a trap does.
Error exit_error(int status);

// The status of a trap raised by `exit`, also when a caller has prefixed its message (the
// component layer may add context) and lost its category; nullopt for any other error.
std::optional<int> exit_status_of(const Error& error);

}  // namespace actr::wasi
