// The decoded form of a component binary, faithful to design/mvp/Binary.md: every definition in
// binary order, with indices as written (not yet resolved). The decoder produces it, the validator
// checks it, the resolver turns its type indices into component::ValueType / FuncType, and the
// linker replays it to instantiate.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "actr/component/types.hpp"
#include "actr/wasm/types.hpp"

namespace actr::component::ast {

// Every index space of a component, core and component level.
enum class Sort : uint8_t {
  CoreFunc,
  CoreTable,
  CoreMemory,
  CoreGlobal,
  CoreTag,
  CoreType,
  CoreModule,
  CoreInstance,
  Func,
  Value,
  Type,
  Component,
  Instance,
};
const char* to_string(Sort s);

struct SortIdx {
  Sort sort;
  uint32_t index;
};

// Attributes of an import/export name (nameattributes 0x02 form). They never identify the item:
// names alone must be unique.
struct NameAttrs {
  std::string version_suffix;             // (versionsuffix "...") of a canonical interface name
  std::optional<std::string> implements;  // (implements "ns:pkg/iface"); may be present but empty
  std::string external_id;                // (external-id "...")
};

// ---- core instances (section 2) ----
struct CoreInstantiateArg {
  std::string name;   // the import module name it satisfies
  uint32_t instance;  // core instance index
};
struct CoreInlineExport {
  std::string name;
  SortIdx item;  // a core sort
};
struct CoreInstance {
  bool instantiate = true;                // 0x00 instantiate | 0x01 bundle of exports
  uint32_t module = 0;                    // instantiate
  std::vector<CoreInstantiateArg> args;   // instantiate
  std::vector<CoreInlineExport> exports;  // bundle
};

// ---- component instances (section 5) ----
struct InstantiateArg {
  std::string name;
  SortIdx item;
};
struct InlineExport {
  std::string name;
  SortIdx item;
  NameAttrs attrs;
};
struct Instance {
  bool instantiate = true;
  uint32_t component = 0;
  std::vector<InstantiateArg> args;
  std::vector<InlineExport> exports;
};

// ---- aliases (section 6, and inside instance/component types) ----
struct Alias {
  enum class Target : uint8_t { Export, CoreExport, Outer };
  Sort sort;
  Target target;
  uint32_t instance = 0;     // Export / CoreExport
  std::string name;          // Export / CoreExport
  uint32_t outer_count = 0;  // Outer: how many enclosing components/types up
  uint32_t outer_index = 0;  // Outer: index in that scope's `sort` space
};

// ---- types (sections 3 and 7) ----

// valtype ::= primitive | type index
struct ValTypeRef {
  bool is_primitive = true;
  Kind primitive = Kind::Bool;
  uint32_t index = 0;
};

struct DefValType {
  Kind kind = Kind::Bool;  // a primitive (alias of it), or a compound kind
  std::vector<std::pair<std::string, ValTypeRef>> fields;                // Record
  std::vector<std::pair<std::string, std::optional<ValTypeRef>>> cases;  // Variant
  std::vector<ValTypeRef> items;                                         // Tuple; Map: {key, value}
  std::vector<std::string> names;                                        // Enum, Flags
  std::optional<ValTypeRef> elem;                                        // List, Option
  uint32_t length = 0;                                                   // FixedList
  std::optional<ValTypeRef> ok, err;                                     // Result
  uint32_t resource = 0;  // Own, Borrow: type index of the resource
  // Nonzero: the binary opcode of a value type the actr host does not support (stream 0x66,
  // future 0x65, error-context 0x64); `kind` is then meaningless
  // and the validator rejects the definition.
  uint8_t unsupported_opcode = 0;
};

struct FuncTypeDef {
  std::vector<std::pair<std::string, ValTypeRef>> params;
  // Either one unnamed result (name ""), none, or (legacy 0x01 form) named results.
  std::vector<std::pair<std::string, ValTypeRef>> results;
  bool async = false;  // 0x43: rejected by the validator (the actr world is synchronous)
};

struct TypeBound {
  bool sub_resource = false;  // (sub resource): a fresh abstract resource type
  uint32_t eq = 0;            // (eq i)
};

struct ExternDesc {
  enum class Kind : uint8_t { CoreModule, Func, Value, Type, Component, Instance };
  Kind kind = Kind::Func;
  uint32_t type_index = 0;  // CoreModule, Func, Component, Instance: a type index
  TypeBound bound;          // Type
};

struct ImportDecl {
  std::string name;
  ExternDesc desc;
  NameAttrs attrs;
};
struct ExportDecl {
  std::string name;
  ExternDesc desc;
  NameAttrs attrs;
};

struct ComponentTypeDef;
struct InstanceTypeDef;
struct CoreTypeDef;

struct ResourceTypeDef {
  wasm::ValType rep = wasm::ValType::I32;
  std::optional<uint32_t> dtor;  // core func index
  bool async = false;
};

// A declaration inside a component type or instance type.
struct TypeDecl;

struct ComponentTypeDef {
  std::vector<TypeDecl> decls;
};
struct InstanceTypeDef {
  std::vector<TypeDecl> decls;
};

using TypeDef =
    std::variant<DefValType, FuncTypeDef, ComponentTypeDef, InstanceTypeDef, ResourceTypeDef>;

// Core types: a function type, or a module type (with its own import/export decls).
struct CoreModuleTypeDecl {
  enum class Kind : uint8_t { Import, Type, Alias, Export };
  Kind kind;
  wasm::ImportType import;            // Import
  std::shared_ptr<CoreTypeDef> type;  // Type
  Alias alias;                        // Alias (outer only)
  std::string export_name;            // Export
  wasm::ExternType export_type;
  // Import/Export of a function: the function type is an index into the module type's own core
  // type space (its Type and Alias decls), which the resolver fills into `func` of the ExternType.
  uint32_t func_type_index = 0;
};
struct CoreTypeDef {
  bool is_module = false;
  wasm::FuncType func;  // !is_module
  // False for a GC `(sub (func ...))` without `final` (binary 0x00 0x50): such a type may be
  // declared, but nothing here can match it (GC subtyping is not supported).
  bool final = true;
  std::vector<CoreModuleTypeDecl> module;  // is_module
};

struct TypeDecl {
  enum class Kind : uint8_t { CoreType, Type, Alias, Import, Export };
  Kind kind;
  std::shared_ptr<CoreTypeDef> core_type;  // CoreType
  std::shared_ptr<TypeDef> type;           // Type
  Alias alias;                             // Alias
  ImportDecl import;                       // Import (component types only)
  ExportDecl export_;                      // Export
};

// ---- canonical functions (section 8) ----
enum class StringEncoding : uint8_t { Utf8, Utf16, Latin1Utf16 };

struct CanonOptions {
  StringEncoding encoding = StringEncoding::Utf8;
  // Whether the binary names the encoding (utf8 is the default either way); the encoder writes
  // it only then, as wit-component does for functions that carry strings.
  bool encoding_given = false;
  std::optional<uint32_t> memory;       // core memory index
  std::optional<uint32_t> realloc;      // core func index
  std::optional<uint32_t> post_return;  // core func index
  bool async = false;                   // rejected: the actr world is synchronous
  std::optional<uint32_t> callback;     // rejected likewise
};

struct Canon {
  enum class Kind : uint8_t { Lift, Lower, ResourceNew, ResourceDrop, ResourceRep, Unsupported };
  Kind kind = Kind::Lift;
  uint32_t func = 0;     // Lift: core func index; Lower: func index
  uint32_t type = 0;     // Lift: func type index; Resource*: resource type index
  CanonOptions options;  // Lift, Lower
  uint8_t opcode = 0;    // the binary opcode (for messages about Unsupported built-ins)
};

// ---- imports and exports (sections 10 and 11) ----
struct Import {
  std::string name;
  ExternDesc desc;
  NameAttrs attrs;
};
struct Export {
  std::string name;
  SortIdx item;
  std::optional<ExternDesc> ascribed;
  NameAttrs attrs;
};

// ---- start (section 9): decoded so the validator can reject it with a clear message ----
struct Start {
  uint32_t func = 0;
  std::vector<uint32_t> args;  // value indices
  uint32_t results = 0;
};

struct Component;

// One definition, in binary order. Each adds to exactly one index space except Export (adds to
// the space of its sort: exports create new indices in the Component Model) and Custom/Start.
struct Definition {
  enum class Kind : uint8_t {
    CoreModule,
    CoreInstance,
    CoreType,
    Component,
    Instance,
    Alias,
    Type,
    Canon,
    Import,
    Export,
    Start,  // rejected by the validator: the 🪙 value/start feature is not supported
  };
  Kind kind;
  uint32_t offset = 0;  // byte offset in the binary, for messages

  // CoreModule: the module's bytes (a view into Component::bytes) and its import/export types.
  uint32_t module_offset = 0, module_size = 0;
  std::vector<wasm::ImportType> module_imports;
  std::vector<wasm::ExportType> module_exports;

  CoreInstance core_instance;
  std::shared_ptr<CoreTypeDef> core_type;
  std::shared_ptr<Component> component;
  Instance instance;
  Alias alias;
  std::shared_ptr<TypeDef> type;
  Canon canon;
  Import import;
  Export export_;
  Start start;
};

struct Component {
  // The whole binary this component (or its outermost parent) was decoded from; module bytes are
  // views into it.
  std::shared_ptr<const std::vector<uint8_t>> bytes;
  std::vector<Definition> defs;
};

}  // namespace actr::component::ast
