// The component binary decoder: real components from other toolchains, every section and
// definition form from component text, and malformed input (which must fail cleanly).
#include "component/binary/decoder.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "component/component_text.hpp"
#include "component/validate/validator.hpp"
#include "component/wit/wit_printer.hpp"
#include "support/missing.hpp"

namespace actr::component {
namespace {

namespace fs = std::filesystem;
using ast::Definition;
using K = Definition::Kind;

const fs::path kFixtures = fs::path(ACTR_SHARED_DIR) / "fixtures" / "components";

std::map<K, int> count_kinds(const ast::Component& c) {
  std::map<K, int> n;
  for (const auto& d : c.defs) n[d.kind]++;
  return n;
}

std::shared_ptr<const ast::Component> decode_ok(const std::vector<uint8_t>& bytes) {
  auto r = binary::decode(bytes);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : nullptr;
}

std::string decode_error(const std::vector<uint8_t>& bytes) {
  auto r = binary::decode(bytes);
  EXPECT_FALSE(r.ok()) << "decoded malformed input";
  return r.ok() ? "" : r.error().message;
}

// ---- real components ----

TEST(Decoder, EveryFixtureDecodes) {
  if (!fs::exists(kFixtures)) ACTR_SKIP_MISSING("fixtures not found at " << kFixtures);
  int n = 0;
  for (const auto& entry : fs::directory_iterator(kFixtures)) {
    if (entry.path().extension() != ".wasm") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto bytes = test::read_file_bytes(entry.path().string());
    ASSERT_TRUE(bytes);
    auto c = decode_ok(*bytes);
    ASSERT_TRUE(c);
    auto kinds = count_kinds(*c);
    // wit-component with the preview1 adapter: main module, adapter, shim and fixup modules.
    EXPECT_GE(kinds[K::CoreModule], 4);
    EXPECT_GE(kinds[K::CoreInstance], 10);
    EXPECT_GE(kinds[K::Import], 9);
    EXPECT_GE(kinds[K::Export], 1);
    for (const auto& d : c->defs) {
      if (d.kind != K::CoreModule) continue;
      auto m = binary::module_bytes(*c, d);
      ASSERT_GE(m.size(), 8u);
      EXPECT_EQ(m[0], 0x00);
      EXPECT_EQ(m[1], 0x61);
      EXPECT_EQ(m[4], 0x01);  // core version 1
    }
    ++n;
  }
  EXPECT_EQ(n, 9);
}

TEST(Decoder, SmokeFixtureStructure) {
  auto bytes = test::read_file_bytes((kFixtures / "smoke.component.wasm").string());
  if (!bytes) ACTR_SKIP_MISSING("smoke fixture not found");
  auto c = decode_ok(*bytes);
  ASSERT_TRUE(c);
  auto kinds = count_kinds(*c);
  EXPECT_EQ(kinds[K::CoreModule], 5);
  EXPECT_EQ(kinds[K::CoreInstance], 23);
  EXPECT_EQ(kinds[K::Import], 14);
  EXPECT_EQ(kinds[K::Export], 1);
  EXPECT_EQ(kinds[K::Alias], 64);
  EXPECT_EQ(kinds[K::Type], 15);
  EXPECT_EQ(kinds[K::Canon], 26);

  // The first import is the test interface, an instance with one function.
  const Definition* first_import = nullptr;
  for (const auto& d : c->defs) {
    if (d.kind == K::Import) {
      first_import = &d;
      break;
    }
  }
  ASSERT_TRUE(first_import);
  EXPECT_EQ(first_import->import.name, "test:smoke/imports");
  EXPECT_EQ(first_import->import.desc.kind, ast::ExternDesc::Kind::Instance);

  // The main module's interface: imports by module/name with their core types, and exports.
  const Definition& main = *std::find_if(
      c->defs.begin(), c->defs.end(), [](const Definition& d) { return d.kind == K::CoreModule; });
  ASSERT_FALSE(main.module_imports.empty());
  EXPECT_EQ(main.module_imports[0].module, "test:smoke/imports");
  EXPECT_EQ(main.module_imports[0].name, "thunk");
  EXPECT_EQ(main.module_imports[0].type.kind, wasm::ExternKind::Func);
  EXPECT_TRUE(main.module_imports[0].type.func.params.empty());
  std::map<std::string, wasm::ExternType> exports;
  for (const auto& e : main.module_exports) exports[e.name] = e.type;
  ASSERT_TRUE(exports.count("memory"));
  EXPECT_EQ(exports["memory"].kind, wasm::ExternKind::Memory);
  ASSERT_TRUE(exports.count("cabi_realloc"));
  EXPECT_EQ(exports["cabi_realloc"].func.to_string(), "(i32, i32, i32, i32) -> (i32)");
  ASSERT_TRUE(exports.count("thunk"));

  // canon lower with options, as wit-component writes them.
  bool saw_lower_with_options = false;
  for (const auto& d : c->defs) {
    if (d.kind == K::Canon && d.canon.kind == ast::Canon::Kind::Lower && d.canon.options.realloc) {
      EXPECT_TRUE(d.canon.options.memory);
      EXPECT_EQ(d.canon.options.encoding, ast::StringEncoding::Utf8);
      saw_lower_with_options = true;
    }
  }
  EXPECT_TRUE(saw_lower_with_options);
}

TEST(Decoder, SharedBufferIsNotCopied) {
  auto bytes = test::read_file_bytes((kFixtures / "numbers.component.wasm").string());
  if (!bytes) ACTR_SKIP_MISSING("numbers fixture not found");
  auto shared = std::make_shared<const std::vector<uint8_t>>(std::move(*bytes));
  auto r = binary::decode(shared);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->bytes.get(), shared.get());
  for (const auto& d : (*r)->defs) {
    if (d.kind == K::Component) {
      EXPECT_EQ(d.component->bytes.get(), shared.get());
    }
  }
}

// ---- every form, from component text ----

TEST(Decoder, TypeDefinitions) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component
    (type $r (resource (rep i32)))
    (type (record (field "a" u32) (field "b" string)))
    (type (variant (case "x") (case "y" s64)))
    (type (list u8))
    (type (tuple bool char))
    (type (flags "p" "q"))
    (type (enum "e1" "e2" "e3"))
    (type (option f64))
    (type (result u32 (error string)))
    (type (result))
    (type (own $r))
    (type (borrow $r))
    (type (func (param "x" u32) (param "y" 3) (result string)))
    (type (func))
    (type (instance (export "f" (func))))
    (type (component (import "i" (func)) (export "e" (func))))
    (type u16)
  ))");
  auto c = decode_ok(bytes);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->defs.size(), 17u);
  auto val = [&](size_t i) -> const ast::DefValType& {
    return std::get<ast::DefValType>(*c->defs[i].type);
  };
  EXPECT_TRUE(std::holds_alternative<ast::ResourceTypeDef>(*c->defs[0].type));
  EXPECT_EQ(std::get<ast::ResourceTypeDef>(*c->defs[0].type).rep, wasm::ValType::I32);
  EXPECT_EQ(val(1).kind, Kind::Record);
  ASSERT_EQ(val(1).fields.size(), 2u);
  EXPECT_EQ(val(1).fields[1].first, "b");
  EXPECT_EQ(val(1).fields[1].second.primitive, Kind::String);
  EXPECT_EQ(val(2).kind, Kind::Variant);
  EXPECT_FALSE(val(2).cases[0].second.has_value());
  EXPECT_EQ(val(2).cases[1].second->primitive, Kind::S64);
  EXPECT_EQ(val(3).kind, Kind::List);
  EXPECT_EQ(val(3).elem->primitive, Kind::U8);
  EXPECT_EQ(val(4).items.size(), 2u);
  EXPECT_EQ(val(5).names, (std::vector<std::string>{"p", "q"}));
  EXPECT_EQ(val(6).kind, Kind::Enum);
  EXPECT_EQ(val(7).kind, Kind::Option);
  EXPECT_EQ(val(8).ok->primitive, Kind::U32);
  EXPECT_EQ(val(8).err->primitive, Kind::String);
  EXPECT_FALSE(val(9).ok.has_value());
  EXPECT_FALSE(val(9).err.has_value());
  EXPECT_EQ(val(10).kind, Kind::Own);
  EXPECT_EQ(val(10).resource, 0u);
  EXPECT_EQ(val(11).kind, Kind::Borrow);
  const auto& f = std::get<ast::FuncTypeDef>(*c->defs[12].type);
  ASSERT_EQ(f.params.size(), 2u);
  EXPECT_FALSE(f.params[1].second.is_primitive);
  EXPECT_EQ(f.params[1].second.index, 3u);
  ASSERT_EQ(f.results.size(), 1u);
  EXPECT_EQ(f.results[0].first, "");
  EXPECT_TRUE(std::get<ast::FuncTypeDef>(*c->defs[13].type).results.empty());
  const auto& it = std::get<ast::InstanceTypeDef>(*c->defs[14].type);
  ASSERT_EQ(it.decls.size(), 2u);
  EXPECT_EQ(it.decls[1].kind, ast::TypeDecl::Kind::Export);
  EXPECT_EQ(it.decls[1].export_.name, "f");
  const auto& ct = std::get<ast::ComponentTypeDef>(*c->defs[15].type);
  EXPECT_EQ(ct.decls[1].kind, ast::TypeDecl::Kind::Import);
  EXPECT_EQ(val(16).kind, Kind::U16);
}

TEST(Decoder, ResourceWithDestructorAndCanonBuiltins) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component
    (core module $m
      (func (export "dtor") (param i32))
      (func (export "f") (param i32) (result i32) local.get 0)
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 0))
    (core instance $i (instantiate $m))
    (alias core export $i "dtor" (core func $dtor))
    (type $r (resource (rep i32) (dtor (core func $dtor))))
    (core func (canon resource.new $r))
    (core func (canon resource.drop $r))
    (core func (canon resource.rep $r))
    (type $ft (func (param "s" string) (result u32)))
    (alias core export $i "f" (core func $f))
    (alias core export $i "mem" (core memory $mem))
    (alias core export $i "realloc" (core func $realloc))
    (func $lifted (type $ft) (canon lift (core func $f) (memory $mem) (realloc (core func $realloc)) string-encoding=utf16))
    (core func (canon lower (func $lifted) (memory $mem) string-encoding=latin1+utf16))
    (export "lifted" (func $lifted))
  ))");
  auto c = decode_ok(bytes);
  ASSERT_TRUE(c);
  std::vector<const ast::Canon*> canons;
  const ast::ResourceTypeDef* res = nullptr;
  for (const auto& d : c->defs) {
    if (d.kind == K::Canon) canons.push_back(&d.canon);
    if (d.kind == K::Type && std::holds_alternative<ast::ResourceTypeDef>(*d.type)) {
      res = &std::get<ast::ResourceTypeDef>(*d.type);
    }
  }
  ASSERT_TRUE(res);
  ASSERT_TRUE(res->dtor.has_value());
  EXPECT_EQ(*res->dtor, 0u);
  ASSERT_EQ(canons.size(), 5u);
  EXPECT_EQ(canons[0]->kind, ast::Canon::Kind::ResourceNew);
  EXPECT_EQ(canons[1]->kind, ast::Canon::Kind::ResourceDrop);
  EXPECT_EQ(canons[2]->kind, ast::Canon::Kind::ResourceRep);
  EXPECT_EQ(canons[3]->kind, ast::Canon::Kind::Lift);
  EXPECT_EQ(canons[3]->options.encoding, ast::StringEncoding::Utf16);
  EXPECT_EQ(canons[3]->options.memory, 0u);
  EXPECT_EQ(canons[3]->options.realloc, 5u);  // after dtor, the three built-ins and f
  EXPECT_EQ(canons[4]->kind, ast::Canon::Kind::Lower);
  EXPECT_EQ(canons[4]->options.encoding, ast::StringEncoding::Latin1Utf16);
  EXPECT_FALSE(canons[4]->options.realloc.has_value());
  EXPECT_EQ(c->defs.back().kind, K::Export);
  EXPECT_EQ(c->defs.back().export_.item.sort, ast::Sort::Func);
}

TEST(Decoder, AsyncBuiltinsDecodeAsUnsupported) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component
    (core func (canon task.return (result u32)))
    (core func (canon task.cancel))
    (core func (canon context.get i32 0))
    (core func (canon backpressure.inc))
    (core func (canon waitable-set.new))
    (core func (canon subtask.drop))
    (type $s (stream u8))
    (core func (canon stream.new $s))
    (type (func async))
  ))");
  auto c = decode_ok(bytes);
  ASSERT_TRUE(c);
  std::vector<uint8_t> opcodes;
  for (const auto& d : c->defs) {
    if (d.kind == K::Canon) {
      EXPECT_EQ(d.canon.kind, ast::Canon::Kind::Unsupported);
      opcodes.push_back(d.canon.opcode);
    }
  }
  EXPECT_EQ(opcodes, (std::vector<uint8_t>{0x09, 0x05, 0x0a, 0x24, 0x1f, 0x0d, 0x0e}));
  const auto& stream = std::get<ast::DefValType>(*c->defs[6].type);
  EXPECT_EQ(stream.unsupported_opcode, 0x66);
  EXPECT_TRUE(std::get<ast::FuncTypeDef>(*c->defs.back().type).async);
}

TEST(Decoder, InstancesAliasesImportsExports) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component $outer
    (type $t (instance (export "g" (func))))
    (import "a:b/c@0.2" (versionsuffix ".1") (instance $imp (type $t)))
    (import "other" (implements "a:b/c") (instance (type $t)))
    (alias export $imp "g" (func $g))
    (component $inner
      (import "g" (func $g))
      (alias outer $outer $t (type $t2))
      (export "g2" (func $g))
    )
    (instance $made (instantiate $inner (with "g" (func $g))))
    (instance $bundle (export "h" (func $g)))
    (alias export $made "g2" (func))
    (export "out" (instance $bundle) (instance (type $t)))
    (core module $m)
    (core instance (instantiate $m))
    (core instance (export "x" (func 0)))
  ))");
  auto c = decode_ok(bytes);
  ASSERT_TRUE(c);
  const auto& defs = c->defs;
  const Definition* imp = nullptr;
  const Definition* imp2 = nullptr;
  for (const auto& d : defs) {
    if (d.kind == K::Import) (imp ? imp2 : imp) = &d;
  }
  ASSERT_TRUE(imp && imp2);
  EXPECT_EQ(imp->import.name, "a:b/c@0.2");
  EXPECT_EQ(imp->import.attrs.version_suffix, ".1");
  EXPECT_EQ(imp2->import.attrs.implements, "a:b/c");

  std::vector<const Definition*> aliases, instances, core_instances, components, exports;
  for (const auto& d : defs) {
    if (d.kind == K::Alias) aliases.push_back(&d);
    if (d.kind == K::Instance) instances.push_back(&d);
    if (d.kind == K::CoreInstance) core_instances.push_back(&d);
    if (d.kind == K::Component) components.push_back(&d);
    if (d.kind == K::Export) exports.push_back(&d);
  }
  ASSERT_EQ(aliases.size(), 2u);
  EXPECT_EQ(aliases[0]->alias.target, ast::Alias::Target::Export);
  EXPECT_EQ(aliases[0]->alias.name, "g");
  EXPECT_EQ(aliases[0]->alias.sort, ast::Sort::Func);

  ASSERT_EQ(components.size(), 1u);
  const auto& inner = *components[0]->component;
  const Definition* outer_alias = nullptr;
  for (const auto& d : inner.defs) {
    if (d.kind == K::Alias) outer_alias = &d;
  }
  ASSERT_TRUE(outer_alias);
  EXPECT_EQ(outer_alias->alias.target, ast::Alias::Target::Outer);
  EXPECT_EQ(outer_alias->alias.outer_count, 1u);
  EXPECT_EQ(outer_alias->alias.outer_index, 0u);
  EXPECT_EQ(outer_alias->alias.sort, ast::Sort::Type);

  ASSERT_EQ(instances.size(), 2u);
  EXPECT_TRUE(instances[0]->instance.instantiate);
  ASSERT_EQ(instances[0]->instance.args.size(), 1u);
  EXPECT_EQ(instances[0]->instance.args[0].name, "g");
  EXPECT_EQ(instances[0]->instance.args[0].item.sort, ast::Sort::Func);
  EXPECT_FALSE(instances[1]->instance.instantiate);
  EXPECT_EQ(instances[1]->instance.exports[0].name, "h");

  ASSERT_EQ(exports.size(), 1u);
  ASSERT_TRUE(exports[0]->export_.ascribed.has_value());
  EXPECT_EQ(exports[0]->export_.ascribed->kind, ast::ExternDesc::Kind::Instance);
  EXPECT_EQ(exports[0]->export_.item.sort, ast::Sort::Instance);

  ASSERT_EQ(core_instances.size(), 2u);
  EXPECT_TRUE(core_instances[0]->core_instance.instantiate);
  EXPECT_FALSE(core_instances[1]->core_instance.instantiate);
  EXPECT_EQ(core_instances[1]->core_instance.exports[0].item.sort, ast::Sort::CoreFunc);
}

TEST(Decoder, CoreModuleTypes) {
  ACTR_COMPONENT_FROM_TEXT(bytes, R"((component
    (core type $ft (func (param i32) (result i64)))
    (core type (module
      (type $f (func (param i32)))
      (alias outer 1 $ft (type $g))
      (import "env" "f" (func (type $f)))
      (import "env" "mem" (memory 1 2))
      (export "g" (func (type $g)))
      (export "t" (table 1 funcref))
      (export "gl" (global (mut i64)))))
    (import "m" (core module (type 1)))
  ))");
  auto c = decode_ok(bytes);
  ASSERT_TRUE(c);
  const auto& ft = *c->defs[0].core_type;
  EXPECT_FALSE(ft.is_module);
  EXPECT_EQ(ft.func.to_string(), "(i32) -> (i64)");
  const auto& mt = *c->defs[1].core_type;
  ASSERT_TRUE(mt.is_module);
  ASSERT_EQ(mt.module.size(), 7u);
  using D = ast::CoreModuleTypeDecl::Kind;
  EXPECT_EQ(mt.module[0].kind, D::Type);
  EXPECT_EQ(mt.module[1].kind, D::Alias);
  EXPECT_EQ(mt.module[1].alias.outer_count, 1u);
  EXPECT_EQ(mt.module[2].kind, D::Import);
  EXPECT_EQ(mt.module[2].import.module, "env");
  EXPECT_EQ(mt.module[2].func_type_index, 0u);
  EXPECT_EQ(mt.module[3].import.type.kind, wasm::ExternKind::Memory);
  EXPECT_EQ(mt.module[3].import.type.memory.limits.max, 2u);
  EXPECT_EQ(mt.module[4].kind, D::Export);
  EXPECT_EQ(mt.module[4].func_type_index, 1u);
  EXPECT_EQ(mt.module[5].export_type.kind, wasm::ExternKind::Table);
  EXPECT_TRUE(mt.module[6].export_type.global.is_mutable);
  EXPECT_EQ(c->defs[2].import.desc.kind, ast::ExternDesc::Kind::CoreModule);
}

// ---- hand-made binaries (forms the text parser does not produce) ----

std::vector<uint8_t> preamble() { return {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00}; }

std::vector<uint8_t> with_section(uint8_t id, std::vector<uint8_t> body) {
  auto b = preamble();
  b.push_back(id);
  b.push_back(static_cast<uint8_t>(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

TEST(Decoder, LegacyNamedResultsAndStart) {
  // type section: (func (param "a" u32) (result "x" u8) (result "y" string)) in the 0x01 form
  auto b = with_section(
      7, {0x01, 0x40, 0x01, 0x01, 'a', 0x79, 0x01, 0x02, 0x01, 'x', 0x7d, 0x01, 'y', 0x73});
  // start section: func 0, args [], 0 results
  b.insert(b.end(), {0x09, 0x03, 0x00, 0x00, 0x00});
  auto c = decode_ok(b);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->defs.size(), 2u);
  const auto& f = std::get<ast::FuncTypeDef>(*c->defs[0].type);
  ASSERT_EQ(f.results.size(), 2u);
  EXPECT_EQ(f.results[0].first, "x");
  EXPECT_EQ(f.results[1].second.primitive, Kind::String);
  EXPECT_EQ(c->defs[1].kind, K::Start);
}

TEST(Decoder, LegacyResourceDropAsync) {
  // canon section: resource.drop async (0x07) of type 0
  auto c = decode_ok(with_section(8, {0x01, 0x07, 0x00}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->defs[0].canon.kind, ast::Canon::Kind::Unsupported);
  EXPECT_EQ(c->defs[0].canon.opcode, 0x07);
}

TEST(Decoder, TypeIndicesUseSignedEncoding) {
  // (list <type 115>): index 115 must be written as a two-byte s33 (0xf3 0x00), not 0x73 (string).
  auto c = decode_ok(with_section(7, {0x02, 0x70, 0xf3, 0x00, 0x70, 0x73}));
  ASSERT_TRUE(c);
  const auto& a = std::get<ast::DefValType>(*c->defs[0].type);
  EXPECT_FALSE(a.elem->is_primitive);
  EXPECT_EQ(a.elem->index, 115u);
  const auto& b = std::get<ast::DefValType>(*c->defs[1].type);
  EXPECT_TRUE(b.elem->is_primitive);
  EXPECT_EQ(b.elem->primitive, Kind::String);
}

TEST(Decoder, IsComponent) {
  EXPECT_TRUE(binary::is_component(preamble()));
  EXPECT_FALSE(
      binary::is_component(std::vector<uint8_t>{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(binary::is_component(std::vector<uint8_t>{0x00, 0x61}));
}

// ---- malformed input ----

TEST(Decoder, RejectsBadPreambles) {
  EXPECT_NE(decode_error({}).find("too short"), std::string::npos);
  EXPECT_NE(decode_error({'n', 'o', 'p', 'e', 0x0d, 0, 1, 0}).find("bad magic"), std::string::npos);
  EXPECT_NE(decode_error({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}).find("core module"),
            std::string::npos);
  EXPECT_NE(decode_error({0x00, 0x61, 0x73, 0x6d, 0x0c, 0x00, 0x01, 0x00}).find("version 0x0c"),
            std::string::npos);
}

TEST(Decoder, ErrorsCarryTheOffset) {
  // A type section whose only type has an invalid opcode 0x55 at byte 0x0b.
  std::string msg = decode_error(with_section(7, {0x01, 0x55}));
  EXPECT_EQ(msg, "at byte 0xb: invalid type definition opcode 0x55");
}

TEST(Decoder, RejectsLengthsBeyondTheInput) {
  // A section claiming 0x7f bytes when 2 remain.
  auto b = preamble();
  b.insert(b.end(), {0x07, 0x7f, 0x01, 0x73});
  EXPECT_NE(decode_error(b).find("exceeds the input"), std::string::npos);
  // A vector claiming 2^32-1 elements: rejected before anything is allocated.
  EXPECT_NE(decode_error(with_section(7, {0xff, 0xff, 0xff, 0xff, 0x0f}))
                .find("exceeds the remaining input"),
            std::string::npos);
  // A name longer than the rest.
  EXPECT_NE(decode_error(with_section(10, {0x01, 0x00, 0x50, 'a'})).find("exceeds the input"),
            std::string::npos);
}

TEST(Decoder, RejectsMalformedNumbersAndNames) {
  // u32 with too many bytes
  EXPECT_NE(decode_error(with_section(7, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00})).find("too long"),
            std::string::npos);
  // u32 overflowing 32 bits
  EXPECT_NE(decode_error(with_section(7, {0xff, 0xff, 0xff, 0xff, 0x7f})).find("too large"),
            std::string::npos);
  // invalid UTF-8 in an import name
  EXPECT_NE(
      decode_error(with_section(10, {0x01, 0x00, 0x02, 0xc3, 0x28, 0x01, 0x00})).find("UTF-8"),
      std::string::npos);
}

TEST(Decoder, RejectsUnknownAndUnsupportedSections) {
  EXPECT_NE(decode_error(with_section(13, {0x00})).find("unknown component section id 13"),
            std::string::npos);
  EXPECT_NE(decode_error(with_section(12, {0x00})).find("value definitions are not supported"),
            std::string::npos);
  // A section with trailing bytes after its content.
  EXPECT_NE(decode_error(with_section(7, {0x01, 0x73, 0x73})).find("unexpected bytes at the end"),
            std::string::npos);
}

TEST(Decoder, RejectsInvalidForms) {
  EXPECT_NE(decode_error(with_section(6, {0x01, 0x09, 0x00, 0x00, 0x00})).find("invalid sort"),
            std::string::npos);
  EXPECT_NE(
      decode_error(with_section(6, {0x01, 0x01, 0x07, 0x00, 0x00})).find("invalid alias target"),
      std::string::npos);
  EXPECT_NE(decode_error(with_section(8, {0x01, 0xff})).find("invalid canonical function opcode"),
            std::string::npos);
  EXPECT_NE(decode_error(with_section(8, {0x01, 0x01, 0x00, 0x00, 0x01, 0x09}))
                .find("invalid canonical option"),
            std::string::npos);
  // Duplicate canonical option (memory twice).
  EXPECT_NE(decode_error(with_section(8, {0x01, 0x01, 0x00, 0x00, 0x02, 0x03, 0x00, 0x03, 0x00}))
                .find("twice"),
            std::string::npos);
  EXPECT_NE(decode_error(with_section(10, {0x01, 0x03, 0x01, 'a', 0x01, 0x00}))
                .find("invalid import/export name form"),
            std::string::npos);
  // Core sorts stop at tag (0x04) below the type/module/instance range (0x10-0x12).
  EXPECT_NE(decode_error(with_section(6, {0x01, 0x00, 0x05, 0x01, 0x00, 0x01, 'x'}))
                .find("invalid core sort 0x05"),
            std::string::npos);
}

TEST(Decoder, AliasesACoreTag) {
  auto c = decode_ok(with_section(6, {0x01, 0x00, 0x04, 0x01, 0x00, 0x01, 'x'}));
  ASSERT_TRUE(c);
  ASSERT_EQ(c->defs.size(), 1u);
  EXPECT_EQ(c->defs[0].alias.sort, ast::Sort::CoreTag);
  EXPECT_EQ(c->defs[0].alias.target, ast::Alias::Target::CoreExport);
  EXPECT_EQ(c->defs[0].alias.name, "x");
}

TEST(Decoder, RejectsDeepNesting) {
  // 200 nested instance types: (type (instance (type (instance ...)))).
  std::vector<uint8_t> body = {0x42, 0x00};
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> outer = {0x42, 0x01, 0x01};
    outer.insert(outer.end(), body.begin(), body.end());
    body = std::move(outer);
  }
  std::vector<uint8_t> section = {0x01};
  section.insert(section.end(), body.begin(), body.end());
  auto b = preamble();
  b.push_back(0x07);
  uint32_t n = static_cast<uint32_t>(section.size());
  while (n >= 0x80) {
    b.push_back(static_cast<uint8_t>(n | 0x80));
    n >>= 7;
  }
  b.push_back(static_cast<uint8_t>(n));
  b.insert(b.end(), section.begin(), section.end());
  EXPECT_NE(decode_error(b).find("nested too deeply"), std::string::npos);
}

TEST(Decoder, EveryTruncationOfARealComponentFailsCleanly) {
  auto bytes = test::read_file_bytes((kFixtures / "resources.component.wasm").string());
  if (!bytes) ACTR_SKIP_MISSING("resources fixture not found");
  // Every prefix shorter than the whole must be rejected with an offset, never crash. Step densely
  // through the first module's interface and the component sections at the end, sparsely through
  // the module bodies in between.
  const size_t tail = bytes->size() - 3000;
  for (size_t len = 0; len < bytes->size(); len += len < 600 ? 1 : len < tail ? 509 : 3) {
    std::vector<uint8_t> prefix(bytes->begin(), bytes->begin() + static_cast<std::ptrdiff_t>(len));
    auto r = binary::decode(prefix);
    // A prefix ending exactly at a section boundary is a valid (smaller) component.
    if (!r.ok()) {
      ASSERT_EQ(r.error().message.rfind("at byte 0x", 0), 0u) << r.error().message;
    }
  }
}

TEST(Decoder, CorruptedBytesNeverCrash) {
  auto bytes = test::read_file_bytes((kFixtures / "smoke.component.wasm").string());
  if (!bytes) ACTR_SKIP_MISSING("smoke fixture not found");
  uint64_t seed = 12345;
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> b = *bytes;
    for (int k = 0; k < 4; ++k) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      size_t pos = (seed >> 33) % b.size();
      b[pos] = static_cast<uint8_t>(seed >> 17);
    }
    auto r = binary::decode(b);
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
}

// Inputs that once broke (or would have broken) the front end: each must be handled quickly and
// without crashing; the sanitizer builds (asan preset) make this test meaningful.
TEST(Decoder, FuzzRegressionsFailCleanly) {
  fs::path dir = fs::path(ACTR_SOURCE_ROOT) / "tests" / "component" / "fuzz_regressions";
  ASSERT_TRUE(fs::exists(dir)) << dir;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".md") continue;
    SCOPED_TRACE(entry.path().filename().string());
    auto bytes = test::read_file_bytes(entry.path().string());
    ASSERT_TRUE(bytes);
    auto start = std::chrono::steady_clock::now();
    auto c = binary::decode(*bytes);
    if (c.ok()) {
      auto v = validate::validate(**c);
      if (v.ok()) {
        EXPECT_FALSE(wit::print_wit(**c).empty());
      } else {
        EXPECT_FALSE(v.error().message.empty());
      }
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    ++n;
  }
  EXPECT_GE(n, 5);
}

// GC core types in a component's core type sections: function types inside `rec` (of one) and
// `sub` (final, or non-final with the 0x00 prefix) without supertypes are read; what cannot be
// supported is refused with a line of its own; a non-final type may be declared, never used.
TEST(Decoder, GcCoreTypesOfOneFunctionWithoutSupertypes) {
  auto component = [](std::vector<uint8_t> core_type) {
    std::vector<uint8_t> b = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x03};
    b.push_back(static_cast<uint8_t>(core_type.size() + 1));
    b.push_back(0x01);  // one core type
    b.insert(b.end(), core_type.begin(), core_type.end());
    return b;
  };
  const std::vector<uint8_t> func = {0x60, 0x01, 0x7f, 0x00};  // (func (param i32))
  auto with = [&](std::vector<uint8_t> head) {
    head.insert(head.end(), func.begin(), func.end());
    return component(head);
  };
  for (auto bytes : {with({0x4f, 0x00}), with({0x00, 0x50, 0x00}), with({0x4e, 0x01}),
                     with({0x4e, 0x01, 0x4f, 0x00})}) {
    auto c = decode_ok(bytes);
    ASSERT_TRUE(c);
    EXPECT_TRUE(validate::validate(*c).ok());
  }
  auto sub = decode_ok(with({0x00, 0x50, 0x00}));
  ASSERT_TRUE(sub);
  const auto& def = sub->defs[0].core_type;
  ASSERT_TRUE(def);
  EXPECT_FALSE(def->final);
  EXPECT_EQ(def->func.params.size(), 1u);

  EXPECT_NE(decode_error(with({0x4e, 0x02})).find("rec groups of 2 types are not supported"),
            std::string::npos);
  EXPECT_NE(decode_error(with({0x4f, 0x01, 0x00})).find("sub with supertypes"), std::string::npos);
  EXPECT_NE(decode_error(component({0x4f, 0x00, 0x5f, 0x00})).find("struct and array"),
            std::string::npos);
  EXPECT_NE(decode_error(component({0x00, 0x51})).find("invalid core type form"),
            std::string::npos);

  // A module type that aliases the non-final type for an import: refused, saying why.
  std::vector<uint8_t> b = with({0x00, 0x50, 0x00});
  const std::vector<uint8_t> module_type = {0x03, 0x0c, 0x01,  // core type section, 1 type
                                            0x50, 0x02,        // module type, 2 decls
                                            0x02, 0x10, 0x01, 0x01, 0x00,  // alias outer 1 0
                                            0x00, 0x01, 'a',  0x01, 'b',  0x00, 0x00};
  std::vector<uint8_t> fixed = module_type;
  fixed[1] = static_cast<uint8_t>(fixed.size() - 2);
  b.insert(b.end(), fixed.begin(), fixed.end());
  auto c = decode_ok(b);
  ASSERT_TRUE(c);
  auto v = validate::validate(*c);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("non-final core function type"), std::string::npos)
      << v.error().message;
}

}  // namespace
}  // namespace actr::component
