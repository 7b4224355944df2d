#include "runtime/metrics/labels.hpp"

#include <algorithm>

namespace actr::runtime::metrics {
namespace {

bool name_char(char c, bool first) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return first ? alpha : alpha || (c >= '0' && c <= '9');
}

std::string valid_label_name(std::string name) {
  if (name.empty()) return "_";
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0)) name[i] = '_';
  return name;
}

}  // namespace

Labels canonical_labels(Labels labels) {
  for (auto& label : labels) label.name = valid_label_name(std::move(label.name));
  // Stable, so that among duplicates the last one given stays last and wins below.
  std::stable_sort(labels.begin(), labels.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  Labels out;
  out.reserve(labels.size());
  for (auto& label : labels) {
    if (!out.empty() && out.back().name == label.name)
      out.back() = std::move(label);
    else
      out.push_back(std::move(label));
  }
  return out;
}

}  // namespace actr::runtime::metrics
