// Call expressions: `name(arg, ...)` split into the name and argument texts, then typed.
#include <cstdint>
#include <optional>

#include "component/wave/lexer.hpp"
#include "component/wave/parser.hpp"
#include "component/wave/wave.hpp"

namespace actr::component::wave {

Result<CallExpr> parse_call(std::string_view text) {
  CallExpr call;
  call.text = std::string(text);
  Lexer errors(call.text, 0, call.text.size());
  size_t p = 0;
  while (p < text.size() && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n')) ++p;
  size_t name_begin = p;
  while (p < text.size() && text[p] != '(' && text[p] != ' ' && text[p] != '\t' &&
         text[p] != '\n' && text[p] != '"' && text[p] != '\'' && text[p] != ')' && text[p] != ',') {
    ++p;
  }
  call.name = std::string(text.substr(name_begin, p - name_begin));
  if (call.name.empty()) return errors.error_at(name_begin, "expected a function name");

  Lexer lex(call.text, p, call.text.size());
  ACTR_TRY(Token open, lex.next());
  if (open.kind == Tok::End) return call;  // a bare name: no arguments
  if (open.kind != Tok::LParen) {
    return errors.error_at(open.begin,
                           "expected `(` after the function name, found " + describe(open));
  }
  // Walk the tokens, splitting at commas outside brackets; lexing checks strings and chars.
  std::vector<Tok> stack;
  // A sentinel rather than std::optional: GCC 12 warns falsely (-Wmaybe-uninitialized) on the
  // optional here.
  constexpr size_t kNoArg = SIZE_MAX;
  size_t arg_begin = kNoArg;
  size_t arg_end = 0;
  while (true) {
    ACTR_TRY(Token t, lex.next());
    if (t.kind == Tok::End) return errors.error_at(open.begin, "unclosed `(`");
    if (stack.empty() && (t.kind == Tok::Comma || t.kind == Tok::RParen)) {
      if (arg_begin != kNoArg) {
        call.args.push_back({arg_begin, arg_end});
      } else if (t.kind == Tok::Comma) {
        return errors.error_at(t.begin, "expected an argument before `,`");
      }
      arg_begin = kNoArg;
      if (t.kind == Tok::RParen) break;
      continue;
    }
    if (arg_begin == kNoArg) arg_begin = t.begin;
    arg_end = t.end;
    switch (t.kind) {
      case Tok::LParen:
      case Tok::LBracket:
      case Tok::LBrace:
        stack.push_back(t.kind);
        break;
      case Tok::RParen:
      case Tok::RBracket:
      case Tok::RBrace: {
        Tok want = t.kind == Tok::RParen     ? Tok::LParen
                   : t.kind == Tok::RBracket ? Tok::LBracket
                                             : Tok::LBrace;
        if (stack.empty() || stack.back() != want) {
          return errors.error_at(t.begin, "unbalanced " + describe(t));
        }
        stack.pop_back();
        break;
      }
      default:
        break;
    }
  }
  ACTR_TRY(Token rest, lex.next());
  if (rest.kind != Tok::End) {
    return errors.error_at(rest.begin, "unexpected " + describe(rest) + " after the call");
  }
  return call;
}

Result<std::vector<Value>> parse_args(const CallExpr& call, std::span<const Param> params) {
  if (call.args.size() != params.size()) {
    return make_error("`" + call.name + "` takes " + std::to_string(params.size()) +
                      (params.size() == 1 ? " argument" : " arguments") + ", got " +
                      std::to_string(call.args.size()));
  }
  std::vector<Value> values;
  values.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].type) return make_error("parameter without a type");
    Parser p(call.text, call.args[i].begin, call.args[i].end);
    auto v = p.value(*params[i].type);
    Result<void> done = v.ok() ? p.finish() : Result<void>(v.take_error());
    if (!done.ok()) {
      std::string which = "argument " + std::to_string(i + 1);
      if (!params[i].name.empty()) which += " (`" + params[i].name + "`)";
      return make_error(which + ": " + done.error().message);
    }
    values.push_back(std::move(v).value());
  }
  return values;
}

}  // namespace actr::component::wave
