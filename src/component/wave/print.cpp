// Printing Values as WAVE text.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <span>

#include "common/unicode.hpp"
#include "component/wave/wave.hpp"

namespace actr::component::wave {

namespace {

bool is_keyword(std::string_view s) {
  return s == "true" || s == "false" || s == "some" || s == "none" || s == "ok" || s == "err" ||
         s == "inf" || s == "nan";
}

void label(std::string& out, const std::string& name) {
  if (is_keyword(name)) out += '%';
  out += name;
}

void quoted(std::string& out, std::string_view s, char quote) {
  out += quote;
  for (size_t i = 0; i < s.size();) {
    uint32_t c = unicode::next_code_point(s, i);
    switch (c) {
      case '\\':
        out += "\\\\";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (c == static_cast<uint32_t>(quote)) {
      out += '\\';
      out += quote;
    } else if (c < 0x20 || c == 0x7F) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%x}", c);
      out += buf;
    } else {
      unicode::append_utf8(out, c);
    }
  }
  out += quote;
}

template <typename F>
void number(std::string& out, F f) {
  if (std::isnan(f)) {
    out += "nan";
  } else if (std::isinf(f)) {
    out += f < 0 ? "-inf" : "inf";
  } else {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
    out.append(buf, ec == std::errc() ? end : buf);
  }
}

void invalid(std::string& out, const ValueType& t, const Value& v) {
  out += "<";
  out += to_string(v.kind);
  out += " value where `";
  out += to_wit(t);
  out += "` is expected>";
}

void print_to(std::string& out, const Value& v, const ValueType& t);

void payload(std::string& out, const Value& v, const ValueType* type) {
  if (!type) return;
  out += '(';
  if (v.items.size() == 1) {
    print_to(out, v.items[0], *type);
  } else {
    out += "<missing payload>";
  }
  out += ')';
}

// `[a, b, c]`, each element as `elem`.
void print_items(std::string& out, const std::vector<Value>& items, const ValueType* elem) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ", ";
    if (elem) print_to(out, items[i], *elem);
  }
  out += ']';
}

void print_to(std::string& out, const Value& v, const ValueType& t) {
  if (v.kind != t.kind) return invalid(out, t, v);
  switch (t.kind) {
    case Kind::Bool:
      out += v.b ? "true" : "false";
      return;
    case Kind::S8:
    case Kind::S16:
    case Kind::S32:
    case Kind::S64:
      out += std::to_string(v.s);
      return;
    case Kind::U8:
    case Kind::U16:
    case Kind::U32:
    case Kind::U64:
      out += std::to_string(v.u);
      return;
    case Kind::F32:
      number(out, v.f32);
      return;
    case Kind::F64:
      number(out, v.f64);
      return;
    case Kind::Char: {
      std::string c;
      unicode::append_utf8(c, static_cast<uint32_t>(v.u));
      quoted(out, c, '\'');
      return;
    }
    case Kind::String:
      quoted(out, v.str, '"');
      return;
    case Kind::FixedList:
      if (v.items.size() != t.length) return invalid(out, t, v);
      print_items(out, v.items, t.elem.get());
      return;
    case Kind::List:
      if (v.is_bytes()) {
        std::span<const uint8_t> bytes = v.as_bytes();
        if (!bytes.empty() && (!t.elem || t.elem->kind != Kind::U8)) return invalid(out, t, v);
        out += '[';
        for (size_t i = 0; i < bytes.size(); ++i) {
          if (i) out += ", ";
          out += std::to_string(bytes[i]);
        }
        out += ']';
        return;
      }
      print_items(out, v.items, t.elem.get());
      return;
    case Kind::Map:
      // As the list of (key, value) tuples it is (WAVE has no map syntax).
      if (!t.key || !t.elem) return invalid(out, t, v);
      for (const Value& e : v.items) {
        if (e.kind != Kind::Tuple || e.items.size() != 2) return invalid(out, t, v);
      }
      out += '[';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        out += '(';
        print_to(out, v.items[i].items[0], *t.key);
        out += ", ";
        print_to(out, v.items[i].items[1], *t.elem);
        out += ')';
      }
      out += ']';
      return;
    case Kind::Tuple:
      if (v.items.size() != t.items.size()) return invalid(out, t, v);
      out += '(';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        print_to(out, v.items[i], *t.items[i]);
      }
      out += ')';
      return;
    case Kind::Record:
      if (v.items.size() != t.fields.size()) return invalid(out, t, v);
      out += '{';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ", ";
        out += t.fields[i].name;
        out += ": ";
        print_to(out, v.items[i], *t.fields[i].type);
      }
      out += '}';
      return;
    case Kind::Variant:
      if (v.index >= t.cases.size()) return invalid(out, t, v);
      label(out, t.cases[v.index].name);
      payload(out, v, t.cases[v.index].type.get());
      return;
    case Kind::Enum:
      if (v.index >= t.names.size()) return invalid(out, t, v);
      label(out, t.names[v.index]);
      return;
    case Kind::Option:
      if (v.items.empty()) {
        out += "none";
      } else {
        out += "some";
        payload(out, v, t.elem.get());
      }
      return;
    case Kind::Result:
      out += v.is_ok ? "ok" : "err";
      payload(out, v, v.is_ok ? t.ok.get() : t.err.get());
      return;
    case Kind::Flags: {
      out += '{';
      bool first = true;
      for (size_t i = 0; i < t.names.size() && i < 64; ++i) {
        if (!(v.u & (uint64_t{1} << i))) continue;
        if (!first) out += ", ";
        first = false;
        out += t.names[i];
      }
      out += '}';
      return;
    }
    case Kind::Own:
    case Kind::Borrow:
      out += '<';
      out += t.kind == Kind::Own ? "own " : "borrow ";
      out += v.handle.type && !v.handle.type->name.empty() ? v.handle.type->name : "resource";
      out += " #" + std::to_string(v.handle.rep) + ">";
      return;
  }
}

}  // namespace

std::string print(const Value& v, const ValueType& t) {
  std::string out;
  print_to(out, v, t);
  return out;
}

}  // namespace actr::component::wave
