#include "wasm/aot/instance_tags.hpp"

#include <string_view>
#include <unordered_map>
#include <vector>

#include "wasm/aot/glue_writer.hpp"

namespace actr::wasm::aot {
namespace {

bool is_ident(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

Error unexpected(std::string_view what) {
  return make_error("aot: unexpected wasm2c output (" + std::string(what) +
                    "); this engine supports wabt 1.0.32");
}

// Replaces whole identifiers found in `replacements`, in one pass.
std::string replace_identifiers(std::string_view text,
                                const std::unordered_map<std::string_view, std::string>& with) {
  std::string out;
  out.reserve(text.size() + text.size() / 64);
  size_t at = 0;
  while (at < text.size()) {
    if (!is_ident(text[at])) {
      out += text[at++];
      continue;
    }
    size_t end = at;
    while (end < text.size() && is_ident(text[end])) ++end;
    std::string_view id = text.substr(at, end - at);
    auto it = with.find(id);
    if (it != with.end()) {
      out += it->second;
    } else {
      out += id;
    }
    at = end;
  }
  return out;
}

// Removes the line `line` (without its newline) from `text`; false if absent.
bool remove_line(std::string& text, std::string_view line) {
  std::string needle = "\n" + std::string(line) + "\n";
  size_t at = text.find(needle);
  if (at == std::string::npos) return false;
  text.erase(at + 1, needle.size() - 1);
  return true;
}

}  // namespace

std::string imported_tag_field(const std::string& symbol) { return "actr_import_" + symbol; }

Result<std::string> move_tags_into_instance(CTranslation& c, const ModuleShape& shape,
                                            const std::string& prefix) {
  if (shape.tags.empty()) return std::string();
  const std::string instance_type = prefix + "_instance_t";

  std::vector<std::string> imported;  // wasm2c's symbols of imported tags
  for (const ImportType& imp : shape.imports) {
    if (imp.type.kind == ExternKind::Tag) {
      imported.push_back(mangle_c_name(imp.module) + mangle_c_name(imp.name));
    }
  }
  std::vector<std::string> exported;  // and of exported ones
  for (const ExportType& exp : shape.exports) {
    if (exp.type.kind == ExternKind::Tag) exported.push_back(prefix + mangle_c_name(exp.name));
  }

  // Defined tags: `static u32 NAME;` and, in init_tags, `  NAME = wasm_rt_register_tag(...);`.
  std::string& source = c.source;
  constexpr std::string_view kInitTags = "static void init_tags(void) {\n";
  std::vector<std::pair<std::string, std::string>> defined;  // name, registration
  size_t init = source.find(kInitTags);
  if (shape.tags.size() > shape.imported_tags) {
    if (init == std::string::npos) return unexpected("no init_tags");
    size_t body = init + kInitTags.size();
    size_t close = source.find("\n}\n", body - 1);
    if (close == std::string::npos) return unexpected("open init_tags");
    std::string_view lines(source.data() + body, close + 1 - body);
    size_t at = 0;
    while (at < lines.size()) {
      size_t nl = lines.find('\n', at);
      std::string_view line = lines.substr(at, nl - at);
      at = nl + 1;
      size_t eq = line.find(" = ");
      if (!line.starts_with("  ") || eq == std::string_view::npos || !line.ends_with(";")) {
        return unexpected("a line of init_tags");
      }
      defined.emplace_back(std::string(line.substr(2, eq - 2)),
                           std::string(line.substr(eq + 3, line.size() - eq - 4)));
    }
    source.erase(body, close + 1 - body);  // init_tags stays, empty
    for (const auto& [name, registration] : defined) {
      if (!remove_line(source, "static u32 " + name + ";")) return unexpected("tag " + name);
    }
  }
  if (defined.size() != shape.tags.size() - shape.imported_tags) {
    return unexpected("tag count");
  }

  std::unordered_map<std::string_view, std::string> with;
  for (const std::string& symbol : imported)
    with[symbol] = "instance->" + imported_tag_field(symbol);
  for (const auto& [name, registration] : defined) with[name] = "instance->" + name;
  source = replace_identifiers(source, with);

  // Exports: `const u32 *SYM = EXPR;` -> a function of the instance.
  for (const std::string& symbol : exported) {
    std::string head = "\nconst u32 *" + symbol + " = ";
    size_t at = source.find(head);
    if (at == std::string::npos) return unexpected("tag export " + symbol);
    size_t expr = at + head.size();
    size_t end = source.find(";\n", expr);
    if (end == std::string::npos) return unexpected("tag export " + symbol);
    std::string value = source.substr(expr, end - expr);
    source.replace(
        at, end + 1 - at,
        "\nconst u32 *" + symbol + "(" + instance_type + "* instance) { return " + value + "; }");
  }

  // The header: no global tag symbols; fields in the instance struct.
  std::string& header = c.header;
  for (const std::string& symbol : imported) {
    if (!remove_line(header, "extern const u32 *" + symbol + ";")) {
      return unexpected("tag import " + symbol);
    }
  }
  for (const std::string& symbol : exported) {
    std::string declaration = "extern const u32 *" + symbol + ";";
    size_t at = header.find(declaration);
    if (at == std::string::npos) return unexpected("tag export declaration " + symbol);
    header.replace(at, declaration.size(),
                   "const u32 *" + symbol + "(struct " + instance_type + "*);");
  }
  std::string fields;
  for (const std::string& symbol : imported) {
    fields += "  const u32 *" + imported_tag_field(symbol) + ";\n";
  }
  for (const auto& [name, registration] : defined) fields += "  u32 " + name + ";\n";
  std::string struct_end = "} " + instance_type + ";";
  size_t at = header.find(struct_end);
  if (at == std::string::npos) return unexpected("instance struct");
  header.insert(at, fields);

  std::string registrations;
  for (const auto& [name, registration] : defined) {
    registrations += "  instance->" + name + " = " + registration + ";\n";
  }
  return registrations;
}

}  // namespace actr::wasm::aot
