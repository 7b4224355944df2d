// Component values as .wast scripts write them (`u32.const 5`, `str.const "x"`,
// `record.const (field "a" u8.const 1)`, `variant.const "ok" (u32.const 1)`, `flags.const "a"`,
// `option.some ...`, `result.err ...`), typed by the function signature they are passed to or
// compared with: record fields, enum cases, variant cases and flags are matched by name.
#pragma once

#include <optional>
#include <string>

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"
#include "conformance/sexpr.hpp"

namespace actr::conformance {

// Builds the value `node` denotes, as a value of type `type`. Errors say what did not fit.
Result<component::Value> to_value(const SExpr& node, const component::ValueType& type);

// Checks `actual` against the expected value `node` of type `type`. Floats compare bit for bit
// except that `nan:canonical` / `nan:arithmetic` / `nan` accept any NaN. Returns the first
// difference as text, or nothing when they match.
std::optional<std::string> mismatch(const SExpr& node, const component::ValueType& type,
                                    const component::Value& actual);

// Text of a value for messages, e.g. `record { a: 1, b: "x" }`.
std::string describe(const component::Value& v, const component::ValueType& type);

}  // namespace actr::conformance
