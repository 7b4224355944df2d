#include "component/wit/wit_printer.hpp"

#include <deque>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "component/validate/names.hpp"
#include "component/validate/type_space.hpp"

namespace actr::component::wit {
namespace {

using validate::ExternName;
using validate::TypeSpace;

bool is_keyword(std::string_view s) {
  static const std::unordered_set<std::string_view> kWords = {
      "as",        "async",         "bool",   "borrow", "char",    "constructor",
      "enum",      "export",        "f32",    "f64",    "flags",   "float32",
      "float64",   "from",          "func",   "future", "import",  "include",
      "interface", "list",          "own",    "option", "package", "record",
      "resource",  "result",        "s16",    "s32",    "s64",     "s8",
      "static",    "stream",        "string", "tuple",  "type",    "u16",
      "u32",       "u64",           "u8",     "use",    "variant", "with",
      "world",     "error-context", "_"};
  return kWords.count(s) > 0;
}

std::string ident(std::string_view s) {
  return is_keyword(s) ? "%" + std::string(s) : std::string(s);
}

// Primitive types print as their kind's name; compound ones are spelled out by the caller.

// ns:pkg/iface@1.2.3 -> ns-pkg-iface-v1-2-3
std::string kebab_interface(const ExternName& n) {
  std::string s = n.ns + "-" + n.package + "-" + n.interface;
  if (!n.version.empty()) {
    std::string v = n.version;
    for (char& c : v) {
      if (c == '.' || c == '+') c = '-';
    }
    s += "-v" + v;
  }
  return s;
}

// An interface the printer has seen: how to name it in `use`, and its package for grouping.
struct Interface {
  std::string ref;      // in `use` from elsewhere: "wasi:io/error@0.2.0", or the inline name
  std::string package;  // "wasi:io@0.2.0" for named interfaces, "" for inline ones
  std::string name;     // the interface's own name in its package ("error")
  const InstanceType* type = nullptr;
};

struct Owner {
  const Interface* iface = nullptr;
  std::string name;
};

// A resource declared in an interface, with the functions attached to it.
struct ResourceItem {
  std::string name;
  std::vector<std::string> members;  // printed lines
};

class Printer {
 public:
  Printer(const TypeSpace& space, const WitOptions& options) : space_(space), options_(options) {}
  Printer(const Printer&) = delete;  // naming_ refers to this object
  Printer& operator=(const Printer&) = delete;

  std::string run() {
    std::vector<Entry> imports, exports;
    for (const auto& imp : space_.imports()) world_item("import", imp, imports);
    for (const auto& exp : space_.exports()) world_item("export", exp, exports);
    std::string i = render(imports), e = render(exports);
    out_ = "package root:component;\n\nworld root {\n" + i;
    if (!i.empty() && !e.empty()) out_ += "\n";
    out_ += e + "}\n";
    if (options_.dependencies) dependencies();
    return out_;
  }

 private:
  // ---- names of types in signatures ----

  std::string resource_name(const ResourceType* r) const {
    if (auto it = local_resources_.find(r); it != local_resources_.end()) return ident(it->second);
    if (auto it = owners_.find(r); it != owners_.end()) return ident(it->second.name);
    return ident(r->name.empty() ? "resource" : r->name);
  }

  std::string type(const TypeRef& t) const { return t ? to_wit(*t, naming_) : "_"; }

  // The spelling of a type's own structure (ignoring the name it may have).
  std::string structure(const ValueType& t) const { return wit_structure(t, naming_); }

  // Resources by the name their interface (or the world) declares; keywords escaped.
  struct Naming : WitNaming {
    const Printer& printer;
    explicit Naming(const Printer& p) : printer(p) {}
    std::string resource(const ResourceType* r) const override { return printer.resource_name(r); }
    std::string ident(std::string_view name) const override {
      return ::actr::component::wit::ident(name);
    }
  };
  Naming naming_{*this};

  std::string params(const std::vector<Param>& ps, size_t skip) const {
    std::string s = "(";
    for (size_t i = skip; i < ps.size(); ++i) {
      s += (i > skip ? ", " : "") + ident(ps[i].name) + ": " + type(ps[i].type);
    }
    return s + ")";
  }

  std::string results(const FuncType& f) const {
    if (f.results.empty()) return "";
    if (f.results.size() == 1 && f.results[0].name.empty()) return " -> " + type(f.results[0].type);
    return " -> " + params(f.results, 0);
  }

  std::string func(const FuncType& f, size_t skip = 0) const {
    return "func" + params(f.params, skip) + results(f);
  }

  // ---- definitions ----

  // The definition of a named type (`record x { ... }`, `type x = list<u8>;`), indented by `ind`.
  std::string definition(const std::string& name, const ValueType& t,
                         const std::string& ind) const {
    std::string n = ident(name);
    auto block = [&](const char* kw, const std::vector<std::string>& lines) {
      std::string s = ind + kw + " " + n + " {\n";
      for (const auto& l : lines) s += ind + "  " + l + ",\n";
      return s + ind + "}\n";
    };
    switch (t.kind) {
      case Kind::Record: {
        std::vector<std::string> lines;
        for (const auto& f : t.fields) lines.push_back(ident(f.name) + ": " + type(f.type));
        return block("record", lines);
      }
      case Kind::Variant: {
        std::vector<std::string> lines;
        for (const auto& c : t.cases)
          lines.push_back(ident(c.name) + (c.type ? "(" + type(c.type) + ")" : ""));
        return block("variant", lines);
      }
      case Kind::Enum:
      case Kind::Flags: {
        std::vector<std::string> lines;
        for (const auto& l : t.names) lines.push_back(ident(l));
        return block(t.kind == Kind::Enum ? "enum" : "flags", lines);
      }
      default:
        return ind + "type " + n + " = " + structure(t) + ";\n";
    }
  }

  // The type this named type renames, if a known interface (or this one) declares it.
  // (Also the type itself when another interface already declares it under this very name.)
  const ValueType* renamed_owner(const ValueType* v, const Interface* self) const {
    if (auto it = owners_.find(v); it != owners_.end() && it->second.iface != self) return v;
    for (const ValueType* o = space_.renamed_from(v); o; o = space_.renamed_from(o)) {
      if (owners_.count(o)) return o;
    }
    return nullptr;
  }

  // Prints the items of an instance type as an interface body at indent `ind`.
  std::string body(const InstanceType& t, const Interface* self, const std::string& ind) {
    local_resources_.clear();
    struct Use {
      const Interface* from;
      std::vector<std::string> names;
    };
    std::vector<Use> uses;
    std::unordered_map<const Interface*, size_t> use_of;
    auto add_use = [&](const Interface* from, const std::string& name, const std::string& as) {
      auto [it, fresh] = use_of.emplace(from, uses.size());
      if (fresh) uses.push_back({from, {}});
      uses[it->second].names.push_back(use_name(name, as));
    };
    std::vector<std::string> items;  // printed type items (resources by index)
    std::vector<ResourceItem> resources;
    std::map<std::string, size_t> resource_by_name;  // local name -> index in `resources`
    std::vector<std::pair<size_t, bool>> order;      // (index, is_resource) in declaration order
    std::vector<std::string> funcs;

    for (const auto& e : t.exports) {
      if (e.type.kind != ExternKind::Type) continue;
      const DefinedType& d = e.type.type;
      if (d.kind == DefinedType::Kind::Resource) {
        const ResourceType* r = d.resource.get();
        local_resources_[r] = e.name;
        auto owner = owners_.find(r);
        if (owner != owners_.end() && owner->second.iface != self) {
          add_use(owner->second.iface, owner->second.name, e.name);
          continue;
        }
        owners_[r] = {self, e.name};
        resource_by_name[e.name] = resources.size();
        order.push_back({resources.size(), true});
        resources.push_back({e.name, {}});
      } else if (d.kind == DefinedType::Kind::Value) {
        const ValueType* v = d.value.get();
        const ValueType* origin = renamed_owner(v, self);
        if (origin) {
          const Owner& o = owners_.at(origin);
          if (o.iface != self) {
            add_use(o.iface, o.name, e.name);
            owners_.emplace(v, Owner{self, e.name});  // a renaming copy is this interface's name
            continue;
          }
          owners_.emplace(v, Owner{self, e.name});
          order.push_back({items.size(), false});
          items.push_back(ind + "type " + ident(e.name) + " = " + ident(o.name) + ";\n");
          continue;
        }
        owners_[v] = {self, e.name};
        order.push_back({items.size(), false});
        items.push_back(definition(e.name, *v, ind));
      }
    }
    for (const auto& e : t.exports) {
      if (e.type.kind != ExternKind::Func) continue;
      const FuncType& f = *e.type.func;
      ExternName n;
      validate::parse_extern_name(e.name, n);
      auto member = [&](const std::string& line) {
        auto it = resource_by_name.find(n.resource);
        if (it != resource_by_name.end()) {
          resources[it->second].members.push_back(line);
        } else {  // a resource declared elsewhere: keep the function visible at least
          funcs.push_back(ind + "// " + e.name + "\n" + ind +
                          ident(n.label.empty() ? n.resource : n.label) + ": " + func(f) + ";\n");
        }
      };
      switch (n.kind) {
        case ExternName::Kind::Constructor: {
          std::string r;
          if (!f.results.empty() && f.results[0].type->kind == Kind::Result) r = results(f);
          member("constructor" + params(f.params, 0) + r + ";");
          break;
        }
        case ExternName::Kind::Method:
          member(ident(n.label) + ": " + func(f, 1) + ";");
          break;
        case ExternName::Kind::Static:
          member(ident(n.label) + ": static " + func(f) + ";");
          break;
        default:
          funcs.push_back(ind + ident(e.name) + ": " + func(f) + ";\n");
          break;
      }
    }

    std::vector<std::string> chunks;
    if (!uses.empty()) {
      std::string s;
      for (const auto& u : uses) {
        s += ind + "use " + use_ref(u.from, self) + ".{";
        for (size_t i = 0; i < u.names.size(); ++i) s += (i ? ", " : "") + u.names[i];
        s += "};\n";
      }
      chunks.push_back(s);
    }
    for (const auto& [index, is_resource] : order) {
      if (!is_resource) {
        chunks.push_back(items[index]);
        continue;
      }
      const ResourceItem& r = resources[index];
      if (r.members.empty()) {
        chunks.push_back(ind + "resource " + ident(r.name) + ";\n");
        continue;
      }
      std::string s = ind + "resource " + ident(r.name) + " {\n";
      for (const auto& m : r.members) s += ind + "  " + m + "\n";
      chunks.push_back(s + ind + "}\n");
    }
    for (auto& f : funcs) chunks.push_back(std::move(f));
    std::string s;
    for (size_t i = 0; i < chunks.size(); ++i) s += (i ? "\n" : "") + chunks[i];
    return s;
  }

  // How interface `from` is referred to in a `use` inside `self`.
  std::string use_ref(const Interface* from, const Interface* self) const {
    if (self && !self->package.empty() && self->package == from->package) return ident(from->name);
    return from->ref;
  }

  // ---- the world ----

  const Interface* interface_for(const std::string& key, const ExternName& n, const InstanceType* t,
                                 bool named) {
    if (auto it = by_key_.find(key); it != by_key_.end()) return it->second;
    Interface& i = interfaces_.emplace_back();
    i.type = t;
    if (named) {
      i.ref = ident(n.ns) + ":" + ident(n.package) + "/" + ident(n.interface) +
              (n.version.empty() ? "" : "@" + n.version);
      i.package = n.ns + ":" + n.package + (n.version.empty() ? "" : "@" + n.version);
      i.name = n.interface;
    } else {
      i.ref = key;
      i.name = key;
    }
    by_key_[key] = &i;
    return &i;
  }

  // A line of the world. Uses from one interface merge into one statement; type items (uses and
  // definitions) are separated from each other by blank lines, as wit-component prints them.
  struct Entry {
    enum class Kind : uint8_t { Line, Use, Block } kind = Kind::Line;
    std::string text;                 // Line, Block
    const Interface* from = nullptr;  // Use
  };

  static std::string render(const std::vector<Entry>& es) {
    std::string s;
    auto is_type = [&](size_t i) { return i < es.size() && es[i].kind != Entry::Kind::Line; };
    for (size_t i = 0; i < es.size(); ++i) {
      const Entry& e = es[i];
      if (e.kind == Entry::Kind::Use) {
        std::string names = e.text;
        size_t j = i + 1;
        for (; j < es.size() && es[j].kind == Entry::Kind::Use && es[j].from == e.from; ++j) {
          names += ", " + es[j].text;
        }
        s += "  use " + e.from->ref + ".{" + names + "};\n";
        i = j - 1;
      } else {
        s += e.text;
      }
      // Consecutive type items are separated by a blank line.
      if (is_type(i) && is_type(i + 1)) s += "\n";
    }
    return s;
  }

  void world_item(const char* dir, const NamedExtern& item, std::vector<Entry>& out) {
    ExternName n;
    validate::parse_extern_name(item.name, n);
    const ExternType& e = item.type;
    auto line = [&](std::string text) {
      out.push_back({Entry::Kind::Line, std::move(text), nullptr});
    };
    switch (e.kind) {
      case ExternKind::Func:
        line("  " + std::string(dir) + " " + ident(item.name) + ": " + func(*e.func) + ";\n");
        return;
      case ExternKind::Instance: {
        bool named = n.kind == ExternName::Kind::Interface;
        bool inline_body = !named || (options_.inline_foreign_interfaces && n.ns != "wasi");
        if (!inline_body) {
          const Interface* iface = interface_for(item.name, n, e.instance.get(), true);
          // Register what the interface declares so that later interfaces can `use` it.
          if (declared_.insert(iface).second) (void)body(*e.instance, iface, "    ");
          line("  " + std::string(dir) + " " + iface->ref + ";\n");
          referenced_.push_back(iface);
          return;
        }
        std::string key = named ? kebab_interface(n) : item.name;
        const Interface* iface = interface_for(key, n, e.instance.get(), false);
        std::string b = body(*e.instance, iface, "    ");
        line("  " + std::string(dir) + " " + ident(key) + ": interface {\n" + b + "  }\n");
        return;
      }
      case ExternKind::Type: {
        const DefinedType& d = e.type;
        if (d.kind == DefinedType::Kind::Resource) {
          auto owner = owners_.find(d.resource.get());
          if (owner != owners_.end()) {
            out.push_back(
                {Entry::Kind::Use, use_name(owner->second.name, item.name), owner->second.iface});
          } else {
            owners_[d.resource.get()] = {&world_iface(), item.name};
            out.push_back({Entry::Kind::Block, "  resource " + ident(item.name) + ";\n", nullptr});
          }
          return;
        }
        if (d.kind == DefinedType::Kind::Value) {
          const ValueType* origin = renamed_owner(d.value.get(), &world_iface());
          if (origin) {
            const Owner& o = owners_.at(origin);
            out.push_back({Entry::Kind::Use, use_name(o.name, item.name), o.iface});
          } else {
            out.push_back({Entry::Kind::Block, definition(item.name, *d.value, "  "), nullptr});
          }
          owners_.emplace(d.value.get(), Owner{&world_iface(), item.name});
          return;
        }
        line("  // " + std::string(dir) + " " + item.name + ": a type WIT cannot express\n");
        return;
      }
      default:
        line("  // " + std::string(dir) + " " + item.name + ": a " + to_string(e.kind) +
             ", which WIT cannot express\n");
        return;
    }
  }

  static std::string use_name(const std::string& name, const std::string& as) {
    return ident(name) + (name == as ? "" : " as " + ident(as));
  }

  const Interface& world_iface() {
    if (!world_) {
      world_ = &interfaces_.emplace_back();
      world_->ref = "root";
    }
    return *world_;
  }

  // Nested package blocks for the interfaces referred to by name.
  void dependencies() {
    std::vector<std::string> packages;
    std::map<std::string, std::vector<const Interface*>> by_package;
    std::unordered_set<const Interface*> seen;
    for (const Interface* i : referenced_) {
      if (!seen.insert(i).second) continue;
      if (!by_package.count(i->package)) packages.push_back(i->package);
      by_package[i->package].push_back(i);
    }
    for (const auto& p : packages) {
      out_ += "\npackage " + p + " {\n";
      bool first = true;
      for (const Interface* i : by_package[p]) {
        if (!first) out_ += "\n";
        first = false;
        // The interface already owns its types (registered when the world referred to it), so
        // printing its body again declares them rather than `use`s them.
        out_ += "  interface " + ident(i->name) + " {\n" + body(*i->type, i, "    ") + "  }\n";
      }
      out_ += "}\n";
    }
  }

  const TypeSpace& space_;
  const WitOptions& options_;
  std::string out_;
  std::deque<Interface> interfaces_;
  std::unordered_map<std::string, const Interface*> by_key_;
  std::unordered_map<const void*, Owner> owners_;
  std::unordered_map<const ResourceType*, std::string> local_resources_;
  std::unordered_set<const Interface*> declared_;
  std::vector<const Interface*> referenced_;
  Interface* world_ = nullptr;
};

}  // namespace

Result<std::string> component_wit(const ast::Component& component, const WitOptions& options) {
  TypeSpace space;
  ACTR_TRY_VOID(space.define_all(component));
  Printer p(space, options);
  return p.run();
}

std::string print_wit(const ast::Component& component, const WitOptions& options) {
  auto r = component_wit(component, options);
  if (!r.ok()) return "// invalid component: " + r.error().message + "\n";
  return std::move(r).value();
}

}  // namespace actr::component::wit
