// The WIT model: what the parser reads from .wit files and the resolver links together.
// Type uses (`Type`) name other definitions by text until the resolver sets `def`; after
// resolution every Ref/Own/Borrow points at the TypeDef it means (aliases included).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actr/component/types.hpp"

namespace actr::witgen {

struct Pos {
  std::string file;
  uint32_t line = 1;
  uint32_t column = 1;
};
// "file:line:column", the prefix of every diagnostic.
std::string to_string(const Pos& p);

struct TypeDef;
struct Interface;
struct Package;

// A type as written where it is used: `u32`, `list<dest>`, `result<_, actr-error>`, `borrow<file>`,
// `map<string, u32>`.
struct Type {
  enum class Tag : uint8_t { Primitive, Ref, List, Option, Result, Tuple, Own, Borrow, Map };
  Tag tag = Tag::Primitive;
  component::Kind primitive = component::Kind::Bool;  // Primitive
  std::string name;                                   // Ref, Own, Borrow: the name as written
  Pos pos;
  std::shared_ptr<Type> elem;                // List, Option; Map: the value type
  std::shared_ptr<Type> key;                 // Map
  std::shared_ptr<Type> ok, err;             // Result; each may be null (`_` or absent)
  std::vector<std::shared_ptr<Type>> items;  // Tuple
  const TypeDef* def = nullptr;              // Ref, Own, Borrow, once resolved
};
using TypePtr = std::shared_ptr<Type>;

struct Param {
  std::string name;
  TypePtr type;
};

struct Function {
  enum class Kind : uint8_t { Freestanding, Constructor, Method, Static };
  Kind kind = Kind::Freestanding;
  std::string name;  // constructors: "constructor"
  std::string docs;
  Pos pos;
  std::vector<Param> params;  // methods: without the implicit `self`
  TypePtr result;             // null: no result
  // Older WIT: `-> (a: u32, b: string)`; empty when `result` (or nothing) is used.
  std::vector<Param> named_results;
};

struct Field {
  std::string name;
  TypePtr type;
  std::string docs;
};

struct Case {
  std::string name;
  TypePtr type;  // null: no payload
  std::string docs;
};

struct TypeDef {
  enum class Tag : uint8_t { Alias, Record, Variant, Enum, Flags, Resource };
  Tag tag = Tag::Record;
  std::string name;
  std::string docs;
  Pos pos;
  TypePtr alias;                     // Alias: the aliased type
  std::vector<Field> fields;         // Record
  std::vector<Case> cases;           // Variant
  std::vector<std::string> names;    // Enum cases, Flags labels
  std::vector<Function> functions;   // Resource: constructor, methods, static functions
  const Interface* owner = nullptr;  // set by the resolver (null for types of a world)
};
using TypeDefPtr = std::shared_ptr<TypeDef>;

// `use path.{a, b as c};` — path is an interface of this package (`types`) or of another one
// (`wasi:io/streams@0.2.0`).
struct Use {
  struct Name {
    std::string name;
    std::string as;  // empty: same name
    Pos pos;
  };
  std::string path;
  Pos pos;
  std::vector<Name> names;
};

struct Interface {
  std::string name;  // empty for an inline interface of a world (see WorldItem::name)
  std::string docs;
  Pos pos;
  std::vector<Use> uses;
  std::vector<TypeDefPtr> types;
  std::vector<Function> functions;
  const Package* package = nullptr;  // set by the resolver
  // Set by the resolver: every name usable in this interface (own types and used ones).
  std::map<std::string, const TypeDef*, std::less<>> scope;
  // "ns:pkg/name@version"; for an inline interface, the plain name it has in its world.
  std::string qualified_name() const;
};
using InterfacePtr = std::shared_ptr<Interface>;

struct WorldItem {
  enum class Tag : uint8_t { InterfaceRef, InlineInterface, Function };
  Tag tag = Tag::InterfaceRef;
  bool is_export = false;
  std::string name;  // InterfaceRef: the path as written; InlineInterface/Function: the name
  Pos pos;
  InterfacePtr inline_interface;      // InlineInterface
  Function function;                  // Function
  const Interface* target = nullptr;  // InterfaceRef once resolved; InlineInterface: itself
};

struct World {
  std::string name;
  std::string docs;
  Pos pos;
  std::vector<Use> uses;
  std::vector<TypeDefPtr> types;
  std::vector<WorldItem> items;
  std::vector<std::pair<std::string, Pos>> includes;         // worlds to include, by path
  std::map<std::string, const TypeDef*, std::less<>> scope;  // set by the resolver
};

struct PackageName {
  std::string ns, name, version;  // version may be empty
  std::string to_string() const;  // "ns:name@version"
  bool operator==(const PackageName&) const = default;
};

struct Package {
  PackageName name;
  std::string docs;
  std::vector<InterfacePtr> interfaces;
  std::vector<World> worlds;
  // Top-level `use ns:pkg/iface[@v] [as name];` of the package's files: name -> path.
  std::map<std::string, std::string, std::less<>> use_aliases;
  const Interface* find_interface(std::string_view name) const;
  const World* find_world(std::string_view name) const;
};

// One parsed .wit file: its package header (if any) and its items.
struct File {
  std::string path;
  std::optional<PackageName> package;
  Pos package_pos;
  std::string package_docs;
  std::vector<Use> uses;  // top-level `use ns:pkg/iface;` (ignored beyond syntax checks)
  std::vector<InterfacePtr> interfaces;
  std::vector<World> worlds;
};

}  // namespace actr::witgen
