// Matching component import names against host definitions with semver compatibility.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace actr::component {

struct SemVer {
  unsigned major = 0, minor = 0, patch = 0;
  std::string pre;  // pre-release suffix, compared as text
};

struct InterfaceName {
  std::string base;  // "wasi:io/streams"
  std::optional<SemVer> version;
};

// Splits "ns:pkg/iface@1.2.3" into base and version. Names without '@' have no version; a
// malformed version is kept in the base so that only exact matches apply.
InterfaceName parse_interface_name(std::string_view name);

// True when a definition of version `defined` may satisfy an import of version `wanted`: equal,
// or the same major (>0) / the same 0.minor, as Cargo's caret rule; pre-releases match exactly.
bool compatible(const SemVer& wanted, const SemVer& defined);

// Orders versions (for choosing the newest compatible definition).
bool older(const SemVer& a, const SemVer& b);

}  // namespace actr::component
