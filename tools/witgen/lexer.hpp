// Tokens of the WIT text format. Comments are skipped; doc comments (`///`, `/** */`) are kept
// on the token that follows them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"
#include "witgen/model.hpp"

namespace actr::witgen {

struct Token {
  enum class Kind : uint8_t {
    End,
    Id,       // identifier or keyword; `%`-escaped ones are never keywords
    Literal,  // starts with a digit: versions (`0.2.0-rc.1`) and gate arguments
    Symbol,   // one of { } ( ) < > , : ; . = * / @ _ and ->
  };
  Kind kind = Kind::End;
  std::string text;  // Id without the `%`; Symbol as written
  bool escaped = false;
  Pos pos;
  std::string docs;  // doc comments right before this token, joined by '\n'

  bool is(std::string_view symbol) const { return kind == Kind::Symbol && text == symbol; }
  bool is_keyword(std::string_view word) const {
    return kind == Kind::Id && !escaped && text == word;
  }
  // For messages: "`}`", "`foo`", "end of file".
  std::string describe() const;
};

class Lexer {
 public:
  Lexer(std::string_view source, std::string file) : src_(source) { pos_.file = std::move(file); }
  Result<Token> next();

 private:
  char peek(size_t ahead = 0) const { return i_ + ahead < src_.size() ? src_[i_ + ahead] : '\0'; }
  void advance();
  Result<void> skip_space_and_comments(std::string& docs);

  std::string_view src_;
  size_t i_ = 0;
  Pos pos_;
};

}  // namespace actr::witgen
