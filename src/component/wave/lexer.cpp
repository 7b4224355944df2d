#include "component/wave/lexer.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "common/unicode.hpp"

namespace actr::component::wave {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_label_char(char c) { return is_alpha(c) || is_digit(c) || c == '-'; }

}  // namespace

Error Lexer::error_at(size_t offset, const std::string& message) const {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < src_.size(); ++i) {
    if (src_[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<uint8_t>(src_[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  std::string where = line > 1 ? "line " + std::to_string(line) + ", column " : "column ";
  return make_error(where + std::to_string(column) + ": " + message);
}

Result<void> Lexer::skip_space() {
  while (pos_ < end_) {
    char c = src_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
    } else if (c == '/' && pos_ + 1 < end_ && src_[pos_ + 1] == '/') {
      while (pos_ < end_ && src_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
  return {};
}

Result<Token> Lexer::peek() {
  if (!peeked_) {
    ACTR_TRY(peeked_token_, lex());
    peeked_ = true;
  }
  return peeked_token_;
}

Result<Token> Lexer::next() {
  if (peeked_) {
    peeked_ = false;
    return std::move(peeked_token_);
  }
  return lex();
}

Result<Token> Lexer::lex() {
  ACTR_TRY_VOID(skip_space());
  Token t;
  t.begin = pos_;
  if (pos_ >= end_) {
    t.end = pos_;
    return t;
  }
  char c = src_[pos_];
  auto single = [&](Tok k) {
    t.kind = k;
    t.end = ++pos_;
    return t;
  };
  switch (c) {
    case '(':
      return single(Tok::LParen);
    case ')':
      return single(Tok::RParen);
    case '[':
      return single(Tok::LBracket);
    case ']':
      return single(Tok::RBracket);
    case '{':
      return single(Tok::LBrace);
    case '}':
      return single(Tok::RBrace);
    case ',':
      return single(Tok::Comma);
    case ':':
      return single(Tok::Colon);
    case '\'':
      return lex_quoted(pos_, '\'');
    case '"':
      if (src_.substr(pos_, 3) == "\"\"\"" && pos_ + 3 <= end_) return lex_multiline(pos_);
      return lex_quoted(pos_, '"');
    default:
      break;
  }
  if (c == '-' || is_digit(c)) return lex_number(pos_);
  if (c == '%' || is_alpha(c)) return lex_label(pos_);
  size_t at = pos_;
  std::string shown;
  ACTR_TRY_VOID(code_point(shown));
  return error_at(at, "unexpected character `" + shown + "`");
}

Result<Token> Lexer::lex_number(size_t start) {
  Token t;
  t.kind = Tok::Number;
  t.begin = start;
  size_t p = start;
  if (src_[p] == '-') ++p;
  if (p < end_ && src_[p] == 'i') {
    if (src_.substr(p, 3) == "inf" && p + 3 <= end_ &&
        (p + 3 == end_ || !is_label_char(src_[p + 3]))) {
      pos_ = p + 3;
      t.end = pos_;
      t.text = std::string(src_.substr(start, pos_ - start));
      return t;
    }
    return error_at(start, "invalid number");
  }
  size_t digits = p;
  while (p < end_ && is_digit(src_[p])) ++p;
  if (p == digits) return error_at(start, "invalid number: expected a digit after `-`");
  if (p - digits > 1 && src_[digits] == '0') return error_at(start, "invalid number: leading zero");
  if (p < end_ && src_[p] == '.') {
    size_t frac = ++p;
    while (p < end_ && is_digit(src_[p])) ++p;
    if (p == frac) return error_at(start, "invalid number: expected a digit after `.`");
  }
  if (p < end_ && (src_[p] == 'e' || src_[p] == 'E')) {
    ++p;
    if (p < end_ && (src_[p] == '+' || src_[p] == '-')) ++p;
    size_t exp = p;
    while (p < end_ && is_digit(src_[p])) ++p;
    if (p == exp) return error_at(start, "invalid number: expected exponent digits");
  }
  if (p < end_ && is_label_char(src_[p])) return error_at(start, "invalid number");
  pos_ = p;
  t.end = p;
  t.text = std::string(src_.substr(start, p - start));
  return t;
}

Result<Token> Lexer::lex_label(size_t start) {
  Token t;
  t.kind = Tok::Label;
  t.begin = start;
  size_t p = start;
  if (src_[p] == '%') {
    t.percent = true;
    ++p;
  }
  size_t name = p;
  if (p >= end_ || !is_alpha(src_[p])) return error_at(start, "expected a label after `%`");
  while (p < end_ && is_label_char(src_[p])) {
    if (src_[p] == '-' && (p + 1 >= end_ || !(is_alpha(src_[p + 1]) || is_digit(src_[p + 1])))) {
      return error_at(start, "invalid label `" + std::string(src_.substr(name, p + 1 - name)) +
                                 "`: a `-` must be followed by a word");
    }
    ++p;
  }
  pos_ = p;
  t.end = p;
  t.text = std::string(src_.substr(name, p - name));
  return t;
}

Result<void> Lexer::code_point(std::string& out) {
  // Copies one UTF-8 encoded code point of the source, checking it is well formed.
  auto b = static_cast<uint8_t>(src_[pos_]);
  size_t len = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
  if (pos_ + len > end_) return error_at(pos_, "invalid utf-8");
  std::string_view cp = src_.substr(pos_, len);
  if (!unicode::validate_utf8(cp)) return error_at(pos_, "invalid utf-8");
  out.append(cp);
  pos_ += len;
  return {};
}

Result<void> Lexer::escape(std::string& out) {
  size_t at = pos_;  // at the backslash
  ++pos_;
  if (pos_ >= end_) return error_at(at, "unterminated escape");
  char c = src_[pos_++];
  switch (c) {
    case '"':
      out += '"';
      return {};
    case '\'':
      out += '\'';
      return {};
    case '\\':
      out += '\\';
      return {};
    case 'n':
      out += '\n';
      return {};
    case 'r':
      out += '\r';
      return {};
    case 't':
      out += '\t';
      return {};
    case 'u': {
      if (pos_ >= end_ || src_[pos_] != '{') return error_at(at, "expected `{` after `\\u`");
      ++pos_;
      uint32_t value = 0;
      size_t digits = 0;
      while (pos_ < end_ && src_[pos_] != '}') {
        char h = src_[pos_];
        uint32_t d;
        if (is_digit(h)) {
          d = h - '0';
        } else if (h >= 'a' && h <= 'f') {
          d = h - 'a' + 10;
        } else if (h >= 'A' && h <= 'F') {
          d = h - 'A' + 10;
        } else {
          return error_at(pos_, "invalid hex digit in `\\u{...}` escape");
        }
        if (++digits > 6) return error_at(at, "`\\u{...}` escape has too many digits");
        value = value * 16 + d;
        ++pos_;
      }
      if (pos_ >= end_) return error_at(at, "unterminated `\\u{...}` escape");
      ++pos_;  // }
      if (digits == 0) return error_at(at, "empty `\\u{}` escape");
      if (!unicode::is_scalar(value)) {
        return error_at(at, "`\\u{...}` escape is not a Unicode scalar value");
      }
      unicode::append_utf8(out, value);
      return {};
    }
    default:
      return error_at(at, std::string("unknown escape `\\") + c + "`");
  }
}

Result<Token> Lexer::lex_quoted(size_t start, char quote) {
  Token t;
  t.kind = quote == '"' ? Tok::String : Tok::Char;
  t.begin = start;
  pos_ = start + 1;
  while (true) {
    if (pos_ >= end_) {
      return error_at(start, quote == '"' ? "unterminated string" : "unterminated char");
    }
    char c = src_[pos_];
    if (c == quote) {
      ++pos_;
      break;
    }
    if (c == '\n') {
      return error_at(pos_, quote == '"' ? "newline in string (use \\n or a \"\"\" string)"
                                         : "newline in char");
    }
    if (c == '\\') {
      ACTR_TRY_VOID(escape(t.text));
    } else {
      ACTR_TRY_VOID(code_point(t.text));
    }
  }
  t.end = pos_;
  if (t.kind == Tok::Char) {
    size_t i = 0;
    if (t.text.empty()) return error_at(start, "empty char");
    (void)unicode::next_code_point(t.text, i);
    if (i != t.text.size()) return error_at(start, "a char holds exactly one code point");
  }
  return t;
}

Result<Token> Lexer::lex_multiline(size_t start) {
  // """<newline> lines... <spaces>""" : the closing line's indentation is removed from every
  // line; the newline before the closing line is not part of the string.
  Token t;
  t.kind = Tok::String;
  t.begin = start;
  pos_ = start + 3;
  if (pos_ < end_ && src_[pos_] == '\r') ++pos_;
  if (pos_ >= end_ || src_[pos_] != '\n') {
    return error_at(start, "a \"\"\" string must start with a line break");
  }
  ++pos_;
  std::vector<std::pair<size_t, size_t>> lines;  // [begin, end) of each content line
  size_t indent = 0;
  while (true) {
    if (pos_ >= end_) return error_at(start, "unterminated \"\"\" string");
    size_t line = pos_;
    size_t eol = src_.find('\n', line);
    if (eol == std::string_view::npos || eol > end_) eol = end_;
    size_t p = line;
    while (p < eol && src_[p] == ' ') ++p;
    if (src_.substr(p, 3) == "\"\"\"" && p + 3 <= end_) {
      indent = p - line;
      pos_ = p + 3;
      break;
    }
    size_t content_end = eol;
    if (content_end > line && src_[content_end - 1] == '\r') --content_end;
    lines.push_back({line, content_end});
    pos_ = eol < end_ ? eol + 1 : eol;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) t.text += '\n';
    auto [b, e] = lines[i];
    size_t skip = 0;
    while (b + skip < e && skip < indent && src_[b + skip] == ' ') ++skip;
    Lexer inner(src_, b + skip, e);
    while (inner.pos_ < e) {
      if (src_[inner.pos_] == '\\') {
        ACTR_TRY_VOID(inner.escape(t.text));
      } else {
        ACTR_TRY_VOID(inner.code_point(t.text));
      }
    }
  }
  t.end = pos_;
  return t;
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::End:
      return "end of input";
    case Tok::LParen:
      return "`(`";
    case Tok::RParen:
      return "`)`";
    case Tok::LBracket:
      return "`[`";
    case Tok::RBracket:
      return "`]`";
    case Tok::LBrace:
      return "`{`";
    case Tok::RBrace:
      return "`}`";
    case Tok::Comma:
      return "`,`";
    case Tok::Colon:
      return "`:`";
    case Tok::Number:
      return "number `" + t.text + "`";
    case Tok::Char:
      return "char";
    case Tok::String: {
      std::string shown = t.text;
      if (shown.size() > 20) {
        size_t cut = 20;
        while (cut > 0 && (static_cast<uint8_t>(shown[cut]) & 0xC0) == 0x80) --cut;
        shown = shown.substr(0, cut) + "...";
      }
      return "string \"" + shown + "\"";
    }
    case Tok::Label:
      return std::string("label `") + (t.percent ? "%" : "") + t.text + "`";
  }
  return "token";
}

}  // namespace actr::component::wave
