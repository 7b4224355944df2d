#include "component/validate/names.hpp"

namespace actr::component::validate {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_fragment(std::string_view f, bool first) {
  if (f.empty()) return false;
  if (first && !is_lower(f[0]) && !is_upper(f[0])) return false;
  bool lower = false, upper = false;
  for (char c : f) {
    if (is_lower(c)) {
      lower = true;
    } else if (is_upper(c)) {
      upper = true;
    } else if (!is_digit(c)) {
      return false;
    }
  }
  return !(lower && upper);
}

// words ::= first-word ('-' word)*, all lowercase.
bool valid_words(std::string_view s) {
  if (!valid_label(s)) return false;
  for (char c : s) {
    if (is_upper(c)) return false;
  }
  return true;
}

bool valid_numeric_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return s.size() == 1 || s[0] != '0';
}

// Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading zeros if `numeric_rule`.
bool valid_identifiers(std::string_view s, bool numeric_rule) {
  if (s.empty()) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view id =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (id.empty()) return false;
    bool all_digits = true;
    for (char c : id) {
      if (!is_digit(c) && !is_lower(c) && !is_upper(c) && c != '-') return false;
      if (!is_digit(c)) all_digits = false;
    }
    if (numeric_rule && all_digits && !valid_numeric_identifier(id)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

bool valid_label(std::string_view s) {
  if (s.empty()) return false;
  size_t start = 0;
  bool first = true;
  for (;;) {
    size_t dash = s.find('-', start);
    std::string_view f =
        s.substr(start, dash == std::string_view::npos ? std::string_view::npos : dash - start);
    if (!valid_fragment(f, first)) return false;
    if (dash == std::string_view::npos) return true;
    start = dash + 1;
    first = false;
  }
}

bool valid_version(std::string_view s) {
  std::string_view core = s, pre, build;
  if (size_t plus = core.find('+'); plus != std::string_view::npos) {
    build = core.substr(plus + 1);
    core = core.substr(0, plus);
    if (!valid_identifiers(build, false)) return false;
  }
  if (size_t dash = core.find('-'); dash != std::string_view::npos) {
    pre = core.substr(dash + 1);
    core = core.substr(0, dash);
    if (!valid_identifiers(pre, true)) return false;
  }
  // major.minor.patch, or a canonical version: "N" (N>0), "0.N" (N>0), "0.0.N".
  std::string_view parts[3];
  int n = 0;
  size_t start = 0;
  for (;;) {
    if (n == 3) return false;
    size_t dot = core.find('.', start);
    parts[n++] =
        core.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!valid_numeric_identifier(parts[n - 1])) return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (n == 3) return true;
  if (!pre.empty() || !build.empty()) return false;
  if (n == 1) return parts[0] != "0";
  return parts[0] == "0" && parts[1] != "0";
}

bool canonical_version(std::string_view s) {
  if (!valid_version(s) || s.find_first_of("-+") != std::string_view::npos) return false;
  size_t dots = 0;
  for (char c : s) dots += c == '.';
  if (dots < 2) return true;  // "N" or "0.N" (valid_version already requires N > 0)
  return s.starts_with("0.0.");
}

bool parse_extern_name(std::string_view s, ExternName& out, std::string* why) {
  auto fail = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  out = ExternName{};
  auto annotated = [&](std::string_view prefix, ExternName::Kind kind, bool dotted) {
    std::string_view rest = s.substr(prefix.size());
    out.kind = kind;
    if (!dotted) {
      if (!valid_label(rest)) return fail("`" + std::string(rest) + "` is not a kebab-case label");
      out.resource = std::string(rest);
      return true;
    }
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos)
      return fail("expected `" + std::string(prefix) + "resource.function`");
    std::string_view r = rest.substr(0, dot), f = rest.substr(dot + 1);
    if (!valid_label(r)) return fail("`" + std::string(r) + "` is not a kebab-case label");
    if (!valid_label(f)) return fail("`" + std::string(f) + "` is not a kebab-case label");
    out.resource = std::string(r);
    out.label = std::string(f);
    return true;
  };
  if (s.starts_with("[constructor]"))
    return annotated("[constructor]", ExternName::Kind::Constructor, false);
  if (s.starts_with("[method]")) return annotated("[method]", ExternName::Kind::Method, true);
  if (s.starts_with("[static]")) return annotated("[static]", ExternName::Kind::Static, true);
  if (s.starts_with("[")) {
    return fail("unknown name annotation in `" + std::string(s) + "`");
  }
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) {
    if (!valid_label(s)) return fail("`" + std::string(s) + "` is not a kebab-case label");
    out.kind = ExternName::Kind::Plain;
    out.label = std::string(s);
    return true;
  }
  out.kind = ExternName::Kind::Interface;
  std::string_view ns = s.substr(0, colon), rest = s.substr(colon + 1);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos)
    return fail("interface name `" + std::string(s) + "` has no `/interface`");
  std::string_view pkg = rest.substr(0, slash), iface = rest.substr(slash + 1), version;
  if (size_t at = iface.find('@'); at != std::string_view::npos) {
    version = iface.substr(at + 1);
    iface = iface.substr(0, at);
    if (!valid_version(version))
      return fail("`" + std::string(version) + "` is not a valid version");
  }
  if (!valid_words(ns))
    return fail("namespace `" + std::string(ns) + "` is not lowercase kebab-case");
  if (!valid_words(pkg))
    return fail("package `" + std::string(pkg) + "` is not lowercase kebab-case");
  if (!valid_label(iface))
    return fail("interface `" + std::string(iface) + "` is not a kebab-case label");
  out.ns = std::string(ns);
  out.package = std::string(pkg);
  out.interface = std::string(iface);
  out.version = std::string(version);
  return true;
}

std::string uniqueness_key(std::string_view name) {
  std::string s(name);
  for (char& c : s) {
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  for (std::string_view prefix : {"[method]", "[static]"}) {
    if (s.starts_with(prefix)) {
      std::string rest = s.substr(prefix.size());
      size_t dot = rest.find('.');
      if (dot != std::string::npos && rest.substr(0, dot) == rest.substr(dot + 1)) {
        return rest.substr(0, dot);
      }
      return rest;
    }
  }
  if (!s.starts_with("[constructor]") && s.starts_with("[")) {
    size_t close = s.find(']');
    if (close != std::string::npos) return s.substr(close + 1);
  }
  return s;
}

}  // namespace actr::component::validate
