#include "conformance/async_features.hpp"

#include <set>
#include <string_view>

namespace actr::conformance {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

bool is_async_builtin(std::string_view name) {
  static constexpr std::string_view kPrefixes[] = {
      "task.",   "subtask.", "waitable-set.",  "waitable.", "stream.",       "future.",
      "thread.", "context.", "error-context.", "yield",     "backpressure.",
  };
  for (auto p : kPrefixes) {
    if (starts_with(name, p)) return true;
  }
  return false;
}

void scan_async(const SExpr& n, std::set<std::string>& found) {
  if (n.is_atom()) {
    if (n.text == "async" || n.text == "error-context") found.insert(n.text);
    return;
  }
  if (!n.is_list()) return;
  std::string_view head = n.head();
  if (head == "canon" && n.items.size() >= 2 && n.items[1].is_atom() &&
      is_async_builtin(n.items[1].text)) {
    found.insert("canon " + n.items[1].text);
  }
  if (head == "stream" || head == "future" || head == "callback") found.insert(std::string(head));
  for (const SExpr& item : n.items) scan_async(item, found);
}

}  // namespace

std::vector<std::string> async_features(const SExpr& component) {
  std::set<std::string> found;
  scan_async(component, found);
  return {found.begin(), found.end()};
}

}  // namespace actr::conformance
