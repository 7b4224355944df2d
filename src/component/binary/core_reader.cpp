#include "component/binary/core_reader.hpp"

#include <set>
#include <string>

namespace actr::component::binary {
namespace {

constexpr uint8_t kTypeSection = 1, kImportSection = 2, kFunctionSection = 3, kTableSection = 4,
                  kMemorySection = 5, kGlobalSection = 6, kExportSection = 7, kTagSection = 13;

std::string hex(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

// Abstract heap types as s33: func = -0x10 (0x70), extern = -0x11 (0x6f).
Result<wasm::ValType> reftype_of_heap(Reader& r, size_t at) {
  ACTR_TRY(int64_t ht, r.s33());
  if (ht == -0x10) return wasm::ValType::FuncRef;
  if (ht == -0x11) return wasm::ValType::ExternRef;
  return Reader::error_at(at, "reference type with heap type " + std::to_string(ht) +
                                  " is not supported (only funcref and externref)");
}

// Skips a constant expression (global and table initialisers) up to and including its `end`.
Result<void> skip_const_expr(Reader& r) {
  for (;;) {
    size_t at = r.offset();
    ACTR_TRY(uint8_t op, r.byte());
    switch (op) {
      case 0x0b:
        return {};
      case 0x41:
        ACTR_TRY_VOID(r.s64());
        break;  // i32.const (range is the engine's concern)
      case 0x42:
        ACTR_TRY_VOID(r.s64());
        break;  // i64.const
      case 0x43:
        ACTR_TRY_VOID(r.skip(4));
        break;
      case 0x44:
        ACTR_TRY_VOID(r.skip(8));
        break;
      case 0x23:
        ACTR_TRY_VOID(r.u32());
        break;  // global.get
      case 0xd2:
        ACTR_TRY_VOID(r.u32());
        break;  // ref.func
      case 0xd0:
        ACTR_TRY_VOID(r.s33());
        break;  // ref.null
      case 0x6a:
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;  // extended-const
      case 0xfd: {
        ACTR_TRY(uint32_t sub, r.u32());
        if (sub != 12)
          return Reader::error_at(at, "unsupported SIMD instruction in a constant expression");
        ACTR_TRY_VOID(r.skip(16));
        break;
      }
      default:
        return Reader::error_at(at,
                                "unsupported instruction " + hex(op) + " in a constant expression");
    }
  }
}

Result<wasm::Limits> read_limits(Reader& r, bool allow_shared, bool* is64_out = nullptr) {
  size_t at = r.offset();
  ACTR_TRY(uint8_t flags, r.byte());
  if (flags > 0x07 || (!allow_shared && (flags & 0x02))) {
    return Reader::error_at(at, "invalid limits flags " + hex(flags));
  }
  wasm::Limits l;
  bool is64 = flags & 0x04;
  if (is64_out) *is64_out = is64;
  if (is64) {
    ACTR_TRY(l.min, r.u64());
  } else {
    ACTR_TRY(uint32_t min, r.u32());
    l.min = min;
  }
  if (flags & 0x01) {
    if (is64) {
      ACTR_TRY(uint64_t max, r.u64());
      l.max = max;
    } else {
      ACTR_TRY(uint32_t max, r.u32());
      l.max = max;
    }
    if (*l.max < l.min)
      return Reader::error_at(at, "size minimum must not be greater than maximum");
  }
  return l;
}

// A composite type of the type section; only function types are supported.
Result<wasm::FuncType> read_comptype(Reader& r) {
  size_t at = r.offset();
  ACTR_TRY(uint8_t form, r.byte());
  if (form == 0x60) return read_core_functype(r);
  if (form == 0x5f || form == 0x5e) {
    return Reader::error_at(at, "GC struct and array types are not supported");
  }
  return Reader::error_at(at, "invalid core type form " + hex(form));
}

Result<void> read_subtype(Reader& r, std::vector<wasm::FuncType>& types) {
  ACTR_TRY(uint8_t form, r.peek());
  if (form == 0x50 || form == 0x4f) {  // sub / sub final: supertypes, then the composite type
    ACTR_TRY_VOID(r.byte());
    ACTR_TRY(uint32_t n, r.count());
    for (uint32_t i = 0; i < n; ++i) ACTR_TRY_VOID(r.u32());
  }
  ACTR_TRY(wasm::FuncType ft, read_comptype(r));
  types.push_back(std::move(ft));
  return {};
}

Result<void> read_type_section(Reader& r, std::vector<wasm::FuncType>& types) {
  ACTR_TRY(uint32_t n, r.count());
  for (uint32_t i = 0; i < n; ++i) {
    ACTR_TRY(uint8_t form, r.peek());
    if (form == 0x4e) {  // rec group
      ACTR_TRY_VOID(r.byte());
      ACTR_TRY(uint32_t m, r.count());
      for (uint32_t k = 0; k < m; ++k) ACTR_TRY_VOID(read_subtype(r, types));
    } else {
      ACTR_TRY_VOID(read_subtype(r, types));
    }
  }
  return {};
}

struct ModuleSpaces {
  std::vector<wasm::FuncType> types;
  std::vector<wasm::FuncType> funcs;
  std::vector<wasm::TableType> tables;
  std::vector<wasm::MemoryType> memories;
  std::vector<wasm::GlobalType> globals;
  std::vector<wasm::TagType> tags;
};

Result<wasm::FuncType> func_type_at(const ModuleSpaces& m, uint32_t index, size_t at) {
  if (index >= m.types.size()) {
    return Reader::error_at(at, "type index " + std::to_string(index) + " out of bounds (" +
                                    std::to_string(m.types.size()) + " types)");
  }
  return m.types[index];
}
Result<wasm::TagType> tag_type_at(const ModuleSpaces& m, uint32_t index, size_t at) {
  ACTR_TRY(wasm::FuncType f, func_type_at(m, index, at));
  if (!f.results.empty()) return Reader::error_at(at, "a tag's type must have no results");
  return wasm::TagType{std::move(f.params)};
}

template <typename T>
Result<T> item_at(const std::vector<T>& space, uint32_t index, const char* what, size_t at) {
  if (index >= space.size()) {
    return Reader::error_at(at, std::string("export of ") + what + " " + std::to_string(index) +
                                    " out of bounds (" + std::to_string(space.size()) +
                                    " defined)");
  }
  return space[index];
}

}  // namespace

Result<wasm::ValType> read_core_valtype(Reader& r) {
  size_t at = r.offset();
  ACTR_TRY(uint8_t b, r.byte());
  switch (b) {
    case 0x7f:
      return wasm::ValType::I32;
    case 0x7e:
      return wasm::ValType::I64;
    case 0x7d:
      return wasm::ValType::F32;
    case 0x7c:
      return wasm::ValType::F64;
    case 0x70:
      return wasm::ValType::FuncRef;
    case 0x6f:
      return wasm::ValType::ExternRef;
    case 0x7b:
      return Reader::error_at(at, "v128 (SIMD) values are not supported");
    case 0x63:
    case 0x64:
      return reftype_of_heap(r, at);
    default:
      return Reader::error_at(at, "invalid core value type " + hex(b));
  }
}

Result<wasm::FuncType> read_core_functype(Reader& r) {
  wasm::FuncType ft;
  ACTR_TRY(uint32_t np, r.count());
  ft.params.reserve(np);
  for (uint32_t i = 0; i < np; ++i) {
    ACTR_TRY(auto t, read_core_valtype(r));
    ft.params.push_back(t);
  }
  ACTR_TRY(uint32_t nr, r.count());
  ft.results.reserve(nr);
  for (uint32_t i = 0; i < nr; ++i) {
    ACTR_TRY(auto t, read_core_valtype(r));
    ft.results.push_back(t);
  }
  return ft;
}

Result<wasm::TableType> read_core_tabletype(Reader& r) {
  wasm::TableType t;
  size_t at = r.offset();
  ACTR_TRY(t.elem, read_core_valtype(r));
  if (t.elem != wasm::ValType::FuncRef && t.elem != wasm::ValType::ExternRef) {
    return Reader::error_at(at, "table element type must be a reference type");
  }
  ACTR_TRY(t.limits, read_limits(r, false));
  return t;
}

Result<wasm::MemoryType> read_core_memtype(Reader& r) {
  wasm::MemoryType m;
  size_t at = r.offset();
  bool is64 = false;
  ACTR_TRY(m.limits, read_limits(r, true, &is64));
  // 4 GiB for 32-bit memories, 2^64 bytes for 64-bit ones (Core spec, memory types).
  const uint64_t max_pages = is64 ? uint64_t{1} << 48 : uint64_t{1} << 16;
  if (m.limits.min > max_pages || m.limits.max.value_or(0) > max_pages) {
    return Reader::error_at(at, "memory size must be at most " + std::to_string(max_pages) +
                                    " pages (" + (is64 ? "2^64 bytes" : "4 GiB") + ")");
  }
  return m;
}

Result<wasm::GlobalType> read_core_globaltype(Reader& r) {
  wasm::GlobalType g;
  ACTR_TRY(g.type, read_core_valtype(r));
  size_t at = r.offset();
  ACTR_TRY(uint8_t mut, r.byte());
  if (mut > 1) return Reader::error_at(at, "invalid global mutability " + hex(mut));
  g.is_mutable = mut == 1;
  return g;
}

Result<CoreExternDesc> read_core_externdesc(Reader& r) {
  CoreExternDesc d;
  size_t at = r.offset();
  ACTR_TRY(uint8_t kind, r.byte());
  switch (kind) {
    case 0x00: {
      d.type.kind = wasm::ExternKind::Func;
      ACTR_TRY(d.func_type_index, r.u32());
      return d;
    }
    case 0x01: {
      d.type.kind = wasm::ExternKind::Table;
      ACTR_TRY(d.type.table, read_core_tabletype(r));
      return d;
    }
    case 0x02: {
      d.type.kind = wasm::ExternKind::Memory;
      ACTR_TRY(d.type.memory, read_core_memtype(r));
      return d;
    }
    case 0x03: {
      d.type.kind = wasm::ExternKind::Global;
      ACTR_TRY(d.type.global, read_core_globaltype(r));
      return d;
    }
    case 0x04: {
      d.type.kind = wasm::ExternKind::Tag;
      size_t attribute_at = r.offset();
      ACTR_TRY(uint8_t attribute, r.byte());
      if (attribute != 0x00) {
        return Reader::error_at(attribute_at, "invalid tag attribute " + hex(attribute));
      }
      ACTR_TRY(d.func_type_index, r.u32());
      return d;
    }
    default:
      return Reader::error_at(at, "invalid core extern kind " + hex(kind));
  }
}

Result<CoreModuleInterface> read_core_module(std::span<const uint8_t> bytes, size_t base) {
  Reader r(bytes, base);
  static constexpr uint8_t kPreamble[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  ACTR_TRY(auto head, r.take(sizeof kPreamble));
  for (size_t i = 0; i < sizeof kPreamble; ++i) {
    if (head[i] != kPreamble[i]) {
      return Reader::error_at(base, "core module does not start with the wasm version 1 preamble");
    }
  }
  CoreModuleInterface out;
  ModuleSpaces m;
  while (!r.at_end()) {
    size_t section_at = r.offset();
    ACTR_TRY(uint8_t id, r.byte());
    ACTR_TRY(uint32_t size, r.u32());
    ACTR_TRY(Reader s, r.sub(size));
    switch (id) {
      case kTypeSection:
        ACTR_TRY_VOID(read_type_section(s, m.types));
        break;
      case kImportSection: {
        ACTR_TRY(uint32_t n, s.count(4));
        out.imports.reserve(n);
        // A component's core instances link imports by one name per pair (module, name), so two
        // imports of one pair could never be told apart (Explainer.md, core modules).
        std::set<std::pair<std::string, std::string>> names;
        for (uint32_t i = 0; i < n; ++i) {
          wasm::ImportType imp;
          size_t name_at = s.offset();
          ACTR_TRY(imp.module, s.name());
          ACTR_TRY(imp.name, s.name());
          if (!names.emplace(imp.module, imp.name).second) {
            return Reader::error_at(name_at,
                                    "duplicate import name `" + imp.module + ":" + imp.name + "`");
          }
          size_t at = s.offset();
          ACTR_TRY(CoreExternDesc d, read_core_externdesc(s));
          imp.type = d.type;
          switch (d.type.kind) {
            case wasm::ExternKind::Func: {
              ACTR_TRY(imp.type.func, func_type_at(m, d.func_type_index, at));
              m.funcs.push_back(imp.type.func);
              break;
            }
            case wasm::ExternKind::Table:
              m.tables.push_back(d.type.table);
              break;
            case wasm::ExternKind::Memory:
              m.memories.push_back(d.type.memory);
              break;
            case wasm::ExternKind::Global:
              m.globals.push_back(d.type.global);
              break;
            case wasm::ExternKind::Tag: {
              ACTR_TRY(imp.type.tag, tag_type_at(m, d.func_type_index, at));
              m.tags.push_back(imp.type.tag);
              break;
            }
          }
          out.imports.push_back(std::move(imp));
        }
        break;
      }
      case kFunctionSection: {
        ACTR_TRY(uint32_t n, s.count());
        for (uint32_t i = 0; i < n; ++i) {
          size_t at = s.offset();
          ACTR_TRY(uint32_t t, s.u32());
          ACTR_TRY(auto ft, func_type_at(m, t, at));
          m.funcs.push_back(std::move(ft));
        }
        break;
      }
      case kTableSection: {
        ACTR_TRY(uint32_t n, s.count(3));
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(uint8_t first, s.peek());
          bool with_init = first == 0x40;
          if (with_init) {
            ACTR_TRY_VOID(s.byte());
            size_t at = s.offset();
            ACTR_TRY(uint8_t zero, s.byte());
            if (zero != 0) return Reader::error_at(at, "invalid table definition");
          }
          ACTR_TRY(auto t, read_core_tabletype(s));
          if (with_init) ACTR_TRY_VOID(skip_const_expr(s));
          m.tables.push_back(t);
        }
        break;
      }
      case kMemorySection: {
        ACTR_TRY(uint32_t n, s.count(2));
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(auto t, read_core_memtype(s));
          m.memories.push_back(t);
        }
        break;
      }
      case kGlobalSection: {
        ACTR_TRY(uint32_t n, s.count(3));
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(auto g, read_core_globaltype(s));
          ACTR_TRY_VOID(skip_const_expr(s));
          m.globals.push_back(g);
        }
        break;
      }
      case kExportSection: {
        ACTR_TRY(uint32_t n, s.count(3));
        out.exports.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
          wasm::ExportType e;
          ACTR_TRY(e.name, s.name());
          size_t at = s.offset();
          ACTR_TRY(uint8_t kind, s.byte());
          ACTR_TRY(uint32_t index, s.u32());
          switch (kind) {
            case 0x00: {
              e.type.kind = wasm::ExternKind::Func;
              ACTR_TRY(e.type.func, item_at(m.funcs, index, "func", at));
              break;
            }
            case 0x01: {
              e.type.kind = wasm::ExternKind::Table;
              ACTR_TRY(e.type.table, item_at(m.tables, index, "table", at));
              break;
            }
            case 0x02: {
              e.type.kind = wasm::ExternKind::Memory;
              ACTR_TRY(e.type.memory, item_at(m.memories, index, "memory", at));
              break;
            }
            case 0x03: {
              e.type.kind = wasm::ExternKind::Global;
              ACTR_TRY(e.type.global, item_at(m.globals, index, "global", at));
              break;
            }
            case 0x04: {
              e.type.kind = wasm::ExternKind::Tag;
              ACTR_TRY(e.type.tag, item_at(m.tags, index, "tag", at));
              break;
            }
            default:
              return Reader::error_at(at, "invalid export kind " + hex(kind));
          }
          out.exports.push_back(std::move(e));
        }
        break;
      }
      case kTagSection: {
        ACTR_TRY(uint32_t n, s.count(2));
        for (uint32_t i = 0; i < n; ++i) {
          size_t at = s.offset();
          ACTR_TRY(uint8_t attribute, s.byte());
          if (attribute != 0x00) {
            return Reader::error_at(at, "invalid tag attribute " + hex(attribute));
          }
          size_t type_at = s.offset();
          ACTR_TRY(uint32_t t, s.u32());
          ACTR_TRY(auto tag, tag_type_at(m, t, type_at));
          m.tags.push_back(std::move(tag));
        }
        break;
      }
      default:
        if (id > 13 && id != 0) {
          return Reader::error_at(section_at, "unknown core section id " + std::to_string(id));
        }
        continue;  // custom, start, element, code, data, data count, tag: not needed here
    }
    if (!s.at_end())
      return s.error("unexpected bytes at the end of core section " + std::to_string(id));
  }
  // One clear line for a feature the engines (wabt 1.0.32) do not take, instead of the
  // misleading error they give (a second memory's index reads as an alignment of 64).
  if (m.memories.size() > 1) {
    return Reader::error_at(base, "multi-memory is not supported (the core module has " +
                                      std::to_string(m.memories.size()) + " memories)");
  }
  return out;
}

}  // namespace actr::component::binary
