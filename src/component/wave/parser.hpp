// The typed WAVE parser behind wave::parse and wave::parse_args.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"
#include "component/wave/lexer.hpp"

namespace actr::component::wave {

class Parser {
 public:
  // Parses source[begin, end); error columns count from the start of `source`.
  Parser(std::string_view source, size_t begin, size_t end) : lex_(source, begin, end) {}

  Result<Value> value(const ValueType& t);
  // Checks nothing but whitespace and comments is left.
  Result<void> finish();

 private:
  // Keeps hostile input from exhausting the stack (also under sanitizers, whose frames are large);
  // component types themselves nest at most 100 deep (the validator's limit).
  static constexpr int kMaxDepth = 128;

  Result<Value> value_inner(const ValueType& t);
  Result<Value> integer(const ValueType& t, const Token& tok);
  Result<Value> floating(const ValueType& t, const Token& tok);
  Result<Value> record(const ValueType& t, const Token& open);
  Result<Value> flags(const ValueType& t, const Token& open);
  // The elements of a list after its `[`, through its `]`: each read as `elem` and handed to
  // `take`, at most `limit` of them (`whole`, the list's type, names it in the error).
  Result<void> list_items(const ValueType& elem, const ValueType& whole, size_t limit,
                          const std::function<void(Value)>& take);
  Result<Value> parenthesized(const ValueType& t);
  Result<Token> expect(Tok kind, const char* what);
  Result<bool> peek_keyword(std::string_view keyword);
  Error unexpected(const Token& t, const std::string& expected);

  Lexer lex_;
  int depth_ = 0;
};

}  // namespace actr::component::wave
