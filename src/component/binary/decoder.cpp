#include "component/binary/decoder.hpp"

#include <cstdio>
#include <string>
#include <utility>

#include "component/binary/core_reader.hpp"
#include "component/binary/reader.hpp"

namespace actr::component::binary {
namespace {

using ast::Sort;

// Bounds that no real component comes near, so that hostile input cannot nest deeply enough to
// exhaust the stack or define enough items to exhaust memory.
constexpr int kMaxNesting = 100;
constexpr size_t kMaxDefinitions = 1'000'000;

constexpr uint8_t kPreamble[] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

std::string hex(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

Result<Kind> primitive_of(int64_t code, size_t at) {
  switch (code & 0x7f) {
    case 0x7f:
      return Kind::Bool;
    case 0x7e:
      return Kind::S8;
    case 0x7d:
      return Kind::U8;
    case 0x7c:
      return Kind::S16;
    case 0x7b:
      return Kind::U16;
    case 0x7a:
      return Kind::S32;
    case 0x79:
      return Kind::U32;
    case 0x78:
      return Kind::S64;
    case 0x77:
      return Kind::U64;
    case 0x76:
      return Kind::F32;
    case 0x75:
      return Kind::F64;
    case 0x74:
      return Kind::Char;
    case 0x73:
      return Kind::String;
    default:
      return Reader::error_at(at, "invalid primitive value type " + hex(code & 0x7f));
  }
}

class Decoder {
 public:
  explicit Decoder(std::shared_ptr<const std::vector<uint8_t>> bytes) : bytes_(std::move(bytes)) {}

  Result<std::shared_ptr<ast::Component>> component(Reader& r, int depth) {
    if (depth > kMaxNesting) return r.error("components nested too deeply");
    size_t start = r.offset();
    if (r.remaining() < sizeof kPreamble) {
      return Reader::error_at(start, "too short for a component preamble");
    }
    ACTR_TRY(auto head, r.take(sizeof kPreamble));
    if (head[0] != 0x00 || head[1] != 0x61 || head[2] != 0x73 || head[3] != 0x6d) {
      return Reader::error_at(start, "not a WebAssembly binary (bad magic)");
    }
    if (head[6] == 0x00 && head[7] == 0x00) {
      return Reader::error_at(start, "a core module, not a component (layer 0)");
    }
    if (head[4] != 0x0d || head[5] != 0x00 || head[6] != 0x01 || head[7] != 0x00) {
      return Reader::error_at(start + 4, "unsupported component binary version " + hex(head[4]) +
                                             " (expected 0x0d, layer 1)");
    }
    auto c = std::make_shared<ast::Component>();
    c->bytes = bytes_;
    while (!r.at_end()) {
      size_t section_at = r.offset();
      ACTR_TRY(uint8_t id, r.byte());
      ACTR_TRY(uint32_t size, r.u32());
      if (size > r.remaining()) {
        return Reader::error_at(section_at, "section " + std::to_string(id) + " size " +
                                                std::to_string(size) + " exceeds the input");
      }
      ACTR_TRY(Reader s, r.sub(size));
      ACTR_TRY_VOID(section(*c, id, s, section_at, depth));
      if (!s.at_end()) {
        return s.error("unexpected bytes at the end of section " + std::to_string(id));
      }
      if (c->defs.size() > kMaxDefinitions) return s.error("too many definitions");
    }
    return c;
  }

 private:
  using DK = ast::Definition::Kind;

  ast::Definition& add(ast::Component& c, DK kind, size_t at) {
    ast::Definition& d = c.defs.emplace_back();
    d.kind = kind;
    d.offset = static_cast<uint32_t>(at);
    return d;
  }

  Result<void> section(ast::Component& c, uint8_t id, Reader& s, size_t section_at, int depth) {
    switch (id) {
      case 0: {  // custom: names and producers metadata, `component-type` of wit-component
        ACTR_TRY_VOID(s.name());
        return s.skip(s.remaining());
      }
      case 1: {  // core module
        size_t at = s.offset();
        ACTR_TRY(auto body, s.take(s.remaining()));
        ACTR_TRY(CoreModuleInterface iface, read_core_module(body, at));
        auto& d = add(c, DK::CoreModule, section_at);
        d.module_offset = static_cast<uint32_t>(at);
        d.module_size = static_cast<uint32_t>(body.size());
        d.module_imports = std::move(iface.imports);
        d.module_exports = std::move(iface.exports);
        return {};
      }
      case 2:
        return vec(s, [&](size_t at) -> Result<void> {
          ACTR_TRY(auto ci, core_instance(s));
          add(c, DK::CoreInstance, at).core_instance = std::move(ci);
          return {};
        });
      case 3:
        return vec(s, [&](size_t at) -> Result<void> {
          ACTR_TRY(auto t, core_type(s, depth));
          add(c, DK::CoreType, at).core_type = std::move(t);
          return {};
        });
      case 4: {
        ACTR_TRY(auto nested, component(s, depth + 1));
        add(c, DK::Component, section_at).component = std::move(nested);
        return {};
      }
      case 5:
        return vec(s, [&](size_t at) -> Result<void> {
          ACTR_TRY(auto in, instance(s));
          add(c, DK::Instance, at).instance = std::move(in);
          return {};
        });
      case 6:
        return vec(s, [&](size_t at) -> Result<void> {
          ACTR_TRY(auto a, alias(s));
          add(c, DK::Alias, at).alias = std::move(a);
          return {};
        });
      case 7:
        return vec(s, [&](size_t at) -> Result<void> {
          ACTR_TRY(auto t, type(s, depth));
          add(c, DK::Type, at).type = std::move(t);
          return {};
        });
      case 8:
        return vec(s, [&](size_t at) -> Result<void> {
          ACTR_TRY(auto cn, canon(s));
          add(c, DK::Canon, at).canon = std::move(cn);
          return {};
        });
      case 9: {
        ast::Start st;
        ACTR_TRY(st.func, s.u32());
        ACTR_TRY(uint32_t n, s.count());
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(uint32_t v, s.u32());
          st.args.push_back(v);
        }
        ACTR_TRY(st.results, s.u32());
        add(c, DK::Start, section_at).start = std::move(st);
        return {};
      }
      case 10:
        return vec(s, [&](size_t at) -> Result<void> {
          ast::Import imp;
          ACTR_TRY_VOID(name_attrs(s, imp.name, imp.attrs));
          ACTR_TRY(imp.desc, extern_desc(s));
          add(c, DK::Import, at).import = std::move(imp);
          return {};
        });
      case 11:
        return vec(s, [&](size_t at) -> Result<void> {
          ast::Export e;
          ACTR_TRY_VOID(name_attrs(s, e.name, e.attrs));
          ACTR_TRY(e.item, sort_idx(s));
          ACTR_TRY(bool has_type, optional_flag(s));
          if (has_type) {
            ACTR_TRY(auto desc, extern_desc(s));
            e.ascribed = desc;
          }
          add(c, DK::Export, at).export_ = std::move(e);
          return {};
        });
      case 12:
        return Reader::error_at(section_at, "value definitions are not supported");
      default:
        return Reader::error_at(section_at, "unknown component section id " + std::to_string(id));
    }
  }

  // Reads a vec(...) whose elements `one(offset)` reads.
  template <typename F>
  Result<void> vec(Reader& s, F&& one) {
    ACTR_TRY(uint32_t n, s.count());
    for (uint32_t i = 0; i < n; ++i) ACTR_TRY_VOID(one(s.offset()));
    return {};
  }

  Result<bool> optional_flag(Reader& s) {
    size_t at = s.offset();
    ACTR_TRY(uint8_t b, s.byte());
    if (b > 1)
      return Reader::error_at(at, "invalid optional marker " + hex(b) + " (expected 0x00 or 0x01)");
    return b == 1;
  }

  // ---- sorts ----

  Result<Sort> core_sort(Reader& s) {
    size_t at = s.offset();
    ACTR_TRY(uint8_t b, s.byte());
    switch (b) {
      case 0x00:
        return Sort::CoreFunc;
      case 0x01:
        return Sort::CoreTable;
      case 0x02:
        return Sort::CoreMemory;
      case 0x03:
        return Sort::CoreGlobal;
      case 0x04:
        return Sort::CoreTag;
      case 0x10:
        return Sort::CoreType;
      case 0x11:
        return Sort::CoreModule;
      case 0x12:
        return Sort::CoreInstance;
      default:
        return Reader::error_at(at, "invalid core sort " + hex(b));
    }
  }

  Result<Sort> sort(Reader& s) {
    size_t at = s.offset();
    ACTR_TRY(uint8_t b, s.byte());
    switch (b) {
      case 0x00:
        return core_sort(s);
      case 0x01:
        return Sort::Func;
      case 0x02:
        return Sort::Value;
      case 0x03:
        return Sort::Type;
      case 0x04:
        return Sort::Component;
      case 0x05:
        return Sort::Instance;
      default:
        return Reader::error_at(at, "invalid sort " + hex(b));
    }
  }

  Result<ast::SortIdx> sort_idx(Reader& s) {
    ast::SortIdx si;
    ACTR_TRY(si.sort, sort(s));
    ACTR_TRY(si.index, s.u32());
    return si;
  }

  Result<ast::SortIdx> core_sort_idx(Reader& s) {
    ast::SortIdx si;
    ACTR_TRY(si.sort, core_sort(s));
    ACTR_TRY(si.index, s.u32());
    return si;
  }

  // ---- names ----

  Result<void> name_attrs(Reader& s, std::string& name, ast::NameAttrs& attrs) {
    size_t at = s.offset();
    ACTR_TRY(uint8_t form, s.byte());
    if (form > 0x02) return Reader::error_at(at, "invalid import/export name form " + hex(form));
    ACTR_TRY(name, s.name());
    if (form < 0x02) return {};
    ACTR_TRY(uint32_t n, s.count());
    bool seen[3] = {false, false, false};
    for (uint32_t i = 0; i < n; ++i) {
      size_t attr_at = s.offset();
      ACTR_TRY(uint8_t kind, s.byte());
      if (kind > 0x02) return Reader::error_at(attr_at, "invalid name attribute " + hex(kind));
      if (seen[kind]) return Reader::error_at(attr_at, "duplicate name attribute " + hex(kind));
      seen[kind] = true;
      std::string value;
      ACTR_TRY(value, s.name());
      if (kind == 0x00) attrs.implements = std::move(value);
      if (kind == 0x01) attrs.version_suffix = std::move(value);
      if (kind == 0x02) attrs.external_id = std::move(value);
    }
    return {};
  }

  // ---- instances and aliases ----

  Result<ast::CoreInstance> core_instance(Reader& s) {
    ast::CoreInstance ci;
    size_t at = s.offset();
    ACTR_TRY(uint8_t form, s.byte());
    if (form == 0x00) {
      ci.instantiate = true;
      ACTR_TRY(ci.module, s.u32());
      ACTR_TRY(uint32_t n, s.count(3));
      for (uint32_t i = 0; i < n; ++i) {
        ast::CoreInstantiateArg arg;
        ACTR_TRY(arg.name, s.name());
        size_t sort_at = s.offset();
        ACTR_TRY(uint8_t sort, s.byte());
        if (sort != 0x12) {
          return Reader::error_at(
              sort_at, "core instantiation argument must be an instance (sort " + hex(sort) + ")");
        }
        ACTR_TRY(arg.instance, s.u32());
        ci.args.push_back(std::move(arg));
      }
      return ci;
    }
    if (form == 0x01) {
      ci.instantiate = false;
      ACTR_TRY(uint32_t n, s.count(3));
      for (uint32_t i = 0; i < n; ++i) {
        ast::CoreInlineExport e;
        ACTR_TRY(e.name, s.name());
        ACTR_TRY(e.item, core_sort_idx(s));
        ci.exports.push_back(std::move(e));
      }
      return ci;
    }
    return Reader::error_at(at, "invalid core instance form " + hex(form));
  }

  Result<ast::Instance> instance(Reader& s) {
    ast::Instance in;
    size_t at = s.offset();
    ACTR_TRY(uint8_t form, s.byte());
    if (form == 0x00) {
      in.instantiate = true;
      ACTR_TRY(in.component, s.u32());
      ACTR_TRY(uint32_t n, s.count(3));
      for (uint32_t i = 0; i < n; ++i) {
        ast::InstantiateArg arg;
        ACTR_TRY(arg.name, s.name());
        ACTR_TRY(arg.item, sort_idx(s));
        in.args.push_back(std::move(arg));
      }
      return in;
    }
    if (form == 0x01) {
      in.instantiate = false;
      ACTR_TRY(uint32_t n, s.count(4));
      for (uint32_t i = 0; i < n; ++i) {
        ast::InlineExport e;
        ACTR_TRY_VOID(name_attrs(s, e.name, e.attrs));
        ACTR_TRY(e.item, sort_idx(s));
        in.exports.push_back(std::move(e));
      }
      return in;
    }
    return Reader::error_at(at, "invalid instance form " + hex(form));
  }

  Result<ast::Alias> alias(Reader& s) {
    ast::Alias a;
    ACTR_TRY(a.sort, sort(s));
    size_t at = s.offset();
    ACTR_TRY(uint8_t target, s.byte());
    switch (target) {
      case 0x00: {
        a.target = ast::Alias::Target::Export;
        ACTR_TRY(a.instance, s.u32());
        ACTR_TRY(a.name, s.name());
        return a;
      }
      case 0x01: {
        a.target = ast::Alias::Target::CoreExport;
        ACTR_TRY(a.instance, s.u32());
        ACTR_TRY(a.name, s.name());
        return a;
      }
      case 0x02: {
        a.target = ast::Alias::Target::Outer;
        ACTR_TRY(a.outer_count, s.u32());
        ACTR_TRY(a.outer_index, s.u32());
        return a;
      }
      default:
        return Reader::error_at(at, "invalid alias target " + hex(target));
    }
  }

  // ---- core types ----

  Result<std::shared_ptr<ast::CoreTypeDef>> core_type(Reader& s, int depth) {
    if (depth > kMaxNesting) return s.error("types nested too deeply");
    size_t at = s.offset();
    ACTR_TRY(uint8_t form, s.byte());
    auto t = std::make_shared<ast::CoreTypeDef>();
    if (form == 0x60) {
      ACTR_TRY(t->func, read_core_functype(s));
      return t;
    }
    if (form == 0x50) {
      t->is_module = true;
      ACTR_TRY(uint32_t n, s.count(2));
      for (uint32_t i = 0; i < n; ++i) {
        ACTR_TRY(auto decl, module_decl(s, depth));
        t->module.push_back(std::move(decl));
      }
      return t;
    }
    if (form == 0x4e) {  // rec: one subtype only (it then defines one type, as the others do)
      ACTR_TRY(uint32_t n, s.u32());
      if (n != 1) {
        return Reader::error_at(at, "core rec groups of " + std::to_string(n) +
                                        " types are not supported (only of one)");
      }
      size_t sub_at = s.offset();
      ACTR_TRY(uint8_t sub, s.byte());
      if (sub == 0x50 || sub == 0x4f) {
        ACTR_TRY_VOID(gc_subtype(s, sub_at, sub == 0x4f, *t));
      } else {
        ACTR_TRY_VOID(gc_comptype(s, sub_at, sub, *t));
      }
      return t;
    }
    if (form == 0x4f) {  // sub final
      ACTR_TRY_VOID(gc_subtype(s, at, true, *t));
      return t;
    }
    if (form == 0x00) {  // 0x00 0x50: a non-final sub (a bare 0x50 is a module type)
      ACTR_TRY(uint8_t next, s.byte());
      if (next != 0x50) return Reader::error_at(at, "invalid core type form 0x00 " + hex(next));
      ACTR_TRY_VOID(gc_subtype(s, at, false, *t));
      return t;
    }
    return Reader::error_at(at, "invalid core type form " + hex(form));
  }

  // A GC subtype after its 0x50 / 0x4f: supertypes, then the composite type. Function types
  // without supertypes are read; subtyping, structs and arrays are refused, one line each.
  Result<void> gc_subtype(Reader& s, size_t at, bool final, ast::CoreTypeDef& t) {
    ACTR_TRY(uint32_t supers, s.u32());
    if (supers != 0) {
      return Reader::error_at(at, "core subtyping (sub with supertypes) is not supported");
    }
    t.final = final;
    size_t comp_at = s.offset();
    ACTR_TRY(uint8_t comp, s.byte());
    return gc_comptype(s, comp_at, comp, t);
  }

  Result<void> gc_comptype(Reader& s, size_t at, uint8_t form, ast::CoreTypeDef& t) {
    if (form == 0x60) {
      ACTR_TRY(t.func, read_core_functype(s));
      return {};
    }
    if (form == 0x5f || form == 0x5e) {
      return Reader::error_at(at, "GC struct and array types are not supported");
    }
    return Reader::error_at(at, "invalid core composite type " + hex(form));
  }

  Result<ast::CoreModuleTypeDecl> module_decl(Reader& s, int depth) {
    ast::CoreModuleTypeDecl d;
    size_t at = s.offset();
    ACTR_TRY(uint8_t kind, s.byte());
    switch (kind) {
      case 0x00: {
        d.kind = ast::CoreModuleTypeDecl::Kind::Import;
        ACTR_TRY(d.import.module, s.name());
        ACTR_TRY(d.import.name, s.name());
        ACTR_TRY(CoreExternDesc desc, read_core_externdesc(s));
        d.import.type = desc.type;
        d.func_type_index = desc.func_type_index;
        return d;
      }
      case 0x01: {
        d.kind = ast::CoreModuleTypeDecl::Kind::Type;
        ACTR_TRY(d.type, core_type(s, depth + 1));
        return d;
      }
      case 0x02: {
        d.kind = ast::CoreModuleTypeDecl::Kind::Alias;
        size_t sort_at = s.offset();
        ACTR_TRY(uint8_t sort, s.byte());
        ACTR_TRY(uint8_t target, s.byte());
        if (sort != 0x10 || target != 0x01) {
          return Reader::error_at(sort_at,
                                  "module type aliases must be outer aliases of core types");
        }
        d.alias.sort = Sort::CoreType;
        d.alias.target = ast::Alias::Target::Outer;
        ACTR_TRY(d.alias.outer_count, s.u32());
        ACTR_TRY(d.alias.outer_index, s.u32());
        return d;
      }
      case 0x03: {
        d.kind = ast::CoreModuleTypeDecl::Kind::Export;
        ACTR_TRY(d.export_name, s.name());
        ACTR_TRY(CoreExternDesc desc, read_core_externdesc(s));
        d.export_type = desc.type;
        d.func_type_index = desc.func_type_index;
        return d;
      }
      default:
        return Reader::error_at(at, "invalid module type declaration " + hex(kind));
    }
  }

  // ---- component types ----

  Result<ast::ValTypeRef> valtype(Reader& s) {
    size_t at = s.offset();
    ACTR_TRY(int64_t v, s.s33());
    ast::ValTypeRef ref;
    if (v < 0) {
      if (v < -0x40) return Reader::error_at(at, "invalid value type");
      if ((v & 0x7f) == 0x64) return Reader::error_at(at, "error-context values are not supported");
      ref.is_primitive = true;
      ACTR_TRY(ref.primitive, primitive_of(v, at));
      return ref;
    }
    if (v > 0xffffffff) return Reader::error_at(at, "type index too large");
    ref.is_primitive = false;
    ref.index = static_cast<uint32_t>(v);
    return ref;
  }

  Result<std::optional<ast::ValTypeRef>> optional_valtype(Reader& s) {
    ACTR_TRY(bool present, optional_flag(s));
    if (!present) return std::optional<ast::ValTypeRef>();
    ACTR_TRY(auto t, valtype(s));
    return std::optional<ast::ValTypeRef>(t);
  }

  Result<std::vector<std::pair<std::string, ast::ValTypeRef>>> labeled_valtypes(Reader& s) {
    std::vector<std::pair<std::string, ast::ValTypeRef>> out;
    ACTR_TRY(uint32_t n, s.count(2));
    for (uint32_t i = 0; i < n; ++i) {
      ACTR_TRY(std::string label, s.name());
      ACTR_TRY(auto t, valtype(s));
      out.emplace_back(std::move(label), t);
    }
    return out;
  }

  Result<std::vector<std::string>> labels(Reader& s) {
    std::vector<std::string> out;
    ACTR_TRY(uint32_t n, s.count());
    for (uint32_t i = 0; i < n; ++i) {
      ACTR_TRY(std::string label, s.name());
      out.push_back(std::move(label));
    }
    return out;
  }

  Result<std::shared_ptr<ast::TypeDef>> type(Reader& s, int depth) {
    if (depth > kMaxNesting) return s.error("types nested too deeply");
    size_t at = s.offset();
    ACTR_TRY(uint8_t op, s.byte());
    switch (op) {
      case 0x40:
      case 0x43: {
        ast::FuncTypeDef f;
        f.async = op == 0x43;
        ACTR_TRY(f.params, labeled_valtypes(s));
        size_t results_at = s.offset();
        ACTR_TRY(uint8_t form, s.byte());
        if (form == 0x00) {
          ACTR_TRY(auto t, valtype(s));
          f.results.emplace_back("", t);
        } else if (form == 0x01) {
          ACTR_TRY(f.results, labeled_valtypes(s));  // 0x01 0x00 today; named results before
        } else {
          return Reader::error_at(results_at, "invalid result list form " + hex(form));
        }
        return std::make_shared<ast::TypeDef>(std::move(f));
      }
      case 0x41: {
        ast::ComponentTypeDef ct;
        ACTR_TRY(uint32_t n, s.count(2));
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(auto d, type_decl(s, depth, /*component=*/true));
          ct.decls.push_back(std::move(d));
        }
        return std::make_shared<ast::TypeDef>(std::move(ct));
      }
      case 0x42: {
        ast::InstanceTypeDef it;
        ACTR_TRY(uint32_t n, s.count(2));
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(auto d, type_decl(s, depth, /*component=*/false));
          it.decls.push_back(std::move(d));
        }
        return std::make_shared<ast::TypeDef>(std::move(it));
      }
      case 0x3f:
      case 0x3e: {
        ast::ResourceTypeDef rt;
        rt.async = op == 0x3e;
        ACTR_TRY(rt.rep, read_core_valtype(s));
        if (rt.async) {  // 0x3e rep dtor callback?: the destructor is mandatory
          ACTR_TRY(uint32_t dtor, s.u32());
          rt.dtor = dtor;
          ACTR_TRY(auto callback, optional_u32(s));
          (void)callback;
        } else {
          ACTR_TRY(rt.dtor, optional_u32(s));
        }
        return std::make_shared<ast::TypeDef>(std::move(rt));
      }
      default: {
        ACTR_TRY(auto dv, defvaltype(s, op, at));
        return std::make_shared<ast::TypeDef>(std::move(dv));
      }
    }
  }

  Result<std::optional<uint32_t>> optional_u32(Reader& s) {
    ACTR_TRY(bool present, optional_flag(s));
    if (!present) return std::optional<uint32_t>();
    ACTR_TRY(uint32_t v, s.u32());
    return std::optional<uint32_t>(v);
  }

  Result<ast::DefValType> defvaltype(Reader& s, uint8_t op, size_t at) {
    ast::DefValType t;
    switch (op) {
      case 0x72: {
        t.kind = Kind::Record;
        ACTR_TRY(t.fields, labeled_valtypes(s));
        return t;
      }
      case 0x71: {
        t.kind = Kind::Variant;
        ACTR_TRY(uint32_t n, s.count(3));
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(std::string label, s.name());
          ACTR_TRY(auto payload, optional_valtype(s));
          // Older binaries had an optional `refines` index here; it is always absent in practice.
          ACTR_TRY(auto refines, optional_u32(s));
          (void)refines;
          t.cases.emplace_back(std::move(label), payload);
        }
        return t;
      }
      case 0x70: {
        t.kind = Kind::List;
        ACTR_TRY(t.elem, valtype(s));
        return t;
      }
      case 0x6f: {
        t.kind = Kind::Tuple;
        ACTR_TRY(uint32_t n, s.count());
        for (uint32_t i = 0; i < n; ++i) {
          ACTR_TRY(auto v, valtype(s));
          t.items.push_back(v);
        }
        return t;
      }
      case 0x6e: {
        t.kind = Kind::Flags;
        ACTR_TRY(t.names, labels(s));
        return t;
      }
      case 0x6d: {
        t.kind = Kind::Enum;
        ACTR_TRY(t.names, labels(s));
        return t;
      }
      case 0x6b: {
        t.kind = Kind::Option;
        ACTR_TRY(t.elem, valtype(s));
        return t;
      }
      case 0x6a: {
        t.kind = Kind::Result;
        ACTR_TRY(t.ok, optional_valtype(s));
        ACTR_TRY(t.err, optional_valtype(s));
        return t;
      }
      case 0x69:
      case 0x68: {
        t.kind = op == 0x69 ? Kind::Own : Kind::Borrow;
        ACTR_TRY(t.resource, s.u32());
        return t;
      }
      case 0x67: {  // fixed-size list: element type and length
        t.kind = Kind::FixedList;
        ACTR_TRY(t.elem, valtype(s));
        ACTR_TRY(t.length, s.u32());
        return t;
      }
      case 0x66:  // stream, future: optional element type
      case 0x65: {
        t.unsupported_opcode = op;
        ACTR_TRY_VOID(optional_valtype(s));
        return t;
      }
      case 0x64:  // error-context
        t.unsupported_opcode = op;
        return t;
      case 0x63: {  // map: key and value types
        t.kind = Kind::Map;
        ACTR_TRY(auto key, valtype(s));
        ACTR_TRY(auto value, valtype(s));
        t.items = {key, value};
        return t;
      }
      default: {
        if (op >= 0x73 && op <= 0x7f) {
          ACTR_TRY(t.kind, primitive_of(op, at));
          return t;
        }
        return Reader::error_at(at, "invalid type definition opcode " + hex(op));
      }
    }
  }

  Result<ast::TypeDecl> type_decl(Reader& s, int depth, bool component) {
    ast::TypeDecl d;
    size_t at = s.offset();
    ACTR_TRY(uint8_t kind, s.byte());
    switch (kind) {
      case 0x00: {
        d.kind = ast::TypeDecl::Kind::CoreType;
        ACTR_TRY(d.core_type, core_type(s, depth + 1));
        return d;
      }
      case 0x01: {
        d.kind = ast::TypeDecl::Kind::Type;
        ACTR_TRY(d.type, type(s, depth + 1));
        return d;
      }
      case 0x02: {
        d.kind = ast::TypeDecl::Kind::Alias;
        ACTR_TRY(d.alias, alias(s));
        return d;
      }
      case 0x03: {
        if (!component) return Reader::error_at(at, "instance types cannot contain imports");
        d.kind = ast::TypeDecl::Kind::Import;
        ACTR_TRY_VOID(name_attrs(s, d.import.name, d.import.attrs));
        ACTR_TRY(d.import.desc, extern_desc(s));
        return d;
      }
      case 0x04: {
        d.kind = ast::TypeDecl::Kind::Export;
        ACTR_TRY_VOID(name_attrs(s, d.export_.name, d.export_.attrs));
        ACTR_TRY(d.export_.desc, extern_desc(s));
        return d;
      }
      default:
        return Reader::error_at(at, std::string("invalid ") +
                                        (component ? "component" : "instance") +
                                        " type declaration " + hex(kind));
    }
  }

  Result<ast::ExternDesc> extern_desc(Reader& s) {
    ast::ExternDesc d;
    size_t at = s.offset();
    ACTR_TRY(uint8_t kind, s.byte());
    switch (kind) {
      case 0x00: {
        size_t sort_at = s.offset();
        ACTR_TRY(uint8_t core_sort, s.byte());
        if (core_sort != 0x11) {
          return Reader::error_at(
              sort_at, "a core import or export must be a module (sort " + hex(core_sort) + ")");
        }
        d.kind = ast::ExternDesc::Kind::CoreModule;
        ACTR_TRY(d.type_index, s.u32());
        return d;
      }
      case 0x01: {
        d.kind = ast::ExternDesc::Kind::Func;
        ACTR_TRY(d.type_index, s.u32());
        return d;
      }
      case 0x02: {  // a value: rejected by the validator
        // wasm-tools writes the value type directly (Binary.md's `valuebound` has an (eq i) form
        // too, which no tool emits).
        d.kind = ast::ExternDesc::Kind::Value;
        ACTR_TRY(auto t, valtype(s));
        d.type_index = t.is_primitive ? 0 : t.index;
        return d;
      }
      case 0x03: {
        d.kind = ast::ExternDesc::Kind::Type;
        size_t bound_at = s.offset();
        ACTR_TRY(uint8_t b, s.byte());
        if (b == 0x00) {
          d.bound.sub_resource = false;
          ACTR_TRY(d.bound.eq, s.u32());
        } else if (b == 0x01) {
          d.bound.sub_resource = true;
        } else {
          return Reader::error_at(bound_at, "invalid type bound " + hex(b));
        }
        return d;
      }
      case 0x04: {
        d.kind = ast::ExternDesc::Kind::Component;
        ACTR_TRY(d.type_index, s.u32());
        return d;
      }
      case 0x05: {
        d.kind = ast::ExternDesc::Kind::Instance;
        ACTR_TRY(d.type_index, s.u32());
        return d;
      }
      default:
        return Reader::error_at(at, "invalid extern type kind " + hex(kind));
    }
  }

  // ---- canonical definitions ----

  Result<ast::CanonOptions> canon_opts(Reader& s) {
    ast::CanonOptions o;
    ACTR_TRY(uint32_t n, s.count());
    bool seen_encoding = false;
    for (uint32_t i = 0; i < n; ++i) {
      size_t at = s.offset();
      ACTR_TRY(uint8_t opt, s.byte());
      auto once = [&](bool already, const char* what) -> Result<void> {
        if (already)
          return Reader::error_at(at, std::string("canonical option `") + what + "` given twice");
        return {};
      };
      switch (opt) {
        case 0x00:
        case 0x01:
        case 0x02: {
          ACTR_TRY_VOID(once(seen_encoding, "string-encoding"));
          seen_encoding = true;
          o.encoding_given = true;
          o.encoding = opt == 0x00   ? ast::StringEncoding::Utf8
                       : opt == 0x01 ? ast::StringEncoding::Utf16
                                     : ast::StringEncoding::Latin1Utf16;
          break;
        }
        case 0x03: {
          ACTR_TRY_VOID(once(o.memory.has_value(), "memory"));
          ACTR_TRY(uint32_t m, s.u32());
          o.memory = m;
          break;
        }
        case 0x04: {
          ACTR_TRY_VOID(once(o.realloc.has_value(), "realloc"));
          ACTR_TRY(uint32_t f, s.u32());
          o.realloc = f;
          break;
        }
        case 0x05: {
          ACTR_TRY_VOID(once(o.post_return.has_value(), "post-return"));
          ACTR_TRY(uint32_t f, s.u32());
          o.post_return = f;
          break;
        }
        case 0x06: {
          ACTR_TRY_VOID(once(o.async, "async"));
          o.async = true;
          break;
        }
        case 0x07: {
          ACTR_TRY_VOID(once(o.callback.has_value(), "callback"));
          ACTR_TRY(uint32_t f, s.u32());
          o.callback = f;
          break;
        }
        default:
          return Reader::error_at(at, "invalid canonical option " + hex(opt));
      }
    }
    return o;
  }

  Result<ast::Canon> canon(Reader& s) {
    ast::Canon c;
    size_t at = s.offset();
    ACTR_TRY(uint8_t op, s.byte());
    c.opcode = op;
    auto expect_func_sort = [&]() -> Result<void> {
      size_t sort_at = s.offset();
      ACTR_TRY(uint8_t b, s.byte());
      if (b != 0x00) return Reader::error_at(sort_at, "invalid canonical function sort " + hex(b));
      return {};
    };
    auto flag = [&]() -> Result<void> {  // async? cancel? shared?: 0x00 | 0x01
      ACTR_TRY_VOID(optional_flag(s));
      return {};
    };
    switch (op) {
      case 0x00: {
        c.kind = ast::Canon::Kind::Lift;
        ACTR_TRY_VOID(expect_func_sort());
        ACTR_TRY(c.func, s.u32());
        ACTR_TRY(c.options, canon_opts(s));
        ACTR_TRY(c.type, s.u32());
        return c;
      }
      case 0x01: {
        c.kind = ast::Canon::Kind::Lower;
        ACTR_TRY_VOID(expect_func_sort());
        ACTR_TRY(c.func, s.u32());
        ACTR_TRY(c.options, canon_opts(s));
        return c;
      }
      case 0x02:
        c.kind = ast::Canon::Kind::ResourceNew;
        break;
      case 0x03:
        c.kind = ast::Canon::Kind::ResourceDrop;
        break;
      case 0x04:
        c.kind = ast::Canon::Kind::ResourceRep;
        break;
      case 0x07:  // resource.drop async (older binaries)
        c.kind = ast::Canon::Kind::Unsupported;
        c.options.async = true;
        break;
      default: {
        // The built-ins of the async, thread and error-context proposals: decoded so that the
        // validator can name them.
        c.kind = ast::Canon::Kind::Unsupported;
        switch (op) {
          case 0x05:
          case 0x08:
          case 0x0d:
          case 0x1e:
          case 0x1f:
          case 0x22:
          case 0x23:
          case 0x24:
          case 0x25:
          case 0x26:
          case 0x28:
            return c;
          case 0x06:
          case 0x0c:
          case 0x29:
          case 0x2a:
          case 0x2b:
          case 0x2c:
          case 0x2d: {
            ACTR_TRY_VOID(flag());
            return c;
          }
          case 0x09: {  // task.return: result list and options
            ACTR_TRY(uint8_t form, s.byte());
            if (form == 0x00) {
              ACTR_TRY_VOID(valtype(s));
            } else if (form == 0x01) {
              ACTR_TRY_VOID(labeled_valtypes(s));
            } else {
              return s.error("invalid result list form " + hex(form));
            }
            ACTR_TRY(c.options, canon_opts(s));
            return c;
          }
          case 0x0a:
          case 0x0b: {  // context.get/set: core value type and slot
            ACTR_TRY_VOID(read_core_valtype(s));
            ACTR_TRY(c.type, s.u32());
            return c;
          }
          case 0x0e:
          case 0x13:
          case 0x14:
          case 0x15:
          case 0x1a:
          case 0x1b: {
            ACTR_TRY(c.type, s.u32());
            return c;
          }
          case 0x0f:
          case 0x10:
          case 0x16:
          case 0x17: {
            ACTR_TRY(c.type, s.u32());
            ACTR_TRY(c.options, canon_opts(s));
            return c;
          }
          case 0x11:
          case 0x12:
          case 0x18:
          case 0x19: {
            ACTR_TRY(c.type, s.u32());
            ACTR_TRY_VOID(flag());
            return c;
          }
          case 0x1c:
          case 0x1d: {
            ACTR_TRY(c.options, canon_opts(s));
            return c;
          }
          case 0x20:
          case 0x21: {  // waitable-set.wait/poll: cancel? memory
            ACTR_TRY_VOID(flag());
            ACTR_TRY_VOID(s.u32());
            return c;
          }
          case 0x27: {  // thread.new-indirect: core func type, table
            ACTR_TRY_VOID(s.u32());
            ACTR_TRY_VOID(s.u32());
            return c;
          }
          case 0x40: {
            ACTR_TRY_VOID(flag());
            ACTR_TRY_VOID(s.u32());
            return c;
          }
          case 0x41: {
            ACTR_TRY_VOID(flag());
            ACTR_TRY_VOID(s.u32());
            ACTR_TRY_VOID(s.u32());
            return c;
          }
          case 0x42: {
            ACTR_TRY_VOID(flag());
            return c;
          }
          default:
            return Reader::error_at(at, "invalid canonical function opcode " + hex(op));
        }
      }
    }
    ACTR_TRY(c.type, s.u32());  // resource.new/drop/rep: the resource type
    return c;
  }

  std::shared_ptr<const std::vector<uint8_t>> bytes_;
};

}  // namespace

bool is_component(std::span<const uint8_t> bytes) {
  if (bytes.size() < sizeof kPreamble) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (bytes[i] != kPreamble[i]) return false;
  }
  return bytes[6] == 0x01 && bytes[7] == 0x00;
}

Result<std::shared_ptr<const ast::Component>> decode(
    std::shared_ptr<const std::vector<uint8_t>> bytes) {
  if (!bytes) return make_error("no input");
  Decoder d(bytes);
  Reader r(std::span<const uint8_t>(bytes->data(), bytes->size()));
  ACTR_TRY(auto c, d.component(r, 0));
  return std::shared_ptr<const ast::Component>(std::move(c));
}

Result<std::shared_ptr<const ast::Component>> decode(std::span<const uint8_t> bytes) {
  return decode(std::make_shared<const std::vector<uint8_t>>(bytes.begin(), bytes.end()));
}

std::span<const uint8_t> module_bytes(const ast::Component& component, const ast::Definition& def) {
  if (!component.bytes || def.kind != ast::Definition::Kind::CoreModule) return {};
  const auto& b = *component.bytes;
  if (def.module_offset > b.size() || def.module_size > b.size() - def.module_offset) return {};
  return std::span<const uint8_t>(b.data() + def.module_offset, def.module_size);
}

}  // namespace actr::component::binary
