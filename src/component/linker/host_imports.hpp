// Satisfies the imports of a top-level component from the Linker's host definitions: the
// import's type as validation resolved it (Component::types()) is matched against the host's,
// every function type compared with TypeEquality; the resources the import quantifies over become
// the host's in the frame's resource mapping.
#pragma once

#include <string>

#include "actr/common/result.hpp"
#include "actr/component/component.hpp"
#include "actr/component/linker.hpp"
#include "component/ast.hpp"
#include "component/linker/items.hpp"

namespace actr::component::link {

Result<Item> import_from_host(const Linker& linker, Frame& frame, const NamedExtern& import);

// Whether `linker` satisfies every import of `component` (InstancePre): the error is the one
// instantiating it would fail with.
Result<void> check_host_imports(const Linker& linker, const Component& component);

// The host definition for import instance `name`: exact match, else the newest
// semver-compatible one. Null when none.
const Linker::HostInstanceDef* find_host_instance(const Linker& linker, std::string_view name);

}  // namespace actr::component::link
