// Which tables the aot engine shares among the instances of a module (wasm/aot/shared_tables.hpp)
// and what the translation then writes. How calls through a shared table behave is in
// engine_test.cpp (ReadOnlyTableCallsIntoTheCallingInstance).
#include <gtest/gtest.h>

#include <string>

#include "support/wat.hpp"
#include "wasm/aot/c_translation.hpp"
#include "wasm/aot/glue_writer.hpp"

namespace actr::wasm::aot {
namespace {

std::string translate(std::string_view wat) {
  auto c = translate_to_c(test::wat_to_wasm(wat), kGeneratedModuleName, kGeneratedHeaderName);
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c ? c->source : std::string();
}

bool shared(const std::string& source) {
  return source.find("actr_table_template_0") != std::string::npos;
}

// A module with a table read by call_indirect only, plus `imports` and `extra` (module fields).
std::string module_with(std::string_view extra, std::string_view imports = "") {
  std::string wat = "(module (import \"m\" \"f\" (func $imported (result i32)))";
  wat += imports;
  wat += R"~(
      (type $r (func (result i32)))
      (table $t 4 funcref)
      (func $own (result i32) (i32.const 1))
      (elem (table $t) (i32.const 1) func $own $imported)
      (func (export "call") (param i32) (result i32) (call_indirect $t (type $r) (local.get 0))))~";
  wat += extra;
  return wat + ")";
}

TEST(AotSharedTables, ATableOnlyCallIndirectReadsIsOneTemplatePerModule) {
  std::string c = translate(module_with(""));
  ASSERT_TRUE(shared(c));
  // Instances copy the template's struct instead of allocating, never free it, and name
  // themselves in each call.
  EXPECT_EQ(c.find("wasm_rt_allocate_funcref_table("), std::string::npos);
  EXPECT_EQ(c.find("wasm_rt_free_funcref_table("), std::string::npos);
  EXPECT_NE(c.find("actr_init_table_templates();"), std::string::npos);
  EXPECT_NE(c.find("(void*)((char*)instance + (uintptr_t)instance->"), std::string::npos);
  EXPECT_EQ(c.find(", instance, func_types);"), std::string::npos);
}

TEST(AotSharedTables, ATableAnythingElseCouldChangeOrReadStaysPerInstance) {
  struct Case {
    const char* name;
    const char* extra;
    const char* imports = "";
  };
  const Case cases[] = {
      {"exported", R"((export "t" (table $t)))"},
      {"table.set", R"((func (table.set $t (i32.const 0) (ref.null func))))"},
      {"table.get", R"((func (drop (table.get $t (i32.const 0)))))"},
      {"table.grow", R"((func (drop (table.grow $t (ref.null func) (i32.const 1)))))"},
      {"table.fill", R"((func (table.fill $t (i32.const 0) (ref.null func) (i32.const 1))))"},
      {"table.copy into it", R"((table $u 4 funcref)
          (func (table.copy $t $u (i32.const 0) (i32.const 0) (i32.const 1))))"},
      {"table.copy out of it", R"((table $u 4 funcref)
          (func (table.copy $u $t (i32.const 0) (i32.const 0) (i32.const 1))))"},
      {"table.init", R"((elem $p func $own)
          (func (table.init $t $p (i32.const 0) (i32.const 0) (i32.const 1))))"},
      {"an offset from an import", R"((elem (table $t) (global.get $g) func $own))",
       R"((import "m" "g" (global $g i32)))"},
      {"a segment past its size", R"((elem (table $t) (i32.const 3) func $own $own))"},
      {"inside a block", R"((func (block (loop (if (i32.const 1) (then
          (table.set $t (i32.const 0) (ref.null func))))))))"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    std::string c = translate(module_with(k.extra, k.imports));
    EXPECT_FALSE(shared(c));
    EXPECT_NE(c.find("wasm_rt_allocate_funcref_table(&instance->"), std::string::npos);
  }
}

TEST(AotSharedTables, OnlyTheReadOnlyOneOfSeveralTablesIsShared) {
  std::string c = translate(module_with(R"(
      (table $w 2 funcref)
      (table $e 2 externref)
      (func (table.set $w (i32.const 0) (ref.null func)))
      (func (export "call_w") (param i32) (result i32) (call_indirect $w (type $r) (local.get 0))))"));
  EXPECT_TRUE(shared(c));
  EXPECT_EQ(c.find("actr_table_template_1"), std::string::npos);
  EXPECT_NE(c.find("wasm_rt_allocate_funcref_table(&instance->"), std::string::npos);
  EXPECT_NE(c.find("wasm_rt_allocate_externref_table(&instance->"), std::string::npos);
}

}  // namespace
}  // namespace actr::wasm::aot
