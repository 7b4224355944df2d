#include "witgen/parser.hpp"

#include <utility>

#include "witgen/lexer.hpp"

namespace actr::witgen {

namespace {

using component::Kind;

bool primitive_kind(std::string_view name, Kind& out) {
  static const std::pair<std::string_view, Kind> kPrimitives[] = {
      {"bool", Kind::Bool},   {"s8", Kind::S8},     {"u8", Kind::U8},
      {"s16", Kind::S16},     {"u16", Kind::U16},   {"s32", Kind::S32},
      {"u32", Kind::U32},     {"s64", Kind::S64},   {"u64", Kind::U64},
      {"f32", Kind::F32},     {"f64", Kind::F64},   {"float32", Kind::F32},
      {"float64", Kind::F64}, {"char", Kind::Char}, {"string", Kind::String},
  };
  for (const auto& [n, k] : kPrimitives) {
    if (n == name) {
      out = k;
      return true;
    }
  }
  return false;
}

// Words that are names only when `%`-escaped.
bool is_keyword(std::string_view w) {
  static constexpr std::string_view kKeywords[] = {
      "use",     "type",          "func",   "u8",       "u16",     "u32",         "u64",
      "s8",      "s16",           "s32",    "s64",      "f32",     "f64",         "float32",
      "float64", "char",          "record", "resource", "own",     "borrow",      "flags",
      "variant", "enum",          "bool",   "string",   "option",  "result",      "future",
      "stream",  "error-context", "list",   "as",       "from",    "static",      "interface",
      "tuple",   "import",        "export", "world",    "package", "constructor", "include",
      "with",    "async",
  };
  for (auto k : kKeywords) {
    if (k == w) return true;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string_view source, std::string path) : lexer_(source, path) { file_.path = path; }

  Result<File> run() {
    ACTR_TRY_VOID(fill());
    if (cur_.is_keyword("package")) {
      file_.package_docs = cur_.docs;
      file_.package_pos = cur_.pos;
      ACTR_TRY_VOID(bump());
      ACTR_TRY(PackageName name, package_name());
      file_.package = std::move(name);
      ACTR_TRY_VOID(expect(";"));
    }
    while (cur_.kind != Token::Kind::End) {
      ACTR_TRY_VOID(skip_gates());
      std::string docs = take_docs();
      if (cur_.is_keyword("interface")) {
        ACTR_TRY_VOID(bump());
        auto iface = std::make_shared<Interface>();
        iface->docs = std::move(docs);
        iface->pos = cur_.pos;
        ACTR_TRY(iface->name, identifier("an interface name"));
        ACTR_TRY_VOID(interface_body(*iface));
        file_.interfaces.push_back(std::move(iface));
      } else if (cur_.is_keyword("world")) {
        ACTR_TRY_VOID(bump());
        World world;
        world.docs = std::move(docs);
        world.pos = cur_.pos;
        ACTR_TRY(world.name, identifier("a world name"));
        ACTR_TRY_VOID(world_body(world));
        file_.worlds.push_back(std::move(world));
      } else if (cur_.is_keyword("use")) {
        ACTR_TRY_VOID(bump());
        Use use;
        use.pos = cur_.pos;
        ACTR_TRY(use.path, use_path());
        Use::Name n;
        n.pos = use.pos;
        n.name = use.path.substr(use.path.rfind('/') + 1);
        n.name = n.name.substr(0, n.name.find('@'));
        if (cur_.is_keyword("as")) {
          ACTR_TRY_VOID(bump());
          ACTR_TRY(n.as, identifier("a name after `as`"));
        }
        use.names.push_back(std::move(n));
        ACTR_TRY_VOID(expect(";"));
        file_.uses.push_back(std::move(use));
      } else if (cur_.is_keyword("package")) {
        return fail(
            "nested `package ... { }` blocks are not supported; put each package in its "
            "own file");
      } else {
        return unexpected("`interface`, `world` or `use`");
      }
    }
    return std::move(file_);
  }

 private:
  Result<void> fill() {
    ACTR_TRY(cur_, lexer_.next());
    return {};
  }
  Result<void> bump() { return fill(); }

  Error fail(const std::string& what) const {
    return make_error(to_string(cur_.pos) + ": " + what);
  }
  Error unexpected(const std::string& expected) const {
    return fail("expected " + expected + ", found " + cur_.describe());
  }
  std::string take_docs() { return std::exchange(cur_.docs, {}); }

  Result<void> expect(std::string_view symbol) {
    if (!cur_.is(symbol)) return unexpected("`" + std::string(symbol) + "`");
    return bump();
  }
  Result<bool> accept(std::string_view symbol) {
    if (!cur_.is(symbol)) return false;
    ACTR_TRY_VOID(bump());
    return true;
  }
  Result<std::string> identifier(const std::string& what) {
    if (cur_.kind != Token::Kind::Id) return unexpected(what);
    if (!cur_.escaped && is_keyword(cur_.text)) {
      return fail("expected " + what + ", found keyword `" + cur_.text + "` (escape it as `%" +
                  cur_.text + "` to use it as a name)");
    }
    std::string name = cur_.text;
    ACTR_TRY_VOID(bump());
    return name;
  }

  // `@since(version = 0.2.0)`, `@unstable(feature = x)`, `@deprecated(...)`: accepted, not kept.
  Result<void> skip_gates() {
    while (cur_.is("@")) {
      std::string docs = take_docs();
      ACTR_TRY_VOID(bump());
      ACTR_TRY(std::string gate, identifier("a feature gate name (`since`, `unstable`, ...)"));
      if (gate != "since" && gate != "unstable" && gate != "deprecated") {
        return make_error(to_string(cur_.pos) + ": unknown feature gate `@" + gate + "`");
      }
      ACTR_TRY_VOID(expect("("));
      while (!cur_.is(")")) {
        if (cur_.kind == Token::Kind::End) return unexpected("`)`");
        ACTR_TRY_VOID(bump());
      }
      ACTR_TRY_VOID(bump());
      if (cur_.docs.empty()) cur_.docs = std::move(docs);
    }
    return {};
  }

  Result<PackageName> package_name() {
    PackageName name;
    ACTR_TRY(name.ns, identifier("a package namespace"));
    ACTR_TRY_VOID(expect(":"));
    ACTR_TRY(name.name, identifier("a package name"));
    if (cur_.is("@")) {
      ACTR_TRY_VOID(bump());
      ACTR_TRY(name.version, version());
    }
    return name;
  }

  Result<std::string> version() {
    if (cur_.kind != Token::Kind::Literal) return unexpected("a version such as `0.1.0`");
    std::string v = cur_.text;
    ACTR_TRY_VOID(bump());
    return v;
  }

  // `types` or `ns:pkg/iface@1.2.3`.
  Result<std::string> use_path() {
    ACTR_TRY(std::string first, identifier("an interface name or path"));
    if (!cur_.is(":")) return first;
    ACTR_TRY_VOID(bump());
    ACTR_TRY(std::string pkg, identifier("a package name"));
    ACTR_TRY_VOID(expect("/"));
    ACTR_TRY(std::string iface, identifier("an interface name"));
    std::string path = first + ":" + pkg + "/" + iface;
    if (cur_.is("@")) {
      ACTR_TRY_VOID(bump());
      ACTR_TRY(std::string v, version());
      path += "@" + v;
    }
    return path;
  }

  Result<Use> use_statement() {
    Use use;
    use.pos = cur_.pos;
    ACTR_TRY(use.path, use_path());
    ACTR_TRY_VOID(expect("."));
    ACTR_TRY_VOID(expect("{"));
    while (!cur_.is("}")) {
      Use::Name n;
      n.pos = cur_.pos;
      ACTR_TRY(n.name, identifier("`}` or a name to use"));
      if (cur_.is_keyword("as")) {
        ACTR_TRY_VOID(bump());
        ACTR_TRY(n.as, identifier("a new name after `as`"));
      }
      use.names.push_back(std::move(n));
      ACTR_TRY(bool comma, accept(","));
      if (!comma && !cur_.is("}")) return unexpected("`,` or `}`");
    }
    ACTR_TRY_VOID(bump());
    ACTR_TRY_VOID(expect(";"));
    return use;
  }

  Result<TypePtr> type() {
    // Nested types recurse; a bound keeps hostile input from exhausting the stack.
    static constexpr int kMaxTypeDepth = 100;
    if (type_depth_ >= kMaxTypeDepth) return fail("types nest too deeply");
    ++type_depth_;
    auto t = nested_type();
    --type_depth_;
    return t;
  }

  Result<TypePtr> nested_type() {
    auto t = std::make_shared<Type>();
    t->pos = cur_.pos;
    if (cur_.is("_")) return unexpected("a type (`_` is only allowed in `result<_, E>`)");
    if (cur_.kind == Token::Kind::Symbol && cur_.is("(")) return unexpected("a type");
    if (cur_.kind != Token::Kind::Id) return unexpected("a type");
    std::string name = cur_.text;
    bool escaped = cur_.escaped;
    ACTR_TRY_VOID(bump());
    if (!escaped && primitive_kind(name, t->primitive)) {
      t->tag = Type::Tag::Primitive;
      return t;
    }
    if (!escaped && (name == "list" || name == "option")) {
      t->tag = name == "list" ? Type::Tag::List : Type::Tag::Option;
      ACTR_TRY_VOID(expect("<"));
      ACTR_TRY(t->elem, type());
      if (name == "list" && cur_.is(",")) {
        return fail("fixed-size lists (`list<T, N>`) are not supported");
      }
      ACTR_TRY_VOID(expect(">"));
      return t;
    }
    // `map` is no keyword here (WIT files may name a type `map`): only `map<` is the map type.
    if (!escaped && name == "map" && cur_.is("<")) {
      t->tag = Type::Tag::Map;
      ACTR_TRY_VOID(expect("<"));
      ACTR_TRY(t->key, type());
      ACTR_TRY_VOID(expect(","));
      ACTR_TRY(t->elem, type());
      ACTR_TRY_VOID(expect(">"));
      return t;
    }
    if (!escaped && name == "result") {
      t->tag = Type::Tag::Result;
      ACTR_TRY(bool open, accept("<"));
      if (!open) return t;
      if (cur_.is("_")) {
        ACTR_TRY_VOID(bump());
        if (!cur_.is(",")) return unexpected("`,` after `result<_`");
      } else {
        ACTR_TRY(t->ok, type());
      }
      ACTR_TRY(bool comma, accept(","));
      if (comma) {
        ACTR_TRY(t->err, type());
      }
      ACTR_TRY_VOID(expect(">"));
      return t;
    }
    if (!escaped && name == "tuple") {
      t->tag = Type::Tag::Tuple;
      ACTR_TRY_VOID(expect("<"));
      while (!cur_.is(">")) {
        ACTR_TRY(TypePtr item, type());
        t->items.push_back(std::move(item));
        ACTR_TRY(bool comma, accept(","));
        if (!comma && !cur_.is(">")) return unexpected("`,` or `>`");
      }
      ACTR_TRY_VOID(bump());
      return t;
    }
    if (!escaped && (name == "own" || name == "borrow")) {
      t->tag = name == "own" ? Type::Tag::Own : Type::Tag::Borrow;
      ACTR_TRY_VOID(expect("<"));
      t->pos = cur_.pos;
      ACTR_TRY(t->name, identifier("a resource name"));
      ACTR_TRY_VOID(expect(">"));
      return t;
    }
    if (!escaped && (name == "future" || name == "stream" || name == "error-context")) {
      return make_error(to_string(t->pos) + ": async type `" + name + "` is not supported");
    }
    t->tag = Type::Tag::Ref;
    t->name = std::move(name);
    return t;
  }

  Result<std::vector<Param>> params() {
    ACTR_TRY_VOID(expect("("));
    std::vector<Param> out;
    while (!cur_.is(")")) {
      Param p;
      ACTR_TRY(p.name, identifier("`)` or a parameter name"));
      ACTR_TRY_VOID(expect(":"));
      ACTR_TRY(p.type, type());
      out.push_back(std::move(p));
      ACTR_TRY(bool comma, accept(","));
      if (!comma && !cur_.is(")")) return unexpected("`,` or `)`");
    }
    ACTR_TRY_VOID(bump());
    return out;
  }

  // After `name:`: `[async] func(params) [-> result]`.
  Result<void> func_type(Function& f) {
    if (cur_.is_keyword("async")) return fail("`async func` is not supported");
    if (!cur_.is_keyword("func")) return unexpected("`func`");
    ACTR_TRY_VOID(bump());
    ACTR_TRY(f.params, params());
    ACTR_TRY(bool arrow, accept("->"));
    if (arrow) {
      if (cur_.is("(")) {
        ACTR_TRY(f.named_results, params());
      } else {
        ACTR_TRY(f.result, type());
      }
    }
    return {};
  }

  Result<std::vector<std::string>> name_list(const std::string& what) {
    ACTR_TRY_VOID(expect("{"));
    std::vector<std::string> names;
    while (!cur_.is("}")) {
      ACTR_TRY_VOID(skip_gates());
      ACTR_TRY(std::string n, identifier("`}` or " + what));
      names.push_back(std::move(n));
      ACTR_TRY(bool comma, accept(","));
      if (!comma && !cur_.is("}")) return unexpected("`,` or `}`");
    }
    ACTR_TRY_VOID(bump());
    return names;
  }

  // A type definition starting at its keyword, or nothing when the token starts none.
  Result<TypeDefPtr> typedef_item(std::string docs) {
    static const std::pair<std::string_view, TypeDef::Tag> kKeywords[] = {
        {"type", TypeDef::Tag::Alias},      {"record", TypeDef::Tag::Record},
        {"variant", TypeDef::Tag::Variant}, {"enum", TypeDef::Tag::Enum},
        {"flags", TypeDef::Tag::Flags},     {"resource", TypeDef::Tag::Resource},
    };
    TypeDefPtr def;
    for (const auto& [kw, tag] : kKeywords) {
      if (cur_.is_keyword(kw)) {
        def = std::make_shared<TypeDef>();
        def->tag = tag;
      }
    }
    if (!def) return def;
    def->docs = std::move(docs);
    ACTR_TRY_VOID(bump());
    def->pos = cur_.pos;
    ACTR_TRY(def->name, identifier("a type name"));
    switch (def->tag) {
      case TypeDef::Tag::Alias: {
        ACTR_TRY_VOID(expect("="));
        ACTR_TRY(def->alias, type());
        ACTR_TRY_VOID(expect(";"));
        break;
      }
      case TypeDef::Tag::Record: {
        ACTR_TRY_VOID(expect("{"));
        while (!cur_.is("}")) {
          ACTR_TRY_VOID(skip_gates());
          Field field;
          field.docs = take_docs();
          ACTR_TRY(field.name, identifier("`}` or a field name"));
          ACTR_TRY_VOID(expect(":"));
          ACTR_TRY(field.type, type());
          def->fields.push_back(std::move(field));
          ACTR_TRY(bool comma, accept(","));
          if (!comma && !cur_.is("}")) return unexpected("`,` or `}`");
        }
        ACTR_TRY_VOID(bump());
        break;
      }
      case TypeDef::Tag::Variant: {
        ACTR_TRY_VOID(expect("{"));
        while (!cur_.is("}")) {
          ACTR_TRY_VOID(skip_gates());
          Case c;
          c.docs = take_docs();
          ACTR_TRY(c.name, identifier("`}` or a case name"));
          ACTR_TRY(bool open, accept("("));
          if (open) {
            ACTR_TRY(c.type, type());
            ACTR_TRY_VOID(expect(")"));
          }
          def->cases.push_back(std::move(c));
          ACTR_TRY(bool comma, accept(","));
          if (!comma && !cur_.is("}")) return unexpected("`,` or `}`");
        }
        ACTR_TRY_VOID(bump());
        break;
      }
      case TypeDef::Tag::Enum: {
        ACTR_TRY(def->names, name_list("a case name"));
        break;
      }
      case TypeDef::Tag::Flags: {
        ACTR_TRY(def->names, name_list("a flag name"));
        break;
      }
      case TypeDef::Tag::Resource: {
        ACTR_TRY(bool done, accept(";"));
        if (done) break;
        ACTR_TRY_VOID(expect("{"));
        while (!cur_.is("}")) {
          ACTR_TRY_VOID(skip_gates());
          Function f;
          f.docs = take_docs();
          f.pos = cur_.pos;
          if (cur_.is_keyword("constructor")) {
            ACTR_TRY_VOID(bump());
            f.kind = Function::Kind::Constructor;
            f.name = "constructor";
            ACTR_TRY(f.params, params());
            ACTR_TRY(bool arrow, accept("->"));
            if (arrow) {
              ACTR_TRY(f.result, type());
            }
          } else {
            ACTR_TRY(f.name, identifier("`}`, `constructor` or a method name"));
            ACTR_TRY_VOID(expect(":"));
            f.kind = Function::Kind::Method;
            if (cur_.is_keyword("static")) {
              ACTR_TRY_VOID(bump());
              f.kind = Function::Kind::Static;
            }
            ACTR_TRY_VOID(func_type(f));
          }
          ACTR_TRY_VOID(expect(";"));
          def->functions.push_back(std::move(f));
        }
        ACTR_TRY_VOID(bump());
        break;
      }
    }
    return def;
  }

  Result<void> interface_body(Interface& iface) {
    ACTR_TRY_VOID(expect("{"));
    while (!cur_.is("}")) {
      ACTR_TRY_VOID(skip_gates());
      std::string docs = take_docs();
      if (cur_.is_keyword("use")) {
        ACTR_TRY_VOID(bump());
        ACTR_TRY(Use use, use_statement());
        iface.uses.push_back(std::move(use));
        continue;
      }
      ACTR_TRY(TypeDefPtr def, typedef_item(docs));
      if (def) {
        iface.types.push_back(std::move(def));
        continue;
      }
      if (cur_.kind != Token::Kind::Id) {
        return unexpected("`}`, `use`, a type definition or a function name");
      }
      Function f;
      f.docs = std::move(docs);
      f.pos = cur_.pos;
      ACTR_TRY(f.name, identifier("a function name"));
      ACTR_TRY_VOID(expect(":"));
      ACTR_TRY_VOID(func_type(f));
      ACTR_TRY_VOID(expect(";"));
      iface.functions.push_back(std::move(f));
    }
    return bump();
  }

  Result<void> world_body(World& world) {
    ACTR_TRY_VOID(expect("{"));
    while (!cur_.is("}")) {
      ACTR_TRY_VOID(skip_gates());
      std::string docs = take_docs();
      if (cur_.is_keyword("use")) {
        ACTR_TRY_VOID(bump());
        ACTR_TRY(Use use, use_statement());
        world.uses.push_back(std::move(use));
        continue;
      }
      if (cur_.is_keyword("include")) {
        ACTR_TRY_VOID(bump());
        Pos pos = cur_.pos;
        ACTR_TRY(std::string path, use_path());
        if (cur_.is_keyword("with")) return fail("`include ... with { }` is not supported");
        ACTR_TRY_VOID(expect(";"));
        world.includes.emplace_back(std::move(path), pos);
        continue;
      }
      ACTR_TRY(TypeDefPtr def, typedef_item(docs));
      if (def) {
        world.types.push_back(std::move(def));
        continue;
      }
      if (!cur_.is_keyword("import") && !cur_.is_keyword("export")) {
        return unexpected("`}`, `import`, `export`, `use`, `include` or a type definition");
      }
      WorldItem item;
      item.is_export = cur_.text == "export";
      ACTR_TRY_VOID(bump());
      item.pos = cur_.pos;
      ACTR_TRY(std::string first, identifier("an interface name, path or function name"));
      if (cur_.is(":")) {
        ACTR_TRY_VOID(bump());
        if (cur_.is_keyword("func") || cur_.is_keyword("async")) {
          item.tag = WorldItem::Tag::Function;
          item.name = first;
          item.function.name = first;
          item.function.docs = docs;
          item.function.pos = item.pos;
          ACTR_TRY_VOID(func_type(item.function));
          ACTR_TRY_VOID(expect(";"));
        } else if (cur_.is_keyword("interface")) {
          ACTR_TRY_VOID(bump());
          item.tag = WorldItem::Tag::InlineInterface;
          item.name = first;
          item.inline_interface = std::make_shared<Interface>();
          item.inline_interface->docs = docs;
          item.inline_interface->pos = item.pos;
          ACTR_TRY_VOID(interface_body(*item.inline_interface));
        } else {
          // `ns:pkg/iface[@version]`
          ACTR_TRY(std::string pkg, identifier("`func`, `interface` or a package name"));
          ACTR_TRY_VOID(expect("/"));
          ACTR_TRY(std::string iface, identifier("an interface name"));
          item.tag = WorldItem::Tag::InterfaceRef;
          item.name = first + ":" + pkg + "/" + iface;
          if (cur_.is("@")) {
            ACTR_TRY_VOID(bump());
            ACTR_TRY(std::string v, version());
            item.name += "@" + v;
          }
          ACTR_TRY_VOID(expect(";"));
        }
      } else {
        item.tag = WorldItem::Tag::InterfaceRef;
        item.name = first;
        ACTR_TRY_VOID(expect(";"));
      }
      world.items.push_back(std::move(item));
    }
    return bump();
  }

  Lexer lexer_;
  Token cur_;
  File file_;
  int type_depth_ = 0;
};

}  // namespace

Result<File> parse_file(std::string_view source, std::string path) {
  return Parser(source, std::move(path)).run();
}

}  // namespace actr::witgen
