// WAVE, the WebAssembly Value Encoding (as wasmtime's `--invoke` and the wasm-wave crate use it):
// component values as human-readable text, parsed and printed against their types.
//
//   bool true | integers 123, -9 | floats 3.14, 6.022e+23, nan, inf, -inf | chars 'x', '\u{1F6A9}'
//   strings "a\tb" (escapes \" \' \\ \n \r \t \u{...}) and """-delimited multi-line strings
//   lists [1, 2] | tuples (1, "a") | records {a: 1, b: 2} (option fields may be left out; `{:}`
//   when all are) | variants case(payload), case | enums case | options some(x), none, or the
//   bare payload | results ok(x), err(e), ok, err, or the bare ok payload | flags {read, write}, {}
//   maps (no WAVE syntax of their own) as their list of (key, value) tuples [("a", 1), ("b", 2)]
//
// Labels are kebab-case; a case named like a keyword (true false some none ok err inf nan) may
// be written with a leading %. Whitespace and // comments may appear between tokens. Resources
// have no WAVE form. Errors name the column (and line, past the first): "column 7: expected
// `u8`, found string \"x\"".
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "actr/common/result.hpp"
#include "actr/component/types.hpp"
#include "actr/component/value.hpp"

namespace actr::component::wave {

// Parses exactly one value of type `t` from `text`.
Result<Value> parse(std::string_view text, const ValueType& t);

// Prints `v`, of type `t`, as WAVE. Values that do not fit their type, and resources (which WAVE
// cannot express), print as a bracketed description such as `<own stream #3>`.
std::string print(const Value& v, const ValueType& t);

// A function call written as text: `name(arg, arg, ...)`, e.g.
// `docs:adder/add@0.1.0#add(1, 2)`. The name is everything before the first `(` (it may contain
// `:` `/` `@` `#` `.`); a bare name is a call without arguments.
struct CallExpr {
  std::string text;  // the whole expression, for error columns
  std::string name;
  struct Arg {
    size_t begin = 0, end = 0;  // byte range of the argument in `text`
  };
  std::vector<Arg> args;
  std::string_view arg_text(size_t i) const {
    return std::string_view(text).substr(args[i].begin, args[i].end - args[i].begin);
  }
};

// Splits a call into its name and argument texts (checking brackets, strings and chars balance).
Result<CallExpr> parse_call(std::string_view text);

// Parses the arguments of `call` against the function's parameters; errors name the argument and
// the column in the whole expression.
Result<std::vector<Value>> parse_args(const CallExpr& call, std::span<const Param> params);

}  // namespace actr::component::wave
