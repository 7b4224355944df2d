// Core WebAssembly types shared by every engine backend and by the component layer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace actr::wasm {

enum class ValType : uint8_t { I32, I64, F32, F64, FuncRef, ExternRef };

const char* to_string(ValType t);

// A core value crossing the host/guest boundary: i32 and f32 occupy the low 32 bits (f32 as its
// bit pattern), i64 and f64 all 64 bits. Every call between the component layer and an engine
// passes arguments and results as arrays of slots, in the order of the function type.
using Slot = uint64_t;

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;

  bool operator==(const FuncType&) const = default;
  std::string to_string() const;  // "(i32, i64) -> (i32)"
};

enum class ExternKind : uint8_t { Func, Table, Memory, Global, Tag };

const char* to_string(ExternKind k);

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool operator==(const Limits&) const = default;
};

struct TableType {
  ValType elem = ValType::FuncRef;
  Limits limits;
  bool operator==(const TableType&) const = default;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
  bool operator==(const MemoryType&) const = default;
};

struct GlobalType {
  ValType type = ValType::I32;
  bool is_mutable = false;
  bool operator==(const GlobalType&) const = default;
};

// An exception tag (exception handling): the values a throw carries. Tags are generative: two
// instances of one module define two distinct tags, and a catch matches only its own.
struct TagType {
  std::vector<ValType> params;
  bool operator==(const TagType&) const = default;
};

struct ExternType {
  ExternKind kind = ExternKind::Func;
  FuncType func;      // kind == Func
  TableType table;    // kind == Table
  MemoryType memory;  // kind == Memory
  GlobalType global;  // kind == Global
  TagType tag;        // kind == Tag
};

struct ImportType {
  std::string module;
  std::string name;
  ExternType type;
};

struct ExportType {
  std::string name;
  ExternType type;
};

inline constexpr uint64_t kPageSize = 65536;

}  // namespace actr::wasm
