// A dynamic component value: what the host passes to and receives from component functions.
// Values are typed by context (the function's ValueType), not self-describing beyond their kind.
//
// A list<u8> has two forms: element-wise (one U8 Value per byte in `items`, like any list), and
// compact (is_bytes(): the bytes held contiguously, `items` empty). Value::bytes() and lifting a
// list<u8> from a guest make the compact form; lowering and equality accept both. Code that
// reads lists should use list_size()/list_item() or, for bytes, copy_bytes(), which work on both.
//
// A map<K, V> holds its entries in order in `items`, each a Tuple of two items (key, value), as
// the list<tuple<K, V>> the canonical ABI passes. Like the ABI, it keeps duplicate keys: it is the
// guest's list as sent, and equality compares entries in order.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "actr/component/types.hpp"

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
    int64_t s;   // S8..S64
    uint64_t u;  // U8..U64; Flags bit mask (label i is bit i); Char (code point)
    float f32;
    double f64;
    uint32_t index;  // Variant / Enum case index
  };
  std::string str;  // String; the bytes of a compact list<u8> (see is_bytes())
  // List elements (empty in a compact list<u8>), Record fields (in type order), Tuple items,
  // Map entries (see above), and the payload of Variant, Option (some), Result (ok/err) as 0 or 1
  // element.
  std::vector<Value> items;
  bool is_ok = true;  // Result

 private:
  // List only: the elements are the bytes in `str`. Declared here to fill padding.
  bool compact_bytes_ = false;

 public:
  ResourceHandle handle;  // Own, Borrow

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
  // A value of list<T, N>: exactly N items (checked against the type, not here).
  static Value fixed_list(std::vector<Value> items);
  // list<u8> in the compact form.
  static Value bytes(const uint8_t* data, size_t n);
  static Value bytes(std::span<const uint8_t> data);
  static Value bytes(std::string data);  // takes the bytes of `data` without copying
  static Value record(std::vector<Value> fields);
  // A map of `entries`, each made by map_entry().
  static Value map(std::vector<Value> entries);
  static Value map_entry(Value key, Value value);
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

  // ---- lists, in either form ----
  // A list<u8> in the compact form.
  bool is_bytes() const { return kind == Kind::List && compact_bytes_; }
  // The bytes of a compact list<u8>; empty for any other value.
  std::span<const uint8_t> as_bytes() const {
    if (!is_bytes()) return {};
    return {reinterpret_cast<const uint8_t*>(str.data()), str.size()};
  }
  // Number of elements of a list (0 for other kinds).
  size_t list_size() const;
  // Element i (< list_size()) of a list, as a copy: a U8 value in the compact form.
  Value list_item(size_t i) const;
  // The bytes of a list<u8> in either form, replacing `out`'s contents. False (and `out` left
  // unspecified) when this is not a list or an element is not a u8.
  bool copy_bytes(std::string& out) const;
  bool copy_bytes(std::vector<uint8_t>& out) const;
  // This value with every compact list<u8> inside it (itself included) in the element-wise form,
  // for code that walks `items` generically.
  Value expanded() const;

  // ---- in-place construction (lifting fills Values without temporaries) ----
  // Makes this a value of kind `k` with no payload, keeping allocated capacity.
  void reset(Kind k);
  // Makes this a compact list<u8> holding a copy of [data, data + n).
  void assign_bytes(const uint8_t* data, size_t n);

  // Structural; floats compare bitwise (NaN == NaN); a compact list<u8> equals the element-wise
  // list of the same bytes.
  bool operator==(const Value& o) const;
};

}  // namespace actr::component
