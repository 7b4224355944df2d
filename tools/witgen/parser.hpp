// Parses the text of one .wit file. Errors name file:line:column, what was expected and what was
// found, e.g. "actr-workload.wit:57:5: expected `}` or a field name, found `:`".
#pragma once

#include <string>
#include <string_view>

#include "actr/common/result.hpp"
#include "witgen/model.hpp"

namespace actr::witgen {

Result<File> parse_file(std::string_view source, std::string path);

}  // namespace actr::witgen
