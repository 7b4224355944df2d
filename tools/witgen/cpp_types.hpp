// The C++ definitions of a world's WIT types, shared by guest and host bindings: records as
// structs, variants as a struct over std::variant (case i = alternative i) with one named
// constructor and accessor per case, enums as enum class, flags as a bitmask struct, aliases as
// `using`, result as actr::wit::Result<T, E>.
#pragma once

#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "witgen/binding_plan.hpp"

namespace actr::witgen {

// A resource's class as one side's bindings define it, placed in `<world>_types.hpp` before the
// structs (whose fields may hold handles) and after the declarations its members name.
struct ResourceClass {
  std::string ns;    // "::actr::resources::counters"
  std::string name;  // "Counter"
  std::string text;  // the class definition, with its docs
};

// The text of `<world>_types.hpp`; `includes` are extra #include lines the classes need.
Result<std::string> emit_types_header(const BindingPlan& plan,
                                      const std::vector<ResourceClass>& resource_classes = {},
                                      const std::string& includes = "");

// `ns` without its leading "::", for `namespace x::y {`.
std::string namespace_decl(const std::string& ns);

// Member names that would collide with the generated helpers get a trailing underscore.
std::string case_member_name(const std::string& wit_name);

// Docs as `///` lines, indented.
std::string doc_lines(const std::string& docs, const std::string& indent);

}  // namespace actr::witgen
