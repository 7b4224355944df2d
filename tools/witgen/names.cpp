#include "witgen/names.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace actr::witgen {

namespace {

constexpr std::string_view kKeywords[] = {
    "alignas",       "alignof",     "and",
    "and_eq",        "asm",         "auto",
    "bitand",        "bitor",       "bool",
    "break",         "case",        "catch",
    "char",          "char8_t",     "char16_t",
    "char32_t",      "class",       "compl",
    "concept",       "const",       "consteval",
    "constexpr",     "constinit",   "const_cast",
    "continue",      "co_await",    "co_return",
    "co_yield",      "decltype",    "default",
    "delete",        "do",          "double",
    "dynamic_cast",  "else",        "enum",
    "explicit",      "export",      "extern",
    "false",         "float",       "for",
    "friend",        "goto",        "if",
    "inline",        "int",         "long",
    "mutable",       "namespace",   "new",
    "noexcept",      "not",         "not_eq",
    "nullptr",       "operator",    "or",
    "or_eq",         "private",     "protected",
    "public",        "register",    "reinterpret_cast",
    "requires",      "return",      "short",
    "signed",        "sizeof",      "static",
    "static_assert", "static_cast", "struct",
    "switch",        "template",    "this",
    "thread_local",  "throw",       "true",
    "try",           "typedef",     "typeid",
    "typename",      "union",       "unsigned",
    "using",         "virtual",     "void",
    "volatile",      "wchar_t",     "while",
    "xor",           "xor_eq",      "std",
    "errno",         "assert",
};

std::string escape(std::string s) {
  if (std::find(std::begin(kKeywords), std::end(kKeywords), s) != std::end(kKeywords)) s += '_';
  return s;
}

}  // namespace

std::string snake_name(std::string_view wit) {
  std::string s;
  for (char c : wit) {
    s += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return escape(std::move(s));
}

std::string pascal_name(std::string_view wit) {
  std::string s;
  bool upper = true;
  for (char c : wit) {
    if (c == '-') {
      upper = true;
      continue;
    }
    s += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return escape(std::move(s));
}

std::string symbol_name(std::string_view text) {
  std::string s;
  for (char c : text) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

std::string string_literal(std::string_view text) {
  std::string s = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      s += '\\';
      s += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* kHex = "0123456789abcdef";
      s += "\\x";
      s += kHex[(c >> 4) & 0xf];
      s += kHex[c & 0xf];
      s += "\"\"";  // ends the hex escape
    } else {
      s += c;
    }
  }
  return s + "\"";
}

}  // namespace actr::witgen
