// WIT types written into the type index spaces of a component under construction, the way
// wit-component lays them out: a named WIT type is made visible once per space (by an outer alias,
// an alias of an instance export, an import, or its definition plus an `(eq)` export), anonymous
// types (list<u8>, result<_, e>) are defined once per space and shared, and function types too.
//
// A space knows how to append a definition and how to make a named type visible in it; the
// conversion of types is common to all of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actr/common/result.hpp"
#include "component/ast.hpp"
#include "witgen/model.hpp"

namespace actr::componentize {

namespace ast = component::ast;

class TypeSpace {
 public:
  virtual ~TypeSpace() = default;

  Result<ast::ValTypeRef> valtype(const witgen::Type& t);
  // The index of the function type of `f` (shared between functions of equal types).
  Result<uint32_t> functype(const witgen::Function& f);
  // The index of named type `def` here, made visible on first use.
  virtual Result<uint32_t> named(const witgen::TypeDef& def);

 protected:
  // Appends a type definition; returns its index.
  virtual uint32_t define(ast::TypeDef type) = 0;
  // Makes `def` visible here; returns its index.
  virtual Result<uint32_t> provide(const witgen::TypeDef& def) = 0;

  // The index of the definition of `def` in this space: its record/variant/... (a fresh
  // definition), or for `type a = T` the index T has here.
  Result<uint32_t> definition(const witgen::TypeDef& def);
  // Defines an anonymous type once per space.
  Result<uint32_t> shared(ast::TypeDef type);
  // Forgets the shared anonymous types (a new region whose types must refer to other names).
  void forget_shared() { shared_.clear(); }

  std::map<const witgen::TypeDef*, uint32_t> named_;

 private:
  std::map<std::string, uint32_t> shared_;  // keyed by the definition's bytes
};

// The name `def` has in interface `iface`: its own name, or the one a `use` gives it.
std::string local_name(const witgen::Interface& iface, const witgen::TypeDef& def);

}  // namespace actr::componentize
