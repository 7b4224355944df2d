#include "component/validate/extern_types.hpp"

namespace actr::component {

const char* to_string(ExternKind k) {
  switch (k) {
    case ExternKind::CoreModule:
      return "core module";
    case ExternKind::Func:
      return "func";
    case ExternKind::Value:
      return "value";
    case ExternKind::Type:
      return "type";
    case ExternKind::Instance:
      return "instance";
    case ExternKind::Component:
      return "component";
  }
  return "?";
}

namespace {

template <typename List>
auto* find_in(const List& exports, const std::unordered_map<std::string, size_t>& by_name,
              std::string_view name) {
  using Type = decltype(&exports.front().type);
  if (by_name.size() == exports.size() && !exports.empty()) {
    auto it = by_name.find(std::string(name));
    return it == by_name.end() ? Type{nullptr} : &exports[it->second].type;
  }
  for (const auto& e : exports) {
    if (e.name == name) return &e.type;
  }
  return Type{nullptr};
}

template <typename List>
void index_of(const List& exports, std::unordered_map<std::string, size_t>& by_name) {
  by_name.clear();
  for (size_t i = 0; i < exports.size(); ++i) by_name.emplace(exports[i].name, i);
  // Duplicate names (only in invalid types): keep the linear search, which finds the first.
  if (by_name.size() != exports.size()) by_name.clear();
}

}  // namespace

const wasm::ExternType* CoreInstanceType::find(std::string_view name) const {
  return find_in(exports, by_name_, name);
}
void CoreInstanceType::index() { index_of(exports, by_name_); }

const ExternType* InstanceType::find(std::string_view name) const {
  return find_in(exports, by_name_, name);
}
void InstanceType::index() { index_of(exports, by_name_); }

}  // namespace actr::component
