// Which Component Model async features a component's text uses. actr's component host is
// synchronous by design, so the runner skips (rather than fails) components that need them.
#pragma once

#include <string>
#include <vector>

#include "conformance/sexpr.hpp"

namespace actr::conformance {

// The async features `component` (a `(component ...)` form) uses, sorted: "async" (async
// lift/lower options), "callback", "canon <built-in>" for task/subtask/waitable/stream/future/
// thread/context/error-context/backpressure built-ins, "stream"/"future"/"error-context" types.
// Empty for a synchronous component.
std::vector<std::string> async_features(const SExpr& component);

}  // namespace actr::conformance
