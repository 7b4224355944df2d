// try_table -> legacy try/catch/catch_all (see exception_lowering.hpp for why).
//
// The walk decodes only as much of each instruction as it takes to skip its immediates; typing is
// left to the decoder that reads the lowered module. The lowering is local: a try_table and a
// legacy try both push one label, so the body's branches keep their indices, and only the
// try_table's own header and its `end` are rewritten:
//
//   try_table bt (catch t l)* (catch_all l)? body end
//   ->  try bt body (catch t  br l+1)* (catch_all  br l+1)? end
//
// A clause's label counts from outside the try_table, while a legacy handler runs inside the try,
// whose label is in scope: hence l+1.
#include "wasm/exception_lowering.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>

namespace actr::wasm {
namespace {

constexpr uint8_t kCodeSectionId = 10;
constexpr uint8_t kImportSectionId = 2;

// Opcodes the lowering writes or must recognise.
constexpr uint8_t kBlock = 0x02;
constexpr uint8_t kTry = 0x06;
constexpr uint8_t kCatch = 0x07;
constexpr uint8_t kEnd = 0x0b;
constexpr uint8_t kBr = 0x0c;
constexpr uint8_t kCatchAll = 0x19;
constexpr uint8_t kTryTable = 0x1f;

// try_table clause kinds.
constexpr uint8_t kClauseCatch = 0x00;
constexpr uint8_t kClauseCatchRef = 0x01;
constexpr uint8_t kClauseCatchAll = 0x02;
constexpr uint8_t kClauseCatchAllRef = 0x03;

// Reference type prefixes: (ref null ht) and (ref ht).
constexpr uint8_t kRefNullPrefix = 0x63;
constexpr uint8_t kRefPrefix = 0x64;
constexpr uint8_t kEmptyBlockType = 0x40;
// The heap types exn and noexn as s33 (the bytes 0x69 and 0x74): exnref and nullexnref.
constexpr int64_t kExnHeapType = 0x69 - 0x80;
constexpr int64_t kNoExnHeapType = 0x74 - 0x80;

std::string hex(size_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%zx", value);
  return text;
}

// A bounds-checked cursor. A failed read returns 0, moves to the end and stays failed, so that
// loops stop on their own; callers check failed() once per instruction rather than per read.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> bytes) : data_(bytes.data()), size_(bytes.size()) {}

  bool failed() const { return failed_; }
  bool at_end() const { return pos_ >= size_; }
  size_t offset() const { return pos_; }
  // Where the first failed read started.
  size_t failure_offset() const { return failure_offset_; }

  uint8_t u8() {
    if (pos_ >= size_) return fail();
    return data_[pos_++];
  }

  uint8_t peek() {
    if (pos_ >= size_) return fail();
    return data_[pos_];
  }

  // An unsigned LEB128 of at most 32 bits.
  uint32_t u32() {
    uint32_t result = 0;
    for (unsigned shift = 0; shift <= 28; shift += 7) {
      if (pos_ >= size_) return fail();
      uint8_t byte = data_[pos_++];
      // The fifth byte holds the top 4 bits and ends the number.
      if (shift == 28 && (byte & 0xf0) != 0) return fail();
      result |= uint32_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) break;
    }
    return result;
  }

  // A signed LEB128 of at most `bits` bits (33 for block and heap types), sign-extended.
  int64_t signed_leb(unsigned bits) {
    const unsigned max_bytes = (bits + 6) / 7;
    uint64_t result = 0;
    unsigned shift = 0;
    uint8_t byte = 0;
    for (unsigned i = 0;; ++i) {
      if (i == max_bytes || pos_ >= size_) return fail();
      byte = data_[pos_++];
      result |= uint64_t{byte & 0x7fu} << shift;
      shift += 7;
      if ((byte & 0x80) == 0) break;
    }
    if (shift < 64 && (byte & 0x40) != 0) result |= ~uint64_t{0} << shift;
    return static_cast<int64_t>(result);
  }

  // Skips a LEB128 whose value is not needed (constants, offsets): at most `max_bytes` bytes.
  void skip_leb(unsigned max_bytes) {
    for (unsigned i = 0; i < max_bytes; ++i) {
      if (pos_ >= size_) {
        fail();
        return;
      }
      if ((data_[pos_++] & 0x80) == 0) return;
    }
    fail();
  }

  void skip(size_t count) {
    if (size_ - pos_ < count) {
      fail();
      return;
    }
    pos_ += count;
  }

  std::span<const uint8_t> bytes(size_t count) {
    if (size_ - pos_ < count) {
      fail();
      return {};
    }
    std::span<const uint8_t> out(data_ + pos_, count);
    pos_ += count;
    return out;
  }

 private:
  uint8_t fail() {
    if (!failed_) failure_offset_ = pos_;
    failed_ = true;
    pos_ = size_;
    return 0;
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t failure_offset_ = 0;
  bool failed_ = false;
};

void write_u32(std::vector<uint8_t>& out, uint32_t value) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(byte);
  } while (value != 0);
}

void append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// The outcome of skipping a type: exnref is well-formed but has no legacy equivalent.
enum class TypeRead : uint8_t { Ok, Exnref, Malformed };

TypeRead skip_heap_type(Reader& r) {
  int64_t heap_type = r.signed_leb(33);
  if (r.failed()) return TypeRead::Malformed;
  if (heap_type == kExnHeapType || heap_type == kNoExnHeapType) return TypeRead::Exnref;
  return TypeRead::Ok;  // an abstract heap type or a type index: the decoder checks which
}

TypeRead skip_value_type(Reader& r) {
  uint8_t type = r.u8();
  switch (type) {
    case 0x7f:  // i32
    case 0x7e:  // i64
    case 0x7d:  // f32
    case 0x7c:  // f64
    case 0x7b:  // v128
    case 0x70:  // funcref
    case 0x6f:  // externref
    // The GC proposal's shorthands (anyref ... arrayref, nullref ... nullfuncref) are skipped
    // correctly here; the decoder refuses them.
    case 0x6e:
    case 0x6d:
    case 0x6c:
    case 0x6b:
    case 0x6a:
    case 0x71:
    case 0x72:
    case 0x73:
      return TypeRead::Ok;
    case 0x69:  // exnref
    case 0x74:  // nullexnref
      return TypeRead::Exnref;
    case kRefNullPrefix:
    case kRefPrefix:
      return skip_heap_type(r);
    default:
      return TypeRead::Malformed;
  }
}

// 0x40, a value type, or a non-negative s33 type index.
TypeRead skip_block_type(Reader& r) {
  uint8_t first = r.peek();
  if (r.failed()) return TypeRead::Malformed;
  if (first == kEmptyBlockType) {
    r.skip(1);
    return TypeRead::Ok;
  }
  // A single byte with bit 6 set and no continuation is a negative s33: a value type.
  if ((first & 0xc0) == 0x40) return skip_value_type(r);
  int64_t type_index = r.signed_leb(33);
  return r.failed() || type_index < 0 ? TypeRead::Malformed : TypeRead::Ok;
}

// Skips a load's or store's alignment, memory index (multi-memory: flagged by bit 6 of the
// alignment) and offset (a u64 under memory64).
void skip_memarg(Reader& r) {
  uint32_t align = r.u32();
  if (align & 0x40) r.u32();
  r.skip_leb(10);
}

// Skips memory limits (flags, min, max if flagged, page size if flagged).
void skip_limits(Reader& r) {
  uint8_t flags = r.u8();
  r.skip_leb(10);
  if (flags & 0x01) r.skip_leb(10);
  if (flags & 0x08) r.u32();  // custom-page-sizes: log2 of the page size
}

// How many functions the import section declares, which offsets a body's position in the code
// section to its function index; nullopt when the import section cannot be read.
std::optional<uint32_t> count_imported_functions(std::span<const uint8_t> module) {
  Reader sections(module.subspan(8));
  while (!sections.at_end()) {
    uint8_t id = sections.u8();
    uint32_t size = sections.u32();
    std::span<const uint8_t> payload = sections.bytes(size);
    if (sections.failed()) return std::nullopt;
    if (id != kImportSectionId) continue;
    Reader r(payload);
    uint32_t functions = 0;
    uint32_t count = r.u32();
    for (uint32_t i = 0; i < count && !r.failed(); ++i) {
      r.bytes(r.u32());  // module name
      r.bytes(r.u32());  // field name
      switch (r.u8()) {
        case 0x00:  // function: type index
          r.u32();
          ++functions;
          break;
        case 0x01:  // table: reference type, limits
          if (skip_value_type(r) == TypeRead::Malformed) return std::nullopt;
          skip_limits(r);
          break;
        case 0x02:  // memory
          skip_limits(r);
          break;
        case 0x03:  // global: value type, mutability
          if (skip_value_type(r) == TypeRead::Malformed) return std::nullopt;
          r.u8();
          break;
        case 0x04:  // tag: attribute, type index
          r.u8();
          r.u32();
          break;
        default:
          return std::nullopt;
      }
    }
    if (r.failed()) return std::nullopt;
    return functions;
  }
  return 0;
}

// Names a function body in errors; the import count is only computed when an error needs it.
struct FunctionRef {
  std::span<const uint8_t> module;
  std::span<const uint8_t> body;
  uint32_t code_index;  // the body's position in the code section

  std::string name() const {
    if (std::optional<uint32_t> imported = count_imported_functions(module)) {
      return "function " + std::to_string(uint64_t{*imported} + code_index);
    }
    return "function body " + std::to_string(code_index) + " of the code section";
  }

  // The module offset of a body offset, as disassemblers show it.
  std::string where(size_t body_offset) const {
    return "at byte " + hex(static_cast<size_t>(body.data() - module.data()) + body_offset);
  }

  Error malformed(const Reader& r) const { return malformed_at(r.failure_offset()); }
  Error malformed_at(size_t body_offset) const {
    return make_error(name() + " is malformed or truncated " + where(body_offset));
  }

  Error exnref(const char* what, size_t body_offset) const {
    return make_error(
        std::string("exnref (catch_ref, catch_all_ref, throw_ref) is not supported: ") + name() +
        " uses " + what + " " + where(body_offset) +
        ", which legacy exception handling cannot express");
  }

  // A type that did not read as Ok at body offset `at`.
  Error refused(TypeRead outcome, const Reader& r, const char* exnref_use, size_t at) const {
    if (outcome == TypeRead::Exnref) return exnref(exnref_use, at);
    return r.failed() ? malformed(r) : malformed_at(at);
  }
};

// A try_table whose `end` is still ahead.
struct OpenTryTable {
  size_t depth;           // the label depth outside it
  size_t clauses_offset;  // its clause vector in the body, re-read at its `end`
};

// Writes the legacy handlers of a try_table, from its clause vector (checked by the walk).
void write_handlers(std::span<const uint8_t> body, size_t clauses_offset,
                    std::vector<uint8_t>& out) {
  Reader clauses(body.subspan(clauses_offset));
  uint32_t count = clauses.u32();
  for (uint32_t i = 0; i < count; ++i) {
    if (clauses.u8() == kClauseCatch) {
      uint32_t tag = clauses.u32();
      uint32_t label = clauses.u32();
      out.push_back(kCatch);
      write_u32(out, tag);
      out.push_back(kBr);
      write_u32(out, label + 1);
    } else {  // catch_all; the walk refused the exnref kinds
      uint32_t label = clauses.u32();
      out.push_back(kCatchAll);
      out.push_back(kBr);
      write_u32(out, label + 1);
      return;  // later clauses can never match, and legacy EH wants catch_all last
    }
  }
}

// What walk_body found in a body.
struct BodyScan {
  bool has_try_table = false;
  bool has_try = false;  // a legacy `try`
};

// Walks one function body, returning whether it holds a try_table or a legacy try. With
// `lowered`, it also writes the whole body there, every try_table lowered. Instructions are copied
// in runs between the rewritten spots, so the walk allocates nothing for a body without try_table.
Result<BodyScan> walk_body(const FunctionRef& fn, std::vector<uint8_t>* lowered) {
  const std::span<const uint8_t> body = fn.body;
  Reader r(body);

  uint32_t local_groups = r.u32();
  for (uint32_t i = 0; i < local_groups && !r.failed(); ++i) {
    r.u32();  // how many locals of this type
    size_t at = r.offset();
    TypeRead local = skip_value_type(r);
    if (local != TypeRead::Ok) return fn.refused(local, r, "an exnref local", at);
  }
  if (r.failed()) return fn.malformed(r);

  size_t depth = 1;  // the function's own block
  std::vector<OpenTryTable> open_try_tables;
  size_t copied_up_to = 0;  // with `lowered`: how much of the body is written
  bool has_try_table = false;
  bool has_try = false;

  auto copy_up_to = [&](size_t offset) {
    append(*lowered, body.subspan(copied_up_to, offset - copied_up_to));
  };

  while (depth > 0) {
    const size_t start = r.offset();
    const uint8_t opcode = r.u8();
    if (r.failed()) return make_error(fn.name() + " ends before its final `end`");
    switch (opcode) {
      case 0x00:  // unreachable
      case 0x01:  // nop
      case 0x05:  // else
      case 0x0f:  // return
      case 0x19:  // catch_all
      case 0x1a:  // drop
      case 0x1b:  // select
      case 0xd1:  // ref.is_null
      case 0xd3:  // ref.eq
      case 0xd4:  // ref.as_non_null
        break;

      case 0x02:    // block
      case 0x03:    // loop
      case 0x04:    // if
      case 0x06: {  // try
        has_try |= opcode == kTry;
        TypeRead block_type = skip_block_type(r);
        if (block_type != TypeRead::Ok) return fn.refused(block_type, r, "an exnref block", start);
        ++depth;
        break;
      }

      case 0x07:  // catch tagidx
      case 0x08:  // throw tagidx
      case 0x09:  // rethrow labelidx
      case 0x0c:  // br
      case 0x0d:  // br_if
      case 0x10:  // call
      case 0x12:  // return_call
      case 0x14:  // call_ref typeidx
      case 0x15:  // return_call_ref typeidx
      case 0x20:  // local.get
      case 0x21:  // local.set
      case 0x22:  // local.tee
      case 0x23:  // global.get
      case 0x24:  // global.set
      case 0x25:  // table.get
      case 0x26:  // table.set
      case 0x3f:  // memory.size memidx
      case 0x40:  // memory.grow memidx
      case 0xd2:  // ref.func
      case 0xd5:  // br_on_null
      case 0xd6:  // br_on_non_null
        r.u32();
        break;

      case 0x0a:  // throw_ref
        return fn.exnref("throw_ref", start);

      case kEnd:
        --depth;
        if (!open_try_tables.empty() && open_try_tables.back().depth == depth) {
          if (lowered) {
            copy_up_to(start);
            write_handlers(body, open_try_tables.back().clauses_offset, *lowered);
            lowered->push_back(kEnd);
          }
          copied_up_to = start + 1;
          open_try_tables.pop_back();
        }
        break;

      case 0x0e: {  // br_table vec(labelidx) labelidx
        uint32_t targets = r.u32();
        for (uint64_t i = 0; i <= targets && !r.failed(); ++i) r.u32();
        break;
      }

      case 0x11:  // call_indirect typeidx tableidx
      case 0x13:  // return_call_indirect
        r.u32();
        r.u32();
        break;

      case 0x18:  // delegate labelidx: ends a legacy try
        r.u32();
        --depth;
        if (depth == 0 || (!open_try_tables.empty() && open_try_tables.back().depth == depth)) {
          return make_error(fn.name() + " has a `delegate` that does not end a `try` " +
                            fn.where(start));
        }
        break;

      case 0x1c: {  // select vec(valtype)
        uint32_t types = r.u32();
        for (uint32_t i = 0; i < types && !r.failed(); ++i) {
          size_t at = r.offset();
          TypeRead type = skip_value_type(r);
          if (type != TypeRead::Ok) return fn.refused(type, r, "an exnref select", at);
        }
        break;
      }

      case kTryTable: {
        has_try_table = true;
        const size_t block_type_start = r.offset();
        TypeRead block_type = skip_block_type(r);
        if (block_type != TypeRead::Ok) {
          return fn.refused(block_type, r, "an exnref try_table", start);
        }
        const size_t clauses_offset = r.offset();
        uint32_t clause_count = r.u32();
        for (uint32_t i = 0; i < clause_count && !r.failed(); ++i) {
          const size_t clause_start = r.offset();
          const uint8_t kind = r.u8();
          if (kind == kClauseCatch) r.u32();  // tagidx
          if (kind == kClauseCatchRef) return fn.exnref("catch_ref", clause_start);
          if (kind == kClauseCatchAllRef) return fn.exnref("catch_all_ref", clause_start);
          if (kind != kClauseCatch && kind != kClauseCatchAll && !r.failed()) {
            return make_error(fn.name() + " has a try_table clause of unknown kind " + hex(kind) +
                              " " + fn.where(clause_start));
          }
          uint32_t label = r.u32();
          // Checked because the lowering branches to label+1, which must stay a u32.
          if (!r.failed() && label >= depth) {
            return make_error(fn.name() + " has a try_table clause whose label " +
                              std::to_string(label) + " is out of range " + fn.where(clause_start));
          }
        }
        if (r.failed()) break;
        if (lowered) {
          copy_up_to(start);
          lowered->push_back(clause_count == 0 ? kBlock : kTry);
          append(*lowered, body.subspan(block_type_start, clauses_offset - block_type_start));
        }
        copied_up_to = r.offset();
        // Without clauses it is a plain block, whose `end` stays as it is.
        if (clause_count > 0) open_try_tables.push_back({depth, clauses_offset});
        ++depth;
        break;
      }

      case 0x41:  // i32.const
        r.skip_leb(5);
        break;
      case 0x42:  // i64.const
        r.skip_leb(10);
        break;
      case 0x43:  // f32.const
        r.skip(4);
        break;
      case 0x44:  // f64.const
        r.skip(8);
        break;

      case 0xd0: {  // ref.null heaptype
        TypeRead heap_type = skip_heap_type(r);
        if (heap_type != TypeRead::Ok) return fn.refused(heap_type, r, "ref.null exn", start);
        break;
      }

      case 0xfb:
        return make_error("GC instructions are not supported: " + fn.name() + " uses one " +
                          fn.where(start));

      case 0xfc: {  // saturating truncation, bulk memory, tables
        uint32_t sub = r.u32();
        if (sub <= 7) break;  // saturating truncations
        switch (sub) {
          case 8:   // memory.init dataidx memidx
          case 10:  // memory.copy memidx memidx
          case 12:  // table.init elemidx tableidx
          case 14:  // table.copy tableidx tableidx
            r.u32();
            r.u32();
            break;
          case 9:   // data.drop
          case 11:  // memory.fill
          case 13:  // elem.drop
          case 15:  // table.grow
          case 16:  // table.size
          case 17:  // table.fill
            r.u32();
            break;
          default:
            if (r.failed()) break;
            return make_error(fn.name() + " uses the unknown opcode 0xfc " + std::to_string(sub) +
                              " " + fn.where(start));
        }
        break;
      }

      case 0xfd: {  // SIMD
        uint32_t sub = r.u32();
        if (sub <= 11 || sub == 92 || sub == 93) {  // loads and stores
          skip_memarg(r);
        } else if (sub == 12 || sub == 13) {  // v128.const, i8x16.shuffle
          r.skip(16);
        } else if (sub >= 21 && sub <= 34) {  // extract/replace lane
          r.skip(1);
        } else if (sub >= 84 && sub <= 91) {  // load/store lane: memarg, lane
          skip_memarg(r);
          r.skip(1);
        } else if (sub > 0x113 && !r.failed()) {  // past relaxed SIMD, the last SIMD opcodes
          return make_error(fn.name() + " uses the unknown opcode 0xfd " + std::to_string(sub) +
                            " " + fn.where(start));
        }
        break;
      }

      case 0xfe: {  // threads
        uint32_t sub = r.u32();
        if (sub == 0x03) {  // atomic.fence
          r.u8();
        } else if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) {  // notify, wait, atomics
          skip_memarg(r);
        } else if (!r.failed()) {
          return make_error(fn.name() + " uses the unknown opcode 0xfe " + std::to_string(sub) +
                            " " + fn.where(start));
        }
        break;
      }

      default:
        if (opcode >= 0x28 && opcode <= 0x3e) {  // loads and stores
          skip_memarg(r);
          break;
        }
        if (opcode >= 0x45 && opcode <= 0xc4) break;  // numeric: no immediates
        return make_error(fn.name() + " uses the unknown opcode " + hex(opcode) + " " +
                          fn.where(start));
    }
    if (r.failed()) return fn.malformed(r);
  }
  if (!r.at_end()) {
    return make_error(fn.name() + " has bytes after its final `end` " + fn.where(r.offset()));
  }
  if (lowered && has_try_table) copy_up_to(body.size());
  return BodyScan{has_try_table, has_try};
}

bool is_core_module(std::span<const uint8_t> module) {
  static constexpr uint8_t kPreamble[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  return module.size() >= sizeof kPreamble &&
         std::equal(std::begin(kPreamble), std::end(kPreamble), module.begin());
}

}  // namespace

Result<std::optional<std::vector<uint8_t>>> lower_try_table(std::span<const uint8_t> module) {
  using Lowered = std::optional<std::vector<uint8_t>>;
  if (!is_core_module(module)) return Lowered{};

  // Find the code section; the other sections are only stepped over.
  constexpr size_t kPreambleSize = 8;
  Reader sections(module.subspan(kPreambleSize));
  std::span<const uint8_t> code;
  size_t code_section_start = 0;  // module offsets of the whole section, header included
  size_t code_section_end = 0;
  bool has_code_section = false;
  while (!sections.at_end()) {
    const size_t section_start = kPreambleSize + sections.offset();
    const uint8_t id = sections.u8();
    const uint32_t size = sections.u32();
    std::span<const uint8_t> payload = sections.bytes(size);
    if (sections.failed()) {
      return make_error("the module's section at byte " + hex(section_start) +
                        " is truncated or malformed");
    }
    if (id != kCodeSectionId) continue;
    if (has_code_section) return make_error("the module has more than one code section");
    has_code_section = true;
    code = payload;
    code_section_start = section_start;
    code_section_end = kPreambleSize + sections.offset();
  }
  if (!has_code_section) return Lowered{};

  // First pass: find the bodies with try_table. This is all a module without any costs.
  auto malformed_code = [&](const Reader& r) {
    return make_error("the code section is truncated or malformed at byte " +
                      hex(static_cast<size_t>(code.data() - module.data()) + r.failure_offset()));
  };
  Reader entries(code);
  const uint32_t count = entries.u32();
  std::vector<uint32_t> changed;  // code indices of the bodies with try_table
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> body = entries.bytes(entries.u32());
    if (entries.failed()) return malformed_code(entries);
    ACTR_TRY(BodyScan scan, walk_body(FunctionRef{module, body, i}, nullptr));
    if (scan.has_try_table) changed.push_back(i);
  }
  if (entries.failed()) return malformed_code(entries);
  if (!entries.at_end()) return make_error("the code section has bytes after its last body");
  if (changed.empty()) return Lowered{};

  // Second pass: the new code section; unchanged entries are copied with their size as encoded.
  std::vector<uint8_t> new_code;
  new_code.reserve(code.size() + code.size() / 8 + 16);
  write_u32(new_code, count);
  Reader again(code);
  again.u32();
  std::vector<uint8_t> lowered_body;
  size_t next_changed = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const size_t entry_start = again.offset();
    std::span<const uint8_t> body = again.bytes(again.u32());
    if (next_changed < changed.size() && changed[next_changed] == i) {
      ++next_changed;
      lowered_body.clear();
      ACTR_TRY(BodyScan scan, walk_body(FunctionRef{module, body, i}, &lowered_body));
      (void)scan;
      if (lowered_body.size() > UINT32_MAX) return make_error("a lowered function is too large");
      write_u32(new_code, static_cast<uint32_t>(lowered_body.size()));
      append(new_code, lowered_body);
    } else {
      append(new_code, code.subspan(entry_start, again.offset() - entry_start));
    }
  }
  if (new_code.size() > UINT32_MAX) return make_error("the lowered code section is too large");

  std::vector<uint8_t> out;
  out.reserve(module.size() - code.size() + new_code.size() + 8);
  append(out, module.first(code_section_start));
  out.push_back(kCodeSectionId);
  write_u32(out, static_cast<uint32_t>(new_code.size()));
  append(out, new_code);
  append(out, module.subspan(code_section_end));
  return Lowered{std::move(out)};
}

// ---------------------------------------------------------------------------------------------
// Hoisting locals into parameters (wabt#2476). A function
//
//   (func $f (type (P) -> (R)) (local L...) body)
//
// becomes a thunk with no locals, `local.get 0 .. |P|-1, <default of each L>, call $f', end`,
// and $f', appended, is (func (type (P ++ L) -> (R)) body): the same instructions, whose local
// indices still name the same values. wabt keeps parameters below a frame's base, where a catch
// handler's stack reset cannot reach them.

namespace {

constexpr uint8_t kTypeSectionId = 1;
constexpr uint8_t kFunctionSectionId = 3;
constexpr uint8_t kFuncTypeForm = 0x60;
constexpr uint8_t kLocalGet = 0x20;
constexpr uint8_t kCall = 0x10;
// The most parameters a hoisted function may have; wabt's interpreter has no limit, but a thunk
// pushing thousands of values is no longer a sane workaround.
constexpr uint64_t kMaxHoistedParams = 1000;

// Appends the instruction that pushes a local's initial value; false when it has none to push.
bool write_default(uint8_t type, std::vector<uint8_t>& out) {
  switch (type) {
    case 0x7f:  // i32.const 0
      out.insert(out.end(), {0x41, 0x00});
      return true;
    case 0x7e:  // i64.const 0
      out.insert(out.end(), {0x42, 0x00});
      return true;
    case 0x7d:  // f32.const 0
      out.push_back(0x43);
      out.insert(out.end(), 4, 0x00);
      return true;
    case 0x7c:  // f64.const 0
      out.push_back(0x44);
      out.insert(out.end(), 8, 0x00);
      return true;
    case 0x7b:  // v128.const 0
      out.insert(out.end(), {0xfd, 0x0c});
      out.insert(out.end(), 16, 0x00);
      return true;
    case 0x70:  // ref.null func
    case 0x6f:  // ref.null extern
      out.insert(out.end(), {0xd0, type});
      return true;
    default:
      return false;
  }
}

bool has_default(uint8_t type) {
  std::vector<uint8_t> unused;
  return write_default(type, unused);
}

// A section of the module: its id, payload, and the module offsets of its header and end.
struct Section {
  uint8_t id;
  size_t start;
  size_t end;
  std::span<const uint8_t> payload;
};

// A function type of the type section, as bytes to copy.
struct FuncTypeBytes {
  uint32_t param_count;
  std::span<const uint8_t> params;   // the parameters' value types, without their count
  std::span<const uint8_t> results;  // the results' vector, count included
};

std::string section_error(std::span<const uint8_t> module, const Section& section, const char* name,
                          const Reader& r) {
  return "the " + std::string(name) + " section is truncated or malformed at byte " +
         hex(static_cast<size_t>(section.payload.data() - module.data()) + r.failure_offset());
}

Result<std::vector<FuncTypeBytes>> read_types(std::span<const uint8_t> module,
                                              const Section& section) {
  Reader r(section.payload);
  const uint32_t count = r.u32();
  std::vector<FuncTypeBytes> types;
  types.reserve(std::min<size_t>(count, section.payload.size()));
  for (uint32_t i = 0; i < count && !r.failed(); ++i) {
    const uint8_t form = r.u8();
    if (r.failed()) break;
    if (form != kFuncTypeForm) {
      if (form == 0x4e || form == 0x4f || form == 0x50) {
        return make_error("GC type definitions are not supported: type " + std::to_string(i) +
                          " is a rec or sub type");
      }
      return make_error("type " + std::to_string(i) + " has the unknown form " + hex(form));
    }
    FuncTypeBytes type{};
    type.param_count = r.u32();
    const size_t params_start = r.offset();
    for (uint32_t p = 0; p < type.param_count && !r.failed(); ++p) {
      if (skip_value_type(r) == TypeRead::Malformed && !r.failed()) {
        return make_error("type " + std::to_string(i) + " has a malformed parameter type");
      }
    }
    if (r.failed()) break;
    type.params = section.payload.subspan(params_start, r.offset() - params_start);
    const size_t results_start = r.offset();
    const uint32_t result_count = r.u32();
    for (uint32_t p = 0; p < result_count && !r.failed(); ++p) {
      if (skip_value_type(r) == TypeRead::Malformed && !r.failed()) {
        return make_error("type " + std::to_string(i) + " has a malformed result type");
      }
    }
    if (r.failed()) break;
    type.results = section.payload.subspan(results_start, r.offset() - results_start);
    types.push_back(type);
  }
  if (r.failed()) return make_error(section_error(module, section, "type", r));
  if (!r.at_end()) return make_error("the type section has bytes after its last type");
  return types;
}

Result<std::vector<uint32_t>> read_function_types(std::span<const uint8_t> module,
                                                  const Section& section) {
  Reader r(section.payload);
  const uint32_t count = r.u32();
  std::vector<uint32_t> out;
  out.reserve(std::min<size_t>(count, section.payload.size()));
  for (uint32_t i = 0; i < count && !r.failed(); ++i) out.push_back(r.u32());
  if (r.failed()) return make_error(section_error(module, section, "function", r));
  if (!r.at_end()) return make_error("the function section has bytes after its last entry");
  return out;
}

// The body's local declarations expanded, one type byte per local. `params` counts toward the
// limit, checked before anything is expanded.
Result<std::vector<uint8_t>> expand_locals(const FunctionRef& fn, uint32_t params) {
  Reader r(fn.body);
  const uint32_t groups = r.u32();
  uint64_t total = params;
  std::vector<uint8_t> locals;
  for (uint32_t g = 0; g < groups; ++g) {
    const uint32_t count = r.u32();
    const size_t at = r.offset();
    const uint8_t type = r.u8();
    if (r.failed()) return fn.malformed(r);  // walk_body read them: cannot happen
    total += count;
    if (total > kMaxHoistedParams) {
      return make_error(fn.name() +
                        " has too many locals to run its exception handlers on the interpreter");
    }
    if (count > 0 && !has_default(type)) {
      return make_error("cannot hoist local of type " + hex(type) + " of " + fn.name() + " " +
                        fn.where(at) + " into a parameter: it has no default value");
    }
    locals.insert(locals.end(), count, type);
  }
  return locals;
}

// A vector's payload re-encoded with `count` entries: the new count, then the old entries (from
// the old payload, past its count) and `appended`.
std::vector<uint8_t> extend_vector(std::span<const uint8_t> payload, uint32_t count,
                                   std::span<const uint8_t> appended) {
  Reader r(payload);
  r.u32();
  std::vector<uint8_t> out;
  out.reserve(payload.size() + appended.size() + 5);
  write_u32(out, count);
  append(out, payload.subspan(r.offset()));
  append(out, appended);
  return out;
}

void write_section(std::vector<uint8_t>& out, uint8_t id, std::span<const uint8_t> payload) {
  out.push_back(id);
  write_u32(out, static_cast<uint32_t>(payload.size()));
  append(out, payload);
}

}  // namespace

Result<std::optional<std::vector<uint8_t>>> hoist_locals_out_of_try_functions(
    std::span<const uint8_t> module, uint32_t* defined_functions) {
  using Hoisted = std::optional<std::vector<uint8_t>>;
  if (!is_core_module(module)) return Hoisted{};

  constexpr size_t kPreambleSize = 8;
  Reader sections(module.subspan(kPreambleSize));
  std::vector<Section> all;
  std::optional<size_t> type_section, function_section, code_section;
  while (!sections.at_end()) {
    const size_t start = kPreambleSize + sections.offset();
    const uint8_t id = sections.u8();
    const uint32_t size = sections.u32();
    std::span<const uint8_t> payload = sections.bytes(size);
    if (sections.failed()) {
      return make_error("the module's section at byte " + hex(start) +
                        " is truncated or malformed");
    }
    std::optional<size_t>* slot = id == kTypeSectionId       ? &type_section
                                  : id == kFunctionSectionId ? &function_section
                                  : id == kCodeSectionId     ? &code_section
                                                             : nullptr;
    if (slot) {
      if (*slot) return make_error("the module has more than one section of id " + hex(id));
      *slot = all.size();
    }
    all.push_back(Section{id, start, kPreambleSize + sections.offset(), payload});
  }
  if (!code_section) return Hoisted{};

  // One pass over the bodies: only those declaring locals are walked, for a legacy try.
  const std::span<const uint8_t> code = all[*code_section].payload;
  Reader entries(code);
  const uint32_t body_count = entries.u32();
  std::vector<std::span<const uint8_t>> candidates;  // bodies with locals and a try
  std::vector<uint32_t> candidate_indices;
  for (uint32_t i = 0; i < body_count; ++i) {
    std::span<const uint8_t> body = entries.bytes(entries.u32());
    if (entries.failed()) break;
    // Whether any local is declared; reading past the counts' types is walk_body's job.
    Reader locals(body);
    const uint32_t groups = locals.u32();
    bool has_locals = false;
    for (uint32_t g = 0; g < groups && !has_locals && !locals.failed(); ++g) {
      has_locals = locals.u32() > 0;
      if (skip_value_type(locals) == TypeRead::Malformed) break;
    }
    if (!has_locals) continue;
    const FunctionRef fn{module, body, i};
    ACTR_TRY(BodyScan scan, walk_body(fn, nullptr));
    if (!scan.has_try) continue;
    if (scan.has_try_table) {
      return make_error(fn.name() +
                        " has a try_table, which must be lowered before its locals "
                        "are hoisted");
    }
    candidates.push_back(body);
    candidate_indices.push_back(i);
  }
  if (entries.failed()) {
    return make_error(section_error(module, all[*code_section], "code", entries));
  }
  if (!entries.at_end()) return make_error("the code section has bytes after its last body");
  if (candidates.empty()) return Hoisted{};

  // Something to hoist: read the types and the functions' type indices.
  if (!type_section || !function_section) {
    return make_error("the module has function bodies but no type or function section");
  }
  ACTR_TRY(std::vector<FuncTypeBytes> types, read_types(module, all[*type_section]));
  ACTR_TRY(std::vector<uint32_t> function_types,
           read_function_types(module, all[*function_section]));
  if (function_types.size() != body_count) {
    return make_error("the function section declares " + std::to_string(function_types.size()) +
                      " functions but the code section has " + std::to_string(body_count) +
                      " bodies");
  }
  std::optional<uint32_t> imported = count_imported_functions(module);
  if (!imported) return make_error("the module's import section is malformed");
  const uint64_t total_functions = uint64_t{*imported} + body_count;
  if (total_functions + candidates.size() > UINT32_MAX ||
      types.size() + candidates.size() > UINT32_MAX) {
    return make_error("the module has too many functions or types to hoist locals");
  }

  std::vector<uint8_t> new_types;      // appended entries of the type section
  std::vector<uint8_t> new_functions;  // appended entries of the function section
  std::vector<uint8_t> new_bodies;     // appended entries of the code section
  std::vector<std::vector<uint8_t>> thunks;
  for (size_t k = 0; k < candidates.size(); ++k) {
    const FunctionRef fn{module, candidates[k], candidate_indices[k]};
    const uint32_t type_index = function_types[candidate_indices[k]];
    if (type_index >= types.size()) {
      return make_error(fn.name() + " has the type index " + std::to_string(type_index) +
                        ", out of range");
    }
    const FuncTypeBytes& type = types[type_index];
    ACTR_TRY(std::vector<uint8_t> locals, expand_locals(fn, type.param_count));

    // The new type: (P ++ L) -> (R).
    new_types.push_back(kFuncTypeForm);
    write_u32(new_types, static_cast<uint32_t>(type.param_count + locals.size()));
    append(new_types, type.params);
    append(new_types, locals);
    append(new_types, type.results);
    write_u32(new_functions, static_cast<uint32_t>(types.size() + k));

    // The new function: the original instructions, without local declarations.
    Reader declarations(fn.body);
    const uint32_t groups = declarations.u32();
    for (uint32_t g = 0; g < groups; ++g) {
      declarations.u32();
      skip_value_type(declarations);
    }
    std::span<const uint8_t> instructions = fn.body.subspan(declarations.offset());
    write_u32(new_bodies, static_cast<uint32_t>(instructions.size() + 1));
    new_bodies.push_back(0x00);
    append(new_bodies, instructions);

    // The thunk.
    std::vector<uint8_t> thunk = {0x00};
    for (uint32_t p = 0; p < type.param_count; ++p) {
      thunk.push_back(kLocalGet);
      write_u32(thunk, p);
    }
    for (uint8_t local : locals) write_default(local, thunk);
    thunk.push_back(kCall);
    write_u32(thunk, static_cast<uint32_t>(total_functions + k));
    thunk.push_back(kEnd);
    thunks.push_back(std::move(thunk));
  }

  const uint32_t added = static_cast<uint32_t>(candidates.size());
  std::vector<uint8_t> type_payload = extend_vector(
      all[*type_section].payload, static_cast<uint32_t>(types.size()) + added, new_types);
  std::vector<uint8_t> function_payload =
      extend_vector(all[*function_section].payload, body_count + added, new_functions);

  // The code section: thunks in place of the hoisted bodies, other entries copied as encoded.
  std::vector<uint8_t> code_payload;
  code_payload.reserve(code.size() + new_bodies.size() + 16 * thunks.size() + 5);
  write_u32(code_payload, body_count + added);
  Reader again(code);
  again.u32();
  size_t next = 0;
  for (uint32_t i = 0; i < body_count; ++i) {
    const size_t entry_start = again.offset();
    again.bytes(again.u32());
    if (next < candidate_indices.size() && candidate_indices[next] == i) {
      write_u32(code_payload, static_cast<uint32_t>(thunks[next].size()));
      append(code_payload, thunks[next]);
      ++next;
    } else {
      append(code_payload, code.subspan(entry_start, again.offset() - entry_start));
    }
  }
  append(code_payload, new_bodies);
  for (const std::vector<uint8_t>* payload : {&type_payload, &function_payload, &code_payload}) {
    if (payload->size() > UINT32_MAX) return make_error("a section grew too large to hoist locals");
  }

  std::vector<uint8_t> out;
  out.reserve(module.size() + type_payload.size() + function_payload.size() + code_payload.size() -
              all[*type_section].payload.size() - all[*function_section].payload.size() -
              code.size() + 16);
  append(out, module.first(kPreambleSize));
  for (const Section& section : all) {
    if (section.id == kTypeSectionId) {
      write_section(out, section.id, type_payload);
    } else if (section.id == kFunctionSectionId) {
      write_section(out, section.id, function_payload);
    } else if (section.id == kCodeSectionId) {
      write_section(out, section.id, code_payload);
    } else {
      append(out, module.subspan(section.start, section.end - section.start));
    }
  }
  if (defined_functions) *defined_functions = body_count;
  return Hoisted{std::move(out)};
}

}  // namespace actr::wasm
