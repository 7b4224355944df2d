// code_keeps_tables_fixed: which modules' state can move between engines.
#include <gtest/gtest.h>

#include "actr/wasm/engine.hpp"
#include "support/wat.hpp"

namespace actr::wasm {
namespace {

std::string verdict(std::string_view wat) {
  auto r = code_keeps_tables_fixed(test::wat_to_wasm(wat));
  return r ? "fixed" : r.error().message;
}

TEST(CodeScan, TablesFilledByElementSegmentsStayFixed) {
  EXPECT_EQ(verdict(R"((module (table 2 funcref) (func $f (result i32) (i32.const 1))
      (elem (i32.const 0) $f)
      (func (export "g") (result i32) (call_indirect (result i32) (i32.const 0)))))"),
            "fixed");
}

TEST(CodeScan, CodeThatChangesTablesOrDropsSegmentsIsNamed) {
  EXPECT_EQ(verdict(R"((module (table 2 funcref) (func $f)
      (func (export "g") (table.set 0 (i32.const 0) (ref.func $f))) (elem declare func $f)))"),
            "function 1 uses `table.set`, which changes state no engine hand-over carries");
  EXPECT_NE(verdict(R"((module (table 1 funcref)
      (func (drop (table.grow 0 (ref.null func) (i32.const 1))))))")
                .find("`table.grow`"),
            std::string::npos);
  EXPECT_NE(verdict(R"((module (memory 1) (data "x")
      (func (block (loop (if (i32.const 1) (then (data.drop 0))))))))")
                .find("`data.drop`"),
            std::string::npos);
}

}  // namespace
}  // namespace actr::wasm
