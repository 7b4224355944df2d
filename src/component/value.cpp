#include "actr/component/value.hpp"

#include <cstring>

namespace actr::component {

namespace {

Value with_kind(Kind k) {
  Value v;
  v.kind = k;
  return v;
}

Value with_payload(Kind k, uint32_t index, Value payload) {
  Value v = with_kind(k);
  v.index = index;
  v.items.push_back(std::move(payload));
  return v;
}

}  // namespace

Value Value::boolean(bool b) {
  Value v = with_kind(Kind::Bool);
  v.b = b;
  return v;
}

#define ACTR_SIGNED_CTOR(name, K, T) \
  Value Value::name(T x) {           \
    Value v = with_kind(Kind::K);    \
    v.s = x;                         \
    return v;                        \
  }
#define ACTR_UNSIGNED_CTOR(name, K, T) \
  Value Value::name(T x) {             \
    Value v = with_kind(Kind::K);      \
    v.u = x;                           \
    return v;                          \
  }
ACTR_SIGNED_CTOR(s8, S8, int8_t)
ACTR_SIGNED_CTOR(s16, S16, int16_t)
ACTR_SIGNED_CTOR(s32, S32, int32_t)
ACTR_SIGNED_CTOR(s64, S64, int64_t)
ACTR_UNSIGNED_CTOR(u8, U8, uint8_t)
ACTR_UNSIGNED_CTOR(u16, U16, uint16_t)
ACTR_UNSIGNED_CTOR(u32, U32, uint32_t)
ACTR_UNSIGNED_CTOR(u64, U64, uint64_t)
#undef ACTR_SIGNED_CTOR
#undef ACTR_UNSIGNED_CTOR

Value Value::f32v(float x) {
  Value v = with_kind(Kind::F32);
  v.f32 = x;
  return v;
}

Value Value::f64v(double x) {
  Value v = with_kind(Kind::F64);
  v.f64 = x;
  return v;
}

Value Value::character(char32_t c) {
  Value v = with_kind(Kind::Char);
  v.u = c;
  return v;
}

Value Value::string(std::string s) {
  Value v = with_kind(Kind::String);
  v.str = std::move(s);
  return v;
}

Value Value::list(std::vector<Value> items) {
  Value v = with_kind(Kind::List);
  v.items = std::move(items);
  return v;
}

Value Value::fixed_list(std::vector<Value> items) {
  Value v = with_kind(Kind::FixedList);
  v.items = std::move(items);
  return v;
}

Value Value::bytes(const uint8_t* data, size_t n) {
  Value v;
  v.assign_bytes(data, n);
  return v;
}

Value Value::bytes(std::span<const uint8_t> data) { return bytes(data.data(), data.size()); }

Value Value::bytes(std::string data) {
  Value v = with_kind(Kind::List);
  v.compact_bytes_ = true;
  v.str = std::move(data);
  return v;
}

Value Value::record(std::vector<Value> fields) {
  Value v = with_kind(Kind::Record);
  v.items = std::move(fields);
  return v;
}

Value Value::map(std::vector<Value> entries) {
  Value v = with_kind(Kind::Map);
  v.items = std::move(entries);
  return v;
}

Value Value::map_entry(Value key, Value value) {
  Value v = with_kind(Kind::Tuple);
  v.items.reserve(2);
  v.items.push_back(std::move(key));
  v.items.push_back(std::move(value));
  return v;
}

Value Value::tuple(std::vector<Value> items) {
  Value v = with_kind(Kind::Tuple);
  v.items = std::move(items);
  return v;
}

Value Value::variant(uint32_t case_index) {
  Value v = with_kind(Kind::Variant);
  v.index = case_index;
  return v;
}

Value Value::variant(uint32_t case_index, Value payload) {
  return with_payload(Kind::Variant, case_index, std::move(payload));
}

Value Value::enumeration(uint32_t case_index) {
  Value v = with_kind(Kind::Enum);
  v.index = case_index;
  return v;
}

Value Value::none() { return with_kind(Kind::Option); }

Value Value::some(Value payload) { return with_payload(Kind::Option, 0, std::move(payload)); }

Value Value::ok() { return with_kind(Kind::Result); }

Value Value::ok(Value payload) { return with_payload(Kind::Result, 0, std::move(payload)); }

Value Value::err() {
  Value v = with_kind(Kind::Result);
  v.is_ok = false;
  return v;
}

Value Value::err(Value payload) {
  Value v = with_payload(Kind::Result, 0, std::move(payload));
  v.is_ok = false;
  return v;
}

Value Value::flags(uint64_t mask) {
  Value v = with_kind(Kind::Flags);
  v.u = mask;
  return v;
}

Value Value::own(ResourceHandle h) {
  Value v = with_kind(Kind::Own);
  v.handle = std::move(h);
  return v;
}

Value Value::borrow(ResourceHandle h) {
  Value v = with_kind(Kind::Borrow);
  v.handle = std::move(h);
  return v;
}

size_t Value::list_size() const {
  if (kind != Kind::List) return 0;
  return compact_bytes_ ? str.size() : items.size();
}

Value Value::list_item(size_t i) const {
  if (is_bytes()) return i < str.size() ? u8(static_cast<uint8_t>(str[i])) : Value();
  return kind == Kind::List && i < items.size() ? items[i] : Value();
}

namespace {

template <typename Bytes>
bool copy_bytes_to(const Value& v, Bytes& out) {
  if (v.kind != Kind::List) return false;
  if (v.is_bytes()) {
    auto bytes = v.as_bytes();
    out.assign(bytes.begin(), bytes.end());
    return true;
  }
  out.resize(v.items.size());
  for (size_t i = 0; i < v.items.size(); ++i) {
    const Value& item = v.items[i];
    if (item.kind != Kind::U8 || item.u > 0xff) return false;
    out[i] = static_cast<typename Bytes::value_type>(item.u);
  }
  return true;
}

// A compact list<u8> equals an element-wise list with the same bytes.
bool same_bytes(std::span<const uint8_t> bytes, const std::vector<Value>& items) {
  if (bytes.size() != items.size()) return false;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (items[i].kind != Kind::U8 || items[i].u != bytes[i]) return false;
  }
  return true;
}

}  // namespace

bool Value::copy_bytes(std::string& out) const { return copy_bytes_to(*this, out); }
bool Value::copy_bytes(std::vector<uint8_t>& out) const { return copy_bytes_to(*this, out); }

Value Value::expanded() const {
  if (is_bytes()) {
    Value v = with_kind(Kind::List);
    v.items.reserve(str.size());
    for (char c : str) v.items.push_back(u8(static_cast<uint8_t>(c)));
    return v;
  }
  Value v;
  v.kind = kind;
  std::memcpy(&v.u, &u, sizeof u);  // the whole union
  v.str = str;
  v.is_ok = is_ok;
  v.handle = handle;
  v.items.reserve(items.size());
  for (const Value& item : items) v.items.push_back(item.expanded());
  return v;
}

void Value::reset(Kind k) {
  kind = k;
  u = 0;
  is_ok = true;
  compact_bytes_ = false;
  if (!items.empty()) items.clear();
  if (!str.empty()) str.clear();
  if (handle.type) handle = {};
}

void Value::assign_bytes(const uint8_t* data, size_t n) {
  reset(Kind::List);
  compact_bytes_ = true;
  str.assign(reinterpret_cast<const char*>(data), n);
}

bool Value::operator==(const Value& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::Bool:
      return b == o.b;
    case Kind::S8:
    case Kind::S16:
    case Kind::S32:
    case Kind::S64:
      return s == o.s;
    case Kind::U8:
    case Kind::U16:
    case Kind::U32:
    case Kind::U64:
    case Kind::Char:
    case Kind::Flags:
      return u == o.u;
    case Kind::F32: {
      uint32_t x, y;
      std::memcpy(&x, &f32, 4);
      std::memcpy(&y, &o.f32, 4);
      return x == y;
    }
    case Kind::F64: {
      uint64_t x, y;
      std::memcpy(&x, &f64, 8);
      std::memcpy(&y, &o.f64, 8);
      return x == y;
    }
    case Kind::String:
      return str == o.str;
    case Kind::List:
      if (compact_bytes_ && o.compact_bytes_) return str == o.str;
      if (compact_bytes_) return same_bytes(as_bytes(), o.items);
      if (o.compact_bytes_) return same_bytes(o.as_bytes(), items);
      return items == o.items;
    case Kind::Record:
    case Kind::Tuple:
    case Kind::Option:
    case Kind::Map:
    case Kind::FixedList:
      return items == o.items;
    case Kind::Variant:
    case Kind::Enum:
      return index == o.index && items == o.items;
    case Kind::Result:
      return is_ok == o.is_ok && items == o.items;
    case Kind::Own:
    case Kind::Borrow:
      return handle.type == o.handle.type && handle.rep == o.handle.rep;
  }
  return false;
}

}  // namespace actr::component
