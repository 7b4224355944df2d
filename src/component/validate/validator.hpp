// Validation of a decoded component against the Component Model's rules (design/mvp/Binary.md,
// Explainer.md, CanonicalABI.md), restricted to what the synchronous actr host supports.
#pragma once

#include "actr/common/result.hpp"
#include "component/ast.hpp"
#include "component/validate/type_model.hpp"

namespace actr::component::validate {

// Checks every index, sort, type, name and canonical option of `component` and of every nested
// component. Errors name what is wrong and where, e.g.
//   "canon lift (at byte 0x3f2): func type 4 has a string parameter but no `realloc` option".
// When `model` is given, the resolved types are recorded in it (type_model.hpp).
Result<void> validate(const ast::Component& component, TypeModel* model = nullptr);

}  // namespace actr::component::validate
