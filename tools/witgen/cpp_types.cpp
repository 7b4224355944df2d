#include "witgen/cpp_types.hpp"

#include <algorithm>
#include <sstream>

#include "witgen/names.hpp"

namespace actr::witgen {

std::string namespace_decl(const std::string& ns) {
  return ns.rfind("::", 0) == 0 ? ns.substr(2) : ns;
}

std::string case_member_name(const std::string& wit_name) {
  std::string n = snake_name(wit_name);
  if (n == "tag" || n == "value" || n == "bits" || n == "has") n += '_';
  return n;
}

std::string doc_lines(const std::string& docs, const std::string& indent) {
  if (docs.empty()) return "";
  std::string out;
  std::istringstream in(docs);
  std::string line;
  while (std::getline(in, line)) out += indent + "///" + (line.empty() ? "" : " " + line) + "\n";
  return out;
}

namespace {

Result<void> emit_def(const BindingPlan& plan, const TypeDef& def, std::ostream& out) {
  if (def.tag == TypeDef::Tag::Resource) return {};  // its class comes with the bindings
  std::string name = pascal_name(def.name);
  out << doc_lines(def.docs, "");
  switch (def.tag) {
    case TypeDef::Tag::Alias: {
      if (plan.handle_of(*def.alias)) {
        out << "// `" << def.name << "`: another name of a resource (see the bindings)\n\n";
        return {};
      }
      ACTR_TRY(std::string target, plan.cpp_type(*def.alias));
      out << "using " << name << " = " << target << ";\n\n";
      return {};
    }
    case TypeDef::Tag::Record: {
      out << "struct " << name << " {\n";
      for (const auto& f : def.fields) {
        ACTR_TRY(std::string t, plan.cpp_type(*f.type));
        out << doc_lines(f.docs, "  ") << "  " << t << " " << snake_name(f.name) << "{};\n";
      }
      // Handles are not comparable: move-only, or identities that equal values would not mean.
      if (!plan.contains_handle(def)) {
        out << "  bool operator==(const " << name << "&) const = default;\n";
      }
      out << "};\n\n";
      return {};
    }
    case TypeDef::Tag::Variant: {
      std::vector<std::string> payloads;
      for (const auto& c : def.cases) {
        if (c.type) {
          ACTR_TRY(std::string t, plan.cpp_type(*c.type));
          payloads.push_back(t);
        } else {
          payloads.push_back("std::monostate");
        }
      }
      out << "struct " << name << " {\n  enum class Tag : uint32_t {";
      for (size_t i = 0; i < def.cases.size(); ++i) {
        out << (i ? ", " : " ") << pascal_name(def.cases[i].name);
      }
      out << " };\n  using Value = std::variant<";
      for (size_t i = 0; i < payloads.size(); ++i) out << (i ? ", " : "") << payloads[i];
      out << ">;\n  Value value;\n\n";
      out << "  Tag tag() const { return static_cast<Tag>(value.index()); }\n";
      for (size_t i = 0; i < def.cases.size(); ++i) {
        const Case& c = def.cases[i];
        std::string m = case_member_name(c.name);
        out << doc_lines(c.docs, "  ");
        if (c.type) {
          out << "  static " << name << " " << m << "(" << payloads[i] << " v) { return " << name
              << "{Value(std::in_place_index<" << i << ">, std::move(v))}; }\n";
          out << "  const " << payloads[i] << "& as_" << m << "() const { return std::get<" << i
              << ">(value); }\n";
          out << "  " << payloads[i] << "& as_" << m << "() { return std::get<" << i
              << ">(value); }\n";
        } else {
          out << "  static " << name << " " << m << "() { return " << name
              << "{Value(std::in_place_index<" << i << ">)}; }\n";
        }
      }
      if (!plan.contains_handle(def)) {
        out << "  bool operator==(const " << name << "&) const = default;\n";
      }
      out << "};\n\n";
      return {};
    }
    case TypeDef::Tag::Enum: {
      size_t n = def.names.size();
      const char* base = n <= 256 ? "uint8_t" : n <= 65536 ? "uint16_t" : "uint32_t";
      out << "enum class " << name << " : " << base << " {";
      for (size_t i = 0; i < n; ++i) out << (i ? ", " : " ") << pascal_name(def.names[i]);
      out << " };\n\n";
      return {};
    }
    case TypeDef::Tag::Flags: {
      size_t n = def.names.size();
      if (n > 64) {
        return make_error(to_string(def.pos) + ": flags `" + def.name +
                          "` has more than 64 labels, which the generator does not support");
      }
      const char* bits = n <= 32 ? "uint32_t" : "uint64_t";
      out << "struct " << name << " {\n  " << bits << " bits = 0;\n";
      for (size_t i = 0; i < n; ++i) {
        out << "  static constexpr " << name << " " << case_member_name(def.names[i])
            << "() { return " << name << "{" << bits << "{1} << " << i << "}; }\n";
      }
      out << "  constexpr bool has(" << name << " f) const { return (bits & f.bits) == f.bits; }\n";
      out << "  constexpr " << name << " operator|(" << name << " o) const { return " << name
          << "{bits | o.bits}; }\n";
      out << "  constexpr " << name << " operator&(" << name << " o) const { return " << name
          << "{bits & o.bits}; }\n";
      out << "  bool operator==(const " << name << "&) const = default;\n};\n\n";
      return {};
    }
    case TypeDef::Tag::Resource:
      return {};
  }
  return {};
}

// Structs are defined after every resource class (their fields may hold handles by value) and
// declared before (the classes' members may name them); enums and aliases need neither.
bool is_struct(const TypeDef& d) {
  return d.tag == TypeDef::Tag::Record || d.tag == TypeDef::Tag::Variant ||
         d.tag == TypeDef::Tag::Flags;
}

// The first part of a namespace: scope imports, struct declarations, enums and aliases.
Result<void> emit_declarations(const BindingPlan& plan, const std::string& ns,
                               const std::map<std::string, const TypeDef*, std::less<>>& scope,
                               const Interface* self, const std::vector<const TypeDef*>& defs,
                               const std::string& docs, std::ostream& out) {
  out << doc_lines(docs, "") << "namespace " << namespace_decl(ns) << " {\n\n";
  bool any = false;
  for (const TypeDef* def : defs) {
    if (!is_struct(*def)) continue;
    out << "struct " << pascal_name(def->name) << ";\n";
    any = true;
  }
  for (const auto& [local, def] : scope) {
    if (def->owner == self || def->tag == TypeDef::Tag::Resource) continue;
    out << "using " << pascal_name(local) << " = " << plan.cpp_name(*def) << ";\n";
    any = true;
  }
  if (any) out << "\n";
  for (const TypeDef* def : defs) {
    if (!is_struct(*def)) ACTR_TRY_VOID(emit_def(plan, *def, out));
  }
  out << "}  // namespace " << namespace_decl(ns) << "\n\n";
  return {};
}

Result<void> emit_structs(const BindingPlan& plan, const std::string& ns,
                          const std::vector<const TypeDef*>& defs, std::ostream& out) {
  if (std::none_of(defs.begin(), defs.end(), [](const TypeDef* d) { return is_struct(*d); })) {
    return {};
  }
  out << "namespace " << namespace_decl(ns) << " {\n\n";
  for (const TypeDef* def : defs) {
    if (is_struct(*def)) ACTR_TRY_VOID(emit_def(plan, *def, out));
  }
  out << "}  // namespace " << namespace_decl(ns) << "\n\n";
  return {};
}

}  // namespace

Result<std::string> emit_types_header(const BindingPlan& plan,
                                      const std::vector<ResourceClass>& resource_classes,
                                      const std::string& includes) {
  std::ostringstream out;
  out << "// Generated by actr-witgen from world `" << plan.world().name
      << "`. Do not edit.\n// The world's WIT types as C++ types.\n#pragma once\n\n"
      << "#include <cstdint>\n#include <memory>\n#include <optional>\n#include <string>\n"
      << "#include <tuple>\n#include <utility>\n#include <variant>\n#include <vector>\n\n"
      << "#include \"actr_wit_runtime.hpp\"\n"
      << includes << "\n";
  bool world_scope = !plan.world_types().empty() || !plan.world().scope.empty();
  for (const ResourceClass& r : resource_classes) {
    out << "namespace " << namespace_decl(r.ns) << " {\nclass " << r.name << ";\n}\n";
  }
  if (!resource_classes.empty()) out << "\n";
  for (const auto& b : plan.interfaces()) {
    ACTR_TRY_VOID(emit_declarations(plan, b.ns, b.interface->scope, b.interface, b.types,
                                    b.interface->docs, out));
  }
  if (world_scope) {
    ACTR_TRY_VOID(emit_declarations(plan, plan.root_ns(), plan.world().scope, nullptr,
                                    plan.world_types(), "", out));
  }
  for (const ResourceClass& r : resource_classes) {
    out << "namespace " << namespace_decl(r.ns) << " {\n"
        << r.text << "}  // namespace " << namespace_decl(r.ns) << "\n\n";
  }
  for (const auto& b : plan.interfaces()) ACTR_TRY_VOID(emit_structs(plan, b.ns, b.types, out));
  if (world_scope) ACTR_TRY_VOID(emit_structs(plan, plan.root_ns(), plan.world_types(), out));
  return out.str();
}

}  // namespace actr::witgen
