#include "conformance/sexpr.hpp"

#include <cstdint>

#include "common/unicode.hpp"

namespace actr::conformance {

std::string_view SExpr::head() const {
  if (kind != Kind::List || items.empty() || !items.front().is_atom()) return {};
  return items.front().text;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Characters that end an atom (besides whitespace).
bool ends_atom(char c) {
  return c == '(' || c == ')' || c == '"' || c == ';' || c == ' ' || c == '\t' || c == '\n' ||
         c == '\r';
}

class Reader {
 public:
  explicit Reader(std::string_view src) : src_(src) {}

  Result<std::vector<SExpr>> read_all() {
    std::vector<SExpr> out;
    while (true) {
      ACTR_TRY_VOID(skip_space());
      if (pos_ >= src_.size()) return out;
      ACTR_TRY(SExpr node, read());
      out.push_back(std::move(node));
    }
  }

 private:
  Error error_at(int line, const std::string& what) const {
    return make_error("line " + std::to_string(line) + ": " + what);
  }

  Result<void> skip_space() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == ';' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (c == '(' && pos_ + 1 < src_.size() && src_[pos_ + 1] == ';') {
        ACTR_TRY_VOID(skip_block_comment());
      } else {
        break;
      }
    }
    return {};
  }

  Result<void> skip_block_comment() {
    int start_line = line_;
    int depth = 0;
    while (pos_ < src_.size()) {
      if (src_.substr(pos_, 2) == "(;") {
        ++depth;
        pos_ += 2;
      } else if (src_.substr(pos_, 2) == ";)") {
        pos_ += 2;
        if (--depth == 0) return {};
      } else {
        if (src_[pos_] == '\n') ++line_;
        ++pos_;
      }
    }
    return error_at(start_line, "unterminated block comment");
  }

  Result<SExpr> read() {
    SExpr node;
    node.begin = pos_;
    node.line = line_;
    char c = src_[pos_];
    if (c == '(') {
      node.kind = SExpr::Kind::List;
      ++pos_;
      while (true) {
        ACTR_TRY_VOID(skip_space());
        if (pos_ >= src_.size()) return error_at(node.line, "unclosed parenthesis");
        if (src_[pos_] == ')') {
          ++pos_;
          break;
        }
        ACTR_TRY(SExpr item, read());
        node.items.push_back(std::move(item));
      }
    } else if (c == ')') {
      return error_at(line_, "unexpected `)`");
    } else if (c == '"') {
      node.kind = SExpr::Kind::String;
      size_t start = ++pos_;
      while (pos_ < src_.size() && src_[pos_] != '"') {
        if (src_[pos_] == '\\' && pos_ + 1 < src_.size()) ++pos_;
        if (src_[pos_] == '\n') return error_at(node.line, "newline inside a string");
        ++pos_;
      }
      if (pos_ >= src_.size()) return error_at(node.line, "unterminated string");
      auto body = unescape_string(src_.substr(start, pos_ - start));
      if (!body) return error_at(node.line, body.error().message);
      node.text = std::move(*body);
      ++pos_;
    } else {
      node.kind = SExpr::Kind::Atom;
      size_t start = pos_;
      while (pos_ < src_.size() && !ends_atom(src_[pos_])) ++pos_;
      node.text = std::string(src_.substr(start, pos_ - start));
    }
    node.end = pos_;
    return node;
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

Result<std::string> unescape_string(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= body.size()) return make_error("string ends with a lone backslash");
    char e = body[i];
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case '"':
        out += '"';
        break;
      case '\'':
        out += '\'';
        break;
      case '\\':
        out += '\\';
        break;
      case 'u': {
        if (i + 1 >= body.size() || body[i + 1] != '{') return make_error("bad \\u escape");
        size_t close = body.find('}', i + 2);
        if (close == std::string_view::npos) return make_error("unterminated \\u{...} escape");
        uint32_t cp = 0;
        size_t digits = 0;
        for (size_t k = i + 2; k < close; ++k) {
          if (body[k] == '_') continue;
          int d = hex_digit(body[k]);
          if (d < 0 || cp > 0x10FFFF) return make_error("bad \\u{...} escape");
          cp = cp * 16 + static_cast<uint32_t>(d);
          ++digits;
        }
        if (digits == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) {
          return make_error("\\u{...} escape is not a Unicode scalar value");
        }
        unicode::append_utf8(out, cp);
        i = close;
        break;
      }
      default: {
        int hi = hex_digit(e);
        int lo = i + 1 < body.size() ? hex_digit(body[i + 1]) : -1;
        if (hi < 0 || lo < 0) return make_error(std::string("unknown escape \\") + e);
        out += static_cast<char>(hi * 16 + lo);
        ++i;
      }
    }
  }
  return out;
}

Result<std::vector<SExpr>> parse_sexprs(std::string_view source) {
  return Reader(source).read_all();
}

}  // namespace actr::conformance
