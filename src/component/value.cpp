#include "component/value.hpp"

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

Value Value::bytes(const uint8_t* data, size_t n) {
  Value v = with_kind(Kind::List);
  v.items.reserve(n);
  for (size_t i = 0; i < n; ++i) v.items.push_back(u8(data[i]));
  return v;
}

Value Value::record(std::vector<Value> fields) {
  Value v = with_kind(Kind::Record);
  v.items = std::move(fields);
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
    case Kind::Record:
    case Kind::Tuple:
    case Kind::Option:
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
