#include "witgen/resolver.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "witgen/parser.hpp"

namespace actr::witgen {

namespace {

Error error_at(const Pos& p, const std::string& what) {
  return make_error(to_string(p) + ": " + what);
}

// Splits `ns:pkg/name@version` (the version may be absent).
struct Path {
  std::string ns, pkg, name, version;
};
std::optional<Path> split_path(std::string_view path) {
  size_t colon = path.find(':');
  size_t slash = path.find('/');
  if (colon == std::string_view::npos || slash == std::string_view::npos || slash < colon) {
    return std::nullopt;
  }
  Path p;
  p.ns = std::string(path.substr(0, colon));
  p.pkg = std::string(path.substr(colon + 1, slash - colon - 1));
  std::string_view rest = path.substr(slash + 1);
  size_t at = rest.find('@');
  p.name = std::string(rest.substr(0, at));
  if (at != std::string_view::npos) p.version = std::string(rest.substr(at + 1));
  return p;
}

class Resolver {
 public:
  explicit Resolver(std::vector<std::shared_ptr<Package>>& packages) : packages_(packages) {}

  Result<void> run() {
    for (auto& pkg : packages_) {
      for (auto& iface : pkg->interfaces) ACTR_TRY_VOID(prepare(*iface, *pkg));
      for (auto& world : pkg->worlds) {
        for (auto& item : world.items) {
          if (item.tag == WorldItem::Tag::InlineInterface) {
            item.inline_interface->name = item.name;
            ACTR_TRY_VOID(prepare(*item.inline_interface, *pkg));
            item.target = item.inline_interface.get();
          }
        }
      }
    }
    for (auto& pkg : packages_) {
      for (auto& iface : pkg->interfaces) ACTR_TRY_VOID(resolve_interface(*iface));
      for (auto& world : pkg->worlds) ACTR_TRY_VOID(resolve_world(world, *pkg));
    }
    return {};
  }

 private:
  const Package* find_package(const Path& p) const {
    const Package* found = nullptr;
    for (const auto& pkg : packages_) {
      if (pkg->name.ns != p.ns || pkg->name.name != p.pkg) continue;
      if (!p.version.empty() && pkg->name.version != p.version) continue;
      found = pkg.get();
    }
    return found;
  }

  // An interface by `use` path: a name in `home`, or `ns:pkg/name@version` elsewhere.
  Result<Interface*> find_interface(std::string_view path, const Package& home, const Pos& pos) {
    if (auto alias = home.use_aliases.find(path); alias != home.use_aliases.end()) {
      path = alias->second;
    }
    if (path.find(':') == std::string_view::npos) {
      for (const auto& i : home.interfaces) {
        if (i->name == path) return i.get();
      }
      return error_at(pos, "no interface `" + std::string(path) + "` in package `" +
                               home.name.to_string() + "`");
    }
    auto p = split_path(path);
    if (!p) return error_at(pos, "malformed interface path `" + std::string(path) + "`");
    const Package* pkg = find_package(*p);
    if (!pkg) {
      return error_at(pos, "unknown package `" + p->ns + ":" + p->pkg +
                               (p->version.empty() ? "" : "@" + p->version) +
                               "` (put its .wit files in a deps/ directory)");
    }
    for (const auto& i : pkg->interfaces) {
      if (i->name == p->name) return i.get();
    }
    return error_at(pos,
                    "no interface `" + p->name + "` in package `" + pkg->name.to_string() + "`");
  }

  Result<void> prepare(Interface& iface, const Package& pkg) {
    iface.package = &pkg;
    for (auto& def : iface.types) {
      def->owner = &iface;
      if (!iface.scope.emplace(def->name, def.get()).second) {
        return error_at(def->pos, "type `" + def->name + "` is defined twice");
      }
    }
    std::set<std::string, std::less<>> funcs;
    for (const auto& f : iface.functions) {
      if (!funcs.insert(f.name).second) {
        return error_at(f.pos, "function `" + f.name + "` is defined twice");
      }
      if (iface.scope.count(f.name)) {
        return error_at(f.pos, "`" + f.name + "` is both a type and a function");
      }
    }
    return {};
  }

  // Brings the names of `uses` into `scope`; the used interfaces' own uses first, since names
  // brought in by `use` can be used again from elsewhere.
  Result<void> apply_uses(std::vector<Use>& uses, const Package& home,
                          std::map<std::string, const TypeDef*, std::less<>>& scope) {
    for (auto& use : uses) {
      ACTR_TRY(Interface * from, find_interface(use.path, home, use.pos));
      ACTR_TRY_VOID(resolve_uses_of(*from, use.pos));
      for (const auto& n : use.names) {
        auto it = from->scope.find(n.name);
        if (it == from->scope.end()) {
          return error_at(n.pos, "interface `" + use.path + "` has no type `" + n.name + "`");
        }
        const std::string& local = n.as.empty() ? n.name : n.as;
        if (!scope.emplace(local, it->second).second) {
          return error_at(n.pos, "name `" + local + "` is already defined here");
        }
      }
    }
    return {};
  }

  Result<void> resolve_uses_of(Interface& iface, const Pos& from) {
    auto state = use_state_.find(&iface);
    if (state != use_state_.end()) {
      if (state->second) return {};
      return error_at(
          from, "interfaces use each other in a cycle (through `" + iface.qualified_name() + "`)");
    }
    use_state_[&iface] = false;
    ACTR_TRY_VOID(apply_uses(iface.uses, *iface.package, iface.scope));
    use_state_[&iface] = true;
    return {};
  }

  Result<void> resolve_type(Type& t,
                            const std::map<std::string, const TypeDef*, std::less<>>& scope) {
    switch (t.tag) {
      case Type::Tag::Primitive:
        return {};
      case Type::Tag::Ref:
      case Type::Tag::Own:
      case Type::Tag::Borrow: {
        auto it = scope.find(t.name);
        if (it == scope.end()) {
          return error_at(t.pos, "unknown type `" + t.name + "`");
        }
        t.def = it->second;
        if (t.tag != Type::Tag::Ref) {
          const TypeDef* d = t.def;
          for (int hops = 0; d && d->tag == TypeDef::Tag::Alias && hops < 64; ++hops) {
            d = d->alias->def;
          }
          if (d && d->tag != TypeDef::Tag::Resource) {
            return error_at(t.pos, "`" + t.name + "` is not a resource");
          }
        }
        return {};
      }
      case Type::Tag::List:
      case Type::Tag::Option:
        return resolve_type(*t.elem, scope);
      case Type::Tag::Map:
        ACTR_TRY_VOID(resolve_type(*t.key, scope));
        return resolve_type(*t.elem, scope);
      case Type::Tag::Result:
        if (t.ok) ACTR_TRY_VOID(resolve_type(*t.ok, scope));
        if (t.err) ACTR_TRY_VOID(resolve_type(*t.err, scope));
        return {};
      case Type::Tag::Tuple:
        for (auto& item : t.items) ACTR_TRY_VOID(resolve_type(*item, scope));
        return {};
    }
    return {};
  }

  Result<void> resolve_function(Function& f,
                                const std::map<std::string, const TypeDef*, std::less<>>& scope) {
    std::set<std::string, std::less<>> names;
    for (auto& p : f.params) {
      if (!names.insert(p.name).second) {
        return error_at(p.type->pos, "parameter `" + p.name + "` appears twice");
      }
      ACTR_TRY_VOID(resolve_type(*p.type, scope));
    }
    if (f.result) ACTR_TRY_VOID(resolve_type(*f.result, scope));
    for (auto& r : f.named_results) ACTR_TRY_VOID(resolve_type(*r.type, scope));
    return {};
  }

  Result<void> resolve_defs(std::vector<TypeDefPtr>& types,
                            const std::map<std::string, const TypeDef*, std::less<>>& scope) {
    for (auto& def : types) {
      switch (def->tag) {
        case TypeDef::Tag::Alias:
          ACTR_TRY_VOID(resolve_type(*def->alias, scope));
          break;
        case TypeDef::Tag::Record:
          if (def->fields.empty())
            return error_at(def->pos, "record `" + def->name + "` has no fields");
          for (auto& f : def->fields) ACTR_TRY_VOID(resolve_type(*f.type, scope));
          break;
        case TypeDef::Tag::Variant:
          if (def->cases.empty())
            return error_at(def->pos, "variant `" + def->name + "` has no cases");
          for (auto& c : def->cases) {
            if (c.type) ACTR_TRY_VOID(resolve_type(*c.type, scope));
          }
          break;
        case TypeDef::Tag::Enum:
          if (def->names.empty())
            return error_at(def->pos, "enum `" + def->name + "` has no cases");
          break;
        case TypeDef::Tag::Flags:
          if (def->names.size() > 32) {
            return error_at(def->pos, "flags `" + def->name + "` has more than 32 labels");
          }
          break;
        case TypeDef::Tag::Resource:
          for (auto& f : def->functions) ACTR_TRY_VOID(resolve_function(f, scope));
          break;
      }
    }
    return {};
  }

  Result<void> resolve_interface(Interface& iface) {
    ACTR_TRY_VOID(resolve_uses_of(iface, iface.pos));
    ACTR_TRY_VOID(resolve_defs(iface.types, iface.scope));
    for (auto& f : iface.functions) ACTR_TRY_VOID(resolve_function(f, iface.scope));
    return {};
  }

  Result<const World*> find_world(std::string_view path, const Package& home, const Pos& pos) {
    if (path.find(':') == std::string_view::npos) {
      if (const World* w = home.find_world(path)) return w;
      return error_at(
          pos, "no world `" + std::string(path) + "` in package `" + home.name.to_string() + "`");
    }
    auto p = split_path(path);
    const Package* pkg = p ? find_package(*p) : nullptr;
    if (!pkg) return error_at(pos, "unknown package in `" + std::string(path) + "`");
    if (const World* w = pkg->find_world(p->name)) return w;
    return error_at(pos, "no world `" + p->name + "` in package `" + pkg->name.to_string() + "`");
  }

  Result<void> resolve_world(World& world, const Package& pkg) {
    if (world_done_.count(&world)) return {};
    if (!world_busy_.insert(&world).second) {
      return error_at(world.pos, "world `" + world.name + "` includes itself");
    }
    for (auto& def : world.types) {
      if (!world.scope.emplace(def->name, def.get()).second) {
        return error_at(def->pos, "type `" + def->name + "` is defined twice");
      }
    }
    ACTR_TRY_VOID(apply_uses(world.uses, pkg, world.scope));
    ACTR_TRY_VOID(resolve_defs(world.types, world.scope));
    for (auto& item : world.items) {
      switch (item.tag) {
        case WorldItem::Tag::InterfaceRef: {
          ACTR_TRY(Interface * target, find_interface(item.name, pkg, item.pos));
          item.target = target;
          break;
        }
        case WorldItem::Tag::InlineInterface:
          ACTR_TRY_VOID(resolve_interface(*item.inline_interface));
          break;
        case WorldItem::Tag::Function:
          ACTR_TRY_VOID(resolve_function(item.function, world.scope));
          break;
      }
    }
    for (const auto& [path, pos] : world.includes) {
      ACTR_TRY(const World* included, find_world(path, pkg, pos));
      auto* mutable_included = const_cast<World*>(included);
      const Package* included_pkg = &pkg;
      if (path.find(':') != std::string::npos) included_pkg = find_package(*split_path(path));
      ACTR_TRY_VOID(resolve_world(*mutable_included, *included_pkg));
      for (const auto& item : included->items) {
        bool present = std::any_of(world.items.begin(), world.items.end(), [&](const WorldItem& w) {
          return w.is_export == item.is_export && w.target && w.target == item.target &&
                 item.tag != WorldItem::Tag::Function;
        });
        if (!present) world.items.push_back(item);
      }
    }
    world_busy_.erase(&world);
    world_done_.insert(&world);
    return {};
  }

  std::vector<std::shared_ptr<Package>>& packages_;
  std::map<const Interface*, bool> use_state_;  // false: in progress, true: done
  std::set<const World*> world_busy_, world_done_;
};

Result<std::string> read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error("cannot read `" + p.string() + "`");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<std::vector<File>> parse_dir_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".wit") paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<File> files;
  for (const auto& p : paths) {
    ACTR_TRY(std::string text, read_text(p));
    ACTR_TRY(File f, parse_file(text, p.string()));
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace

const Package* PackageSet::find(std::string_view name) const {
  for (const auto& p : packages_) {
    if (p->name.to_string() == name || p->name.ns + ":" + p->name.name == name) return p.get();
  }
  return nullptr;
}

Result<const World*> PackageSet::world(std::string_view name) const {
  if (name.find(':') == std::string_view::npos) {
    if (const World* w = main().find_world(name)) return w;
    std::string known;
    for (const auto& w : main().worlds) known += (known.empty() ? "" : ", ") + w.name;
    return make_error("no world `" + std::string(name) + "` in package `" +
                      main().name.to_string() + "` (worlds: " + (known.empty() ? "none" : known) +
                      ")");
  }
  auto p = split_path(name);
  if (p) {
    for (const auto& pkg : packages_) {
      if (pkg->name.ns == p->ns && pkg->name.name == p->pkg &&
          (p->version.empty() || p->version == pkg->name.version)) {
        if (const World* w = pkg->find_world(p->name)) return w;
      }
    }
  }
  return make_error("no world `" + std::string(name) + "`");
}

Result<PackageSet> resolve(std::vector<std::vector<File>> groups) {
  PackageSet set;
  for (auto& files : groups) {
    if (files.empty()) continue;
    auto pkg = std::make_shared<Package>();
    const File* named = nullptr;
    for (const auto& f : files) {
      if (!f.package) continue;
      if (named && !(*named->package == *f.package)) {
        return error_at(f.package_pos, "package `" + f.package->to_string() + "` differs from `" +
                                           named->package->to_string() + "` declared in " +
                                           named->path);
      }
      if (!named) named = &f;
    }
    if (!named) {
      return make_error(files.front().path +
                        ": no `package` declaration (e.g. `package ns:name;`)");
    }
    pkg->name = *named->package;
    pkg->docs = named->package_docs;
    for (auto& f : files) {
      for (const auto& use : f.uses) {
        for (const auto& n : use.names) {
          pkg->use_aliases[n.as.empty() ? n.name : n.as] = use.path;
        }
      }
      for (auto& i : f.interfaces) {
        if (pkg->find_interface(i->name)) {
          return error_at(i->pos, "interface `" + i->name + "` is defined twice");
        }
        pkg->interfaces.push_back(std::move(i));
      }
      for (auto& w : f.worlds) {
        if (pkg->find_world(w.name)) {
          return error_at(w.pos, "world `" + w.name + "` is defined twice");
        }
        pkg->worlds.push_back(std::move(w));
      }
    }
    set.packages_.push_back(std::move(pkg));
  }
  if (set.packages_.empty()) return make_error("no WIT files given");
  Resolver resolver(set.packages_);
  ACTR_TRY_VOID(resolver.run());
  return set;
}

Result<PackageSet> resolve_sources(
    const std::vector<std::vector<std::pair<std::string, std::string>>>& groups) {
  std::vector<std::vector<File>> parsed;
  for (const auto& group : groups) {
    std::vector<File> files;
    for (const auto& [path, text] : group) {
      ACTR_TRY(File f, parse_file(text, path));
      files.push_back(std::move(f));
    }
    parsed.push_back(std::move(files));
  }
  return resolve(std::move(parsed));
}

Result<PackageSet> load_wit(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) return make_error("`" + path + "` does not exist");
  std::vector<std::vector<File>> groups;
  if (!fs::is_directory(path, ec)) {
    ACTR_TRY(std::string text, read_text(path));
    ACTR_TRY(File f, parse_file(text, path));
    groups.push_back({});
    groups.back().push_back(std::move(f));
    return resolve(std::move(groups));
  }
  ACTR_TRY(std::vector<File> main_files, parse_dir_files(path));
  if (main_files.empty()) return make_error("no .wit files in `" + path + "`");
  groups.push_back(std::move(main_files));
  fs::path deps = fs::path(path) / "deps";
  if (fs::is_directory(deps, ec)) {
    std::vector<fs::path> entries;
    for (const auto& e : fs::directory_iterator(deps)) entries.push_back(e.path());
    std::sort(entries.begin(), entries.end());
    for (const auto& e : entries) {
      if (fs::is_directory(e)) {
        ACTR_TRY(std::vector<File> files, parse_dir_files(e));
        groups.push_back(std::move(files));
      } else if (e.extension() == ".wit") {
        ACTR_TRY(std::string text, read_text(e));
        ACTR_TRY(File f, parse_file(text, e.string()));
        groups.push_back({});
        groups.back().push_back(std::move(f));
      }
    }
  }
  return resolve(std::move(groups));
}

}  // namespace actr::witgen
