// The Component Model's value types, resolved (no type indices): what the canonical ABI lifts and
// lowers, what WAVE parses and prints, and what the linker checks imports against.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace actr::component {

enum class Kind : uint8_t {
  Bool,
  S8,
  U8,
  S16,
  U16,
  S32,
  U32,
  S64,
  U64,
  F32,
  F64,
  Char,
  String,
  List,
  Record,
  Tuple,
  Variant,
  Enum,
  Option,
  Result,
  Flags,
  Own,
  Borrow,
  // Added after the others so that tables indexed by the kinds up to List stay valid.
  Map,
  FixedList,  // list<T, N> (🔧 fixed-length-lists): N values of T, laid out as a tuple
};

const char* to_string(Kind k);

struct ValueType;
using TypeRef = std::shared_ptr<const ValueType>;

// The identity of a resource type. Two handles have the same resource type iff they point to the
// same ResourceType object (a fresh one per instantiation of a component defining it, per the
// spec's generativity).
struct ResourceType {
  std::string name;           // for messages and WIT printing
  bool host_defined = false;  // defined by the embedder (e.g. wasi:io/streams.output-stream)
};

struct Field {
  std::string name;
  TypeRef type;
};

struct Case {
  std::string name;
  TypeRef type;  // null: no payload
};

struct ValueType {
  Kind kind = Kind::Bool;
  TypeRef elem;                    // List, FixedList, Option; Map: the value type
  uint32_t length = 0;             // FixedList: N (at least 1)
  TypeRef key;                     // Map: the key type (bool, an integer, char or string)
  std::vector<Field> fields;       // Record
  std::vector<TypeRef> items;      // Tuple
  std::vector<Case> cases;         // Variant
  std::vector<std::string> names;  // Enum cases, Flags labels
  TypeRef ok, err;                 // Result (each may be null)
  std::shared_ptr<const ResourceType> resource;  // Own, Borrow
  // Own, Borrow: which name of the resource the type was written with (the validator's external
  // visibility: a resource exported under a second name is the same type with another name).
  // Not part of the type's identity; empty when the type was not built by the validator.
  std::shared_ptr<const void> resource_alias;
  std::string wit_name;  // name given in WIT/exports, if any (printing only; not identity)
};

// Constructors for the common shapes.
TypeRef primitive(Kind k);
TypeRef list_of(TypeRef elem);
// list<elem, length>: `length` values of `elem` (length > 0).
TypeRef fixed_list_of(TypeRef elem, uint32_t length);
// map<key, value>: in the canonical ABI, list<tuple<key, value>>.
TypeRef map_of(TypeRef key, TypeRef value);
// Whether values of kind `k` may be map keys (the spec's <keytype>).
bool is_map_key(Kind k);
TypeRef option_of(TypeRef elem);
TypeRef result_of(TypeRef ok, TypeRef err);
TypeRef tuple_of(std::vector<TypeRef> items);
TypeRef record_of(std::vector<Field> fields);
TypeRef variant_of(std::vector<Case> cases);
TypeRef enum_of(std::vector<std::string> names);
TypeRef flags_of(std::vector<std::string> names);
TypeRef own_of(std::shared_ptr<const ResourceType> r);
TypeRef borrow_of(std::shared_ptr<const ResourceType> r);
// A copy of `type` carrying its WIT name (names do not affect type identity, only printing).
TypeRef named(const TypeRef& type, std::string name);

// Structural equality (resources by identity). When they differ and `why` is given, it receives
// the first difference, e.g. "case 1 is `connection-not-ready` in a, `timed-out` in b".
bool same_type(const ValueType& a, const ValueType& b, std::string* why = nullptr);
// As above, naming the two sides in the message, e.g. "the component" and "the host":
// "case 1 is `connection-not-ready` in the component, `timed-out` in the host".
bool same_type(const ValueType& a, const ValueType& b, std::string* why, std::string_view a_name,
               std::string_view b_name);

// WIT spelling of a type: "list<u8>", "result<string, actr-error>" (named types by name, an
// own handle by its resource's name, a borrow as "borrow<r>"). The one type printer of the code
// base: messages use the types' own names; the WIT printer of whole components (wit_printer.hpp)
// names resources by the interface that declares them and escapes keywords, through WitNaming.
struct WitNaming {
  virtual ~WitNaming() = default;
  virtual std::string resource(const ResourceType* r) const;  // default: its name
  virtual std::string ident(std::string_view name) const;     // default: as it is
};
std::string to_wit(const ValueType& t);
std::string to_wit(const ValueType& t, const WitNaming& naming);
// The structure of a type, ignoring the name it may have ("list<u8>" for `type bytes = list<u8>`).
std::string wit_structure(const ValueType& t, const WitNaming& naming);

struct Param {
  std::string name;
  TypeRef type;
};

// A component function type. Results: zero or one unnamed result (name empty), or (older
// binaries) a list of named results.
struct FuncType {
  std::vector<Param> params;
  std::vector<Param> results;
};

// WIT spelling of a function type: "func(x: u32, s: string) -> list<u8>".
std::string to_wit(const FuncType& f);

// Parameter and result names and types must match (types as same_type). On a difference, `why`
// receives e.g. "param `x`: `u32` in the component, `string` in the host".
bool same_func_type(const FuncType& a, const FuncType& b, std::string* why = nullptr,
                    std::string_view a_name = "a", std::string_view b_name = "b");

// The one type comparison of the code base (same_type and same_func_type use it for one
// comparison; the validator's matching keeps one for a whole match). Pairs found equal are
// remembered, so DAG-shaped types are walked once, and resources may be bound to each other:
// matching two component types binds the abstract resources one names to the other's.
class TypeEquality {
 public:
  // `a_name`/`b_name` name the two sides in messages ("the component", "the host").
  // `remember_pairs` false: no bookkeeping, for one comparison of small types.
  explicit TypeEquality(std::string a_name = "a", std::string b_name = "b",
                        bool remember_pairs = true);
  ~TypeEquality();
  TypeEquality(const TypeEquality&) = delete;
  TypeEquality& operator=(const TypeEquality&) = delete;

  bool same(const ValueType& a, const ValueType& b, std::string* why = nullptr);
  bool same(const FuncType& a, const FuncType& b, std::string* why = nullptr);

  // From now on `a` and `b` count as the same resource type.
  void unify(const ResourceType* a, const ResourceType* b);
  bool same_resource(const ResourceType* a, const ResourceType* b) const;

 private:
  friend class TypeComparer;
  struct Memory;
  std::string a_name_, b_name_;
  bool remember_pairs_;
  std::unique_ptr<Memory> memory_;
};

}  // namespace actr::component
