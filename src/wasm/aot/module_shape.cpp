#include "wasm/aot/module_shape.hpp"

#include <string>

namespace actr::wasm::aot {
namespace {

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t offset() const { return pos_; }
  bool at_end() const { return pos_ >= end_; }
  size_t end() const { return end_; }
  void limit(size_t end) { end_ = end; }
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

  uint8_t byte() {
    if (pos_ >= end_) return fail("unexpected end"), 0;
    return bytes_[pos_++];
  }

  uint64_t uleb(int max_bits) {
    uint64_t result = 0;
    for (int shift = 0; shift < max_bits && shift < 64; shift += 7) {
      uint8_t b = byte();
      if (failed()) return 0;
      result |= uint64_t(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (max_bits < 64 && (result >> max_bits) != 0) return fail("integer too large"), 0;
        return result;
      }
    }
    return fail("integer representation too long"), 0;
  }

  uint32_t u32() { return static_cast<uint32_t>(uleb(32)); }

  // Skips a signed or unsigned LEB128 of at most `max_bytes` bytes.
  void skip_leb(int max_bytes) {
    for (int i = 0; i < max_bytes; ++i) {
      uint8_t b = byte();
      if (failed() || (b & 0x80) == 0) return;
    }
    fail("integer representation too long");
  }

  void skip(size_t n) {
    if (n > end_ - pos_) return fail("unexpected end");
    pos_ += n;
  }

  std::string name() {
    uint32_t length = u32();
    if (failed()) return {};
    if (length > end_ - pos_) return fail("unexpected end of name"), std::string();
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return s;
  }

  void fail(std::string message) {
    if (error_.empty()) {
      error_ = "at byte 0x" + hex(pos_) + ": " + message;
      end_ = pos_;
    }
  }

 private:
  static std::string hex(size_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    do {
      s.insert(s.begin(), kDigits[v & 15]);
      v >>= 4;
    } while (v);
    return s;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  size_t end_ = bytes_.size();
  std::string error_;
};

ValType read_val_type(Reader& r) {
  switch (r.byte()) {
    case 0x7f:
      return ValType::I32;
    case 0x7e:
      return ValType::I64;
    case 0x7d:
      return ValType::F32;
    case 0x7c:
      return ValType::F64;
    case 0x70:
      return ValType::FuncRef;
    case 0x6f:
      return ValType::ExternRef;
    default:
      r.fail("unsupported value type");
      return ValType::I32;
  }
}

Limits read_limits(Reader& r) {
  Limits limits;
  uint8_t flags = r.byte();
  if (flags > 1) {
    r.fail("unsupported limits flags");
    return limits;
  }
  limits.min = r.u32();
  if (flags == 1) limits.max = r.u32();
  return limits;
}

TableType read_table_type(Reader& r) {
  TableType t;
  t.elem = read_val_type(r);
  t.limits = read_limits(r);
  return t;
}

GlobalType read_global_type(Reader& r) {
  GlobalType g;
  g.type = read_val_type(r);
  uint8_t mut = r.byte();
  if (mut > 1) r.fail("invalid global mutability");
  g.is_mutable = mut == 1;
  return g;
}

// Skips a constant expression up to and including its `end`.
// Returns whether the expression reads a global (its value may differ between instances).
bool skip_const_expr(Reader& r) {
  bool reads_global = false;
  for (;;) {
    uint8_t op = r.byte();
    if (r.failed()) return reads_global;
    switch (op) {
      case 0x0b:
        return reads_global;
      case 0x41:
        r.skip_leb(5);
        break;  // i32.const
      case 0x42:
        r.skip_leb(10);
        break;  // i64.const
      case 0x43:
        r.skip(4);
        break;
      case 0x44:
        r.skip(8);
        break;
      case 0x23:
        r.u32();
        reads_global = true;
        break;  // global.get
      case 0xd0:
        r.byte();
        break;  // ref.null t
      case 0xd2:
        r.u32();
        break;  // ref.func
      case 0x6a:
      case 0x6b:
      case 0x6c:
      case 0x7c:
      case 0x7d:
      case 0x7e:
        break;  // extended const
      default:
        r.fail("unsupported constant expression");
        return reads_global;
    }
  }
}

}  // namespace

Result<ModuleShape> read_module_shape(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  ModuleShape shape;
  std::vector<FuncType> types;
  static constexpr uint8_t kHeader[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  for (uint8_t expected : kHeader) {
    if (r.byte() != expected) {
      r.fail("not a WebAssembly 1.0 module (bad magic or version)");
      return make_error(r.error());
    }
  }
  auto type_of_func = [&](uint32_t type_index) -> FuncType {
    if (type_index >= types.size()) {
      r.fail("function type index out of range");
      return {};
    }
    return types[type_index];
  };
  // tag ::= attribute (0x00, an exception) typeidx; the type's results must be empty.
  auto read_tag = [&]() {
    if (r.byte() != 0x00) r.fail("unsupported tag attribute");
    return TagType{type_of_func(r.u32()).params};
  };
  while (!r.at_end() && !r.failed()) {
    uint8_t id = r.byte();
    uint32_t size = r.u32();
    if (r.failed()) break;
    size_t section_end = r.offset() + size;
    if (size > r.end() - r.offset()) {
      r.fail("section extends past the end of the module");
      break;
    }
    size_t outer_end = r.end();
    r.limit(section_end);
    switch (id) {
      case 1: {  // type
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i) {
          if (r.byte() != 0x60) {
            r.fail("unsupported type form");
            break;
          }
          FuncType t;
          uint32_t params = r.u32();
          for (uint32_t p = 0; p < params && !r.failed(); ++p) t.params.push_back(read_val_type(r));
          uint32_t results = r.u32();
          for (uint32_t p = 0; p < results && !r.failed(); ++p)
            t.results.push_back(read_val_type(r));
          types.push_back(std::move(t));
        }
        break;
      }
      case 2: {  // import
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i) {
          ImportType imp;
          imp.module = r.name();
          imp.name = r.name();
          switch (r.byte()) {
            case 0:
              imp.type.kind = ExternKind::Func;
              imp.type.func = type_of_func(r.u32());
              shape.funcs.push_back(imp.type.func);
              ++shape.imported_funcs;
              break;
            case 1:
              imp.type.kind = ExternKind::Table;
              imp.type.table = read_table_type(r);
              shape.tables.push_back(imp.type.table);
              ++shape.imported_tables;
              break;
            case 2:
              imp.type.kind = ExternKind::Memory;
              imp.type.memory.limits = read_limits(r);
              shape.memories.push_back(imp.type.memory);
              ++shape.imported_memories;
              break;
            case 3:
              imp.type.kind = ExternKind::Global;
              imp.type.global = read_global_type(r);
              shape.globals.push_back(imp.type.global);
              ++shape.imported_globals;
              break;
            case 4:
              imp.type.kind = ExternKind::Tag;
              imp.type.tag = read_tag();
              shape.tags.push_back(imp.type.tag);
              ++shape.imported_tags;
              break;
            default:
              r.fail("unsupported import kind");
          }
          shape.imports.push_back(std::move(imp));
        }
        break;
      }
      case 3: {  // function
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i)
          shape.funcs.push_back(type_of_func(r.u32()));
        break;
      }
      case 4: {  // table
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i)
          shape.tables.push_back(read_table_type(r));
        break;
      }
      case 5: {  // memory
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i) {
          shape.memories.push_back(MemoryType{read_limits(r)});
        }
        break;
      }
      case 6: {  // global
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i) {
          shape.globals.push_back(read_global_type(r));
          skip_const_expr(r);
        }
        break;
      }
      case 13: {  // tag
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i) shape.tags.push_back(read_tag());
        break;
      }
      case 7: {  // export
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i) {
          ExportType exp;
          exp.name = r.name();
          uint8_t kind = r.byte();
          uint32_t index = r.u32();
          if (r.failed()) break;
          auto out_of_range = [&] { r.fail("export index out of range"); };
          switch (kind) {
            case 0:
              exp.type.kind = ExternKind::Func;
              if (index >= shape.funcs.size())
                out_of_range();
              else
                exp.type.func = shape.funcs[index];
              break;
            case 1:
              exp.type.kind = ExternKind::Table;
              if (index >= shape.tables.size())
                out_of_range();
              else
                exp.type.table = shape.tables[index];
              break;
            case 2:
              exp.type.kind = ExternKind::Memory;
              if (index >= shape.memories.size())
                out_of_range();
              else
                exp.type.memory = shape.memories[index];
              break;
            case 3:
              exp.type.kind = ExternKind::Global;
              if (index >= shape.globals.size())
                out_of_range();
              else
                exp.type.global = shape.globals[index];
              break;
            case 4:
              exp.type.kind = ExternKind::Tag;
              if (index >= shape.tags.size())
                out_of_range();
              else
                exp.type.tag = shape.tags[index];
              break;
            default:
              r.fail("unsupported export kind");
          }
          shape.exports.push_back(std::move(exp));
          shape.export_indices.push_back(index);
        }
        break;
      }
      case 8:  // start
        shape.has_start = true;
        break;
      case 11: {  // data: only whether instances' active segments all land at the same offsets
        uint32_t count = r.u32();
        for (uint32_t i = 0; i < count && !r.failed(); ++i) {
          uint32_t flags = r.u32();
          if (flags == 2) r.u32();  // memory index
          if ((flags == 0 || flags == 2) && skip_const_expr(r)) shape.data_offsets_vary = true;
          if (flags > 2) r.fail("unsupported data segment flags");
          r.skip(r.u32());
        }
        break;
      }
      default:  // everything else (custom, elem, code...) has no outward shape
        break;
    }
    if (r.failed()) break;
    if (((id >= 1 && id <= 7) || id == 13) && r.offset() != section_end) {
      r.fail("section size mismatch");
      break;
    }
    r.limit(outer_end);
    r.skip(section_end - r.offset());
  }
  if (r.failed()) return make_error(r.error());
  return shape;
}

}  // namespace actr::wasm::aot
