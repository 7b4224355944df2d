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

const wasm::ExternType* CoreInstanceType::find(std::string_view name) const {
  for (const auto& e : exports) {
    if (e.name == name) return &e.type;
  }
  return nullptr;
}

const ExternType* InstanceType::find(std::string_view name) const {
  for (const auto& e : exports) {
    if (e.name == name) return &e.type;
  }
  return nullptr;
}

}  // namespace actr::component
