#include "witgen/model.hpp"

namespace actr::witgen {

std::string to_string(const Pos& p) {
  return p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
}

std::string PackageName::to_string() const {
  std::string s = ns + ":" + name;
  if (!version.empty()) s += "@" + version;
  return s;
}

std::string Interface::qualified_name() const {
  if (!package || name.empty()) return name;
  std::string s = package->name.ns + ":" + package->name.name + "/" + name;
  if (!package->name.version.empty()) s += "@" + package->name.version;
  return s;
}

const Interface* Package::find_interface(std::string_view n) const {
  for (const auto& i : interfaces) {
    if (i->name == n) return i.get();
  }
  return nullptr;
}

const World* Package::find_world(std::string_view n) const {
  for (const auto& w : worlds) {
    if (w.name == n) return &w;
  }
  return nullptr;
}

}  // namespace actr::witgen
