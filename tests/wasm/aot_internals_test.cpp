// Building blocks of the aot engine that need no compiler: the cache-key hash, wasm2c's name
// mangling as the glue reproduces it, and the cheap module-shape reader used on cache hits.
#include <gtest/gtest.h>

#include <string>

#include "support/wat.hpp"
#include "wasm/aot/glue_writer.hpp"
#include "wasm/aot/module_shape.hpp"
#include "wasm/aot/sha256.hpp"

namespace actr::wasm::aot {
namespace {

std::string sha256_hex(std::string_view text, size_t repeat = 1, size_t chunk = 0) {
  Sha256 h;
  for (size_t i = 0; i < repeat; ++i) {
    if (chunk == 0) {
      h.update(text);
    } else {
      for (size_t at = 0; at < text.size(); at += chunk) h.update(text.substr(at, chunk));
    }
  }
  auto digest = h.finish();
  return to_hex(digest);
}

TEST(AotSha256, MatchesTheStandardTestVectors) {
  {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    // One million 'a', fed in uneven pieces to exercise the buffering.
    const std::string a1000(1000, 'a');
    EXPECT_EQ(sha256_hex(a1000, 1000, 7),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }
}

TEST(AotGlue, ManglesNamesLikeWasm2c) {
  EXPECT_EQ(mangle_c_name("env"), "Z_env");
  EXPECT_EQ(mangle_c_name(""), "Z_");
  EXPECT_EQ(mangle_c_name("a_b"), "Z_a_b");
  EXPECT_EQ(mangle_c_name("aZ"), "Z_aZ5A");
  EXPECT_EQ(mangle_c_name("wasi:cli/env@0.2.0"), "Z_wasiZ3AcliZ2FenvZ400Z2E2Z2E0");
  EXPECT_EQ(mangle_c_name("[resource-drop]x"), "Z_Z5BresourceZ2DdropZ5Dx");
  EXPECT_EQ(mangle_c_name("\xe2\x82\xac"), "Z_ZE2Z82ZAC");
}

TEST(AotModuleShape, ReadsImportsExportsAndIndexSpaces) {
  auto bytes = test::wat_to_wasm(R"(
    (module
      (import "env" "f" (func (param i32) (result i64)))
      (import "env" "mem" (memory 1 2))
      (import "env" "g" (global (mut f32)))
      (table 3 funcref)
      (global (export "g2") i64 (i64.const -5))
      (func (export "h") (param f64))
      (export "f" (func 0))
      (export "mem" (memory 0))
      (export "t" (table 0)))
  )");
  auto shape = read_module_shape(bytes);
  ASSERT_TRUE(shape.ok()) << shape.error().message;
  ASSERT_EQ(shape->imports.size(), 3u);
  EXPECT_EQ(shape->imports[0].type.func.to_string(), "(i32) -> (i64)");
  EXPECT_EQ(shape->imports[1].type.memory.limits.max, 2u);
  EXPECT_TRUE(shape->imports[2].type.global.is_mutable);
  EXPECT_EQ(shape->imported_funcs, 1u);
  EXPECT_EQ(shape->funcs.size(), 2u);
  ASSERT_EQ(shape->exports.size(), 5u);
  EXPECT_EQ(shape->exports[0].name, "g2");
  EXPECT_EQ(shape->export_indices[0], 1u);  // after the imported global
  EXPECT_EQ(shape->exports[1].type.func.to_string(), "(f64) -> ()");
  EXPECT_EQ(shape->export_indices[2], 0u);
  EXPECT_EQ(shape->exports[4].type.table.limits.min, 3u);
}

TEST(AotModuleShape, MalformedInputIsAnErrorWithAnOffset) {
  auto bytes = test::wat_to_wasm(R"((module (func (export "f"))))");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + cut);
    auto shape = read_module_shape(prefix);
    if (cut < 8) {
      ASSERT_FALSE(shape.ok());
    }
    if (!shape.ok()) {
      EXPECT_EQ(shape.error().message.rfind("at byte 0x", 0), 0u) << shape.error().message;
    }
  }
  std::vector<uint8_t> garbage = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff};
  EXPECT_FALSE(read_module_shape(garbage).ok());
}

}  // namespace
}  // namespace actr::wasm::aot
