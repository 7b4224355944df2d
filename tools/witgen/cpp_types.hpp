// The C++ definitions of a world's WIT types, shared by guest and host bindings: records as
// structs, variants as a struct over std::variant (case i = alternative i) with one named
// constructor and accessor per case, enums as enum class, flags as a bitmask struct, aliases as
// `using`, result as actr::wit::Result<T, E>.
#pragma once

#include <string>

#include "common/result.hpp"
#include "witgen/binding_plan.hpp"

namespace actr::witgen {

// The text of `<world>_types.hpp`.
Result<std::string> emit_types_header(const BindingPlan& plan);

// `ns` without its leading "::", for `namespace x::y {`.
std::string namespace_decl(const std::string& ns);

// Member names that would collide with the generated helpers get a trailing underscore.
std::string case_member_name(const std::string& wit_name);

// Docs as `///` lines, indented.
std::string doc_lines(const std::string& docs, const std::string& indent);

}  // namespace actr::witgen
