// A writer of small core WebAssembly modules: the glue modules a component needs around its main
// module (tables of indirect calls, a module that fills them). Function bodies are given as
// instruction bytes; the writer adds the empty locals vector and the final `end`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actr/wasm/types.hpp"

namespace actr::component::binary {

// The one-byte code of a core value type (Binary.md valtype).
uint8_t valtype_code(wasm::ValType t);

class CoreModuleWriter {
 public:
  // The index of `type`, shared with an equal type added before.
  uint32_t type(const wasm::FuncType& type);
  // Imports come before defined functions in the function index space: add them first.
  uint32_t import_func(std::string module, std::string name, uint32_t type);
  uint32_t import_table(std::string module, std::string name, const wasm::TableType& table);
  uint32_t table(const wasm::TableType& table);
  uint32_t func(uint32_t type, std::vector<uint8_t> code);
  void export_item(std::string name, wasm::ExternKind kind, uint32_t index);
  void start(uint32_t func) { start_ = func; }
  // An active element segment of table 0 at `offset` holding `funcs`.
  void elements(uint32_t offset, std::vector<uint32_t> funcs);

  std::vector<uint8_t> finish() const;

  // Instruction encodings for bodies.
  static void local_get(std::vector<uint8_t>& code, uint32_t index);
  static void i32_const(std::vector<uint8_t>& code, int32_t value);
  static void call_indirect(std::vector<uint8_t>& code, uint32_t type, uint32_t table);

 private:
  struct Import {
    std::string module, name;
    wasm::ExternKind kind;
    uint32_t type = 0;
    wasm::TableType table;
  };
  struct Func {
    uint32_t type;
    std::vector<uint8_t> code;
  };
  struct Export {
    std::string name;
    wasm::ExternKind kind;
    uint32_t index;
  };
  struct Elements {
    uint32_t offset;
    std::vector<uint32_t> funcs;
  };
  std::vector<wasm::FuncType> types_;
  std::vector<Import> imports_;
  uint32_t imported_funcs_ = 0, imported_tables_ = 0;
  std::vector<wasm::TableType> tables_;
  std::vector<Func> funcs_;
  std::vector<Export> exports_;
  std::optional<uint32_t> start_;
  std::vector<Elements> elements_;
};

}  // namespace actr::component::binary
