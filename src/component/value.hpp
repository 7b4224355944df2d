// A dynamic component value: what the host passes to and receives from component functions.
// Values are typed by context (the function's ValueType), not self-describing beyond their kind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "component/types.hpp"

namespace actr::component {

// A resource handle as the host sees it: the resource type and the representation (the i32 the
// defining side chose: the guest's `rep` for guest-defined resources, the host's id for
// host-defined ones).
struct ResourceHandle {
  std::shared_ptr<const ResourceType> type;
  uint32_t rep = 0;
};

struct Value {
  Kind kind = Kind::Bool;
  union {
    bool b;
    int64_t s;      // S8..S64
    uint64_t u;     // U8..U64; Flags bit mask (label i is bit i); Char (code point)
    float f32;
    double f64;
    uint32_t index; // Variant / Enum case index
  };
  std::string str;              // String
  // List elements, Record fields (in type order), Tuple items, and the payload of Variant,
  // Option (some), Result (ok/err) as 0 or 1 element.
  std::vector<Value> items;
  bool is_ok = true;            // Result
  ResourceHandle handle;        // Own, Borrow

  Value() : u(0) {}

  static Value boolean(bool v);
  static Value s8(int8_t v);
  static Value u8(uint8_t v);
  static Value s16(int16_t v);
  static Value u16(uint16_t v);
  static Value s32(int32_t v);
  static Value u32(uint32_t v);
  static Value s64(int64_t v);
  static Value u64(uint64_t v);
  static Value f32v(float v);
  static Value f64v(double v);
  static Value character(char32_t v);
  static Value string(std::string v);
  static Value list(std::vector<Value> items);
  static Value bytes(const uint8_t* data, size_t n);  // list<u8>
  static Value record(std::vector<Value> fields);
  static Value tuple(std::vector<Value> items);
  static Value variant(uint32_t case_index);
  static Value variant(uint32_t case_index, Value payload);
  static Value enumeration(uint32_t case_index);
  static Value none();
  static Value some(Value v);
  static Value ok();
  static Value ok(Value v);
  static Value err();
  static Value err(Value v);
  static Value flags(uint64_t mask);
  static Value own(ResourceHandle h);
  static Value borrow(ResourceHandle h);

  bool has_payload() const { return !items.empty(); }
  const Value& payload() const { return items.front(); }
  char32_t as_char() const { return static_cast<char32_t>(u); }

  bool operator==(const Value& o) const;  // structural; floats compare bitwise (NaN == NaN)
};

}  // namespace actr::component
