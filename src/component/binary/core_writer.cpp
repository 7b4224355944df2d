#include "component/binary/core_writer.hpp"

#include "component/binary/writer.hpp"

namespace actr::component::binary {

uint8_t valtype_code(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::I32:
      return 0x7f;
    case wasm::ValType::I64:
      return 0x7e;
    case wasm::ValType::F32:
      return 0x7d;
    case wasm::ValType::F64:
      return 0x7c;
    case wasm::ValType::FuncRef:
      return 0x70;
    case wasm::ValType::ExternRef:
      return 0x6f;
  }
  return 0x7f;
}

namespace {

uint8_t kind_code(wasm::ExternKind k) {
  switch (k) {
    case wasm::ExternKind::Func:
      return 0x00;
    case wasm::ExternKind::Table:
      return 0x01;
    case wasm::ExternKind::Memory:
      return 0x02;
    case wasm::ExternKind::Global:
      return 0x03;
    case wasm::ExternKind::Tag:
      return 0x04;
  }
  return 0x00;
}

void table_type(Writer& w, const wasm::TableType& t) {
  w.byte(valtype_code(t.elem));
  w.byte(t.limits.max ? 0x01 : 0x00);
  w.u32(static_cast<uint32_t>(t.limits.min));
  if (t.limits.max) w.u32(static_cast<uint32_t>(*t.limits.max));
}

}  // namespace

uint32_t CoreModuleWriter::type(const wasm::FuncType& type) {
  for (uint32_t i = 0; i < types_.size(); ++i) {
    if (types_[i] == type) return i;
  }
  types_.push_back(type);
  return static_cast<uint32_t>(types_.size() - 1);
}

uint32_t CoreModuleWriter::import_func(std::string module, std::string name, uint32_t type) {
  imports_.push_back({std::move(module), std::move(name), wasm::ExternKind::Func, type, {}});
  return imported_funcs_++;
}

uint32_t CoreModuleWriter::import_table(std::string module, std::string name,
                                        const wasm::TableType& table) {
  imports_.push_back({std::move(module), std::move(name), wasm::ExternKind::Table, 0, table});
  return imported_tables_++;
}

uint32_t CoreModuleWriter::table(const wasm::TableType& table) {
  tables_.push_back(table);
  return imported_tables_ + static_cast<uint32_t>(tables_.size() - 1);
}

uint32_t CoreModuleWriter::func(uint32_t type, std::vector<uint8_t> code) {
  funcs_.push_back({type, std::move(code)});
  return imported_funcs_ + static_cast<uint32_t>(funcs_.size() - 1);
}

void CoreModuleWriter::export_item(std::string name, wasm::ExternKind kind, uint32_t index) {
  exports_.push_back({std::move(name), kind, index});
}

void CoreModuleWriter::elements(uint32_t offset, std::vector<uint32_t> funcs) {
  elements_.push_back({offset, std::move(funcs)});
}

void CoreModuleWriter::local_get(std::vector<uint8_t>& code, uint32_t index) {
  Writer w;
  w.byte(0x20);
  w.u32(index);
  code.insert(code.end(), w.data().begin(), w.data().end());
}

void CoreModuleWriter::i32_const(std::vector<uint8_t>& code, int32_t value) {
  Writer w;
  w.byte(0x41);
  w.s64(value);
  code.insert(code.end(), w.data().begin(), w.data().end());
}

void CoreModuleWriter::call_indirect(std::vector<uint8_t>& code, uint32_t type, uint32_t table) {
  Writer w;
  w.byte(0x11);
  w.u32(type);
  w.u32(table);
  code.insert(code.end(), w.data().begin(), w.data().end());
}

std::vector<uint8_t> CoreModuleWriter::finish() const {
  Writer out;
  const uint8_t preamble[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  out.bytes(preamble);
  auto count = [](size_t n) { return static_cast<uint32_t>(n); };

  if (!types_.empty()) {
    Writer s;
    s.u32(count(types_.size()));
    for (const auto& t : types_) {
      s.byte(0x60);
      s.u32(count(t.params.size()));
      for (auto v : t.params) s.byte(valtype_code(v));
      s.u32(count(t.results.size()));
      for (auto v : t.results) s.byte(valtype_code(v));
    }
    out.section(1, s);
  }
  if (!imports_.empty()) {
    Writer s;
    s.u32(count(imports_.size()));
    for (const auto& i : imports_) {
      s.name(i.module);
      s.name(i.name);
      s.byte(kind_code(i.kind));
      if (i.kind == wasm::ExternKind::Table) {
        table_type(s, i.table);
      } else {
        s.u32(i.type);
      }
    }
    out.section(2, s);
  }
  if (!funcs_.empty()) {
    Writer s;
    s.u32(count(funcs_.size()));
    for (const auto& f : funcs_) s.u32(f.type);
    out.section(3, s);
  }
  if (!tables_.empty()) {
    Writer s;
    s.u32(count(tables_.size()));
    for (const auto& t : tables_) table_type(s, t);
    out.section(4, s);
  }
  if (!exports_.empty()) {
    Writer s;
    s.u32(count(exports_.size()));
    for (const auto& e : exports_) {
      s.name(e.name);
      s.byte(kind_code(e.kind));
      s.u32(e.index);
    }
    out.section(7, s);
  }
  if (start_) {
    Writer s;
    s.u32(*start_);
    out.section(8, s);
  }
  if (!elements_.empty()) {
    Writer s;
    s.u32(count(elements_.size()));
    for (const auto& e : elements_) {
      s.u32(0);  // active, table 0, funcref indices
      s.byte(0x41);
      s.s64(static_cast<int32_t>(e.offset));
      s.byte(0x0b);
      s.u32(count(e.funcs.size()));
      for (auto f : e.funcs) s.u32(f);
    }
    out.section(9, s);
  }
  if (!funcs_.empty()) {
    Writer s;
    s.u32(count(funcs_.size()));
    for (const auto& f : funcs_) {
      Writer body;
      body.u32(0);  // no locals
      body.bytes(f.code);
      body.byte(0x0b);
      s.u32(count(body.size()));
      s.bytes(body.data());
    }
    out.section(10, s);
  }
  return out.take();
}

}  // namespace actr::component::binary
