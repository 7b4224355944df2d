// Label sets that tell the series of one metric family apart, e.g. {actor="echo#0", route="echo"}.
#pragma once

#include <string>
#include <vector>

namespace actr::runtime::metrics {

struct Label {
  std::string name;
  std::string value;
  auto operator<=>(const Label&) const = default;
};

using Labels = std::vector<Label>;

// The form a series is keyed and rendered by: sorted by name, one entry per name (the last one
// given wins), names made valid for Prometheus ([a-zA-Z_][a-zA-Z0-9_]*; other characters become
// '_'). So {route=..., actor=...} and {actor=..., route=...} are the same series.
Labels canonical_labels(Labels labels);

}  // namespace actr::runtime::metrics
