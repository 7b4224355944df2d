// Pieces of the Prometheus text exposition format 0.0.4: escaping and number formatting.
#pragma once

#include <string>
#include <string_view>

#include "runtime/metrics/labels.hpp"

namespace actr::runtime::metrics {

// The Content-Type of a rendered registry.
inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// HELP text: backslash and newline escaped.
std::string escape_help(std::string_view text);
// Label values: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);
// Shortest round-trip form; NaN, +Inf and -Inf as Prometheus spells them.
std::string format_number(double v);
// `{a="1",b="2"}`, or "" for no labels. `extra` (e.g. le) is appended last when not empty.
std::string format_labels(const Labels& labels, std::string_view extra_name = {},
                          std::string_view extra_value = {});

}  // namespace actr::runtime::metrics
