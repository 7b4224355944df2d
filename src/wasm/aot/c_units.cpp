#include "wasm/aot/c_units.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace actr::wasm::aot {
namespace {

constexpr std::string_view kModuleCode = "static bool s_module_initialized";
constexpr std::string_view kFuncTypes = "static u32 func_types[";

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The w2c_ function a line declares or defines ("static <type> w2c_NAME(..."), or "".
std::string_view function_name(std::string_view line) {
  if (!line.starts_with("static ")) return {};
  size_t paren = line.find('(');
  if (paren == std::string_view::npos) return {};
  size_t name = line.rfind(" w2c_", paren);
  if (name == std::string_view::npos) return {};
  std::string_view id = line.substr(name + 1, paren - name - 1);
  for (char c : id) {
    if (!is_ident(c)) return {};
  }
  return id;
}

struct Line {
  size_t begin, end;  // [begin, end) without the newline
};

std::vector<Line> lines_of(std::string_view text, size_t from) {
  std::vector<Line> out;
  size_t at = from;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back({at, nl});
    at = nl + 1;
  }
  return out;
}

// The names of w2c_ identifiers followed by '(' in `text`: the functions it calls.
void called_functions(std::string_view text, std::unordered_set<std::string_view>& out) {
  for (size_t at = text.find("w2c_"); at != std::string_view::npos;
       at = text.find("w2c_", at + 4)) {
    if (at > 0 && is_ident(text[at - 1])) continue;
    size_t end = at + 4;
    while (end < text.size() && is_ident(text[end])) ++end;
    if (end < text.size() && text[end] == '(') out.insert(text.substr(at, end - at));
  }
}

}  // namespace

Result<std::vector<CUnit>> split_into_units(std::string_view source, size_t unit_bytes,
                                            const std::vector<bool>& hot) {
  if (source.size() < unit_bytes) return std::vector<CUnit>{CUnit{std::string(source), 0}};
  size_t code = source.find(kModuleCode);
  if (code == std::string_view::npos) {
    return make_error("aot: unexpected wasm2c output (no module code marker)");
  }
  std::string_view prelude = source.substr(0, code);
  std::vector<Line> lines = lines_of(source, code);
  auto text = [&](const Line& l) { return source.substr(l.begin, l.end - l.begin); };

  struct Decl {
    std::string_view name;
    std::string text;  // without `static`
  };
  struct Def {
    size_t first, last;  // line indices
    std::string_view name;
    bool movable;
  };
  std::vector<Decl> decls;
  std::vector<Def> defs;
  std::string func_types_extern;
  std::vector<bool> in_def(lines.size(), false);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = text(lines[i]);
    if (line.starts_with(kFuncTypes)) {
      func_types_extern =
          "extern u32 func_types[" +
          std::string(line.substr(kFuncTypes.size(), line.find(']') - kFuncTypes.size())) + "];\n";
      continue;
    }
    std::string_view name = function_name(line);
    if (name.empty()) continue;
    // The signature may wrap: it ends with ");" (a declaration) or ") {" (a definition).
    size_t j = i;
    while (j < lines.size()) {
      std::string_view l = text(lines[j]);
      if (l.ends_with(");") || l.ends_with("{")) break;
      ++j;
    }
    if (j == lines.size()) return make_error("aot: unexpected wasm2c output (open signature)");
    if (text(lines[j]).ends_with(");")) {
      std::string d(source.substr(lines[i].begin + 7, lines[j].end - lines[i].begin - 7));
      decls.push_back({name, d + "\n"});
      i = j;
      continue;
    }
    size_t k = j + 1;
    while (k < lines.size() && text(lines[k]) != "}") ++k;
    if (k == lines.size()) return make_error("aot: unexpected wasm2c output (open function)");
    std::string_view body = source.substr(lines[i].begin, lines[k].end - lines[i].begin);
    bool uses_segments = body.find("data_segment_data_") != std::string_view::npos ||
                         body.find("elem_segment_exprs_") != std::string_view::npos;
    defs.push_back({i, k, name, !uses_segments});
    for (size_t m = i; m <= k; ++m) in_def[m] = true;
    i = k;
  }
  if (func_types_extern.empty()) return make_error("aot: unexpected wasm2c output (func_types)");

  std::unordered_map<std::string_view, const Decl*> decl_of;
  for (const auto& d : decls) decl_of[d.name] = &d;
  auto strip_static = [&](size_t line) {
    std::string_view l = text(lines[line]);
    return !function_name(l).empty() ? l.substr(7) : l;
  };

  // The units of definitions, in order; with a profile, hot and cold functions fill units of
  // their own (each kind has one unit open at a time). The functions a hot function calls count
  // as hot: a short callee is rarely on the stack when the profile samples it, yet its calls add
  // up (measured on the JavaScript engine: a tenth of the guest's time was in such callees).
  const bool profiled = !hot.empty() && hot.size() == defs.size();
  std::vector<bool> optimized;
  if (profiled) {
    optimized = hot;
    std::unordered_map<std::string_view, size_t> def_named;
    for (size_t d = 0; d < defs.size(); ++d) def_named.emplace(defs[d].name, d);
    std::unordered_set<std::string_view> callees;
    for (size_t d = 0; d < defs.size(); ++d) {
      if (!hot[d]) continue;
      called_functions(source.substr(lines[defs[d].first].begin,
                                     lines[defs[d].last].end - lines[defs[d].first].begin),
                       callees);
    }
    for (std::string_view name : callees) {
      if (auto it = def_named.find(name); it != def_named.end()) optimized[it->second] = true;
    }
  }
  std::vector<CUnit> units(1);
  std::vector<std::string> bodies;  // bodies[u - 1] is unit u's definitions
  std::vector<std::unordered_set<std::string_view>> calls;
  std::vector<bool> moved(defs.size(), false);
  size_t open[2] = {0, 0};  // the unit being filled, cold and hot (0: none yet)
  for (size_t d = 0; d < defs.size(); ++d) {
    if (!defs[d].movable) continue;
    const Def& def = defs[d];
    std::string_view first_line = strip_static(def.first);
    std::string_view rest =
        source.substr(lines[def.first].end, lines[def.last].end - lines[def.first].end);
    size_t size = first_line.size() + rest.size();
    const bool cold = profiled && !optimized[d];
    size_t& u = open[cold ? 0 : 1];
    if (u == 0 || bodies[u - 1].size() + size > unit_bytes) {
      bodies.emplace_back();
      calls.emplace_back();
      units.emplace_back();
      units.back().cold = cold;
      u = units.size() - 1;
    }
    std::string& body = bodies[u - 1];
    body.append(first_line);
    body.append(rest);
    body += "\n\n";
    called_functions(rest, calls[u - 1]);
    units[u].largest_function = std::max(units[u].largest_function, size);
    moved[d] = true;
  }

  // Unit 0: the whole text but the moved definitions, with `static` dropped from every function
  // declaration and definition and from func_types.
  std::string& zero = units[0].source;
  zero.reserve(source.size() / std::max<size_t>(1, units.size()) + prelude.size());
  zero.append(prelude);
  std::vector<size_t> def_at(lines.size(), SIZE_MAX);
  for (size_t d = 0; d < defs.size(); ++d) def_at[defs[d].first] = d;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (def_at[i] != SIZE_MAX && moved[def_at[i]]) {
      i = defs[def_at[i]].last;
      continue;
    }
    std::string_view l = text(lines[i]);
    if (l.starts_with(kFuncTypes) || !function_name(l).empty()) l = l.substr(7);  // "static "
    zero.append(l);
    zero += '\n';
  }
  for (size_t u = 1; u < units.size(); ++u) {
    std::string& s = units[u].source;
    s.append(prelude);
    s.append(func_types_extern);
    for (std::string_view name : calls[u - 1]) {
      if (auto it = decl_of.find(name); it != decl_of.end()) s.append(it->second->text);
    }
    s.append(bodies[u - 1]);
  }
  return units;
}

}  // namespace actr::wasm::aot
