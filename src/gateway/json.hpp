// The little JSON the gateway speaks: flat objects whose values are strings.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace actr::gateway::json {

// `text` as a JSON string literal, quotes included. Bytes that are not valid UTF-8 become U+FFFD.
std::string quote(std::string_view text);

// Parses `{"k":"v",...}`; nullopt for anything else (nested values, numbers, bad escapes).
std::optional<std::map<std::string, std::string>> parse_string_object(std::string_view text);

}  // namespace actr::gateway::json
