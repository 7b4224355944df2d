#include "witgen/lexer.hpp"

#include <cctype>

namespace actr::witgen {

namespace {

bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string trim_doc_line(std::string_view line) {
  if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  return std::string(line);
}

void append_doc(std::string& docs, std::string_view line) {
  if (!docs.empty()) docs += '\n';
  docs += trim_doc_line(line);
}

}  // namespace

std::string Token::describe() const {
  switch (kind) {
    case Kind::End:
      return "end of file";
    case Kind::Id:
      return "`" + std::string(escaped ? "%" : "") + text + "`";
    default:
      return "`" + text + "`";
  }
}

void Lexer::advance() {
  if (src_[i_] == '\n') {
    ++pos_.line;
    pos_.column = 1;
  } else if ((static_cast<unsigned char>(src_[i_]) & 0xC0) != 0x80) {
    ++pos_.column;  // columns count code points, not UTF-8 continuation bytes
  }
  ++i_;
}

Result<void> Lexer::skip_space_and_comments(std::string& docs) {
  while (i_ < src_.size()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance();
    } else if (c == '/' && peek(1) == '/') {
      bool doc = peek(2) == '/' && peek(3) != '/';
      size_t start = i_ + (doc ? 3 : 2);
      while (i_ < src_.size() && peek() != '\n') advance();
      if (doc) append_doc(docs, src_.substr(start, i_ - start));
    } else if (c == '/' && peek(1) == '*') {
      Pos open = pos_;
      bool doc = peek(2) == '*' && peek(3) != '*' && peek(3) != '/';
      advance();
      advance();
      size_t start = i_;
      int depth = 1;  // block comments nest in WIT
      while (depth > 0) {
        if (i_ >= src_.size()) {
          return make_error(to_string(open) + ": unterminated block comment");
        }
        if (peek() == '*' && peek(1) == '/') {
          --depth;
          advance();
          advance();
        } else if (peek() == '/' && peek(1) == '*') {
          ++depth;
          advance();
          advance();
        } else {
          advance();
        }
      }
      if (doc) {
        std::string_view body = src_.substr(start + 1, i_ - start - 3);
        size_t line_start = 0;
        while (line_start <= body.size()) {
          size_t nl = body.find('\n', line_start);
          std::string_view line = body.substr(
              line_start, nl == std::string_view::npos ? std::string_view::npos : nl - line_start);
          while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            line.remove_prefix(1);
          }
          if (!line.empty() && line.front() == '*') line.remove_prefix(1);
          std::string text = trim_doc_line(line);
          if (!text.empty() || (!docs.empty() && nl != std::string_view::npos)) {
            append_doc(docs, text);
          }
          if (nl == std::string_view::npos) break;
          line_start = nl + 1;
        }
      }
    } else {
      break;
    }
  }
  return {};
}

Result<Token> Lexer::next() {
  Token t;
  ACTR_TRY_VOID(skip_space_and_comments(t.docs));
  t.pos = pos_;
  if (i_ >= src_.size()) {
    t.kind = Token::Kind::End;
    return t;
  }
  char c = peek();
  if (c == '%' || is_alpha(c)) {
    if (c == '%') {
      t.escaped = true;
      advance();
      if (!is_alpha(peek())) {
        return make_error(to_string(t.pos) + ": expected an identifier after `%`");
      }
    }
    size_t start = i_;
    // kebab-case: words of letters and digits joined by single dashes
    while (is_alnum(peek()) || (peek() == '-' && is_alnum(peek(1)))) advance();
    t.kind = Token::Kind::Id;
    t.text = std::string(src_.substr(start, i_ - start));
    return t;
  }
  if (std::isdigit(static_cast<unsigned char>(c))) {
    size_t start = i_;
    // semver: a dot continues the literal only when a digit or letter follows, so that the
    // version in `use a:b/c@0.1.0.{x}` ends before `.{`
    while (is_alnum(peek()) || ((peek() == '-' || peek() == '+') && is_alnum(peek(1))) ||
           (peek() == '.' && is_alnum(peek(1)))) {
      advance();
    }
    t.kind = Token::Kind::Literal;
    t.text = std::string(src_.substr(start, i_ - start));
    return t;
  }
  if (c == '-' && peek(1) == '>') {
    advance();
    advance();
    t.kind = Token::Kind::Symbol;
    t.text = "->";
    return t;
  }
  static constexpr std::string_view kSymbols = "{}()<>,:;.=*/@_";
  if (kSymbols.find(c) != std::string_view::npos) {
    advance();
    t.kind = Token::Kind::Symbol;
    t.text = std::string(1, c);
    return t;
  }
  std::string shown =
      (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
          ? "a non-ASCII or control character"
          : "`" + std::string(1, c) + "`";
  return make_error(to_string(t.pos) + ": unexpected " + shown);
}

}  // namespace actr::witgen
