// Tokens of WAVE text. Strings and chars are decoded (escapes resolved) as they are read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"

namespace actr::component::wave {

enum class Tok : uint8_t {
  End,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Number,  // -?digits(.digits)?(e[+-]?digits)? or -inf (nan and inf are labels)
  Char,    // text: the decoded UTF-8 of the one code point
  String,  // text: the decoded UTF-8 contents
  Label,   // text: the label without its % prefix
};

struct Token {
  Tok kind = Tok::End;
  size_t begin = 0, end = 0;  // byte range in the source
  std::string text;
  bool percent = false;  // a Label written with a leading %
};

// Lexes source[begin, end); positions are offsets in the whole source so messages can point
// into a larger text (an argument inside a call expression).
class Lexer {
 public:
  Lexer(std::string_view source, size_t begin, size_t end) : src_(source), pos_(begin), end_(end) {}

  Result<Token> next();
  Result<Token> peek();
  size_t position() const { return pos_; }

  // "column 7: <message>" (or "line 2, column 3: ..."), counting code points from the start of
  // the whole source.
  Error error_at(size_t offset, const std::string& message) const;

 private:
  Result<Token> lex();
  Result<void> skip_space();
  Result<Token> lex_number(size_t start);
  Result<Token> lex_label(size_t start);
  Result<Token> lex_quoted(size_t start, char quote);
  Result<Token> lex_multiline(size_t start);
  Result<void> escape(std::string& out);
  Result<void> code_point(std::string& out);

  std::string_view src_;
  size_t pos_;
  size_t end_;
  bool peeked_ = false;
  Token peeked_token_;
};

// A short description of a token for messages: "`(`", "number `12`", "string \"ab\"", ...
std::string describe(const Token& t);

}  // namespace actr::component::wave
