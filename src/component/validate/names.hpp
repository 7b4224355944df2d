// The Component Model's name rules (Explainer.md, "Import and Export Definitions" and "Name
// Uniqueness"): kebab-case labels, plain and interface names, and strong uniqueness.
#pragma once

#include <string>
#include <string_view>

namespace actr::component::validate {

// label ::= first-fragment ('-' fragment)*, where a fragment is all lowercase or all uppercase
// (with digits) and the first one starts with a letter: "a-b-c", "is-XML", "A1-2-3".
bool valid_label(std::string_view s);

// A parsed import/export name.
struct ExternName {
  enum class Kind : uint8_t { Plain, Constructor, Method, Static, Interface };
  Kind kind = Kind::Plain;
  std::string resource;  // Constructor, Method, Static: the resource label
  std::string label;     // Plain: the name; Method, Static: the function label
  // Interface: "ns:pkg/iface@version" split up.
  std::string ns, package, interface, version;
};

// Parses `s` as an externname; on failure returns false and sets `why`.
bool parse_extern_name(std::string_view s, ExternName& out, std::string* why = nullptr);

// True if `s` is a semantic version (semver.org 2.0) or a canonical version ("1", "0.2", "0.0.1").
bool valid_version(std::string_view s);

// True if `s` is a canonical interface version: "N" (N > 0), "0.N" (N > 0) or "0.0.N".
bool canonical_version(std::string_view s);

// The string under which two names collide in the same scope (strong uniqueness): lowercased,
// "[method]l.l"/"[static]l.l" reduced to "l", other annotations but [constructor] dropped.
std::string uniqueness_key(std::string_view name);

}  // namespace actr::component::validate
