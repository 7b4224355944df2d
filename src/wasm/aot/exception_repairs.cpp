#include "wasm/aot/exception_repairs.hpp"

#include <string_view>
#include <utility>
#include <vector>

namespace actr::wasm::aot {
namespace {

constexpr std::string_view kTry = "wasm_rt_try(";
constexpr std::string_view kInstanceParam = "_instance_t* instance";
constexpr std::string_view kPrologue = "  FUNC_PROLOGUE;\n";

Error unexpected(std::string_view what) {
  return make_error("aot: unexpected wasm2c output (" + std::string(what) +
                    "); this engine supports wabt 1.0.32");
}

// ", u32 w2c_p0" -> ", u32 volatile w2c_p0" for every parameter after the instance.
std::string volatile_params(std::string_view signature) {
  size_t instance = signature.find(kInstanceParam);
  std::string out(signature.substr(0, instance + kInstanceParam.size()));
  std::string_view rest = signature.substr(instance + kInstanceParam.size());
  size_t at = 0;
  while (at < rest.size()) {
    size_t name = rest.find(" w2c_", at);
    if (name == std::string_view::npos) break;
    out += rest.substr(at, name - at);
    out += " volatile";
    at = name;
    out += rest[at++];
  }
  out += rest.substr(at);
  return out;
}

}  // namespace

Result<void> make_try_locals_volatile(std::string& source) {
  size_t try_at = source.find(kTry);
  while (try_at != std::string::npos) {
    // The definition around this try: its signature holds the instance parameter.
    size_t param = source.rfind(kInstanceParam, try_at);
    if (param == std::string::npos) return unexpected("a try outside a function");
    size_t start = source.rfind("\nstatic ", param);
    if (start == std::string::npos) return unexpected("a function without its signature");
    ++start;
    size_t open = source.find(") {\n", param);
    if (open == std::string::npos || open > try_at) return unexpected("an open signature");
    size_t body = open + 4;
    size_t prologue = source.find(kPrologue, body);
    if (prologue == std::string::npos || prologue > try_at) return unexpected("no prologue");

    std::string locals;
    std::string_view declarations(source.data() + body, prologue - body);
    size_t at = 0;
    while (at < declarations.size()) {
      size_t nl = declarations.find('\n', at);
      std::string_view line = declarations.substr(at, nl - at);
      if (!line.starts_with("  ")) return unexpected("a local declaration");
      locals += "  volatile ";
      locals += line.substr(2);
      locals += '\n';
      at = nl + 1;
    }
    std::string signature =
        volatile_params(std::string_view(source.data() + start, open + 4 - start));
    source.replace(start, prologue - start, signature + locals);
    size_t function_end = source.find("\n}\n", start);
    if (function_end == std::string::npos) return unexpected("an open function");
    try_at = source.find(kTry, function_end);
  }
  return {};
}

Result<void> repair_tag_payloads(std::string& source) {
  constexpr std::string_view kOpen = "#ifndef wasm_tag_";
  constexpr std::string_view kModuleCode = "static bool s_module_initialized";
  std::string moved;
  size_t at = source.find(kOpen);
  while (at != std::string::npos) {
    size_t close = source.find("#endif", at);
    if (close == std::string::npos) return unexpected("an open tag payload struct");
    size_t end = source.find('\n', close);
    if (end == std::string::npos) return unexpected("an open tag payload struct");
    ++end;
    std::string_view block(source.data() + at, end - at);
    // "  TYPE NAME;" lines between "struct wasm_tag_X {" and "};".
    size_t body = block.find("{\n");
    size_t body_end = block.find("\n};");
    if (body == std::string_view::npos || body_end == std::string_view::npos) {
      return unexpected("a tag payload struct");
    }
    std::vector<std::pair<std::string, std::string>> fields;  // type, name
    std::string_view lines = block.substr(body + 2, body_end + 1 - (body + 2));
    for (size_t l = 0; l < lines.size();) {
      size_t nl = lines.find('\n', l);
      std::string_view line = lines.substr(l, nl - l);
      l = nl + 1;
      size_t space = line.rfind(' ');
      if (!line.starts_with("  ") || !line.ends_with(";") || space == std::string_view::npos) {
        return unexpected("a tag payload field");
      }
      fields.emplace_back(std::string(line.substr(2, space - 2)),
                          std::string(line.substr(space + 1, line.size() - space - 2)));
    }
    std::string repaired(block.substr(0, body + 2));
    for (size_t f = 0; f < fields.size(); ++f) {
      repaired += "  " + fields[fields.size() - 1 - f].first + " " + fields[f].second + ";\n";
    }
    repaired += block.substr(body_end + 1);
    moved += repaired;
    source.erase(at, end - at);
    at = source.find(kOpen, at);
  }
  if (moved.empty()) return {};
  size_t code = source.find(kModuleCode);
  if (code == std::string::npos) return unexpected("no module code");
  source.insert(code, moved + "\n");
  return {};
}

}  // namespace actr::wasm::aot
