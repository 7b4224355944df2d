// Checks that a host-supplied dynamic Value has the shape of its type before it is lowered into a
// guest, so a host mistake is a clear error and not a half-done lowering.
#pragma once

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"

namespace actr::component::canonical {

// E.g. "in field `name`: expected `string`, found a u32 value", "case index 3 out of range
// for a variant of 2 cases", "string is not valid utf-8: ...", "handle of resource `a` where
// resource `b` is expected".
Result<void> check_value(const ValueType& t, const Value& v);

}  // namespace actr::component::canonical
