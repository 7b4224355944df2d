// Typed recursive-descent parsing of WAVE text into Values.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/unicode.hpp"
#include "component/wave/lexer.hpp"
#include "component/wave/parser.hpp"
#include "component/wave/wave.hpp"

namespace actr::component::wave {

Error Parser::unexpected(const Token& t, const std::string& expected) {
  return lex_.error_at(t.begin, "expected " + expected + ", found " + describe(t));
}

Result<Token> Parser::expect(Tok kind, const char* what) {
  ACTR_TRY(Token t, lex_.next());
  if (t.kind != kind) return unexpected(t, what);
  return t;
}

Result<void> Parser::finish() {
  ACTR_TRY(Token t, lex_.next());
  if (t.kind != Tok::End) return unexpected(t, "end of input");
  return {};
}

Result<bool> Parser::peek_keyword(std::string_view keyword) {
  ACTR_TRY(Token t, lex_.peek());
  return t.kind == Tok::Label && !t.percent && t.text == keyword;
}

Result<Value> Parser::integer(const ValueType& t, const Token& tok) {
  std::string type = to_wit(t);
  if (tok.kind != Tok::Number) return unexpected(tok, "`" + type + "`");
  if (tok.text.find_first_of(".eEi") != std::string::npos) {
    return lex_.error_at(tok.begin,
                         "expected an integer for `" + type + "`, found " + describe(tok));
  }
  const char* b = tok.text.data();
  const char* e = b + tok.text.size();
  auto out_of_range = [&] {
    return lex_.error_at(tok.begin, "number " + tok.text + " out of range for `" + type + "`");
  };
  bool is_signed =
      t.kind == Kind::S8 || t.kind == Kind::S16 || t.kind == Kind::S32 || t.kind == Kind::S64;
  if (is_signed) {
    int64_t v;
    auto [ptr, ec] = std::from_chars(b, e, v);
    if (ec != std::errc() || ptr != e) return out_of_range();
    int64_t lo, hi;
    switch (t.kind) {
      case Kind::S8:
        lo = INT8_MIN, hi = INT8_MAX;
        break;
      case Kind::S16:
        lo = INT16_MIN, hi = INT16_MAX;
        break;
      case Kind::S32:
        lo = INT32_MIN, hi = INT32_MAX;
        break;
      default:
        lo = INT64_MIN, hi = INT64_MAX;
        break;
    }
    if (v < lo || v > hi) return out_of_range();
    Value out;
    out.kind = t.kind;
    out.s = v;
    return out;
  }
  if (tok.text[0] == '-') {
    if (tok.text != "-0") return out_of_range();
    Value zero;
    zero.kind = t.kind;
    return zero;
  }
  uint64_t v;
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e) return out_of_range();
  uint64_t hi;
  switch (t.kind) {
    case Kind::U8:
      hi = UINT8_MAX;
      break;
    case Kind::U16:
      hi = UINT16_MAX;
      break;
    case Kind::U32:
      hi = UINT32_MAX;
      break;
    default:
      hi = UINT64_MAX;
      break;
  }
  if (v > hi) return out_of_range();
  Value out;
  out.kind = t.kind;
  out.u = v;
  return out;
}

Result<Value> Parser::floating(const ValueType& t, const Token& tok) {
  bool f32 = t.kind == Kind::F32;
  double special = 0;
  bool is_special = false;
  if (tok.kind == Tok::Label && !tok.percent && (tok.text == "nan" || tok.text == "inf")) {
    special = tok.text == "nan" ? std::numeric_limits<double>::quiet_NaN()
                                : std::numeric_limits<double>::infinity();
    is_special = true;
  } else if (tok.kind == Tok::Number && tok.text == "-inf") {
    special = -std::numeric_limits<double>::infinity();
    is_special = true;
  } else if (tok.kind != Tok::Number) {
    return unexpected(tok, f32 ? "`f32`" : "`f64`");
  }
  if (is_special) return f32 ? Value::f32v(static_cast<float>(special)) : Value::f64v(special);
  const char* b = tok.text.data();
  const char* e = b + tok.text.size();
  if (f32) {
    float v;
    auto [ptr, ec] = std::from_chars(b, e, v);
    if (ec == std::errc::result_out_of_range || std::isinf(v)) {
      return lex_.error_at(tok.begin, "number " + tok.text + " out of range for `f32`");
    }
    if (ec != std::errc() || ptr != e) return unexpected(tok, "`f32`");
    return Value::f32v(v);
  }
  double v;
  auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec == std::errc::result_out_of_range || std::isinf(v)) {
    return lex_.error_at(tok.begin, "number " + tok.text + " out of range for `f64`");
  }
  if (ec != std::errc() || ptr != e) return unexpected(tok, "`f64`");
  return Value::f64v(v);
}

Result<Value> Parser::value(const ValueType& t) {
  if (++depth_ > kMaxDepth) return lex_.error_at(lex_.position(), "value nested too deeply");
  auto r = value_inner(t);
  --depth_;
  return r;
}

Result<Value> Parser::parenthesized(const ValueType& t) {
  ACTR_TRY_VOID(expect(Tok::LParen, "`(`"));
  ACTR_TRY(Value v, value(t));
  ACTR_TRY_VOID(expect(Tok::RParen, "`)`"));
  return v;
}

Result<Value> Parser::value_inner(const ValueType& t) {
  switch (t.kind) {
    case Kind::Option: {
      ACTR_TRY(bool none, peek_keyword("none"));
      ACTR_TRY(bool some, peek_keyword("some"));
      if (none) {
        (void)lex_.next();
        return Value::none();
      }
      if (!t.elem) return make_error("option type without a payload type");
      if (some) {
        (void)lex_.next();
        ACTR_TRY(Value v, parenthesized(*t.elem));
        return Value::some(std::move(v));
      }
      ACTR_TRY(Value v, value(*t.elem));  // the bare payload
      return Value::some(std::move(v));
    }
    case Kind::Result: {
      ACTR_TRY(bool ok, peek_keyword("ok"));
      ACTR_TRY(bool err, peek_keyword("err"));
      if (ok || err) {
        ACTR_TRY(Token kw, lex_.next());
        const TypeRef& payload = ok ? t.ok : t.err;
        ACTR_TRY(Token next, lex_.peek());
        if (!payload) {
          if (next.kind == Tok::LParen) {
            return lex_.error_at(
                next.begin, std::string("`") + kw.text + "` of this result type has no payload");
          }
          return ok ? Value::ok() : Value::err();
        }
        ACTR_TRY(Value v, parenthesized(*payload));
        return ok ? Value::ok(std::move(v)) : Value::err(std::move(v));
      }
      if (!t.ok) {
        ACTR_TRY(Token tok, lex_.peek());
        return unexpected(tok, "`ok` or `err`");
      }
      ACTR_TRY(Value v, value(*t.ok));  // the bare ok payload
      return Value::ok(std::move(v));
    }
    default:
      break;
  }

  ACTR_TRY(Token tok, lex_.next());
  switch (t.kind) {
    case Kind::Bool:
      if (tok.kind == Tok::Label && !tok.percent && (tok.text == "true" || tok.text == "false"))
        return Value::boolean(tok.text == "true");
      return unexpected(tok, "`true` or `false`");
    case Kind::S8:
    case Kind::U8:
    case Kind::S16:
    case Kind::U16:
    case Kind::S32:
    case Kind::U32:
    case Kind::S64:
    case Kind::U64:
      return integer(t, tok);
    case Kind::F32:
    case Kind::F64:
      return floating(t, tok);
    case Kind::Char: {
      if (tok.kind != Tok::Char) return unexpected(tok, "a char like 'x'");
      size_t i = 0;
      return Value::character(unicode::next_code_point(tok.text, i));
    }
    case Kind::String:
      if (tok.kind != Tok::String) return unexpected(tok, "a string like \"x\"");
      return Value::string(std::move(tok.text));
    case Kind::List: {
      if (tok.kind != Tok::LBracket) return unexpected(tok, "`[`");
      if (!t.elem) return make_error("list type without an element type");
      // A list<u8> is built in the compact form, as lifting makes it.
      if (t.elem->kind == Kind::U8) {
        std::string bytes;
        ACTR_TRY_VOID(list_items(*t.elem, t, SIZE_MAX,
                                 [&](Value item) { bytes.push_back(static_cast<char>(item.u)); }));
        return Value::bytes(std::move(bytes));
      }
      Value out = Value::list({});
      ACTR_TRY_VOID(list_items(*t.elem, t, SIZE_MAX,
                               [&](Value item) { out.items.push_back(std::move(item)); }));
      return out;
    }
    case Kind::FixedList: {
      // Written as a list; exactly `length` elements.
      if (tok.kind != Tok::LBracket) return unexpected(tok, "`[`");
      if (!t.elem) return make_error("list type without an element type");
      Value out = Value::fixed_list({});
      ACTR_TRY_VOID(list_items(*t.elem, t, t.length,
                               [&](Value item) { out.items.push_back(std::move(item)); }));
      if (out.items.size() != t.length) {
        return make_error(std::to_string(out.items.size()) + " elements for `" + to_wit(t) +
                          "` (it takes exactly " + std::to_string(t.length) + ")");
      }
      return out;
    }
    case Kind::Tuple: {
      if (tok.kind != Tok::LParen) return unexpected(tok, "`(`");
      Value out = Value::tuple({});
      for (size_t i = 0; i < t.items.size(); ++i) {
        if (i) ACTR_TRY_VOID(expect(Tok::Comma, "`,`"));
        ACTR_TRY(Value item, value(*t.items[i]));
        out.items.push_back(std::move(item));
      }
      ACTR_TRY(Token end, lex_.next());
      if (end.kind == Tok::Comma) {
        ACTR_TRY(end, lex_.next());
      }
      if (end.kind != Tok::RParen) {
        return unexpected(end, "`)` (the tuple has " + std::to_string(t.items.size()) + " items)");
      }
      return out;
    }
    case Kind::Map: {
      // WAVE has no map syntax: a map is written as the list of (key, value) tuples it is in
      // the canonical ABI, e.g. [("a", 1), ("b", 2)].
      if (tok.kind != Tok::LBracket) return unexpected(tok, "`[`");
      if (!t.key || !t.elem) return make_error("map type without key and value types");
      const TypeRef entry = tuple_of({t.key, t.elem});
      Value out = Value::map({});
      ACTR_TRY_VOID(
          list_items(*entry, t, SIZE_MAX, [&](Value e) { out.items.push_back(std::move(e)); }));
      return out;
    }
    case Kind::Record:
      return record(t, tok);
    case Kind::Flags:
      return flags(t, tok);
    case Kind::Variant: {
      if (tok.kind != Tok::Label) return unexpected(tok, "a case of `" + to_wit(t) + "`");
      for (uint32_t i = 0; i < t.cases.size(); ++i) {
        if (t.cases[i].name != tok.text) continue;
        if (!t.cases[i].type) {
          ACTR_TRY(Token next, lex_.peek());
          if (next.kind == Tok::LParen) {
            return lex_.error_at(next.begin, "case `" + tok.text + "` has no payload");
          }
          return Value::variant(i);
        }
        ACTR_TRY(Value payload, parenthesized(*t.cases[i].type));
        return Value::variant(i, std::move(payload));
      }
      return lex_.error_at(tok.begin, "unknown case `" + tok.text + "` of `" + to_wit(t) + "`");
    }
    case Kind::Enum: {
      if (tok.kind != Tok::Label) return unexpected(tok, "a case of `" + to_wit(t) + "`");
      for (uint32_t i = 0; i < t.names.size(); ++i) {
        if (t.names[i] == tok.text) return Value::enumeration(i);
      }
      return lex_.error_at(tok.begin, "unknown case `" + tok.text + "` of `" + to_wit(t) + "`");
    }
    case Kind::Own:
    case Kind::Borrow:
      return lex_.error_at(tok.begin,
                           "resource handles (`" + to_wit(t) + "`) cannot be written in WAVE");
    default:
      return make_error("unsupported type");
  }
}

Result<void> Parser::list_items(const ValueType& elem, const ValueType& whole, size_t limit,
                                const std::function<void(Value)>& take) {
  for (size_t n = 0;; ++n) {
    ACTR_TRY(Token next, lex_.peek());
    if (next.kind == Tok::RBracket) break;
    if (n == limit) {
      return make_error("more than " + std::to_string(limit) + " elements for `" + to_wit(whole) +
                        "`");
    }
    ACTR_TRY(Value item, value(elem));
    take(std::move(item));
    ACTR_TRY(Token sep, lex_.peek());
    if (sep.kind == Tok::Comma) {
      (void)lex_.next();
    } else if (sep.kind != Tok::RBracket) {
      return unexpected(sep, "`,` or `]`");
    }
  }
  (void)lex_.next();
  return {};
}

Result<Value> Parser::record(const ValueType& t, const Token& open) {
  if (open.kind != Tok::LBrace) return unexpected(open, "`{`");
  Value out = Value::record({});
  out.items.resize(t.fields.size());
  std::vector<bool> seen(t.fields.size(), false);
  ACTR_TRY(Token first, lex_.peek());
  if (first.kind == Tok::Colon) {  // {:} : every field omitted
    (void)lex_.next();
    ACTR_TRY_VOID(expect(Tok::RBrace, "`}` after `{:`"));
  } else {
    while (true) {
      ACTR_TRY(Token name, lex_.next());
      if (name.kind == Tok::RBrace) break;
      if (name.kind != Tok::Label) return unexpected(name, "a field name");
      size_t i = 0;
      while (i < t.fields.size() && t.fields[i].name != name.text) ++i;
      if (i == t.fields.size()) {
        return lex_.error_at(name.begin, "unknown field `" + name.text + "`");
      }
      if (seen[i]) return lex_.error_at(name.begin, "duplicate field `" + name.text + "`");
      seen[i] = true;
      ACTR_TRY_VOID(expect(Tok::Colon, "`:`"));
      ACTR_TRY(out.items[i], value(*t.fields[i].type));
      ACTR_TRY(Token sep, lex_.next());
      if (sep.kind == Tok::RBrace) break;
      if (sep.kind != Tok::Comma) return unexpected(sep, "`,` or `}`");
    }
  }
  for (size_t i = 0; i < t.fields.size(); ++i) {
    if (seen[i]) continue;
    if (t.fields[i].type->kind != Kind::Option) {
      return lex_.error_at(open.begin, "missing field `" + t.fields[i].name + "`");
    }
    out.items[i] = Value::none();
  }
  return out;
}

Result<Value> Parser::flags(const ValueType& t, const Token& open) {
  if (open.kind != Tok::LBrace) return unexpected(open, "`{`");
  if (t.names.size() > 64) return make_error("flags types of more than 64 flags are unsupported");
  uint64_t mask = 0;
  ACTR_TRY(Token first, lex_.peek());
  if (first.kind == Tok::RBrace) {
    (void)lex_.next();
    return Value::flags(0);
  }
  while (true) {
    ACTR_TRY(Token name, lex_.next());
    if (name.kind == Tok::RBrace) break;
    if (name.kind != Tok::Label) return unexpected(name, "a flag name");
    size_t i = 0;
    while (i < t.names.size() && t.names[i] != name.text) ++i;
    if (i == t.names.size()) return lex_.error_at(name.begin, "unknown flag `" + name.text + "`");
    if (mask & (uint64_t{1} << i)) {
      return lex_.error_at(name.begin, "duplicate flag `" + name.text + "`");
    }
    mask |= uint64_t{1} << i;
    ACTR_TRY(Token sep, lex_.next());
    if (sep.kind == Tok::RBrace) break;
    if (sep.kind != Tok::Comma) return unexpected(sep, "`,` or `}`");
  }
  return Value::flags(mask);
}

Result<Value> parse(std::string_view text, const ValueType& t) {
  Parser p(text, 0, text.size());
  ACTR_TRY(Value v, p.value(t));
  ACTR_TRY_VOID(p.finish());
  return v;
}

}  // namespace actr::component::wave
