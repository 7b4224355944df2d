#include "component/binary/encoder.hpp"

#include <string>

#include "component/binary/core_writer.hpp"
#include "component/binary/decoder.hpp"
#include "component/binary/writer.hpp"

namespace actr::component::binary {
namespace {

constexpr uint8_t kPreamble[] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

uint8_t primitive_code(Kind k) {
  switch (k) {
    case Kind::Bool:
      return 0x7f;
    case Kind::S8:
      return 0x7e;
    case Kind::U8:
      return 0x7d;
    case Kind::S16:
      return 0x7c;
    case Kind::U16:
      return 0x7b;
    case Kind::S32:
      return 0x7a;
    case Kind::U32:
      return 0x79;
    case Kind::S64:
      return 0x78;
    case Kind::U64:
      return 0x77;
    case Kind::F32:
      return 0x76;
    case Kind::F64:
      return 0x75;
    case Kind::Char:
      return 0x74;
    case Kind::String:
      return 0x73;
    default:
      return 0;
  }
}

// Core sorts as Binary.md numbers them (core:sort).
Result<uint8_t> core_sort_code(ast::Sort s) {
  switch (s) {
    case ast::Sort::CoreFunc:
      return uint8_t{0x00};
    case ast::Sort::CoreTable:
      return uint8_t{0x01};
    case ast::Sort::CoreMemory:
      return uint8_t{0x02};
    case ast::Sort::CoreGlobal:
      return uint8_t{0x03};
    case ast::Sort::CoreTag:
      return uint8_t{0x04};
    case ast::Sort::CoreType:
      return uint8_t{0x10};
    case ast::Sort::CoreModule:
      return uint8_t{0x11};
    case ast::Sort::CoreInstance:
      return uint8_t{0x12};
    default:
      return make_error(std::string("not a core sort: ") + ast::to_string(s));
  }
}

bool is_core_sort(ast::Sort s) { return s <= ast::Sort::CoreInstance; }

Result<void> sort(Writer& w, ast::Sort s) {
  if (is_core_sort(s)) {
    w.byte(0x00);
    ACTR_TRY(uint8_t code, core_sort_code(s));
    w.byte(code);
    return {};
  }
  switch (s) {
    case ast::Sort::Func:
      w.byte(0x01);
      return {};
    case ast::Sort::Type:
      w.byte(0x03);
      return {};
    case ast::Sort::Component:
      w.byte(0x04);
      return {};
    case ast::Sort::Instance:
      w.byte(0x05);
      return {};
    default:
      return make_error(std::string("cannot encode sort ") + ast::to_string(s));
  }
}

Result<void> sort_idx(Writer& w, const ast::SortIdx& si) {
  ACTR_TRY_VOID(sort(w, si.sort));
  w.u32(si.index);
  return {};
}

// importname' / exportname': the plain form, or 0x02 with the attributes.
void extern_name(Writer& w, const std::string& name, const ast::NameAttrs& attrs) {
  bool plain = attrs.version_suffix.empty() && !attrs.implements && attrs.external_id.empty();
  w.byte(plain ? 0x00 : 0x02);
  w.name(name);
  if (plain) return;
  uint32_t n = (attrs.implements ? 1 : 0) + (attrs.version_suffix.empty() ? 0 : 1) +
               (attrs.external_id.empty() ? 0 : 1);
  w.u32(n);
  if (attrs.implements) {
    w.byte(0x00);
    w.name(*attrs.implements);
  }
  if (!attrs.version_suffix.empty()) {
    w.byte(0x01);
    w.name(attrs.version_suffix);
  }
  if (!attrs.external_id.empty()) {
    w.byte(0x02);
    w.name(attrs.external_id);
  }
}

void valtype(Writer& w, const ast::ValTypeRef& t) {
  if (t.is_primitive) {
    w.byte(primitive_code(t.primitive));
  } else {
    w.s64(t.index);  // s33: an index is a non-negative number
  }
}

void optional_valtype(Writer& w, const std::optional<ast::ValTypeRef>& t) {
  if (!t) {
    w.byte(0x00);
    return;
  }
  w.byte(0x01);
  valtype(w, *t);
}

void labeled(Writer& w, const std::vector<std::pair<std::string, ast::ValTypeRef>>& items) {
  w.u32(static_cast<uint32_t>(items.size()));
  for (const auto& [label, t] : items) {
    w.name(label);
    valtype(w, t);
  }
}

void labels(Writer& w, const std::vector<std::string>& names) {
  w.u32(static_cast<uint32_t>(names.size()));
  for (const auto& n : names) w.name(n);
}

Result<void> defvaltype(Writer& w, const ast::DefValType& t) {
  if (t.unsupported_opcode != 0) {
    return make_error("cannot encode an unsupported value type (opcode " +
                      std::to_string(t.unsupported_opcode) + ")");
  }
  if (uint8_t code = primitive_code(t.kind)) {
    w.byte(code);
    return {};
  }
  switch (t.kind) {
    case Kind::Record:
      w.byte(0x72);
      labeled(w, t.fields);
      return {};
    case Kind::Variant:
      w.byte(0x71);
      w.u32(static_cast<uint32_t>(t.cases.size()));
      for (const auto& [label, payload] : t.cases) {
        w.name(label);
        optional_valtype(w, payload);
        w.byte(0x00);  // no `refines`
      }
      return {};
    case Kind::List:
      if (!t.elem) return make_error("list without an element type");
      w.byte(0x70);
      valtype(w, *t.elem);
      return {};
    case Kind::FixedList:
      if (!t.elem) return make_error("fixed-length list without an element type");
      w.byte(0x67);
      valtype(w, *t.elem);
      w.u32(t.length);
      return {};
    case Kind::Tuple:
      w.byte(0x6f);
      w.u32(static_cast<uint32_t>(t.items.size()));
      for (const auto& item : t.items) valtype(w, item);
      return {};
    case Kind::Flags:
      w.byte(0x6e);
      labels(w, t.names);
      return {};
    case Kind::Enum:
      w.byte(0x6d);
      labels(w, t.names);
      return {};
    case Kind::Option:
      if (!t.elem) return make_error("option without an element type");
      w.byte(0x6b);
      valtype(w, *t.elem);
      return {};
    case Kind::Result:
      w.byte(0x6a);
      optional_valtype(w, t.ok);
      optional_valtype(w, t.err);
      return {};
    case Kind::Own:
      w.byte(0x69);
      w.u32(t.resource);
      return {};
    case Kind::Borrow:
      w.byte(0x68);
      w.u32(t.resource);
      return {};
    case Kind::Map:
      if (t.items.size() != 2) return make_error("map without key and value types");
      w.byte(0x63);
      valtype(w, t.items[0]);
      valtype(w, t.items[1]);
      return {};
    default:
      return make_error(std::string("cannot encode value type ") + to_string(t.kind));
  }
}

Result<void> externdesc(Writer& w, const ast::ExternDesc& d) {
  switch (d.kind) {
    case ast::ExternDesc::Kind::CoreModule:
      w.byte(0x00);
      w.byte(0x11);
      w.u32(d.type_index);
      return {};
    case ast::ExternDesc::Kind::Func:
      w.byte(0x01);
      w.u32(d.type_index);
      return {};
    case ast::ExternDesc::Kind::Value:
      return make_error("cannot encode a value import or export");
    case ast::ExternDesc::Kind::Type:
      w.byte(0x03);
      if (d.bound.sub_resource) {
        w.byte(0x01);
      } else {
        w.byte(0x00);
        w.u32(d.bound.eq);
      }
      return {};
    case ast::ExternDesc::Kind::Component:
      w.byte(0x04);
      w.u32(d.type_index);
      return {};
    case ast::ExternDesc::Kind::Instance:
      w.byte(0x05);
      w.u32(d.type_index);
      return {};
  }
  return {};
}

Result<void> alias_target(Writer& w, const ast::Alias& a) {
  ACTR_TRY_VOID(sort(w, a.sort));
  switch (a.target) {
    case ast::Alias::Target::Export:
      w.byte(0x00);
      w.u32(a.instance);
      w.name(a.name);
      return {};
    case ast::Alias::Target::CoreExport:
      w.byte(0x01);
      w.u32(a.instance);
      w.name(a.name);
      return {};
    case ast::Alias::Target::Outer:
      w.byte(0x02);
      w.u32(a.outer_count);
      w.u32(a.outer_index);
      return {};
  }
  return {};
}

Result<void> core_type(Writer& w, const ast::CoreTypeDef& t) {
  if (t.is_module) return make_error("cannot encode a core module type");
  if (!t.final) {  // (sub (func ...)) without supertypes
    w.byte(0x00);
    w.byte(0x50);
    w.u32(0);
  }
  w.byte(0x60);
  w.u32(static_cast<uint32_t>(t.func.params.size()));
  for (auto v : t.func.params) w.byte(valtype_code(v));
  w.u32(static_cast<uint32_t>(t.func.results.size()));
  for (auto v : t.func.results) w.byte(valtype_code(v));
  return {};
}

Result<void> type_def(Writer& w, const ast::TypeDef& t);

Result<void> decls(Writer& w, const std::vector<ast::TypeDecl>& ds, bool component) {
  w.u32(static_cast<uint32_t>(ds.size()));
  for (const auto& d : ds) {
    switch (d.kind) {
      case ast::TypeDecl::Kind::CoreType:
        w.byte(0x00);
        ACTR_TRY_VOID(core_type(w, *d.core_type));
        break;
      case ast::TypeDecl::Kind::Type:
        w.byte(0x01);
        ACTR_TRY_VOID(type_def(w, *d.type));
        break;
      case ast::TypeDecl::Kind::Alias:
        w.byte(0x02);
        ACTR_TRY_VOID(alias_target(w, d.alias));
        break;
      case ast::TypeDecl::Kind::Import:
        if (!component) return make_error("an instance type cannot declare imports");
        w.byte(0x03);
        extern_name(w, d.import.name, d.import.attrs);
        ACTR_TRY_VOID(externdesc(w, d.import.desc));
        break;
      case ast::TypeDecl::Kind::Export:
        w.byte(0x04);
        extern_name(w, d.export_.name, d.export_.attrs);
        ACTR_TRY_VOID(externdesc(w, d.export_.desc));
        break;
    }
  }
  return {};
}

Result<void> type_def(Writer& w, const ast::TypeDef& t) {
  if (const auto* v = std::get_if<ast::DefValType>(&t)) return defvaltype(w, *v);
  if (const auto* f = std::get_if<ast::FuncTypeDef>(&t)) {
    w.byte(f->async ? 0x43 : 0x40);
    labeled(w, f->params);
    if (f->results.size() == 1 && f->results[0].first.empty()) {
      w.byte(0x00);
      valtype(w, f->results[0].second);
    } else {
      w.byte(0x01);
      labeled(w, f->results);
    }
    return {};
  }
  if (const auto* c = std::get_if<ast::ComponentTypeDef>(&t)) {
    w.byte(0x41);
    return decls(w, c->decls, true);
  }
  if (const auto* i = std::get_if<ast::InstanceTypeDef>(&t)) {
    w.byte(0x42);
    return decls(w, i->decls, false);
  }
  const auto& r = std::get<ast::ResourceTypeDef>(t);
  if (r.async) return make_error("cannot encode an async resource destructor");
  w.byte(0x3f);
  w.byte(valtype_code(r.rep));
  if (r.dtor) {
    w.byte(0x01);
    w.u32(*r.dtor);
  } else {
    w.byte(0x00);
  }
  return {};
}

void canon_options(Writer& w, const ast::CanonOptions& o) {
  uint32_t n = (o.memory ? 1 : 0) + (o.realloc ? 1 : 0) + (o.encoding_given ? 1 : 0) +
               (o.post_return ? 1 : 0);
  w.u32(n);
  if (o.memory) {
    w.byte(0x03);
    w.u32(*o.memory);
  }
  if (o.realloc) {
    w.byte(0x04);
    w.u32(*o.realloc);
  }
  if (o.encoding_given) {
    w.byte(o.encoding == ast::StringEncoding::Utf8    ? 0x00
           : o.encoding == ast::StringEncoding::Utf16 ? 0x01
                                                      : 0x02);
  }
  if (o.post_return) {
    w.byte(0x05);
    w.u32(*o.post_return);
  }
}

Result<void> canon(Writer& w, const ast::Canon& c) {
  if (c.options.async || c.options.callback) return make_error("cannot encode async canon options");
  switch (c.kind) {
    case ast::Canon::Kind::Lift:
      w.byte(0x00);
      w.byte(0x00);
      w.u32(c.func);
      canon_options(w, c.options);
      w.u32(c.type);
      return {};
    case ast::Canon::Kind::Lower:
      w.byte(0x01);
      w.byte(0x00);
      w.u32(c.func);
      canon_options(w, c.options);
      return {};
    case ast::Canon::Kind::ResourceNew:
      w.byte(0x02);
      w.u32(c.type);
      return {};
    case ast::Canon::Kind::ResourceDrop:
      w.byte(0x03);
      w.u32(c.type);
      return {};
    case ast::Canon::Kind::ResourceRep:
      w.byte(0x04);
      w.u32(c.type);
      return {};
    case ast::Canon::Kind::Unsupported:
      break;
  }
  return make_error("cannot encode canonical built-in " + std::to_string(c.opcode));
}

// The section a definition goes to; 0 for those that get a section of their own.
uint8_t section_id(ast::Definition::Kind k) {
  switch (k) {
    case ast::Definition::Kind::CoreModule:
      return 1;
    case ast::Definition::Kind::CoreInstance:
      return 2;
    case ast::Definition::Kind::CoreType:
      return 3;
    case ast::Definition::Kind::Component:
      return 4;
    case ast::Definition::Kind::Instance:
      return 5;
    case ast::Definition::Kind::Alias:
      return 6;
    case ast::Definition::Kind::Type:
      return 7;
    case ast::Definition::Kind::Canon:
      return 8;
    case ast::Definition::Kind::Start:
      return 9;
    case ast::Definition::Kind::Import:
      return 10;
    case ast::Definition::Kind::Export:
      return 11;
  }
  return 0;
}

Result<void> item(Writer& w, const ast::Component& c, const ast::Definition& d);

Result<void> component_body(Writer& w, const ast::Component& c) {
  w.bytes(kPreamble);
  size_t i = 0;
  while (i < c.defs.size()) {
    auto kind = c.defs[i].kind;
    uint8_t id = section_id(kind);
    Writer body;
    if (kind == ast::Definition::Kind::CoreModule || kind == ast::Definition::Kind::Component) {
      ACTR_TRY_VOID(item(body, c, c.defs[i]));
      ++i;
    } else if (kind == ast::Definition::Kind::Start) {
      return make_error("cannot encode a start function (the value feature is not supported)");
    } else {
      size_t j = i;
      while (j < c.defs.size() && c.defs[j].kind == kind) ++j;
      body.u32(static_cast<uint32_t>(j - i));
      for (; i < j; ++i) ACTR_TRY_VOID(item(body, c, c.defs[i]));
    }
    w.section(id, body);
  }
  return {};
}

Result<void> item(Writer& w, const ast::Component& c, const ast::Definition& d) {
  switch (d.kind) {
    case ast::Definition::Kind::CoreModule: {
      if (!c.bytes || size_t{d.module_offset} + d.module_size > c.bytes->size()) {
        return make_error("core module bytes out of range");
      }
      w.bytes(module_bytes(c, d));
      return {};
    }
    case ast::Definition::Kind::CoreInstance: {
      const auto& ci = d.core_instance;
      if (ci.instantiate) {
        w.byte(0x00);
        w.u32(ci.module);
        w.u32(static_cast<uint32_t>(ci.args.size()));
        for (const auto& a : ci.args) {
          w.name(a.name);
          w.byte(0x12);
          w.u32(a.instance);
        }
      } else {
        w.byte(0x01);
        w.u32(static_cast<uint32_t>(ci.exports.size()));
        for (const auto& e : ci.exports) {
          w.name(e.name);
          ACTR_TRY(uint8_t code, core_sort_code(e.item.sort));
          w.byte(code);
          w.u32(e.item.index);
        }
      }
      return {};
    }
    case ast::Definition::Kind::CoreType:
      return core_type(w, *d.core_type);
    case ast::Definition::Kind::Component:
      return component_body(w, *d.component);
    case ast::Definition::Kind::Instance: {
      const auto& in = d.instance;
      if (in.instantiate) {
        w.byte(0x00);
        w.u32(in.component);
        w.u32(static_cast<uint32_t>(in.args.size()));
        for (const auto& a : in.args) {
          w.name(a.name);
          ACTR_TRY_VOID(sort_idx(w, a.item));
        }
      } else {
        w.byte(0x01);
        w.u32(static_cast<uint32_t>(in.exports.size()));
        for (const auto& e : in.exports) {
          extern_name(w, e.name, e.attrs);
          ACTR_TRY_VOID(sort_idx(w, e.item));
        }
      }
      return {};
    }
    case ast::Definition::Kind::Alias:
      return alias_target(w, d.alias);
    case ast::Definition::Kind::Type:
      return type_def(w, *d.type);
    case ast::Definition::Kind::Canon:
      return canon(w, d.canon);
    case ast::Definition::Kind::Import:
      extern_name(w, d.import.name, d.import.attrs);
      return externdesc(w, d.import.desc);
    case ast::Definition::Kind::Export:
      extern_name(w, d.export_.name, d.export_.attrs);
      ACTR_TRY_VOID(sort_idx(w, d.export_.item));
      if (d.export_.ascribed) {
        w.byte(0x01);
        ACTR_TRY_VOID(externdesc(w, *d.export_.ascribed));
      } else {
        w.byte(0x00);
      }
      return {};
    case ast::Definition::Kind::Start:
      break;
  }
  return make_error("cannot encode a start function");
}

}  // namespace

Result<std::vector<uint8_t>> encode(const ast::Component& component) {
  Writer w;
  ACTR_TRY_VOID(component_body(w, component));
  return w.take();
}

Result<std::vector<uint8_t>> encode_type(const ast::TypeDef& type) {
  Writer w;
  ACTR_TRY_VOID(type_def(w, type));
  return w.take();
}

}  // namespace actr::component::binary
