#include "componentize/componentize.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "actr/component/canonical/layout.hpp"
#include "component/binary/core_reader.hpp"
#include "component/binary/core_writer.hpp"
#include "component/binary/decoder.hpp"
#include "component/binary/encoder.hpp"
#include "component/validate/validator.hpp"
#include "componentize/type_spaces.hpp"
#include "witgen/component_types.hpp"

namespace actr::componentize {
namespace {

using witgen::Function;
using witgen::Interface;
using witgen::TypeDef;
using witgen::WorldItem;

ast::TypeDecl decl(ast::TypeDecl::Kind kind) {
  ast::TypeDecl d;
  d.kind = kind;
  return d;
}

ast::Definition definition_of(ast::Definition::Kind kind) {
  ast::Definition d;
  d.kind = kind;
  return d;
}

// ---- what the canonical options of a function must be (as wit-component decides them) ----

struct Needs {
  bool memory = false, realloc = false, utf8 = false;
};

struct Contents {
  bool list = false, string = false;
};

void contents_of(const component::ValueType& t, Contents& c) {
  using component::Kind;
  auto sub = [&](const component::TypeRef& r) {
    if (r) contents_of(*r, c);
  };
  switch (t.kind) {
    case Kind::String:
      c.string = true;
      break;
    case Kind::List:
    case Kind::Map:
      c.list = true;
      sub(t.key);
      sub(t.elem);
      break;
    case Kind::FixedList:
    case Kind::Option:
      sub(t.elem);
      break;
    case Kind::Record:
      for (const auto& f : t.fields) sub(f.type);
      break;
    case Kind::Tuple:
      for (const auto& i : t.items) sub(i);
      break;
    case Kind::Variant:
      for (const auto& cs : t.cases) sub(cs.type);
      break;
    case Kind::Result:
      sub(t.ok);
      sub(t.err);
      break;
    default:
      break;
  }
}

Contents contents_of(const std::vector<component::Param>& ps) {
  Contents c;
  for (const auto& p : ps) {
    if (p.type) contents_of(*p.type, c);
  }
  return c;
}

// Values the host writes into the guest (lowered) need memory and realloc, values it reads
// (lifted) only memory; strings need the encoding either way.
void lowered(const Contents& c, Needs& n) {
  if (c.list || c.string) n.memory = n.realloc = true;
  if (c.string) n.utf8 = true;
}
void lifted(const Contents& c, Needs& n) {
  if (c.list || c.string) n.memory = true;
  if (c.string) n.utf8 = true;
}

Needs needs_of(const component::FuncType& ft, bool is_import) {
  namespace canonical = component::canonical;
  Needs n;
  bool indirect_params =
      canonical::flat_count(ft.params, canonical::kMaxFlatParams) > canonical::kMaxFlatParams;
  bool retptr =
      canonical::flat_count(ft.results, canonical::kMaxFlatResults) > canonical::kMaxFlatResults;
  if (is_import) {
    lifted(contents_of(ft.params), n);
    lowered(contents_of(ft.results), n);
  } else {
    lowered(contents_of(ft.params), n);
    lifted(contents_of(ft.results), n);
    if (indirect_params) n.realloc = true;
  }
  if (indirect_params || retptr) n.memory = true;
  return n;
}

// ---- the world's functions as the core module sees them ----

struct Func {
  const WorldItem* item = nullptr;
  const Interface* iface = nullptr;  // null: a function of the world itself
  const Function* fn = nullptr;
  std::string core_module;  // imports: the module name of the core import
  std::string core_name;    // imports: the field name; exports: the export name
  component::FuncType type;
  wasm::FuncType core_type;
  Needs needs;
  bool post_return = false;
  size_t order = 0;  // declaration order in the world
};

std::string item_name(const WorldItem& item) {
  if (item.tag == WorldItem::Tag::InterfaceRef) return item.target->qualified_name();
  if (item.tag == WorldItem::Tag::Function) return item.function.name;
  return item.name;
}

const wasm::ExportType* find_export(const component::binary::CoreModuleInterface& core,
                                    std::string_view name) {
  for (const auto& e : core.exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

// ---- the component under construction ----

class Builder;

// The component's own type index space.
class TopSpace : public TypeSpace {
 public:
  explicit TopSpace(Builder& b) : b_(b) {}

 protected:
  uint32_t define(ast::TypeDef type) override;
  Result<uint32_t> provide(const TypeDef& def) override;

 private:
  Builder& b_;
};

// The type of an imported instance: the types of interface `iface` it exports, then functions.
class InstanceSpace : public TypeSpace {
 public:
  InstanceSpace(const Interface& iface, TopSpace& top) : iface_(iface), top_(top) {}
  Result<void> export_func(const Function& f) {
    ACTR_TRY(uint32_t type, functype(f));
    auto d = decl(ast::TypeDecl::Kind::Export);
    d.export_.name = f.name;
    d.export_.desc.kind = ast::ExternDesc::Kind::Func;
    d.export_.desc.type_index = type;
    decls_.push_back(std::move(d));
    return {};
  }
  ast::InstanceTypeDef take() { return ast::InstanceTypeDef{std::move(decls_)}; }

 protected:
  uint32_t define(ast::TypeDef type) override {
    auto d = decl(ast::TypeDecl::Kind::Type);
    d.type = std::make_shared<ast::TypeDef>(std::move(type));
    decls_.push_back(std::move(d));
    return types_++;
  }
  Result<uint32_t> provide(const TypeDef& def) override {
    uint32_t index = 0;
    if (def.owner == &iface_) {
      ACTR_TRY(index, definition(def));
    } else {
      ACTR_TRY(uint32_t outer, top_.named(def));
      auto a = decl(ast::TypeDecl::Kind::Alias);
      a.alias.sort = ast::Sort::Type;
      a.alias.target = ast::Alias::Target::Outer;
      a.alias.outer_count = 1;
      a.alias.outer_index = outer;
      decls_.push_back(std::move(a));
      index = types_++;
    }
    auto e = decl(ast::TypeDecl::Kind::Export);
    e.export_.name = local_name(iface_, def);
    e.export_.desc.kind = ast::ExternDesc::Kind::Type;
    e.export_.desc.bound.eq = index;
    decls_.push_back(std::move(e));
    return types_++;
  }

 private:
  const Interface& iface_;
  TopSpace& top_;
  std::vector<ast::TypeDecl> decls_;
  uint32_t types_ = 0;
};

// The shim component of an exported interface: it imports the lifted functions and the types
// they use (each with its structure, `(eq)` to the outer type it is instantiated with), then
// exports the interface's types and the functions ascribed with types naming those exports.
class ShimSpace : public TypeSpace {
 public:
  explicit ShimSpace(const Interface& iface) : iface_(iface) {
    component_ = std::make_shared<ast::Component>();
  }
  Result<uint32_t> named(const TypeDef& def) override {
    if (exporting_) {
      if (auto it = exported_.find(&def); it != exported_.end()) return it->second;
    }
    return TypeSpace::named(def);
  }
  Result<void> import_func(const Function& f) {
    ACTR_TRY(uint32_t type, functype(f));
    auto d = definition_of(ast::Definition::Kind::Import);
    d.import.name = "import-func-" + f.name;
    d.import.desc.kind = ast::ExternDesc::Kind::Func;
    d.import.desc.type_index = type;
    component_->defs.push_back(std::move(d));
    ++funcs_;
    return {};
  }
  void begin_exports() {
    exporting_ = true;
    forget_shared();
  }
  Result<void> export_type(const TypeDef& def) {
    ACTR_TRY(uint32_t index, TypeSpace::named(def));
    auto d = definition_of(ast::Definition::Kind::Export);
    d.export_.name = local_name(iface_, def);
    d.export_.item = {ast::Sort::Type, index};
    component_->defs.push_back(std::move(d));
    exported_[&def] = types_++;
    return {};
  }
  Result<void> export_func(const Function& f, uint32_t imported) {
    ACTR_TRY(uint32_t type, functype(f));
    auto d = definition_of(ast::Definition::Kind::Export);
    d.export_.name = f.name;
    d.export_.item = {ast::Sort::Func, imported};
    d.export_.ascribed = ast::ExternDesc{ast::ExternDesc::Kind::Func, type, {}};
    component_->defs.push_back(std::move(d));
    ++funcs_;
    return {};
  }
  std::shared_ptr<ast::Component> component() const { return component_; }
  const std::vector<std::pair<std::string, const TypeDef*>>& type_imports() const {
    return type_imports_;
  }

 protected:
  uint32_t define(ast::TypeDef type) override {
    auto d = definition_of(ast::Definition::Kind::Type);
    d.type = std::make_shared<ast::TypeDef>(std::move(type));
    component_->defs.push_back(std::move(d));
    return types_++;
  }
  Result<uint32_t> provide(const TypeDef& def) override {
    ACTR_TRY(uint32_t structure, definition(def));
    std::string name = "import-type-" + def.name;
    for (int n = 0; names_.count(name); ++n) name = "import-type-" + def.name + std::to_string(n);
    names_.insert(name);
    auto d = definition_of(ast::Definition::Kind::Import);
    d.import.name = name;
    d.import.desc.kind = ast::ExternDesc::Kind::Type;
    d.import.desc.bound.eq = structure;
    component_->defs.push_back(std::move(d));
    type_imports_.emplace_back(name, &def);
    return types_++;
  }

 private:
  const Interface& iface_;
  std::shared_ptr<ast::Component> component_;
  uint32_t types_ = 0, funcs_ = 0;
  bool exporting_ = false;
  std::map<const TypeDef*, uint32_t> exported_;
  std::set<std::string> names_;
  std::vector<std::pair<std::string, const TypeDef*>> type_imports_;
};

class Builder {
 public:
  Builder() : top(*this) {}

  // Appends `d`, which adds to the index space of `sort`; returns its index there.
  uint32_t add(ast::Definition d, ast::Sort sort) {
    root.defs.push_back(std::move(d));
    return counts_[static_cast<size_t>(sort)]++;
  }
  uint32_t module(std::span<const uint8_t> bytes) {
    auto d = definition_of(ast::Definition::Kind::CoreModule);
    d.module_offset = static_cast<uint32_t>(bytes_->size());
    d.module_size = static_cast<uint32_t>(bytes.size());
    bytes_->insert(bytes_->end(), bytes.begin(), bytes.end());
    return add(std::move(d), ast::Sort::CoreModule);
  }
  uint32_t alias_export(uint32_t instance, std::string name, ast::Sort sort) {
    auto d = definition_of(ast::Definition::Kind::Alias);
    d.alias.sort = sort;
    d.alias.target = ast::Alias::Target::Export;
    d.alias.instance = instance;
    d.alias.name = std::move(name);
    return add(std::move(d), sort);
  }
  uint32_t alias_core_export(uint32_t instance, std::string name, ast::Sort sort) {
    auto d = definition_of(ast::Definition::Kind::Alias);
    d.alias.sort = sort;
    d.alias.target = ast::Alias::Target::CoreExport;
    d.alias.instance = instance;
    d.alias.name = std::move(name);
    return add(std::move(d), sort);
  }
  uint32_t core_bundle(std::vector<std::pair<std::string, uint32_t>> funcs) {
    auto d = definition_of(ast::Definition::Kind::CoreInstance);
    d.core_instance.instantiate = false;
    for (auto& [name, f] : funcs)
      d.core_instance.exports.push_back({name, {ast::Sort::CoreFunc, f}});
    return add(std::move(d), ast::Sort::CoreInstance);
  }
  uint32_t core_instantiate(uint32_t module, std::vector<std::pair<std::string, uint32_t>> args) {
    auto d = definition_of(ast::Definition::Kind::CoreInstance);
    d.core_instance.module = module;
    for (auto& [name, i] : args) d.core_instance.args.push_back({name, i});
    return add(std::move(d), ast::Sort::CoreInstance);
  }
  Result<std::vector<uint8_t>> finish() {
    root.bytes = bytes_;
    return component::binary::encode(root);
  }

  ast::Component root;
  TopSpace top;
  // The top-level instance that provides the types of an interface (imported or exported).
  std::map<const Interface*, uint32_t> instance_of;
  // Interfaces exported by the world: their own types are defined at the top level.
  std::set<const Interface*> exported;

 private:
  std::array<uint32_t, 13> counts_{};
  std::shared_ptr<std::vector<uint8_t>> bytes_ = std::make_shared<std::vector<uint8_t>>();
};

uint32_t TopSpace::define(ast::TypeDef type) {
  auto d = definition_of(ast::Definition::Kind::Type);
  d.type = std::make_shared<ast::TypeDef>(std::move(type));
  return b_.add(std::move(d), ast::Sort::Type);
}

Result<uint32_t> TopSpace::provide(const TypeDef& def) {
  if (auto it = b_.instance_of.find(def.owner); it != b_.instance_of.end()) {
    return b_.alias_export(it->second, def.name, ast::Sort::Type);
  }
  if (def.owner && b_.exported.count(def.owner)) return definition(def);
  return make_error(witgen::to_string(def.pos) + ": type `" + def.name +
                    "` is defined in the world itself, which actr-componentize does not support");
}

// ---- which named types are used, in the order wit-component visits them ----

class Liveness {
 public:
  void type(const witgen::Type& t) {
    if (t.def) def(*t.def);
    if (t.elem) type(*t.elem);
    if (t.key) type(*t.key);
    if (t.ok) type(*t.ok);
    if (t.err) type(*t.err);
    for (const auto& i : t.items) type(*i);
  }
  void def(const TypeDef& d) {
    if (!seen_.insert(&d).second) return;
    if (d.alias) type(*d.alias);
    for (const auto& f : d.fields) type(*f.type);
    for (const auto& c : d.cases) {
      if (c.type) type(*c.type);
    }
    order.push_back(&d);
  }
  void func(const Function& f) {
    for (const auto& p : f.params) type(*p.type);
    if (f.result) type(*f.result);
    for (const auto& r : f.named_results) type(*r.type);
  }
  std::vector<const TypeDef*> order;

 private:
  std::set<const TypeDef*> seen_;
};

// Named types a function mentions directly (through anonymous types, not into named ones).
void direct_names(const witgen::Type& t, std::vector<const TypeDef*>& out) {
  if (t.def) {
    if (std::find(out.begin(), out.end(), t.def) == out.end()) out.push_back(t.def);
    return;
  }
  if (t.elem) direct_names(*t.elem, out);
  if (t.key) direct_names(*t.key, out);
  if (t.ok) direct_names(*t.ok, out);
  if (t.err) direct_names(*t.err, out);
  for (const auto& i : t.items) direct_names(*i, out);
}

// The types an interface exposes (its `use`d names and its own types), in source order.
std::vector<const TypeDef*> exposed_types(const Interface& iface) {
  std::vector<std::pair<std::pair<uint32_t, uint32_t>, const TypeDef*>> items;
  for (const auto& use : iface.uses) {
    for (const auto& n : use.names) {
      auto it = iface.scope.find(n.as.empty() ? n.name : n.as);
      if (it != iface.scope.end()) items.push_back({{n.pos.line, n.pos.column}, it->second});
    }
  }
  for (const auto& t : iface.types) items.push_back({{t->pos.line, t->pos.column}, t.get()});
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const TypeDef*> out;
  for (const auto& [pos, def] : items) out.push_back(def);
  return out;
}

std::string signature_error(const std::string& what, const wasm::FuncType& have,
                            const wasm::FuncType& want) {
  return what + " has core type " + have.to_string() + ", but the world needs " + want.to_string();
}

// ---- the glue modules ----

// Trampolines "0".."n-1" that call entry i of the table "$imports" (filled later by the fixup).
std::vector<uint8_t> shim_module(const std::vector<const Func*>& indirect) {
  component::binary::CoreModuleWriter m;
  std::vector<uint32_t> types;
  for (const auto* f : indirect) types.push_back(m.type(f->core_type));
  auto n = static_cast<uint32_t>(indirect.size());
  m.table({wasm::ValType::FuncRef, {n, n}});
  for (uint32_t i = 0; i < n; ++i) {
    std::vector<uint8_t> code;
    auto params = static_cast<uint32_t>(indirect[i]->core_type.params.size());
    for (uint32_t p = 0; p < params; ++p) component::binary::CoreModuleWriter::local_get(code, p);
    component::binary::CoreModuleWriter::i32_const(code, static_cast<int32_t>(i));
    component::binary::CoreModuleWriter::call_indirect(code, types[i], 0);
    m.export_item(std::to_string(i), wasm::ExternKind::Func, m.func(types[i], std::move(code)));
  }
  m.export_item("$imports", wasm::ExternKind::Table, 0);
  return m.finish();
}

// Fills the shim's table with the lowered functions ("actual") and runs `_initialize` of "main".
std::vector<uint8_t> fixup_module(const std::vector<const Func*>& indirect, bool initialize) {
  component::binary::CoreModuleWriter m;
  auto n = static_cast<uint32_t>(indirect.size());
  std::vector<uint32_t> funcs;
  for (uint32_t i = 0; i < n; ++i) {
    funcs.push_back(m.import_func("actual", std::to_string(i), m.type(indirect[i]->core_type)));
  }
  if (initialize) m.start(m.import_func("main", "_initialize", m.type({})));
  if (n > 0) {
    m.import_table("shim", "$imports", {wasm::ValType::FuncRef, {n, n}});
    m.elements(0, funcs);
  }
  return m.finish();
}

class Wrapper {
 public:
  Wrapper(const witgen::World& world, std::span<const uint8_t> core) : world_(world), core_(core) {}

  Result<std::vector<uint8_t>> run() {
    ACTR_TRY(core_iface_, component::binary::read_core_module(core_, 0));
    ACTR_TRY_VOID(check_world());
    ACTR_TRY_VOID(match_imports());
    ACTR_TRY_VOID(match_exports());
    ACTR_TRY_VOID(check_core_items());
    ACTR_TRY_VOID(import_instances());
    ACTR_TRY_VOID(instantiate_main());
    ACTR_TRY_VOID(export_items());
    ACTR_TRY(auto bytes, b_.finish());
    // Decoding and validating our own output catches a wrong index before anyone loads it.
    ACTR_TRY(auto decoded, component::binary::decode(bytes));
    auto valid = component::validate::validate(*decoded);
    if (!valid) {
      return make_error("internal error: the component written does not validate: " +
                        valid.error().message);
    }
    return bytes;
  }

 private:
  Result<void> check_world() {
    if (!world_.types.empty()) {
      return make_error(witgen::to_string(world_.types.front()->pos) +
                        ": types defined in a world are not supported by actr-componentize");
    }
    for (size_t i = 0; i < world_.items.size(); ++i) {
      const auto& item = world_.items[i];
      const Interface* iface = item.tag == WorldItem::Tag::Function ? nullptr : item.target;
      if (item.tag != WorldItem::Tag::Function && !iface) {
        return make_error(witgen::to_string(item.pos) + ": unresolved world item `" + item.name +
                          "`");
      }
      if (item.is_export && iface) b_.exported.insert(iface);
      if (!iface) continue;
      for (const auto& [name, def] : iface->scope) {
        if (def->tag == TypeDef::Tag::Resource) {
          return make_error(witgen::to_string(def->pos) + ": resource `" + name + "` of `" +
                            item_name(item) +
                            "`: resources are not supported by actr-componentize; build this "
                            "guest with jco (actr_add_guest_component(... JCO))");
        }
      }
    }
    return {};
  }

  Result<Func*> lookup_import(const wasm::ImportType& imp) {
    for (size_t i = 0; i < world_.items.size(); ++i) {
      const auto& item = world_.items[i];
      if (item.is_export) continue;
      bool free = item.tag == WorldItem::Tag::Function;
      if (free ? imp.module != "$root" || imp.name != item.function.name
               : imp.module != item_name(item)) {
        continue;
      }
      const Function* fn = free ? &item.function : nullptr;
      size_t order = i << 16;
      if (!free) {
        const auto& fs = item.target->functions;
        for (size_t k = 0; k < fs.size(); ++k) {
          if (fs[k].name == imp.name) {
            fn = &fs[k];
            order += k;
          }
        }
        if (!fn) {
          return make_error("the core module imports `" + imp.module + "`.`" + imp.name +
                            "`, but interface `" + imp.module + "` has no function `" + imp.name +
                            "`");
        }
      }
      Func f;
      f.item = &item;
      f.iface = free ? nullptr : item.target;
      f.fn = fn;
      f.core_module = imp.module;
      f.core_name = imp.name;
      f.order = order;
      funcs_.push_back(std::move(f));
      return &funcs_.back();
    }
    std::string hint;
    if (imp.module.rfind("wasi", 0) == 0) {
      hint =
          " (the guest uses WASI: declare it WASI, which builds it with jco and the preview1 "
          "adapter)";
    }
    return make_error("the core module imports `" + imp.module + "`.`" + imp.name +
                      "`, which is not an import of world `" + world_.name + "`" + hint);
  }

  Result<void> match_imports() {
    for (const auto& imp : core_iface_.imports) {
      if (imp.type.kind != wasm::ExternKind::Func) {
        return make_error("the core module imports " + std::string(wasm::to_string(imp.type.kind)) +
                          " `" + imp.module + "`.`" + imp.name +
                          "`; only functions of the world can be imported");
      }
      ACTR_TRY(Func * found, lookup_import(imp));
      Func& f = *found;
      for (const auto* other : imports_) {
        if (other->fn == f.fn) {
          return make_error("the core module imports `" + imp.module + "`.`" + imp.name +
                            "` twice");
        }
      }
      ACTR_TRY(f.type, types_.func(*f.fn));
      f.core_type =
          component::canonical::flatten_func(f.type, component::canonical::Direction::Lower);
      if (!(f.core_type == imp.type.func)) {
        return make_error(signature_error("the core import `" + imp.module + "`.`" + imp.name + "`",
                                          imp.type.func, f.core_type));
      }
      f.needs = needs_of(f.type, true);
      imports_.push_back(&f);
    }
    // wit-component visits types in the order the core module imports the functions, and lists
    // the functions in the order the world declares them.
    imports_in_core_order_ = imports_;
    std::stable_sort(imports_.begin(), imports_.end(),
                     [](const Func* a, const Func* b) { return a->order < b->order; });
    return {};
  }

  Result<void> add_export(const WorldItem& item, const Interface* iface, const Function& fn,
                          size_t order) {
    Func f;
    f.item = &item;
    f.iface = iface;
    f.fn = &fn;
    f.core_name = iface ? item_name(item) + "#" + fn.name : fn.name;
    f.order = order;
    ACTR_TRY(f.type, types_.func(fn));
    f.core_type = component::canonical::flatten_func(f.type, component::canonical::Direction::Lift);
    const auto* e = find_export(core_iface_, f.core_name);
    if (!e || e->type.kind != wasm::ExternKind::Func) {
      return make_error("the core module does not export function `" + f.core_name +
                        "`, which world `" + world_.name + "` exports (" +
                        witgen::to_string(fn.pos) + ")");
    }
    if (!(e->type.func == f.core_type)) {
      return make_error(
          signature_error("the core export `" + f.core_name + "`", e->type.func, f.core_type));
    }
    if (const auto* post = find_export(core_iface_, "cabi_post_" + f.core_name)) {
      wasm::FuncType want{f.core_type.results, {}};
      if (post->type.kind != wasm::ExternKind::Func || !(post->type.func == want)) {
        return make_error(signature_error("the core export `cabi_post_" + f.core_name + "`",
                                          post->type.func, want));
      }
      f.post_return = true;
    }
    f.needs = needs_of(f.type, false);
    funcs_.push_back(std::move(f));
    exports_.push_back(&funcs_.back());
    return {};
  }

  Result<void> match_exports() {
    for (size_t i = 0; i < world_.items.size(); ++i) {
      const auto& item = world_.items[i];
      if (!item.is_export) continue;
      if (item.tag == WorldItem::Tag::Function) {
        ACTR_TRY_VOID(add_export(item, nullptr, item.function, i << 16));
        continue;
      }
      for (size_t k = 0; k < item.target->functions.size(); ++k) {
        ACTR_TRY_VOID(add_export(item, item.target, item.target->functions[k], (i << 16) + k));
      }
    }
    return {};
  }

  Result<void> check_core_items() {
    bool memory = false, realloc = false;
    for (const auto& f : funcs_) {
      memory |= f.needs.memory;
      realloc |= f.needs.realloc;
    }
    if (memory) {
      const auto* m = find_export(core_iface_, "memory");
      if (!m || m->type.kind != wasm::ExternKind::Memory) {
        return make_error(
            "the core module does not export the memory `memory`, which the "
            "canonical ABI of its world's functions needs");
      }
      memory_needed_ = true;
    }
    if (realloc) {
      const auto* r = find_export(core_iface_, "cabi_realloc");
      wasm::FuncType want{std::vector<wasm::ValType>(4, wasm::ValType::I32), {wasm::ValType::I32}};
      if (!r || r->type.kind != wasm::ExternKind::Func) {
        return make_error(
            "the core module does not export `cabi_realloc`, which the canonical "
            "ABI of its world's functions needs");
      }
      if (!(r->type.func == want)) {
        return make_error(signature_error("the core export `cabi_realloc`", r->type.func, want));
      }
    }
    const auto* init = find_export(core_iface_, "_initialize");
    initialize_ =
        init && init->type.kind == wasm::ExternKind::Func && init->type.func == wasm::FuncType{};
    return {};
  }

  // The imported instances: interfaces whose functions the core module calls, and those whose
  // types are used, each after the ones it takes types from.
  Result<void> import_instances() {
    Liveness live;
    for (const auto* f : imports_in_core_order_) live.func(*f->fn);
    for (const auto& item : world_.items) {
      if (!item.is_export) continue;
      if (item.tag == WorldItem::Tag::Function) {
        live.func(item.function);
        continue;
      }
      for (const auto* def : exposed_types(*item.target)) live.def(*def);
      for (const auto& fn : item.target->functions) live.func(fn);
    }
    // Interfaces to import, in the order their functions or types are first met.
    std::vector<const Interface*> wanted;
    auto want = [&](const Interface* i) {
      if (i && !b_.exported.count(i) && std::find(wanted.begin(), wanted.end(), i) == wanted.end())
        wanted.push_back(i);
    };
    for (const auto* f : imports_in_core_order_) want(f->iface);
    for (const auto* def : live.order) want(def->owner);
    for (const auto* def : live.order) {
      if (!def->owner) {
        return make_error(witgen::to_string(def->pos) + ": type `" + def->name +
                          "` is defined in the world itself, which actr-componentize does not "
                          "support");
      }
    }
    std::set<const Interface*> done;
    for (const auto* iface : wanted) ACTR_TRY_VOID(import_instance(*iface, live, done));
    return {};
  }

  Result<void> import_instance(const Interface& iface, const Liveness& live,
                               std::set<const Interface*>& done) {
    if (!done.insert(&iface).second) return {};
    std::vector<const Function*> fns, core_order;
    for (const auto* f : imports_) {
      if (f->iface == &iface) fns.push_back(f->fn);
    }
    for (const auto* f : imports_in_core_order_) {
      if (f->iface == &iface) core_order.push_back(f->fn);
    }
    std::vector<const TypeDef*> types;
    for (const auto* fn : core_order) {
      for (const auto& p : fn->params) direct_names(*p.type, types);
      if (fn->result) direct_names(*fn->result, types);
      for (const auto& r : fn->named_results) direct_names(*r.type, types);
    }
    for (const auto* def : live.order) {
      if (def->owner == &iface && std::find(types.begin(), types.end(), def) == types.end())
        types.push_back(def);
    }
    // Interfaces whose types these refer to come first.
    Liveness deps;
    for (const auto* def : types) deps.def(*def);
    for (const auto* def : deps.order) {
      if (def->owner && def->owner != &iface && !b_.exported.count(def->owner))
        ACTR_TRY_VOID(import_instance(*def->owner, live, done));
    }
    InstanceSpace space(iface, b_.top);
    for (const auto* def : types) ACTR_TRY_VOID(space.named(*def));
    for (const auto* fn : fns) ACTR_TRY_VOID(space.export_func(*fn));
    auto type = definition_of(ast::Definition::Kind::Type);
    type.type = std::make_shared<ast::TypeDef>(space.take());
    uint32_t type_index = b_.add(std::move(type), ast::Sort::Type);
    auto imp = definition_of(ast::Definition::Kind::Import);
    imp.import.name = iface.qualified_name();
    for (const auto& item : world_.items) {
      if (!item.is_export && item.target == &iface) imp.import.name = item_name(item);
    }
    imp.import.desc.kind = ast::ExternDesc::Kind::Instance;
    imp.import.desc.type_index = type_index;
    uint32_t instance = b_.add(std::move(imp), ast::Sort::Instance);
    b_.instance_of[&iface] = instance;
    return {};
  }

  // Imported functions of the world itself become function imports of the component.
  Result<uint32_t> component_func(const Func& f) {
    if (f.iface) return b_.alias_export(b_.instance_of.at(f.iface), f.fn->name, ast::Sort::Func);
    if (auto it = root_funcs_.find(f.fn); it != root_funcs_.end()) return it->second;
    ACTR_TRY(uint32_t type, b_.top.functype(*f.fn));
    auto imp = definition_of(ast::Definition::Kind::Import);
    imp.import.name = f.fn->name;
    imp.import.desc.kind = ast::ExternDesc::Kind::Func;
    imp.import.desc.type_index = type;
    uint32_t index = b_.add(std::move(imp), ast::Sort::Func);
    root_funcs_[f.fn] = index;
    return index;
  }

  ast::CanonOptions options(const Func& f) {
    ast::CanonOptions o;
    if (f.needs.memory) o.memory = 0;
    if (f.needs.realloc) o.realloc = realloc_index();
    o.encoding_given = f.needs.utf8;
    return o;
  }

  uint32_t realloc_index() {
    if (!realloc_) realloc_ = b_.alias_core_export(main_, "cabi_realloc", ast::Sort::CoreFunc);
    return *realloc_;
  }

  uint32_t lower(const Func& f, uint32_t func) {
    auto d = definition_of(ast::Definition::Kind::Canon);
    d.canon.kind = ast::Canon::Kind::Lower;
    d.canon.func = func;
    d.canon.options = options(f);
    return b_.add(std::move(d), ast::Sort::CoreFunc);
  }

  Result<void> instantiate_main() {
    // World functions imported as a plain function need no instance: lower them up front.
    for (const auto* f : imports_) {
      if (!f->iface) ACTR_TRY_VOID(component_func(*f));
    }
    std::vector<const Func*> indirect, direct;
    for (const auto* f : imports_) (f->needs.memory ? indirect : direct).push_back(f);

    // The main module is core module 0, before the glue, as wit-component writes it: tools that
    // split a component's modules (jco transpile's `NAME.core.wasm`) take the first as the main.
    uint32_t main_module = b_.module(core_);
    std::optional<uint32_t> shim;
    std::map<const Func*, uint32_t> core_funcs;
    if (!indirect.empty()) {
      shim = b_.core_instantiate(b_.module(shim_module(indirect)), {});
      for (size_t i = 0; i < indirect.size(); ++i) {
        core_funcs[indirect[i]] =
            b_.alias_core_export(*shim, std::to_string(i), ast::Sort::CoreFunc);
      }
    }
    for (const auto* f : direct) {
      ACTR_TRY(uint32_t func, component_func(*f));
      core_funcs[f] = lower(*f, func);
    }
    // One core instance per import module of the core module, in the order it names them.
    std::vector<std::pair<std::string, uint32_t>> args;
    std::vector<std::string> modules;
    for (const auto& imp : core_iface_.imports) {
      if (std::find(modules.begin(), modules.end(), imp.module) == modules.end())
        modules.push_back(imp.module);
    }
    for (const auto& module : modules) {
      std::vector<std::pair<std::string, uint32_t>> exports;
      for (const auto* f : imports_) {
        if (f->core_module == module) exports.emplace_back(f->core_name, core_funcs.at(f));
      }
      args.emplace_back(module, b_.core_bundle(std::move(exports)));
    }
    main_ = b_.core_instantiate(main_module, std::move(args));
    if (memory_needed_) b_.alias_core_export(main_, "memory", ast::Sort::CoreMemory);

    if (indirect.empty() && !initialize_) return {};
    uint32_t fixup = b_.module(fixup_module(indirect, initialize_));
    std::vector<std::pair<std::string, uint32_t>> fixup_args;
    if (!indirect.empty()) {
      std::vector<std::pair<std::string, uint32_t>> actual;
      for (size_t i = 0; i < indirect.size(); ++i) {
        ACTR_TRY(uint32_t func, component_func(*indirect[i]));
        actual.emplace_back(std::to_string(i), lower(*indirect[i], func));
      }
      fixup_args.emplace_back("actual", b_.core_bundle(std::move(actual)));
    }
    if (initialize_) fixup_args.emplace_back("main", main_);
    if (shim) fixup_args.emplace_back("shim", *shim);
    b_.core_instantiate(fixup, std::move(fixup_args));
    return {};
  }

  Result<uint32_t> lift(const Func& f) {
    ACTR_TRY(uint32_t type, b_.top.functype(*f.fn));
    uint32_t core = b_.alias_core_export(main_, f.core_name, ast::Sort::CoreFunc);
    auto d = definition_of(ast::Definition::Kind::Canon);
    d.canon.kind = ast::Canon::Kind::Lift;
    d.canon.func = core;
    d.canon.type = type;
    d.canon.options = options(f);
    if (f.post_return) {
      d.canon.options.post_return =
          b_.alias_core_export(main_, "cabi_post_" + f.core_name, ast::Sort::CoreFunc);
    }
    return b_.add(std::move(d), ast::Sort::Func);
  }

  Result<void> export_items() {
    for (const auto& item : world_.items) {
      if (!item.is_export) continue;
      std::vector<std::pair<const Func*, uint32_t>> lifted;
      for (const auto* f : exports_) {
        if (f->item != &item) continue;
        ACTR_TRY(uint32_t func, lift(*f));
        lifted.emplace_back(f, func);
      }
      if (item.tag == WorldItem::Tag::Function) {
        auto e = definition_of(ast::Definition::Kind::Export);
        e.export_.name = item.function.name;
        e.export_.item = {ast::Sort::Func, lifted.at(0).second};
        b_.add(std::move(e), ast::Sort::Func);
        continue;
      }
      const Interface& iface = *item.target;
      ShimSpace shim(iface);
      auto exposed = exposed_types(iface);
      for (const auto* def : exposed) ACTR_TRY_VOID(shim.named(*def));
      for (const auto& [f, func] : lifted) ACTR_TRY_VOID(shim.import_func(*f->fn));
      shim.begin_exports();
      for (const auto* def : exposed) ACTR_TRY_VOID(shim.export_type(*def));
      for (size_t i = 0; i < lifted.size(); ++i) {
        ACTR_TRY_VOID(shim.export_func(*lifted[i].first->fn, static_cast<uint32_t>(i)));
      }

      auto c = definition_of(ast::Definition::Kind::Component);
      c.component = shim.component();
      uint32_t component = b_.add(std::move(c), ast::Sort::Component);
      auto inst = definition_of(ast::Definition::Kind::Instance);
      inst.instance.component = component;
      for (const auto& [f, func] : lifted) {
        inst.instance.args.push_back({"import-func-" + f->fn->name, {ast::Sort::Func, func}});
      }
      for (const auto& [name, def] : shim.type_imports()) {
        ACTR_TRY(uint32_t type, b_.top.named(*def));
        inst.instance.args.push_back({name, {ast::Sort::Type, type}});
      }
      uint32_t instance = b_.add(std::move(inst), ast::Sort::Instance);
      auto e = definition_of(ast::Definition::Kind::Export);
      e.export_.name = item_name(item);
      e.export_.item = {ast::Sort::Instance, instance};
      b_.instance_of[&iface] = b_.add(std::move(e), ast::Sort::Instance);
    }
    return {};
  }

  const witgen::World& world_;
  std::span<const uint8_t> core_;
  component::binary::CoreModuleInterface core_iface_;
  witgen::ComponentTypes types_;
  Builder b_;
  std::deque<Func> funcs_;
  std::vector<const Func*> imports_, imports_in_core_order_, exports_;
  std::map<const Function*, uint32_t> root_funcs_;
  bool memory_needed_ = false, initialize_ = false;
  uint32_t main_ = 0;
  std::optional<uint32_t> realloc_;
};

}  // namespace

Result<std::vector<uint8_t>> componentize(const witgen::World& world,
                                          std::span<const uint8_t> core_module) {
  return Wrapper(world, core_module).run();
}

}  // namespace actr::componentize
