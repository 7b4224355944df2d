// Printing the world of a component as WIT, the way `jco wit` (wit-component) prints it:
//
//   package root:component;
//
//   world root {
//     import wasi:io/error@0.2.0;                 // interface-named instances: by reference
//     import host: interface { ... }              // plain-named instances: inline
//     import log: func(msg: string);
//
//     export actr:workload/workload@0.1.0;
//   }
//
// Interface bodies list `use` statements, then types (records, variants, enums, flags, resources
// with their constructor, methods and static functions, aliases), then functions, separated by
// blank lines. Names that are WIT keywords are escaped with `%`.
#pragma once

#include <string>

#include "actr/common/result.hpp"
#include "component/ast.hpp"

namespace actr::component::wit {

struct WitOptions {
  // Print the bodies of interface-named instances whose namespace is not `wasi` inline, under a
  // kebab-case name (ns:pkg/iface@1.2.3 -> ns-pkg-iface-v1-2-3), as the fixture WIT files in
  // shared/fixtures do. WASI interfaces stay references.
  bool inline_foreign_interfaces = false;
  // After the world, print the interfaces it refers to by name as nested packages
  // (`package wasi:io@0.2.0 { interface error { ... } }`), making the output self-contained.
  bool dependencies = false;
};

// The WIT of a component; fails when the component does not validate.
Result<std::string> component_wit(const ast::Component& component, const WitOptions& options = {});

// Same, with a `// invalid component: ...` comment instead of WIT when it does not validate.
std::string print_wit(const ast::Component& component, const WitOptions& options = {});

}  // namespace actr::component::wit
