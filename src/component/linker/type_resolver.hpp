// Turns the type definitions of a component, as written in its binary, into resolved types in a
// TypeScope. Resource type definitions are generative: each call creates a fresh ResourceType.
#pragma once

#include "common/result.hpp"
#include "component/ast.hpp"
#include "component/linker/items.hpp"

namespace actr::component::link {

Result<TypeRef> resolve_valtype(const TypeScope& scope, const ast::ValTypeRef& ref);
Result<TypeItem> resolve_typedef(const std::shared_ptr<TypeScope>& scope, const ast::TypeDef& def);
// The index-space entries a value or function type definition refers to, appended to `out`, for
// InstantiationCache. False for definitions that must be resolved every time (resource, instance
// and component types) and for references out of bounds (left to resolve_typedef's error).
bool typedef_inputs(const TypeScope& scope, const ast::TypeDef& def,
                    std::vector<const TypeItem*>& out);
// The item an outer alias of sort Type refers to.
Result<TypeItem> resolve_outer_type(const TypeScope& scope, uint32_t count, uint32_t index);

}  // namespace actr::component::link
