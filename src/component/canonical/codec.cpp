#include "component/canonical/codec.hpp"

#include <bit>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "actr/component/canonical/layout.hpp"
#include "actr/wasm/trap.hpp"
#include "common/unicode.hpp"

namespace actr::component::canonical {

static_assert(std::endian::native == std::endian::little,
              "the canonical ABI reads guest memory as little-endian host integers");

namespace {

constexpr uint32_t kCanonicalNan32 = 0x7fc00000;
constexpr uint64_t kCanonicalNan64 = 0x7ff8000000000000;

Error trap(std::string message, wasm::TrapKind kind = wasm::TrapKind::Other) {
  return wasm::make_trap(kind, std::move(message));
}

Error oob(std::string message) {
  return trap(std::move(message), wasm::TrapKind::MemoryOutOfBounds);
}

uint32_t f32_bits(float f) {
  if (f != f) return kCanonicalNan32;
  return std::bit_cast<uint32_t>(f);
}

uint64_t f64_bits(double f) {
  if (f != f) return kCanonicalNan64;
  return std::bit_cast<uint64_t>(f);
}

float f32_from_bits(uint32_t bits) {
  float f = std::bit_cast<float>(bits);
  return f != f ? std::bit_cast<float>(kCanonicalNan32) : f;
}

double f64_from_bits(uint64_t bits) {
  double f = std::bit_cast<double>(bits);
  return f != f ? std::bit_cast<double>(kCanonicalNan64) : f;
}

Result<void> check_char(uint32_t c) {
  if (!unicode::is_scalar(c)) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", c);
    return trap(std::string("invalid `char` bit pattern: ") + hex);
  }
  return {};
}

Error bad_discriminant(uint32_t d, uint32_t n) {
  return trap("invalid variant discriminant: " + std::to_string(d) + " (the type has " +
              std::to_string(n) + " cases)");
}

Error mismatch(const ValueType& t, const Value& v) {
  return make_error("expected `" + to_wit(t) + "`, found a " + to_string(v.kind) + " value");
}

// The case a host value selects, and its payload (null: none).
uint32_t case_of(const ValueType& t, const Value& v) {
  switch (t.kind) {
    case Kind::Option:
      return v.items.empty() ? 0 : 1;
    case Kind::Result:
      return v.is_ok ? 0 : 1;
    default:
      return v.index;
  }
}

// Lifting fills Values in place: `out` is usually fresh, so resetting it costs a few compares,
// and no temporary Value is built and moved per element.
void reset(Value& out, Kind k) { out.reset(k); }

void set_bool(Value& out, bool b) {
  reset(out, Kind::Bool);
  out.b = b;
}

void set_u(Value& out, Kind k, uint64_t u) {
  reset(out, k);
  out.u = u;
}

void set_s(Value& out, Kind k, int64_t s) {
  reset(out, k);
  out.s = s;
}

void set_f32(Value& out, float f) {
  reset(out, Kind::F32);
  out.f32 = f;
}

void set_f64(Value& out, double f) {
  reset(out, Kind::F64);
  out.f64 = f;
}

// The value of case `case_index` of a variant-like type, payload still to be filled.
void set_case(Value& out, const ValueType& t, uint32_t case_index) {
  reset(out, t.kind);
  if (t.kind == Kind::Result) {
    out.is_ok = case_index == 0;
  } else if (t.kind != Kind::Option) {
    out.index = case_index;
  }
}

uint64_t flags_mask(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

}  // namespace

Codec::Codec(const Options& options, CallScope* scope) : opts_(options), scope_(scope) {
  refresh();
}

void Codec::refresh() {
  if (opts_.memory) {
    base_ = opts_.memory->data();
    size_ = opts_.memory->size();
  }
}

Result<void> Codec::need_memory() {
  if (!opts_.memory) return trap("canonical option `memory` is required to pass this value");
  return {};
}

template <typename T>
void Codec::write(uint32_t ptr, T value) {
  // Callers have checked the range; the test keeps a logic error from touching host memory.
  if (uint64_t{ptr} + sizeof(T) <= size_) std::memcpy(base_ + ptr, &value, sizeof(T));
}

template <typename T>
T Codec::read(uint32_t ptr) const {
  T value{};
  if (uint64_t{ptr} + sizeof(T) <= size_) std::memcpy(&value, base_ + ptr, sizeof(T));
  return value;
}

Result<void> Codec::check_range(uint64_t ptr, uint64_t len, uint32_t align, const char* unaligned,
                                const char* out_of_bounds) {
  if (align > 1 && (ptr & (align - 1)) != 0) return trap(unaligned);
  if (ptr + len > size_) return oob(out_of_bounds);
  return {};
}

Result<void> Codec::check_pointer(uint64_t ptr, const Layout& block) {
  ACTR_TRY_VOID(need_memory());
  return check_range(ptr, block.size, block.align, "unaligned pointer",
                     "pointer out of bounds of memory");
}

Result<uint32_t> Codec::realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                                uint32_t new_size) {
  ACTR_TRY_VOID(need_memory());
  if (!opts_.realloc) {
    return trap("canonical option `realloc` is required to pass strings and lists into the guest");
  }
  wasm::Slot args[4] = {old_ptr, old_size, align, new_size};
  wasm::Slot result[1] = {0};
  bool was = true;
  if (opts_.may_leave) {
    was = *opts_.may_leave;
    *opts_.may_leave = false;
  }
  Result<void> called = opts_.realloc->call(args, result);
  if (opts_.may_leave) *opts_.may_leave = was;
  ACTR_TRY_VOID(std::move(called));
  refresh();
  auto ptr = static_cast<uint32_t>(result[0]);
  ACTR_TRY_VOID(check_range(ptr, new_size, align, "realloc return: result not aligned",
                            "realloc return: beyond end of memory"));
  return ptr;
}

// ---- lowering ----

Result<uint32_t> Codec::lower_handle(const ValueType& t, const Value& v) {
  if (!opts_.handles) return trap("resource handles cross but the instance has no handle table");
  if (v.handle.type != t.resource) return mismatch(t, v);
  if (t.kind == Kind::Own) return opts_.handles->lower_own(t.resource, v.handle.rep);
  if (!scope_) return trap("borrow handles cross outside a call scope");
  return opts_.handles->lower_borrow(t.resource, v.handle.rep, *scope_);
}

Result<void> Codec::store_string(const std::string& s, uint32_t& ptr, uint32_t& units) {
  if (s.size() > kMaxStringByteLength) {
    return make_error("string of " + std::to_string(s.size()) + " bytes is too long to pass");
  }
  auto n = static_cast<uint32_t>(s.size());
  switch (opts_.encoding) {
    case StringEncoding::Utf8: {
      ACTR_TRY(ptr, realloc(0, 0, 1, n));
      if (n) std::memcpy(base_ + ptr, s.data(), n);
      units = n;
      return {};
    }
    case StringEncoding::Utf16:
      return store_utf8_to_utf16(s, ptr, units);
    case StringEncoding::Latin1Utf16:
      return store_to_latin1_or_utf16(s, ptr, units);
  }
  return trap("unknown string encoding");
}

namespace {

// Writes code point c as UTF-16LE at p; returns the bytes written (2 or 4).
uint32_t put_utf16(uint8_t* p, uint32_t c) {
  if (c < 0x10000) {
    p[0] = static_cast<uint8_t>(c);
    p[1] = static_cast<uint8_t>(c >> 8);
    return 2;
  }
  c -= 0x10000;
  uint32_t hi = 0xD800 + (c >> 10), lo = 0xDC00 + (c & 0x3FF);
  p[0] = static_cast<uint8_t>(hi);
  p[1] = static_cast<uint8_t>(hi >> 8);
  p[2] = static_cast<uint8_t>(lo);
  p[3] = static_cast<uint8_t>(lo >> 8);
  return 4;
}

}  // namespace

Result<void> Codec::store_utf8_to_utf16(const std::string& s, uint32_t& ptr, uint32_t& units) {
  // Each UTF-8 byte yields at most one UTF-16 code unit: 2n bytes always suffice.
  auto worst = static_cast<uint32_t>(2 * s.size());
  ACTR_TRY(ptr, realloc(0, 0, 2, worst));
  uint32_t bytes = 0;
  for (size_t i = 0; i < s.size();)
    bytes += put_utf16(base_ + ptr + bytes, unicode::next_code_point(s, i));
  if (bytes < worst) {
    ACTR_TRY(ptr, realloc(ptr, worst, 2, bytes));
  }
  units = bytes / 2;
  return {};
}

Result<void> Codec::store_to_latin1_or_utf16(const std::string& s, uint32_t& ptr, uint32_t& units) {
  // Optimistically Latin-1 in n bytes; on the first code point above U+00FF, grow to the UTF-16
  // worst case, widen what was written in place, and write the rest as UTF-16.
  auto n = static_cast<uint32_t>(s.size());
  ACTR_TRY(ptr, realloc(0, 0, 2, n));
  uint32_t written = 0;
  for (size_t i = 0; i < s.size();) {
    size_t at = i;
    uint32_t c = unicode::next_code_point(s, i);
    if (c < 0x100) {
      base_[ptr + written++] = static_cast<uint8_t>(c);
      continue;
    }
    uint32_t worst = 2 * n;
    ACTR_TRY(ptr, realloc(ptr, n, 2, worst));
    for (uint32_t j = written; j-- > 0;) {
      base_[ptr + 2 * j] = base_[ptr + j];
      base_[ptr + 2 * j + 1] = 0;
    }
    uint32_t bytes = 2 * written;
    for (i = at; i < s.size();)
      bytes += put_utf16(base_ + ptr + bytes, unicode::next_code_point(s, i));
    if (bytes < worst) {
      ACTR_TRY(ptr, realloc(ptr, worst, 2, bytes));
    }
    units = (bytes / 2) | kUtf16Tag;
    return {};
  }
  if (written < n) {
    ACTR_TRY(ptr, realloc(ptr, n, 2, written));
  }
  units = written;
  return {};
}

namespace {

// Lists of numbers (byte payloads above all) skip the per-element type dispatch. The checks
// they skip cannot fail: kinds were checked by check_value (and are re-checked here), and
// integers and floats have no invalid bit patterns.
template <typename T>
void store_as(uint8_t* dst, const std::vector<Value>& items) {
  for (const Value& item : items) {
    T x = static_cast<T>(item.u);
    std::memcpy(dst, &x, sizeof x);
    dst += sizeof x;
  }
}

template <typename T>
void load_as(const uint8_t* src, std::vector<Value>& items, Kind k) {
  for (Value& item : items) {
    T x;
    std::memcpy(&x, src, sizeof x);
    src += sizeof x;
    item.kind = k;
    if constexpr (std::is_signed_v<T>) {
      item.s = x;
    } else {
      item.u = x;
    }
  }
}

bool all_of_kind(const std::vector<Value>& items, Kind k) {
  for (const Value& item : items) {
    if (item.kind != k) return false;
  }
  return true;
}

}  // namespace

bool Codec::store_numbers(Kind k, const Value& v, uint32_t ptr) {
  uint32_t width;
  switch (k) {
    case Kind::U8:
    case Kind::S8:
      width = 1;
      break;
    case Kind::U16:
    case Kind::S16:
      width = 2;
      break;
    case Kind::U32:
    case Kind::S32:
      width = 4;
      break;
    case Kind::U64:
    case Kind::S64:
      width = 8;
      break;
    default:
      return false;
  }
  if (!all_of_kind(v.items, k) || uint64_t{ptr} + uint64_t{width} * v.items.size() > size_) {
    return false;
  }
  uint8_t* dst = base_ + ptr;
  switch (width) {
    case 1:
      store_as<uint8_t>(dst, v.items);
      break;
    case 2:
      store_as<uint16_t>(dst, v.items);
      break;
    case 4:
      store_as<uint32_t>(dst, v.items);
      break;
    default:
      store_as<uint64_t>(dst, v.items);
      break;
  }
  return true;
}

bool Codec::load_numbers(Kind k, uint32_t ptr, Value& out) {
  const uint8_t* src = base_ + ptr;  // the caller checked the range
  switch (k) {
    case Kind::U8:
      load_as<uint8_t>(src, out.items, k);
      return true;
    case Kind::S8:
      load_as<int8_t>(src, out.items, k);
      return true;
    case Kind::U16:
      load_as<uint16_t>(src, out.items, k);
      return true;
    case Kind::S16:
      load_as<int16_t>(src, out.items, k);
      return true;
    case Kind::U32:
      load_as<uint32_t>(src, out.items, k);
      return true;
    case Kind::S32:
      load_as<int32_t>(src, out.items, k);
      return true;
    case Kind::U64:
      load_as<uint64_t>(src, out.items, k);
      return true;
    case Kind::S64:
      load_as<int64_t>(src, out.items, k);
      return true;
    default:
      return false;
  }
}

Result<void> Codec::store_list(const ValueType& elem, const Value& v, uint32_t& ptr,
                               uint32_t& len) {
  Layout el = layout(elem);
  if (v.is_bytes()) {
    // The compact list<u8>: one copy. Empty, it is a valid list of any element type.
    std::span<const uint8_t> data = v.as_bytes();
    if (!data.empty() && elem.kind != Kind::U8) return mismatch(elem, Value::u8(data[0]));
    if (data.size() > kMaxListByteLength) {
      return make_error("list of " + std::to_string(data.size()) + " bytes is too long to pass");
    }
    len = static_cast<uint32_t>(data.size());
    ACTR_TRY(ptr, realloc(0, 0, el.align, len));
    if (len) std::memcpy(base_ + ptr, data.data(), len);
    return {};
  }
  uint32_t es = el.size;
  uint64_t bytes = uint64_t{es} * v.items.size();
  if (bytes > kMaxListByteLength) {
    return make_error("list of " + std::to_string(v.items.size()) +
                      " elements is too long to pass");
  }
  ACTR_TRY(ptr, realloc(0, 0, el.align, static_cast<uint32_t>(bytes)));
  len = static_cast<uint32_t>(v.items.size());
  if (store_numbers(elem.kind, v, ptr)) return {};
  uint32_t at = ptr;
  for (const Value& item : v.items) {
    ACTR_TRY_VOID(store(elem, item, at));
    at += es;
  }
  return {};
}

Result<void> Codec::store_map(const ValueType& t, const Value& v, uint32_t& ptr, uint32_t& len) {
  if (!t.key || !t.elem) return make_error("map type without key and value types");
  if (!is_map_key(t.key->kind))
    return make_error("map key type `" + to_wit(*t.key) + "` is invalid");
  MapEntryLayout entry = map_entry_layout(layout(*t.key), layout(*t.elem));
  uint64_t bytes = uint64_t{entry.size} * v.items.size();
  if (bytes > kMaxListByteLength) {
    return make_error("map of " + std::to_string(v.items.size()) + " entries is too long to pass");
  }
  ACTR_TRY(ptr, realloc(0, 0, entry.align, static_cast<uint32_t>(bytes)));
  len = static_cast<uint32_t>(v.items.size());
  uint32_t at = ptr;
  for (const Value& e : v.items) {
    if (e.kind != Kind::Tuple || e.items.size() != 2) return mismatch(t, v);
    ACTR_TRY_VOID(store(*t.key, e.items[0], at));
    ACTR_TRY_VOID(store(*t.elem, e.items[1], at + entry.value_offset));
    at += entry.size;
  }
  return {};
}

Result<void> Codec::store(const ValueType& t, const Value& v, uint32_t ptr) {
  if (v.kind != t.kind) return mismatch(t, v);
  switch (t.kind) {
    case Kind::Bool:
      write<uint8_t>(ptr, v.b ? 1 : 0);
      return {};
    case Kind::S8:
    case Kind::U8:
      write<uint8_t>(ptr, static_cast<uint8_t>(v.u));
      return {};
    case Kind::S16:
    case Kind::U16:
      write<uint16_t>(ptr, static_cast<uint16_t>(v.u));
      return {};
    case Kind::S32:
    case Kind::U32:
      write<uint32_t>(ptr, static_cast<uint32_t>(v.u));
      return {};
    case Kind::S64:
    case Kind::U64:
      write<uint64_t>(ptr, v.u);
      return {};
    case Kind::F32:
      write<uint32_t>(ptr, f32_bits(v.f32));
      return {};
    case Kind::F64:
      write<uint64_t>(ptr, f64_bits(v.f64));
      return {};
    case Kind::Char:
      ACTR_TRY_VOID(check_char(static_cast<uint32_t>(v.u)));
      write<uint32_t>(ptr, static_cast<uint32_t>(v.u));
      return {};
    case Kind::String: {
      uint32_t begin = 0, units = 0;
      ACTR_TRY_VOID(store_string(v.str, begin, units));
      write<uint32_t>(ptr, begin);
      write<uint32_t>(ptr + 4, units);
      return {};
    }
    case Kind::List: {
      if (!t.elem) return make_error("list type without an element type");
      uint32_t begin = 0, len = 0;
      ACTR_TRY_VOID(store_list(*t.elem, v, begin, len));
      write<uint32_t>(ptr, begin);
      write<uint32_t>(ptr + 4, len);
      return {};
    }
    case Kind::Map: {
      uint32_t begin = 0, len = 0;
      ACTR_TRY_VOID(store_map(t, v, begin, len));
      write<uint32_t>(ptr, begin);
      write<uint32_t>(ptr + 4, len);
      return {};
    }
    case Kind::FixedList: {
      if (!t.elem) return make_error("list type without an element type");
      if (v.items.size() != t.length) return mismatch(t, v);
      if (store_numbers(t.elem->kind, v, ptr)) return {};
      uint32_t es = layout(*t.elem).size;
      for (uint32_t i = 0; i < t.length; ++i)
        ACTR_TRY_VOID(store(*t.elem, v.items[i], ptr + i * es));
      return {};
    }
    case Kind::Record:
    case Kind::Tuple: {
      size_t n = t.kind == Kind::Record ? t.fields.size() : t.items.size();
      if (v.items.size() != n) return mismatch(t, v);
      uint64_t at = ptr;
      for (size_t i = 0; i < n; ++i) {
        const ValueType* ft = t.kind == Kind::Record ? t.fields[i].type.get() : t.items[i].get();
        if (!ft) return make_error("field without a type");
        Layout fl = layout(*ft);
        at = align_to(at, fl.align);
        ACTR_TRY_VOID(store(*ft, v.items[i], static_cast<uint32_t>(at)));
        at += fl.size;
      }
      return {};
    }
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Option:
    case Kind::Result: {
      uint32_t n = case_count(t);
      uint32_t c = case_of(t, v);
      if (c >= n) return mismatch(t, v);
      switch (discriminant_size(n)) {
        case 1:
          write<uint8_t>(ptr, static_cast<uint8_t>(c));
          break;
        case 2:
          write<uint16_t>(ptr, static_cast<uint16_t>(c));
          break;
        default:
          write<uint32_t>(ptr, c);
          break;
      }
      const ValueType* payload = case_type(t, c);
      if (!payload) return {};
      if (v.items.size() != 1) return mismatch(t, v);
      return store(*payload, v.items[0], ptr + layout(t).payload_offset);
    }
    case Kind::Flags: {
      size_t n = t.names.size();
      uint64_t bits = v.u & flags_mask(n);
      uint32_t size = flags_size(n);
      if (size == 1) {
        write<uint8_t>(ptr, static_cast<uint8_t>(bits));
      } else if (size == 2) {
        write<uint16_t>(ptr, static_cast<uint16_t>(bits));
      } else {
        for (uint32_t w = 0; w < size / 4; ++w)
          write<uint32_t>(ptr + 4 * w, w < 2 ? static_cast<uint32_t>(bits >> (32 * w)) : 0);
      }
      return {};
    }
    case Kind::Own:
    case Kind::Borrow: {
      ACTR_TRY(uint32_t index, lower_handle(t, v));
      write<uint32_t>(ptr, index);
      return {};
    }
  }
  return mismatch(t, v);
}

Result<void> Codec::lower_flat(const ValueType& t, const Value& v, FlatWriter& out) {
  if (v.kind != t.kind) return mismatch(t, v);
  auto put = [&](wasm::Slot s) -> Result<void> {
    if (out.pos >= out.capacity) return make_error("internal error: too many flat values");
    out.slots[out.pos++] = s;
    return {};
  };
  switch (t.kind) {
    case Kind::Bool:
      return put(v.b ? 1 : 0);
    case Kind::S8:
      return put(static_cast<uint32_t>(static_cast<int32_t>(static_cast<int8_t>(v.s))));
    case Kind::S16:
      return put(static_cast<uint32_t>(static_cast<int32_t>(static_cast<int16_t>(v.s))));
    case Kind::S32:
      return put(static_cast<uint32_t>(static_cast<int32_t>(v.s)));
    case Kind::U8:
      return put(static_cast<uint8_t>(v.u));
    case Kind::U16:
      return put(static_cast<uint16_t>(v.u));
    case Kind::U32:
      return put(static_cast<uint32_t>(v.u));
    case Kind::S64:
    case Kind::U64:
      return put(v.u);
    case Kind::F32:
      return put(f32_bits(v.f32));
    case Kind::F64:
      return put(f64_bits(v.f64));
    case Kind::Char:
      ACTR_TRY_VOID(check_char(static_cast<uint32_t>(v.u)));
      return put(static_cast<uint32_t>(v.u));
    case Kind::String: {
      uint32_t begin = 0, units = 0;
      ACTR_TRY_VOID(store_string(v.str, begin, units));
      ACTR_TRY_VOID(put(begin));
      return put(units);
    }
    case Kind::List: {
      if (!t.elem) return make_error("list type without an element type");
      uint32_t begin = 0, len = 0;
      ACTR_TRY_VOID(store_list(*t.elem, v, begin, len));
      ACTR_TRY_VOID(put(begin));
      return put(len);
    }
    case Kind::Map: {
      uint32_t begin = 0, len = 0;
      ACTR_TRY_VOID(store_map(t, v, begin, len));
      ACTR_TRY_VOID(put(begin));
      return put(len);
    }
    case Kind::FixedList: {
      if (!t.elem) return make_error("list type without an element type");
      if (v.items.size() != t.length) return mismatch(t, v);
      for (const Value& item : v.items) ACTR_TRY_VOID(lower_flat(*t.elem, item, out));
      return {};
    }
    case Kind::Record:
    case Kind::Tuple: {
      size_t n = t.kind == Kind::Record ? t.fields.size() : t.items.size();
      if (v.items.size() != n) return mismatch(t, v);
      for (size_t i = 0; i < n; ++i) {
        const ValueType* ft = t.kind == Kind::Record ? t.fields[i].type.get() : t.items[i].get();
        if (!ft) return make_error("field without a type");
        ACTR_TRY_VOID(lower_flat(*ft, v.items[i], out));
      }
      return {};
    }
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Option:
    case Kind::Result: {
      uint32_t n = case_count(t);
      uint32_t c = case_of(t, v);
      if (c >= n) return mismatch(t, v);
      ACTR_TRY_VOID(put(c));
      // Joined slots need no conversion here: i32 and f32 are stored zero-extended as bit
      // patterns, so widening to i64 or reinterpreting f32 as i32 leaves a slot unchanged.
      uint32_t end = out.pos + flat(t) - 1;
      if (const ValueType* payload = case_type(t, c)) {
        if (v.items.size() != 1) return mismatch(t, v);
        ACTR_TRY_VOID(lower_flat(*payload, v.items[0], out));
      }
      while (out.pos < end) ACTR_TRY_VOID(put(0));
      return {};
    }
    case Kind::Flags: {
      uint64_t bits = v.u & flags_mask(t.names.size());
      for (uint32_t w = 0, n = flags_flat_count(t.names.size()); w < n; ++w)
        ACTR_TRY_VOID(put(w < 2 ? static_cast<uint32_t>(bits >> (32 * w)) : 0));
      return {};
    }
    case Kind::Own:
    case Kind::Borrow: {
      ACTR_TRY(uint32_t index, lower_handle(t, v));
      return put(index);
    }
  }
  return mismatch(t, v);
}

// ---- lifting ----

Result<void> Codec::lift_handle(const ValueType& t, uint32_t index, Value& out) {
  if (!opts_.handles) return trap("resource handles cross but the instance has no handle table");
  if (!t.resource) return make_error("handle type without a resource type");
  uint32_t rep;
  if (t.kind == Kind::Own) {
    ACTR_TRY(rep, opts_.handles->lift_own(index, *t.resource));
    out = Value::own({t.resource, rep});
  } else {
    if (!scope_) return trap("borrow handles cross outside a call scope");
    ACTR_TRY(rep, opts_.handles->lift_borrow(index, *t.resource, *scope_));
    out = Value::borrow({t.resource, rep});
  }
  return {};
}

Result<void> Codec::load_string(uint32_t ptr, uint32_t tagged_units, Value& out) {
  ACTR_TRY_VOID(need_memory());
  uint32_t align = 1;
  uint64_t bytes = tagged_units;
  bool utf16 = false;
  switch (opts_.encoding) {
    case StringEncoding::Utf8:
      break;
    case StringEncoding::Utf16:
      align = 2;
      bytes = 2 * uint64_t{tagged_units};
      utf16 = true;
      break;
    case StringEncoding::Latin1Utf16:
      align = 2;
      if (tagged_units & kUtf16Tag) {
        bytes = 2 * uint64_t{tagged_units ^ kUtf16Tag};
        utf16 = true;
      }
      break;
  }
  if (bytes > kMaxStringByteLength) {
    return trap("string too long: " + std::to_string(bytes) + " bytes (the limit is " +
                std::to_string(kMaxStringByteLength) + ")");
  }
  ACTR_TRY_VOID(check_range(ptr, bytes, align, "unaligned pointer",
                            "string pointer/length out of bounds of memory"));
  reset(out, Kind::String);
  const uint8_t* src = base_ + ptr;
  std::string message;
  if (utf16) {
    if (!unicode::utf16le_to_utf8(src, bytes / 2, out.str, &message)) return trap(message);
  } else if (opts_.encoding == StringEncoding::Latin1Utf16) {
    unicode::latin1_to_utf8(src, bytes, out.str);
  } else {
    std::string_view view(reinterpret_cast<const char*>(src), bytes);
    if (!unicode::validate_utf8(view, &message)) return trap(message);
    out.str.assign(view);
  }
  return {};
}

Result<void> Codec::load_list(const ValueType& elem, uint32_t ptr, uint32_t len, Value& out) {
  ACTR_TRY_VOID(need_memory());
  Layout el = layout(elem);
  uint32_t es = el.size;
  uint64_t bytes = uint64_t{es} * len;
  if (bytes > kMaxListByteLength) {
    return trap("list too long: " + std::to_string(len) + " elements of " + std::to_string(es) +
                " bytes (the limit is " + std::to_string(kMaxListByteLength) + " bytes)");
  }
  ACTR_TRY_VOID(check_range(ptr, bytes, el.align, "unaligned pointer",
                            "list pointer/length out of bounds of memory"));
  if (elem.kind == Kind::U8) {
    out.assign_bytes(base_ + ptr, len);  // the compact form: one copy
    return {};
  }
  reset(out, Kind::List);
  out.items.resize(len);
  if (load_numbers(elem.kind, ptr, out)) return {};
  uint32_t at = ptr;
  for (uint32_t i = 0; i < len; ++i, at += es) ACTR_TRY_VOID(load(elem, at, out.items[i]));
  return {};
}

Result<void> Codec::load_map(const ValueType& t, uint32_t ptr, uint32_t len, Value& out) {
  ACTR_TRY_VOID(need_memory());
  if (!t.key || !t.elem) return make_error("map type without key and value types");
  if (!is_map_key(t.key->kind))
    return make_error("map key type `" + to_wit(*t.key) + "` is invalid");
  MapEntryLayout entry = map_entry_layout(layout(*t.key), layout(*t.elem));
  uint64_t bytes = uint64_t{entry.size} * len;
  if (bytes > kMaxListByteLength) {
    return trap("map too long: " + std::to_string(len) + " entries of " +
                std::to_string(entry.size) + " bytes (the limit is " +
                std::to_string(kMaxListByteLength) + " bytes)");
  }
  // A map is a list in the ABI: out-of-bounds maps trap as lists do.
  ACTR_TRY_VOID(check_range(ptr, bytes, entry.align, "unaligned pointer",
                            "list pointer/length out of bounds of memory"));
  reset(out, Kind::Map);
  out.items.resize(len);
  uint32_t at = ptr;
  for (Value& e : out.items) {
    reset(e, Kind::Tuple);
    e.items.resize(2);
    ACTR_TRY_VOID(load(*t.key, at, e.items[0]));
    ACTR_TRY_VOID(load(*t.elem, at + entry.value_offset, e.items[1]));
    at += entry.size;
  }
  return {};
}

Result<void> Codec::load(const ValueType& t, uint32_t ptr, Value& out) {
  switch (t.kind) {
    case Kind::Bool:
      set_bool(out, read<uint8_t>(ptr) != 0);
      return {};
    case Kind::S8:
      set_s(out, Kind::S8, read<int8_t>(ptr));
      return {};
    case Kind::U8:
      set_u(out, Kind::U8, read<uint8_t>(ptr));
      return {};
    case Kind::S16:
      set_s(out, Kind::S16, read<int16_t>(ptr));
      return {};
    case Kind::U16:
      set_u(out, Kind::U16, read<uint16_t>(ptr));
      return {};
    case Kind::S32:
      set_s(out, Kind::S32, read<int32_t>(ptr));
      return {};
    case Kind::U32:
      set_u(out, Kind::U32, read<uint32_t>(ptr));
      return {};
    case Kind::S64:
      set_s(out, Kind::S64, read<int64_t>(ptr));
      return {};
    case Kind::U64:
      set_u(out, Kind::U64, read<uint64_t>(ptr));
      return {};
    case Kind::F32:
      set_f32(out, f32_from_bits(read<uint32_t>(ptr)));
      return {};
    case Kind::F64:
      set_f64(out, f64_from_bits(read<uint64_t>(ptr)));
      return {};
    case Kind::Char: {
      auto c = read<uint32_t>(ptr);
      ACTR_TRY_VOID(check_char(c));
      set_u(out, Kind::Char, c);
      return {};
    }
    case Kind::String:
      return load_string(read<uint32_t>(ptr), read<uint32_t>(ptr + 4), out);
    case Kind::List:
      if (!t.elem) return make_error("list type without an element type");
      return load_list(*t.elem, read<uint32_t>(ptr), read<uint32_t>(ptr + 4), out);
    case Kind::Map:
      return load_map(t, read<uint32_t>(ptr), read<uint32_t>(ptr + 4), out);
    case Kind::FixedList: {
      // Inline, inside the range the caller checked for the enclosing value.
      if (!t.elem) return make_error("list type without an element type");
      reset(out, Kind::FixedList);
      out.items.resize(t.length);
      if (load_numbers(t.elem->kind, ptr, out)) return {};
      uint32_t es = layout(*t.elem).size;
      for (uint32_t i = 0; i < t.length; ++i)
        ACTR_TRY_VOID(load(*t.elem, ptr + i * es, out.items[i]));
      return {};
    }
    case Kind::Record:
    case Kind::Tuple: {
      size_t n = t.kind == Kind::Record ? t.fields.size() : t.items.size();
      reset(out, t.kind);
      out.items.resize(n);
      uint64_t at = ptr;
      for (size_t i = 0; i < n; ++i) {
        const ValueType* ft = t.kind == Kind::Record ? t.fields[i].type.get() : t.items[i].get();
        if (!ft) return make_error("field without a type");
        Layout fl = layout(*ft);
        at = align_to(at, fl.align);
        ACTR_TRY_VOID(load(*ft, static_cast<uint32_t>(at), out.items[i]));
        at += fl.size;
      }
      return {};
    }
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Option:
    case Kind::Result: {
      uint32_t n = case_count(t);
      uint32_t c;
      switch (discriminant_size(n)) {
        case 1:
          c = read<uint8_t>(ptr);
          break;
        case 2:
          c = read<uint16_t>(ptr);
          break;
        default:
          c = read<uint32_t>(ptr);
          break;
      }
      if (c >= n) return bad_discriminant(c, n);
      set_case(out, t, c);
      if (const ValueType* payload = case_type(t, c)) {
        out.items.resize(1);
        ACTR_TRY_VOID(load(*payload, ptr + layout(t).payload_offset, out.items[0]));
      }
      return {};
    }
    case Kind::Flags: {
      size_t n = t.names.size();
      uint32_t size = flags_size(n);
      uint64_t bits;
      if (size == 1) {
        bits = read<uint8_t>(ptr);
      } else if (size == 2) {
        bits = read<uint16_t>(ptr);
      } else {
        bits = read<uint32_t>(ptr);
        if (size >= 8) bits |= uint64_t{read<uint32_t>(ptr + 4)} << 32;
      }
      set_u(out, Kind::Flags, bits & flags_mask(n));
      return {};
    }
    case Kind::Own:
    case Kind::Borrow:
      return lift_handle(t, read<uint32_t>(ptr), out);
  }
  return make_error("unknown type kind");
}

Result<void> Codec::lift_flat(const ValueType& t, FlatReader& in, Value& out) {
  if (in.pos >= in.size && !(t.kind == Kind::Record || t.kind == Kind::Tuple)) {
    return make_error("internal error: too few flat values");
  }
  auto next = [&]() -> wasm::Slot { return in.pos < in.size ? in.slots[in.pos++] : 0; };
  auto next32 = [&]() -> uint32_t { return static_cast<uint32_t>(next()); };
  switch (t.kind) {
    case Kind::Bool:
      set_bool(out, next32() != 0);
      return {};
    case Kind::S8:
      set_s(out, Kind::S8, static_cast<int8_t>(next32()));
      return {};
    case Kind::U8:
      set_u(out, Kind::U8, static_cast<uint8_t>(next32()));
      return {};
    case Kind::S16:
      set_s(out, Kind::S16, static_cast<int16_t>(next32()));
      return {};
    case Kind::U16:
      set_u(out, Kind::U16, static_cast<uint16_t>(next32()));
      return {};
    case Kind::S32:
      set_s(out, Kind::S32, static_cast<int32_t>(next32()));
      return {};
    case Kind::U32:
      set_u(out, Kind::U32, next32());
      return {};
    case Kind::S64:
      set_s(out, Kind::S64, static_cast<int64_t>(next()));
      return {};
    case Kind::U64:
      set_u(out, Kind::U64, next());
      return {};
    case Kind::F32:
      set_f32(out, f32_from_bits(next32()));
      return {};
    case Kind::F64:
      set_f64(out, f64_from_bits(next()));
      return {};
    case Kind::Char: {
      uint32_t c = next32();
      ACTR_TRY_VOID(check_char(c));
      set_u(out, Kind::Char, c);
      return {};
    }
    case Kind::String: {
      uint32_t ptr = next32();
      return load_string(ptr, next32(), out);
    }
    case Kind::List: {
      if (!t.elem) return make_error("list type without an element type");
      uint32_t ptr = next32();
      return load_list(*t.elem, ptr, next32(), out);
    }
    case Kind::Map: {
      uint32_t ptr = next32();
      return load_map(t, ptr, next32(), out);
    }
    case Kind::FixedList: {
      if (!t.elem) return make_error("list type without an element type");
      reset(out, Kind::FixedList);
      out.items.resize(t.length);
      for (Value& item : out.items) ACTR_TRY_VOID(lift_flat(*t.elem, in, item));
      return {};
    }
    case Kind::Record:
    case Kind::Tuple: {
      size_t n = t.kind == Kind::Record ? t.fields.size() : t.items.size();
      reset(out, t.kind);
      out.items.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const ValueType* ft = t.kind == Kind::Record ? t.fields[i].type.get() : t.items[i].get();
        if (!ft) return make_error("field without a type");
        ACTR_TRY_VOID(lift_flat(*ft, in, out.items[i]));
      }
      return {};
    }
    case Kind::Variant:
    case Kind::Enum:
    case Kind::Option:
    case Kind::Result: {
      uint32_t n = case_count(t);
      uint32_t c = next32();
      if (c >= n) return bad_discriminant(c, n);
      // The payload's own flat values come first in the joined slots; reading an i32 or f32
      // from a wider joined slot is taking its low 32 bits, which next32() does.
      uint32_t end = in.pos + flat(t) - 1;
      set_case(out, t, c);
      if (const ValueType* payload = case_type(t, c)) {
        out.items.resize(1);
        ACTR_TRY_VOID(lift_flat(*payload, in, out.items[0]));
      }
      in.pos = end;
      return {};
    }
    case Kind::Flags: {
      uint64_t bits = 0;
      for (uint32_t w = 0, n = flags_flat_count(t.names.size()); w < n; ++w) {
        uint64_t word = next32();
        if (w < 2) bits |= word << (32 * w);
      }
      set_u(out, Kind::Flags, bits & flags_mask(t.names.size()));
      return {};
    }
    case Kind::Own:
    case Kind::Borrow:
      return lift_handle(t, next32(), out);
  }
  return make_error("unknown type kind");
}

}  // namespace actr::component::canonical
