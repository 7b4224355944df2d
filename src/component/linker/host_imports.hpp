// Satisfies the imports of a top-level component from the Linker's host definitions, checking
// every imported function's type against the host's.
#pragma once

#include <string>

#include "common/result.hpp"
#include "component/ast.hpp"
#include "component/linker.hpp"
#include "component/linker/instantiation_cache.hpp"
#include "component/linker/items.hpp"

namespace actr::component::link {

// Matches are kept in `cache` (per component) and reused while the linker's definitions and the
// types the import's declaration refers to stay the same.
Result<Item> import_from_host(const Linker& linker, const Frame& frame, const std::string& name,
                              const ast::ExternDesc& desc, InstantiationCache& cache);

// The host definition for import instance `name`: exact match, else the newest
// semver-compatible one. Null when none.
const Linker::HostInstanceDef* find_host_instance(const Linker& linker, std::string_view name);

}  // namespace actr::component::link
