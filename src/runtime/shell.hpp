// The shell: the application embedding the node, reached by `call(dest::shell, ...)`.
#pragma once

#include <functional>
#include <string>

#include "runtime/vocabulary.hpp"

namespace actr::runtime {

class Node;

struct ShellRequest {
  CallerId caller;
  std::string route_key;
  Bytes payload;
};
// Answers exactly once, from any thread.
using ShellHandler =
    std::function<void(ShellRequest request, std::function<void(CallResult)> reply)>;

// The shell of `actr run` (documented in docs/RUNTIME.md):
//   shell/time   -> milliseconds since the Unix epoch, as decimal text
//   shell/echo   -> the payload
//   shell/node   -> "realm=<r> actors=<n>"
// anything else  -> unknown-route
ShellHandler builtin_shell(const Node& node);

}  // namespace actr::runtime
