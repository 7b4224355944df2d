#include "conformance/wast_value.hpp"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace actr::conformance {

using component::Kind;
using component::Value;
using component::ValueType;

namespace {

// A value form: its keyword and arguments, either from a list `(u32.const 5)` or written inline
// after a record field name (`(field "a" u32.const 5)`).
struct Form {
  std::string head;
  std::vector<const SExpr*> args;
  int line = 0;
};

Error error_at(int line, const std::string& what) {
  return make_error("line " + std::to_string(line) + ": " + what);
}

Result<Form> form_of(const SExpr& node) {
  if (!node.is_list() || node.items.empty() || !node.items[0].is_atom()) {
    return error_at(node.line, "expected a value such as (u32.const 1)");
  }
  Form f;
  f.head = node.items[0].text;
  f.line = node.line;
  for (size_t i = 1; i < node.items.size(); ++i) f.args.push_back(&node.items[i]);
  return f;
}

// The value of `(field "name" ...)`: one parenthesized value, or a head keyword and its arguments.
Result<Form> field_value(const SExpr& field) {
  if (field.items.size() == 3 && field.items[2].is_list()) return form_of(field.items[2]);
  if (field.items.size() < 3 || !field.items[2].is_atom()) {
    return error_at(field.line, "field needs a value");
  }
  Form f;
  f.head = field.items[2].text;
  f.line = field.line;
  for (size_t i = 3; i < field.items.size(); ++i) f.args.push_back(&field.items[i]);
  return f;
}

std::string strip_underscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out += c;
  }
  return out;
}

// Integer literal (decimal or 0x hex, optional sign, `_` separators) as a 64-bit pattern, range
// checked for a `bits`-wide integer of the given signedness.
Result<uint64_t> parse_int(const std::string& text, bool is_signed, int bits, int line) {
  std::string s = strip_underscores(text);
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  int base = 10;
  if (s.compare(i, 2, "0x") == 0 || s.compare(i, 2, "0X") == 0) {
    base = 16;
    i += 2;
  }
  if (i >= s.size()) return error_at(line, "bad integer `" + text + "`");
  uint64_t mag = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : 99;
    if (d >= base) return error_at(line, "bad integer `" + text + "`");
    if (mag > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / base) {
      return error_at(line, "integer `" + text + "` out of range");
    }
    mag = mag * base + static_cast<uint64_t>(d);
  }
  uint64_t umax = bits == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << bits) - 1;
  if (!is_signed) {
    if (neg && mag != 0)
      return error_at(line, "negative value `" + text + "` for an unsigned type");
    if (mag > umax) return error_at(line, "integer `" + text + "` out of range");
    return mag;
  }
  uint64_t limit = uint64_t{1} << (bits - 1);  // |min|
  if (neg ? mag > limit : mag >= limit)
    return error_at(line, "integer `" + text + "` out of range");
  int64_t v = neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  return static_cast<uint64_t>(v);
}

// A float literal. `any_nan` is set for `nan:canonical` / `nan:arithmetic`, which only say "a NaN".
struct FloatLit {
  double f64 = 0;
  float f32 = 0;
  bool any_nan = false;
};

Result<FloatLit> parse_float(const std::string& text, bool is32, int line) {
  FloatLit lit;
  std::string s = strip_underscores(text);
  bool neg = !s.empty() && s[0] == '-';
  std::string body = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? s.substr(1) : s;
  if (body == "nan:canonical" || body == "nan:arithmetic") {
    lit.any_nan = true;
    lit.f32 = std::numeric_limits<float>::quiet_NaN();
    lit.f64 = std::numeric_limits<double>::quiet_NaN();
    return lit;
  }
  if (body == "inf") {
    lit.f32 =
        neg ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    lit.f64 =
        neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return lit;
  }
  if (body.rfind("nan", 0) == 0) {
    uint64_t payload = is32 ? 0x400000 : 0x8000000000000ull;
    if (body.size() > 3) {
      if (body.compare(3, 3, ":0x") != 0) return error_at(line, "bad NaN `" + text + "`");
      ACTR_TRY(payload, parse_int(body.substr(4), false, is32 ? 23 : 52, line));
      if (payload == 0) return error_at(line, "NaN payload must not be zero");
    }
    if (is32) {
      uint32_t bits = (neg ? 0x80000000u : 0u) | 0x7F800000u | static_cast<uint32_t>(payload);
      std::memcpy(&lit.f32, &bits, 4);
    } else {
      uint64_t bits = (neg ? 0x8000000000000000ull : 0ull) | 0x7FF0000000000000ull | payload;
      std::memcpy(&lit.f64, &bits, 8);
    }
    return lit;
  }
  errno = 0;
  char* end = nullptr;
  if (is32) {
    lit.f32 = std::strtof(s.c_str(), &end);
  } else {
    lit.f64 = std::strtod(s.c_str(), &end);
  }
  if (s.empty() || end != s.c_str() + s.size()) return error_at(line, "bad float `" + text + "`");
  return lit;
}

// Decodes exactly one UTF-8 encoded scalar value.
Result<char32_t> single_char(const std::string& s, int line) {
  auto bad = [&] { return error_at(line, "char.const needs exactly one Unicode scalar value"); };
  if (s.empty()) return bad();
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  size_t n = b(0) < 0x80         ? 1
             : (b(0) >> 5) == 6  ? 2
             : (b(0) >> 4) == 14 ? 3
             : (b(0) >> 3) == 30 ? 4
                                 : 0;
  if (n == 0 || s.size() != n) return bad();
  char32_t cp = n == 1 ? b(0) : n == 2 ? (b(0) & 0x1F) : n == 3 ? (b(0) & 0x0F) : (b(0) & 0x07);
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return bad();
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return bad();
  return cp;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    auto r = single_char(s.substr(i, n), 0);
    if (!r) return false;
    i += n;
  }
  return true;
}

const char* scalar_head(Kind k) {
  switch (k) {
    case Kind::Bool:
      return "bool.const";
    case Kind::S8:
      return "s8.const";
    case Kind::U8:
      return "u8.const";
    case Kind::S16:
      return "s16.const";
    case Kind::U16:
      return "u16.const";
    case Kind::S32:
      return "s32.const";
    case Kind::U32:
      return "u32.const";
    case Kind::S64:
      return "s64.const";
    case Kind::U64:
      return "u64.const";
    case Kind::F32:
      return "f32.const";
    case Kind::F64:
      return "f64.const";
    case Kind::Char:
      return "char.const";
    case Kind::String:
      return "str.const";
    case Kind::List:
      return "list.const";
    case Kind::Record:
      return "record.const";
    case Kind::Tuple:
      return "tuple.const";
    case Kind::Variant:
      return "variant.const";
    case Kind::Enum:
      return "enum.const";
    case Kind::Option:
      return "option.some / option.none";
    case Kind::Result:
      return "result.ok / result.err";
    case Kind::Flags:
      return "flags.const";
    case Kind::Own:
    case Kind::Borrow:
      return "(a handle)";
    case Kind::Map:
      return "list.const of tuple.const";
    case Kind::FixedList:
      return "list.const";
  }
  return "?";
}

int int_bits(Kind k) {
  switch (k) {
    case Kind::S8:
    case Kind::U8:
      return 8;
    case Kind::S16:
    case Kind::U16:
      return 16;
    case Kind::S32:
    case Kind::U32:
      return 32;
    default:
      return 64;
  }
}

bool is_signed_int(Kind k) {
  return k == Kind::S8 || k == Kind::S16 || k == Kind::S32 || k == Kind::S64;
}
bool is_int(Kind k) { return k >= Kind::S8 && k <= Kind::U64; }

// A compound form broken into its parts, checked against the type.
struct Shape {
  uint32_t index = 0;  // Variant/Enum case; Option: 1 = some; Result: 1 = ok
  uint64_t mask = 0;   // Flags
  std::vector<std::pair<Form, const ValueType*>> children;
};

Result<std::string> name_arg(const Form& f, size_t i) {
  if (i >= f.args.size() || !f.args[i]->is_string()) {
    return error_at(f.line, f.head + " needs a name string");
  }
  return f.args[i]->text;
}

Result<Shape> shape_of(const Form& f, const ValueType& t) {
  Shape shape;
  auto child = [&](const SExpr& node, const ValueType* type) -> Result<void> {
    ACTR_TRY(Form cf, form_of(node));
    shape.children.emplace_back(std::move(cf), type);
    return {};
  };
  auto expect_head = [&](std::string_view h) -> Result<void> {
    if (f.head != h) {
      return error_at(f.line, "expected " + std::string(h) + " for a " + component::to_wit(t) +
                                  ", found " + f.head);
    }
    return {};
  };
  switch (t.kind) {
    case Kind::List:
      ACTR_TRY_VOID(expect_head("list.const"));
      for (const SExpr* a : f.args) ACTR_TRY_VOID(child(*a, t.elem.get()));
      return shape;
    case Kind::FixedList:
      ACTR_TRY_VOID(expect_head("list.const"));
      if (f.args.size() != t.length) {
        return error_at(f.line,
                        std::to_string(f.args.size()) + " elements for a " + component::to_wit(t));
      }
      for (const SExpr* a : f.args) ACTR_TRY_VOID(child(*a, t.elem.get()));
      return shape;
    case Kind::Map:
      // The .wast format has no map.const yet: a map is written as the list of (key, value)
      // tuples it despecializes to (map.const with the same entries is accepted too). Each entry
      // adds two children, its key and its value.
      if (f.head != "map.const") ACTR_TRY_VOID(expect_head("list.const"));
      if (!t.key || !t.elem) return error_at(f.line, "map type without key and value types");
      for (const SExpr* a : f.args) {
        ACTR_TRY(Form entry, form_of(*a));
        if (entry.head != "tuple.const" || entry.args.size() != 2) {
          return error_at(entry.line, "a map entry is written (tuple.const key value)");
        }
        ACTR_TRY_VOID(child(*entry.args[0], t.key.get()));
        ACTR_TRY_VOID(child(*entry.args[1], t.elem.get()));
      }
      return shape;
    case Kind::Tuple:
      ACTR_TRY_VOID(expect_head("tuple.const"));
      if (f.args.size() != t.items.size()) {
        return error_at(f.line, "tuple.const has " + std::to_string(f.args.size()) +
                                    " items, the type " + std::to_string(t.items.size()));
      }
      for (size_t i = 0; i < f.args.size(); ++i) ACTR_TRY_VOID(child(*f.args[i], t.items[i].get()));
      return shape;
    case Kind::Record: {
      ACTR_TRY_VOID(expect_head("record.const"));
      std::vector<std::optional<Form>> by_field(t.fields.size());
      for (const SExpr* a : f.args) {
        if (a->head() != "field" || a->items.size() < 3 || !a->items[1].is_string()) {
          return error_at(a->line, "expected (field \"name\" value)");
        }
        size_t k = 0;
        while (k < t.fields.size() && t.fields[k].name != a->items[1].text) ++k;
        if (k == t.fields.size()) return error_at(a->line, "no field `" + a->items[1].text + "`");
        if (by_field[k]) return error_at(a->line, "field `" + a->items[1].text + "` given twice");
        ACTR_TRY(by_field[k], field_value(*a));
      }
      for (size_t k = 0; k < t.fields.size(); ++k) {
        if (!by_field[k]) return error_at(f.line, "missing field `" + t.fields[k].name + "`");
        shape.children.emplace_back(std::move(*by_field[k]), t.fields[k].type.get());
      }
      return shape;
    }
    case Kind::Variant: {
      ACTR_TRY_VOID(expect_head("variant.const"));
      ACTR_TRY(std::string name, name_arg(f, 0));
      size_t k = 0;
      while (k < t.cases.size() && t.cases[k].name != name) ++k;
      if (k == t.cases.size()) return error_at(f.line, "no case `" + name + "`");
      shape.index = static_cast<uint32_t>(k);
      bool has_type = t.cases[k].type != nullptr;
      if (f.args.size() != (has_type ? 2u : 1u)) {
        return error_at(f.line,
                        "case `" + name + (has_type ? "` needs a payload" : "` has no payload"));
      }
      if (has_type) ACTR_TRY_VOID(child(*f.args[1], t.cases[k].type.get()));
      return shape;
    }
    case Kind::Enum: {
      ACTR_TRY_VOID(expect_head("enum.const"));
      ACTR_TRY(std::string name, name_arg(f, 0));
      size_t k = 0;
      while (k < t.names.size() && t.names[k] != name) ++k;
      if (k == t.names.size()) return error_at(f.line, "no enum case `" + name + "`");
      shape.index = static_cast<uint32_t>(k);
      return shape;
    }
    case Kind::Flags: {
      ACTR_TRY_VOID(expect_head("flags.const"));
      for (size_t i = 0; i < f.args.size(); ++i) {
        ACTR_TRY(std::string name, name_arg(f, i));
        size_t k = 0;
        while (k < t.names.size() && t.names[k] != name) ++k;
        if (k == t.names.size() || k >= 64) return error_at(f.line, "no flag `" + name + "`");
        shape.mask |= uint64_t{1} << k;
      }
      return shape;
    }
    case Kind::Option:
      if (f.head == "option.none") {
        if (!f.args.empty()) return error_at(f.line, "option.none takes no value");
        shape.index = 0;
        return shape;
      }
      ACTR_TRY_VOID(expect_head("option.some"));
      if (f.args.size() != 1) return error_at(f.line, "option.some takes one value");
      shape.index = 1;
      ACTR_TRY_VOID(child(*f.args[0], t.elem.get()));
      return shape;
    case Kind::Result: {
      bool ok = f.head == "result.ok";
      if (!ok) ACTR_TRY_VOID(expect_head("result.err"));
      shape.index = ok ? 1 : 0;
      const ValueType* payload = ok ? t.ok.get() : t.err.get();
      if (f.args.size() != (payload ? 1u : 0u)) {
        return error_at(f.line, f.head + (payload ? " needs a value" : " takes no value"));
      }
      if (payload) ACTR_TRY_VOID(child(*f.args[0], payload));
      return shape;
    }
    default:
      return error_at(f.line, std::string("no compound shape for ") + component::to_string(t.kind));
  }
}

Result<Value> scalar_value(const Form& f, const ValueType& t, bool* any_nan) {
  if (t.kind == Kind::Own || t.kind == Kind::Borrow) {
    return error_at(f.line, "resource handles cannot be written as .wast values");
  }
  if (f.head != scalar_head(t.kind)) {
    return error_at(f.line, std::string("expected ") + scalar_head(t.kind) + " for a " +
                                component::to_wit(t) + ", found " + f.head);
  }
  if (f.args.size() != 1 || f.args[0]->is_list()) {
    return error_at(f.line, f.head + " takes exactly one literal");
  }
  const std::string& lit = f.args[0]->text;
  bool quoted = f.args[0]->is_string();
  if ((t.kind == Kind::Char || t.kind == Kind::String) != quoted) {
    return error_at(f.line, f.head + (quoted ? " takes an unquoted literal" : " takes a string"));
  }
  switch (t.kind) {
    case Kind::Bool:
      if (lit != "true" && lit != "false")
        return error_at(f.line, "bool.const needs true or false");
      return Value::boolean(lit == "true");
    case Kind::F32: {
      ACTR_TRY(FloatLit fl, parse_float(lit, true, f.line));
      if (any_nan) *any_nan = fl.any_nan;
      return Value::f32v(fl.f32);
    }
    case Kind::F64: {
      ACTR_TRY(FloatLit fl, parse_float(lit, false, f.line));
      if (any_nan) *any_nan = fl.any_nan;
      return Value::f64v(fl.f64);
    }
    case Kind::Char: {
      ACTR_TRY(char32_t cp, single_char(lit, f.line));
      return Value::character(cp);
    }
    case Kind::String:
      if (!valid_utf8(lit)) return error_at(f.line, "str.const is not valid UTF-8");
      return Value::string(lit);
    default:
      break;
  }
  ACTR_TRY(uint64_t bits, parse_int(lit, is_signed_int(t.kind), int_bits(t.kind), f.line));
  switch (t.kind) {
    case Kind::S8:
      return Value::s8(static_cast<int8_t>(bits));
    case Kind::U8:
      return Value::u8(static_cast<uint8_t>(bits));
    case Kind::S16:
      return Value::s16(static_cast<int16_t>(bits));
    case Kind::U16:
      return Value::u16(static_cast<uint16_t>(bits));
    case Kind::S32:
      return Value::s32(static_cast<int32_t>(bits));
    case Kind::U32:
      return Value::u32(static_cast<uint32_t>(bits));
    case Kind::S64:
      return Value::s64(static_cast<int64_t>(bits));
    default:
      return Value::u64(bits);
  }
}

bool is_scalar(Kind k) {
  return k == Kind::Bool || is_int(k) || k == Kind::F32 || k == Kind::F64 || k == Kind::Char ||
         k == Kind::String || k == Kind::Own || k == Kind::Borrow;
}

Result<Value> build(const Form& f, const ValueType& t) {
  if (is_scalar(t.kind)) return scalar_value(f, t, nullptr);
  ACTR_TRY(Shape shape, shape_of(f, t));
  std::vector<Value> children;
  for (auto& [cf, ct] : shape.children) {
    ACTR_TRY(Value v, build(cf, *ct));
    children.push_back(std::move(v));
  }
  switch (t.kind) {
    case Kind::List:
      return Value::list(std::move(children));
    case Kind::FixedList:
      return Value::fixed_list(std::move(children));
    case Kind::Tuple:
      return Value::tuple(std::move(children));
    case Kind::Map: {
      std::vector<Value> entries;
      for (size_t i = 0; i + 1 < children.size(); i += 2) {
        entries.push_back(Value::map_entry(std::move(children[i]), std::move(children[i + 1])));
      }
      return Value::map(std::move(entries));
    }
    case Kind::Record:
      return Value::record(std::move(children));
    case Kind::Variant:
      return children.empty() ? Value::variant(shape.index)
                              : Value::variant(shape.index, std::move(children.front()));
    case Kind::Enum:
      return Value::enumeration(shape.index);
    case Kind::Flags:
      return Value::flags(shape.mask);
    case Kind::Option:
      return shape.index ? Value::some(std::move(children.front())) : Value::none();
    case Kind::Result:
      if (shape.index)
        return children.empty() ? Value::ok() : Value::ok(std::move(children.front()));
      return children.empty() ? Value::err() : Value::err(std::move(children.front()));
    default:
      return error_at(f.line, "unsupported type");
  }
}

bool float_matches(const Value& expected, const Value& actual, Kind k, bool any_nan) {
  if (k == Kind::F32) {
    if (any_nan) return std::isnan(actual.f32);
    uint32_t a, b;
    std::memcpy(&a, &expected.f32, 4);
    std::memcpy(&b, &actual.f32, 4);
    return a == b;
  }
  if (any_nan) return std::isnan(actual.f64);
  uint64_t a, b;
  std::memcpy(&a, &expected.f64, 8);
  std::memcpy(&b, &actual.f64, 8);
  return a == b;
}

std::optional<std::string> compare(const Form& f, const ValueType& t, const Value& actual,
                                   const std::string& path) {
  auto fail = [&](const std::string& what) -> std::optional<std::string> {
    return (path.empty() ? std::string() : "at " + path + ": ") + what;
  };
  if (actual.kind != t.kind) {
    return fail(std::string("value is a ") + component::to_string(actual.kind) + ", expected a " +
                component::to_string(t.kind));
  }
  if (is_scalar(t.kind)) {
    bool any_nan = false;
    auto expected = scalar_value(f, t, &any_nan);
    if (!expected) return fail(expected.error().message);
    bool same = (t.kind == Kind::F32 || t.kind == Kind::F64)
                    ? float_matches(*expected, actual, t.kind, any_nan)
                    : *expected == actual;
    if (same) return std::nullopt;
    return fail("got " + describe(actual, t) + ", expected " + describe(*expected, t));
  }
  // Lifting makes a compact list<u8>; compare it element by element like any list.
  if (actual.is_bytes()) return compare(f, t, actual.expanded(), path);
  auto shape = shape_of(f, t);
  if (!shape) return fail(shape.error().message);
  switch (t.kind) {
    case Kind::Variant:
    case Kind::Enum:
      if (actual.index != shape->index) {
        return fail("got " + describe(actual, t) + ", expected case " +
                    (t.kind == Kind::Enum ? t.names[shape->index] : t.cases[shape->index].name));
      }
      break;
    case Kind::Flags:
      if (actual.u != shape->mask)
        return fail("got " + describe(actual, t) + ", other flags expected");
      return std::nullopt;
    case Kind::Option:
    case Kind::Result: {
      bool present = t.kind == Kind::Option ? actual.has_payload() : actual.is_ok;
      if (present != (shape->index == 1)) {
        return fail("got " + describe(actual, t) + ", expected " + f.head);
      }
      break;
    }
    case Kind::Map: {
      if (actual.items.size() * 2 != shape->children.size()) {
        return fail("got " + std::to_string(actual.items.size()) + " entries, expected " +
                    std::to_string(shape->children.size() / 2));
      }
      for (size_t i = 0; i < actual.items.size(); ++i) {
        const Value& entry = actual.items[i];
        std::string sub = path + "[" + std::to_string(i) + "]";
        if (entry.kind != Kind::Tuple || entry.items.size() != 2) {
          return fail("entry " + std::to_string(i) + " is not a (key, value) tuple");
        }
        for (size_t j = 0; j < 2; ++j) {
          const auto& [cf, ct] = shape->children[2 * i + j];
          auto m = compare(cf, *ct, entry.items[j], sub + (j ? ".value" : ".key"));
          if (m) return m;
        }
      }
      return std::nullopt;
    }
    default:
      break;
  }
  if (actual.items.size() != shape->children.size()) {
    return fail("got " + std::to_string(actual.items.size()) + " items, expected " +
                std::to_string(shape->children.size()));
  }
  for (size_t i = 0; i < shape->children.size(); ++i) {
    std::string sub = path;
    if (t.kind == Kind::Record) {
      sub += "." + t.fields[i].name;
    } else if (t.kind == Kind::List || t.kind == Kind::FixedList || t.kind == Kind::Tuple) {
      sub += "[" + std::to_string(i) + "]";
    } else {
      sub += ".payload";
    }
    auto m = compare(shape->children[i].first, *shape->children[i].second, actual.items[i], sub);
    if (m) return m;
  }
  return std::nullopt;
}

void append_escaped(std::string& out, const std::string& s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\";
      out += hex[(c >> 4) & 0xF];
      out += hex[c & 0xF];
      continue;
    }
    out += c;
  }
  out += '"';
}

}  // namespace

Result<Value> to_value(const SExpr& node, const ValueType& type) {
  ACTR_TRY(Form f, form_of(node));
  return build(f, type);
}

std::optional<std::string> mismatch(const SExpr& node, const ValueType& type, const Value& actual) {
  auto f = form_of(node);
  if (!f) return f.error().message;
  return compare(*f, type, actual, "");
}

std::string describe(const Value& v, const ValueType& t) {
  if (v.is_bytes()) return describe(v.expanded(), t);
  std::string out;
  auto items = [&](const char* open, const char* close, auto&& type_of) {
    out += open;
    for (size_t i = 0; i < v.items.size(); ++i) {
      if (i) out += ", ";
      const ValueType* it = type_of(i);
      out += it ? describe(v.items[i], *it) : "?";
    }
    out += close;
  };
  if (v.kind != t.kind) return std::string("<") + component::to_string(v.kind) + ">";
  switch (t.kind) {
    case Kind::Bool:
      return v.b ? "true" : "false";
    case Kind::S8:
    case Kind::S16:
    case Kind::S32:
    case Kind::S64:
      return std::to_string(v.s);
    case Kind::U8:
    case Kind::U16:
    case Kind::U32:
    case Kind::U64:
      return std::to_string(v.u);
    case Kind::F32: {
      uint32_t bits;
      std::memcpy(&bits, &v.f32, 4);
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g (0x%08x)", static_cast<double>(v.f32), bits);
      return buf;
    }
    case Kind::F64: {
      uint64_t bits;
      std::memcpy(&bits, &v.f64, 8);
      char buf[80];
      std::snprintf(buf, sizeof buf, "%g (0x%016llx)", v.f64,
                    static_cast<unsigned long long>(bits));
      return buf;
    }
    case Kind::Char: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(v.u));
      return buf;
    }
    case Kind::String:
      append_escaped(out, v.str);
      return out;
    case Kind::List:
    case Kind::FixedList:
      items("[", "]", [&](size_t) { return t.elem.get(); });
      return out;
    case Kind::Tuple:
      items("(", ")", [&](size_t i) { return i < t.items.size() ? t.items[i].get() : nullptr; });
      return out;
    case Kind::Map:
      out += "[";
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        const Value& e = v.items[i];
        if (e.kind != Kind::Tuple || e.items.size() != 2 || !t.key || !t.elem) {
          out += "?";
          continue;
        }
        out += "(" + describe(e.items[0], *t.key) + ", " + describe(e.items[1], *t.elem) + ")";
      }
      return out + "]";
    case Kind::Record:
      out += "{";
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        out += i < t.fields.size()
                   ? t.fields[i].name + ": " + describe(v.items[i], *t.fields[i].type)
                   : "?";
      }
      return out + "}";
    case Kind::Variant:
      if (v.index >= t.cases.size()) return "<bad case " + std::to_string(v.index) + ">";
      out = t.cases[v.index].name;
      if (v.has_payload() && t.cases[v.index].type) {
        out += "(" + describe(v.payload(), *t.cases[v.index].type) + ")";
      }
      return out;
    case Kind::Enum:
      return v.index < t.names.size() ? t.names[v.index]
                                      : "<bad case " + std::to_string(v.index) + ">";
    case Kind::Flags: {
      out = "{";
      bool first = true;
      for (size_t i = 0; i < t.names.size() && i < 64; ++i) {
        if (!(v.u >> i & 1)) continue;
        if (!first) out += ", ";
        first = false;
        out += t.names[i];
      }
      return out + "}";
    }
    case Kind::Option:
      return v.has_payload() && t.elem ? "some(" + describe(v.payload(), *t.elem) + ")" : "none";
    case Kind::Result: {
      const ValueType* p = v.is_ok ? t.ok.get() : t.err.get();
      out = v.is_ok ? "ok" : "err";
      if (v.has_payload() && p) out += "(" + describe(v.payload(), *p) + ")";
      return out;
    }
    case Kind::Own:
    case Kind::Borrow:
      return std::string(t.kind == Kind::Own ? "own" : "borrow") + "#" +
             std::to_string(v.handle.rep);
  }
  return "?";
}

}  // namespace actr::conformance
