// External visibility of types (Explainer.md, "External Visibility"): a type that has a name in
// WIT — a record, variant, enum, flags or resource — may appear in the type of an import only if
// an import named it first, and in the type of an export only if an import or an export named it
// first. Anonymous structural types (tuple, list, option, result) need no name, but what they
// contain does.
//
// Identity: importing or exporting a record/variant/enum/flags type makes a named copy of it
// (TypeSpace's `named`), so the definition it was copied from stays unnamed: a function lifted
// with the definition is not exportable, one lifted with the exported copy is. Resources are
// the same type under each of their names (DefinedType::resource_alias): a function lifted with a
// resource definition is not exportable even when the resource is exported, one written with
// the exported name is.
//
// An instance that is imported or exported names the types it exports itself, for its own
// functions and for everything that follows (aliasing a type through an exported instance gives
// it a name). Component-typed imports and exports are not checked here: component types are
// checked where they are declared.
#pragma once

#include <string>
#include <unordered_set>

#include "component/validate/extern_types.hpp"

namespace actr::component::validate {

class NamedTypes {
 public:
  // Whether every named type `e` refers to has a name here (`for_import`: only the message
  // differs). On failure `why` (when given) receives what lacks one, e.g. "param `p` refers to
  // record, which no preceding import or export names".
  bool covers(const ExternType& e, bool for_import, std::string* why) const;
  // Records the names an import or export of type `e` introduces.
  void add_names_of(const ExternType& e);

 private:
  std::unordered_set<const void*> ids_;
};

}  // namespace actr::component::validate
