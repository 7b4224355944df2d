// C++ spellings of WIT names: kebab-case -> snake_case (functions, fields, namespaces) or
// PascalCase (types, enum cases), with C++ keywords escaped by a trailing underscore.
#pragma once

#include <string>
#include <string_view>

namespace actr::witgen {

std::string snake_name(std::string_view wit);
std::string pascal_name(std::string_view wit);
// A C identifier for any text (e.g. `actr:workload/host@0.1.0#call`), for extern "C" symbols.
std::string symbol_name(std::string_view text);
// A C++ string literal for `text` (escapes quotes, backslashes and control characters).
std::string string_literal(std::string_view text);

}  // namespace actr::witgen
