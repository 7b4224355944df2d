#include "component/linker/import_name.hpp"

#include <charconv>
#include <tuple>

namespace actr::component {
namespace {

std::optional<SemVer> parse_semver(std::string_view s) {
  SemVer v;
  std::string_view core = s;
  if (auto dash = s.find_first_of("-+"); dash != std::string_view::npos) {
    core = s.substr(0, dash);
    v.pre = std::string(s.substr(dash));
  }
  unsigned* parts[3] = {&v.major, &v.minor, &v.patch};
  size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = core.find('.', pos);
    if ((i < 2) != (end != std::string_view::npos)) return std::nullopt;
    std::string_view num =
        core.substr(pos, end == std::string_view::npos ? core.size() - pos : end - pos);
    if (num.empty()) return std::nullopt;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), *parts[i]);
    if (ec != std::errc() || p != num.data() + num.size()) return std::nullopt;
    pos = end + 1;
  }
  return v;
}

}  // namespace

InterfaceName parse_interface_name(std::string_view name) {
  auto at = name.rfind('@');
  if (at == std::string_view::npos) return {std::string(name), std::nullopt};
  auto version = parse_semver(name.substr(at + 1));
  if (!version) return {std::string(name), std::nullopt};
  return {std::string(name.substr(0, at)), version};
}

bool compatible(const SemVer& wanted, const SemVer& defined) {
  if (!wanted.pre.empty() || !defined.pre.empty()) {
    return std::tie(wanted.major, wanted.minor, wanted.patch, wanted.pre) ==
           std::tie(defined.major, defined.minor, defined.patch, defined.pre);
  }
  if (wanted.major != defined.major) return false;
  if (wanted.major > 0) return true;
  if (wanted.minor != defined.minor) return false;
  if (wanted.minor > 0) return true;
  return wanted.patch == defined.patch;
}

bool older(const SemVer& a, const SemVer& b) {
  return std::tie(a.major, a.minor, a.patch, a.pre) < std::tie(b.major, b.minor, b.patch, b.pre);
}

}  // namespace actr::component
