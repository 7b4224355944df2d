// S-expressions as the WebAssembly text format writes them: the syntax layer of .wast scripts.
// Nodes keep their byte range in the source so that a component's text can be cut out verbatim
// and handed to a text-to-binary converter.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"

namespace actr::conformance {

struct SExpr {
  enum class Kind { List, Atom, String };
  Kind kind = Kind::Atom;
  std::string text;           // Atom: as written; String: the decoded bytes
  std::vector<SExpr> items;   // List
  size_t begin = 0, end = 0;  // byte range in the source, parentheses/quotes included
  int line = 1;               // 1-based line of `begin`

  bool is_list() const { return kind == Kind::List; }
  bool is_atom() const { return kind == Kind::Atom; }
  bool is_string() const { return kind == Kind::String; }
  bool is_atom(std::string_view s) const { return kind == Kind::Atom && text == s; }
  // The first item's atom text when this is a list starting with an atom ("" otherwise).
  std::string_view head() const;
};

// Reads every top-level S-expression of `source`. Skips `;;` line comments and nested `(; ;)`
// block comments. Errors name the line.
Result<std::vector<SExpr>> parse_sexprs(std::string_view source);

// Decodes the body of a quoted string (between the quotes) with the text format's escapes:
// \t \n \r \" \' \\ \hh \u{hex}.
Result<std::string> unescape_string(std::string_view body);

}  // namespace actr::conformance
