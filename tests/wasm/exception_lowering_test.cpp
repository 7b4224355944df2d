// lower_try_table: try_table (wasm 3.0 exception handling) -> legacy try/catch, which wabt 1.0.32
// reads. The modules are assembled from raw bytes, since wabt can write no try_table.
#include "wasm/exception_lowering.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actr/wasm/engine.hpp"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/binary-writer.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/stream.h"
#include "wabt/validator.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace actr::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes leb(uint64_t value) {
  Bytes out;
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    out.push_back(value ? byte | 0x80 : byte);
  } while (value);
  return out;
}

Bytes vec(const std::vector<Bytes>& items) {
  Bytes out = leb(items.size());
  for (const Bytes& item : items) out = out + item;
  return out;
}

Bytes section(uint8_t id, const Bytes& payload) {
  return Bytes{id} + leb(payload.size()) + payload;
}

// A code section entry: its size, then the body (no locals unless given) ending in `end`.
Bytes entry(const Bytes& code, const Bytes& locals = {0x00}) {
  Bytes body = locals + code;
  return leb(body.size()) + body;
}

// The module's function types; the tags use the last two.
constexpr uint8_t kReturnsI32 = 0;  // () -> i32
constexpr uint8_t kTakesI32 = 1;    // (i32) -> (): tag 0 carries an i32
constexpr uint8_t kVoid = 2;        // () -> (): tags 1 and 2 carry nothing

struct Function {
  uint8_t type;
  Bytes entry;  // as in the code section, size included
};

Bytes code_section(const std::vector<Function>& functions) {
  std::vector<Bytes> entries;
  for (const Function& f : functions) entries.push_back(f.entry);
  return section(10, vec(entries));
}

// A module with the three types, three tags, `functions` (exported as "f0", "f1", ...), and
// `imports` (an import section's payload, of functions only) and `trailing` (sections after the
// code) when given.
Bytes module(const std::vector<Function>& functions, const Bytes& imports = {},
             const Bytes& trailing = {}) {
  Bytes out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  out = out +
        section(1, vec({{0x60, 0x00, 0x01, 0x7f}, {0x60, 0x01, 0x7f, 0x00}, {0x60, 0x00, 0x00}}));
  if (!imports.empty()) out = out + section(2, imports);
  std::vector<Bytes> types;
  for (const Function& f : functions) types.push_back({f.type});
  out = out + section(3, vec(types));
  out = out + section(13, vec({{0x00, kTakesI32}, {0x00, kVoid}, {0x00, kVoid}}));
  std::vector<Bytes> exports;  // "f0", "f1", ... (defined functions only)
  const size_t imported = imports.empty() ? 0 : imports[0];  // the tests import functions only
  for (size_t i = 0; i < functions.size(); ++i) {
    Bytes name = {'f', static_cast<uint8_t>('0' + i)};
    exports.push_back(leb(name.size()) + name + Bytes{0x00} + leb(imported + i));
  }
  out = out + section(7, vec(exports));
  return out + code_section(functions) + trailing;
}

// The lowered module; a test failure when there is none.
Bytes lowered(const Bytes& input) {
  auto result = lower_try_table(input);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  if (!*result) {
    ADD_FAILURE() << "no try_table was found";
    return {};
  }
  return **result;
}

std::string lowering_error(const Bytes& input) {
  auto result = lower_try_table(input);
  return result ? "(no error)" : result.error().message;
}

wabt::Features legacy_exceptions() {
  wabt::Features features;
  features.enable_exceptions();
  return features;
}

// What wabt 1.0.32, which knows only legacy exception handling, makes of a module.
std::string wabt_verdict(const Bytes& bytes) {
  wabt::Features features = legacy_exceptions();
  wabt::Errors errors;
  wabt::Module module;
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options, &errors,
                                      &module))) {
    return "unreadable: " + wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
  }
  if (wabt::Failed(wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(features)))) {
    return "invalid: " + wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
  }
  return "valid";
}

// Runs the module's functions (exported as "f0", "f1", ...; no parameters, an i32 result each)
// on the project's interpreter, which reads modules with wabt, and returns their results.
std::vector<int32_t> run_all(const Bytes& bytes, size_t functions) {
  auto engine = make_engine(EngineKind::Interp);
  if (!engine) {
    ADD_FAILURE() << engine.error().message;
    return {};
  }
  auto compiled = (*engine)->compile(bytes);
  if (!compiled) {
    ADD_FAILURE() << compiled.error().message;
    return {};
  }
  std::unique_ptr<Store> store = (*engine)->new_store();
  auto instance = store->instantiate(**compiled, {});
  if (!instance) {
    ADD_FAILURE() << instance.error().message;
    return {};
  }
  std::vector<int32_t> out;
  for (size_t i = 0; i < functions; ++i) {
    std::optional<Extern> exported = (*instance)->get_export("f" + std::to_string(i));
    if (!exported || kind_of(*exported) != ExternKind::Func) {
      ADD_FAILURE() << "no function f" << i;
      return {};
    }
    Slot result = 0;
    auto called = std::get<std::shared_ptr<Func>>(*exported)->call(nullptr, &result);
    if (!called) {
      ADD_FAILURE() << called.error().message;
      return {};
    }
    out.push_back(static_cast<int32_t>(static_cast<uint32_t>(result)));
  }
  return out;
}

TEST(ExceptionLowering, ModuleWithoutTryTableIsLeftAlone) {
  // block, loop, if/else and a legacy try with catch and catch_all: nothing to lower.
  Bytes input = module(
      {{kVoid, entry({0x02, 0x40, 0x03, 0x40, 0x41, 0x00, 0x04, 0x40, 0x01, 0x05, 0x01, 0x0b,
                      0x0b, 0x0b,  //
                      0x06, 0x40, 0x41, 0x01, 0x08, 0x00, 0x07, 0x00, 0x1a, 0x19, 0x0b, 0x0b})}});
  auto result = lower_try_table(input);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(*result);
  EXPECT_EQ(wabt_verdict(input), "valid");
}

TEST(ExceptionLowering, InputThatIsNoCoreModuleIsLeftToTheDecoder) {
  for (const Bytes& input :
       {Bytes{}, Bytes{0x00, 0x61, 0x73}, Bytes{'n', 'o', 't', ' ', 'w', 'a', 's', 'm'},
        // a component's preamble
        Bytes{0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x01, 0x00}}) {
    auto result = lower_try_table(input);
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_FALSE(*result);
  }
}

TEST(ExceptionLowering, CatchBecomesTryCatchBranchingOneFurther) {
  // (func (result i32) (try_table (result i32) (catch $t0 0) (throw $t0 (i32.const 42))))
  Bytes input = module({{kReturnsI32, entry({0x1f, 0x7f, 0x01, 0x00, 0x00, 0x00,  // try_table
                                             0x41, 0x2a, 0x08, 0x00,              // throw 42
                                             0x0b, 0x0b})}});
  // try (result i32) (throw $t0 (i32.const 42)) catch $t0 br 1 end
  Bytes expected = module({{kReturnsI32, entry({0x06, 0x7f,              // try
                                                0x41, 0x2a, 0x08, 0x00,  // throw 42
                                                0x07, 0x00, 0x0c, 0x01,  // catch $t0 br 1
                                                0x0b, 0x0b})}});
  EXPECT_NE(wabt_verdict(input), "valid");  // why the lowering exists
  Bytes output = lowered(input);
  EXPECT_EQ(output, expected);
  EXPECT_EQ(wabt_verdict(output), "valid");
  EXPECT_EQ(run_all(output, 1), std::vector<int32_t>{42});
}

TEST(ExceptionLowering, CatchAllBecomesCatchAll) {
  // try_table (catch_all 0) (throw $t0 (i32.const 1)) end
  Bytes input =
      module({{kVoid, entry({0x1f, 0x40, 0x01, 0x02, 0x00, 0x41, 0x01, 0x08, 0x00, 0x0b, 0x0b})}});
  Bytes expected =
      module({{kVoid, entry({0x06, 0x40, 0x41, 0x01, 0x08, 0x00, 0x19, 0x0c, 0x01, 0x0b, 0x0b})}});
  Bytes output = lowered(input);
  EXPECT_EQ(output, expected);
  EXPECT_EQ(wabt_verdict(output), "valid");
}

TEST(ExceptionLowering, ClausesAfterCatchAllAreDropped) {
  // try_table (catch $t1 0) (catch_all 0) (catch $t1 0) nop end
  Bytes input = module({{kVoid, entry({0x1f, 0x40, 0x03, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x01,
                                       0x00, 0x01, 0x0b, 0x0b})}});
  // try nop catch $t1 br 1 catch_all br 1 end
  Bytes expected = module(
      {{kVoid, entry({0x06, 0x40, 0x01, 0x07, 0x01, 0x0c, 0x01, 0x19, 0x0c, 0x01, 0x0b, 0x0b})}});
  Bytes output = lowered(input);
  EXPECT_EQ(output, expected);
  EXPECT_EQ(wabt_verdict(output), "valid");
}

TEST(ExceptionLowering, TryTableWithoutClausesBecomesBlock) {
  // try_table (result i32) (i32.const 5) end
  Bytes input = module({{kReturnsI32, entry({0x1f, 0x7f, 0x00, 0x41, 0x05, 0x0b, 0x0b})}});
  Bytes expected = module({{kReturnsI32, entry({0x02, 0x7f, 0x41, 0x05, 0x0b, 0x0b})}});
  EXPECT_EQ(lowered(input), expected);
}

TEST(ExceptionLowering, NestedTryTablesBranchToTheirOwnOuterLabels) {
  Bytes input = module({{kVoid, entry({
                                    0x02, 0x40,                          // block
                                    0x1f, 0x40, 0x01, 0x02, 0x01,        // try_table (catch_all 1)
                                    0x1f, 0x40, 0x01, 0x00, 0x01, 0x01,  // try_table (catch $t1 1)
                                    0x02, 0x40, 0x0c, 0x00, 0x0b,        // block br 0 end
                                    0x08, 0x01,                          // throw $t1
                                    0x0b,                                // end (inner)
                                    0x0b,                                // end (outer)
                                    0x0b,                                // end (block)
                                    0x0b,
                                })}});
  Bytes expected = module({{kVoid, entry({
                                       0x02, 0x40,                    // block
                                       0x06, 0x40,                    // try
                                       0x06, 0x40,                    // try
                                       0x02, 0x40, 0x0c, 0x00, 0x0b,  // block br 0 end
                                       0x08, 0x01,                    // throw $t1
                                       0x07, 0x01, 0x0c, 0x02, 0x0b,  // catch $t1 br 2 end
                                       0x19, 0x0c, 0x02, 0x0b,        // catch_all br 2 end
                                       0x0b,                          // end (block)
                                       0x0b,
                                   })}});
  Bytes output = lowered(input);
  EXPECT_EQ(output, expected);
  EXPECT_EQ(wabt_verdict(output), "valid");
}

TEST(ExceptionLowering, NestedHandlersRunWhereTheirLabelsPoint) {
  // (block $a (block $b
  //    (try_table (catch $t1 $a) (try_table (catch_all $b) (throw $t1)) (return (i32.const 99)))
  //    (return (i32.const 98)))
  //  (return (i32.const 2)))
  // (i32.const 1)
  Bytes inner_catches_all = {0x02, 0x40, 0x02, 0x40,                     // block $a, block $b
                             0x1f, 0x40, 0x01, 0x00, 0x01, 0x01,         // try_table (catch $t1 1)
                             0x1f, 0x40, 0x01, 0x02, 0x01,               // try_table (catch_all 1)
                             0x08, 0x01, 0x0b,                           // throw $t1 end
                             0x41, 0xe3, 0x00, 0x0f, 0x0b,               // return 99, end
                             0x41, 0xe2, 0x00, 0x0f, 0x0b,               // return 98, end $b
                             0x41, 0x02, 0x0f, 0x0b, 0x41, 0x01, 0x0b};  // return 2, end $a, 1
  // The same, but the inner try_table catches only $t2, so $t1 reaches the outer one: 1.
  Bytes inner_misses = inner_catches_all;
  inner_misses[10 + 3] = 0x00;  // catch_all 1 -> catch $t2 1
  inner_misses.insert(inner_misses.begin() + 10 + 4, 0x02);
  Bytes output = lowered(
      module({{kReturnsI32, entry(inner_catches_all)}, {kReturnsI32, entry(inner_misses)}}));
  EXPECT_EQ(wabt_verdict(output), "valid");
  EXPECT_EQ(run_all(output, 2), (std::vector<int32_t>{2, 1}));
}

TEST(ExceptionLowering, TryTablesInsideIfElseAndLoop) {
  Bytes input = module({{kVoid, entry({
                                    0x03, 0x40,                          // loop
                                    0x41, 0x00, 0x04, 0x40,              // if
                                    0x1f, 0x40, 0x01, 0x02, 0x01,        // try_table (catch_all 1)
                                    0x01, 0x0b,                          // nop end
                                    0x05,                                // else
                                    0x1f, 0x40, 0x01, 0x00, 0x01, 0x02,  // try_table (catch $t1 2)
                                    0x01, 0x0b,                          // nop end
                                    0x0b, 0x0b, 0x0b,                    // end if, loop, function
                                })}});
  Bytes expected = module({{kVoid, entry({
                                       0x03, 0x40,                    // loop
                                       0x41, 0x00, 0x04, 0x40,        // if
                                       0x06, 0x40, 0x01,              // try nop
                                       0x19, 0x0c, 0x02, 0x0b,        // catch_all br 2 end
                                       0x05,                          // else
                                       0x06, 0x40, 0x01,              // try nop
                                       0x07, 0x01, 0x0c, 0x03, 0x0b,  // catch $t1 br 3 end
                                       0x0b, 0x0b, 0x0b,
                                   })}});
  Bytes output = lowered(input);
  EXPECT_EQ(output, expected);
  EXPECT_EQ(wabt_verdict(output), "valid");
}

TEST(ExceptionLowering, ImmediatesThatLookLikeTryTableOrEndAreSkipped) {
  Bytes tricky = {
      0x44, 0x1f, 0x0b, 0x1f, 0x0b, 0x1f, 0x0b, 0x1f, 0x0b, 0x1a,  // f64.const, drop
      0x43, 0x0b, 0x0b, 0x1f, 0x1f, 0x1a,                          // f32.const, drop
      0x41, 0x1f, 0x1a,                                            // i32.const 31, drop
      0x42, 0x8b, 0x9f, 0x0b, 0x1a,                                // i64.const, drop
      0xfd, 0x0c, 0x1f, 0x0b, 0x1f, 0x0b, 0x1f, 0x0b, 0x1f, 0x0b,  // v128.const
      0x1f, 0x0b, 0x1f, 0x0b, 0x1f, 0x0b, 0x1f, 0x0b, 0x1a,        // drop
      0x41, 0x00, 0x28, 0x42, 0x01, 0x1f, 0x1a,  // i32.load (memory 1) offset=31, drop
      0x41, 0x00, 0x29, 0x03, 0x8b, 0x80, 0x80, 0x80, 0x80, 0x01, 0x1a,  // i64.load offset=2^32+11
      0x02, 0x40, 0x41, 0x00, 0x0e, 0x02, 0x00, 0x00, 0x00, 0x0b,        // block br_table 0 0 0 end
      0xfe, 0x03, 0x00,                                                  // atomic.fence
      0x1c, 0x01, 0x63, 0x70,                                            // select (result funcref)
  };
  Bytes try_table = {0x1f, 0x40, 0x01, 0x02, 0x00, 0x01, 0x0b};  // try_table (catch_all 0) nop
  Bytes legacy = {0x06, 0x40, 0x01, 0x19, 0x0c, 0x01, 0x0b};
  Bytes locals = {0x02, 0x01, 0x7f, 0x02, 0x64, 0x00};  // one i32, two (ref $0)

  auto untouched = lower_try_table(module({{kVoid, entry(tricky + Bytes{0x0b}, locals)}}));
  ASSERT_TRUE(untouched) << untouched.error().message;
  EXPECT_FALSE(*untouched);
  EXPECT_EQ(lowered(module({{kVoid, entry(tricky + try_table + Bytes{0x0b}, locals)}})),
            module({{kVoid, entry(tricky + legacy + Bytes{0x0b}, locals)}}));
}

// wabt writes every instruction family the walk knows (SIMD, threads, multi-memory, bulk memory,
// reference types, tail calls, legacy EH with delegate and rethrow): the walk must step over all.
TEST(ExceptionLowering, WalksEveryInstructionFamilyWabtWrites) {
  constexpr std::string_view kWat = R"((module
  (type $t (func (param i32) (result i32)))
  (type $v (func))
  (import "env" "imp" (func $imp (param i32) (result i32)))
  (memory $m0 1 1 shared)
  (memory $m1 1)
  (table $tab 2 funcref)
  (table $tab2 1 externref)
  (global $g (mut i32) (i32.const 0))
  (tag $e (param i32))
  (tag $e0)
  (data $d "abc")
  (elem $el func $f)
  (func $f (type $t) (local $x i64) (local $r externref) (local $s v128)
    (drop (f64.const 1.5e300))
    (drop (f32.const -0.125))
    (drop (i64.const -9223372036854775808))
    (drop (i32.const 0x1f0b))
    (local.set $x (i64.load offset=0x10000 align=4 (i32.const 0)))
    (i32.store $m1 offset=31 (i32.const 0) (i32.const 11))
    (drop (i32.load8_u $m1 (i32.const 0)))
    (drop (memory.size $m1))
    (drop (memory.grow $m0 (i32.const 0)))
    (memory.copy $m0 $m1 (i32.const 0) (i32.const 0) (i32.const 0))
    (memory.fill $m1 (i32.const 0) (i32.const 0) (i32.const 0))
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
    (data.drop $d)
    (table.init $tab $el (i32.const 0) (i32.const 0) (i32.const 0))
    (elem.drop $el)
    (table.copy $tab $tab (i32.const 0) (i32.const 0) (i32.const 0))
    (drop (table.grow $tab2 (ref.null extern) (i32.const 1)))
    (drop (table.size $tab2))
    (table.fill $tab2 (i32.const 0) (ref.null extern) (i32.const 0))
    (table.set $tab2 (i32.const 0) (table.get $tab2 (i32.const 0)))
    (drop (ref.is_null (ref.func $f)))
    (drop (i32.trunc_sat_f32_s (f32.const 1)))
    (drop (i32.extend8_s (i32.const 1)))
    (local.set $s (v128.const i32x4 0x0b0b1f1f 0x1f0b1f0b 0 -1))
    (local.set $s (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (local.get $s) (local.get $s)))
    (drop (i8x16.extract_lane_s 3 (local.get $s)))
    (local.set $s (v128.load8_lane 5 (i32.const 0) (local.get $s)))
    (v128.store32_lane 1 (i32.const 0) (local.get $s))
    (local.set $s (v128.load32_zero (i32.const 0)))
    (local.set $s (v128.load offset=7 (i32.const 0)))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
    (atomic.fence)
    (drop (select (result i64) (i64.const 1) (i64.const 2) (i32.const 0)))
    (drop (select (i32.const 1) (i32.const 2) (i32.const 0)))
    (global.set $g (local.tee 0 (global.get $g)))
    (drop (call_indirect $tab (type $t) (i32.const 0) (i32.const 0)))
    (block $b
      (block $c
        (br_table $b $c $b (i32.const 0)))
      (br_if $b (i32.const 1)))
    (loop $l (br_if $l (i32.const 0)))
    (if (i32.const 0) (then nop) (else unreachable))
    (try
      (do (throw $e (i32.const 1)))
      (catch $e (drop))
      (catch_all nop))
    (try $outer
      (do (try (do (throw $e0)) (delegate $outer)))
      (catch $e0 (try (do nop) (catch_all (rethrow 1)))))
    (return_call $imp (local.get 0)))
  (func (type $v) (return_call_indirect $tab (type $v) (i32.const 1))))
)";
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("all.wat", kWat.data(), kWat.size(), &errors);
  wabt::Features features;
  features.EnableAll();
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> parsed;
  ASSERT_FALSE(wabt::Failed(wabt::ParseWatModule(lexer.get(), &parsed, &errors, &parse_options)))
      << wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, true, false, false);
  ASSERT_FALSE(wabt::Failed(wabt::WriteBinaryModule(&stream, parsed.get(), write_options)));
  const Bytes& bytes = stream.output_buffer().data;

  auto result = lower_try_table(bytes);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(*result);
}

TEST(ExceptionLowering, ExnrefFormsAreRefusedNamingTheFunction) {
  const std::string kRefusal = "exnref (catch_ref, catch_all_ref, throw_ref) is not supported: ";
  // try_table (catch_ref $t1 0) nop end
  EXPECT_EQ(lowering_error(
                module({{kVoid, entry({0x1f, 0x40, 0x01, 0x01, 0x01, 0x00, 0x01, 0x0b, 0x0b})}})),
            kRefusal +
                "function 0 uses catch_ref at byte 0x33, which legacy exception handling cannot "
                "express");
  // try_table (catch_all_ref 0) nop end
  EXPECT_NE(
      lowering_error(module({{kVoid, entry({0x1f, 0x40, 0x01, 0x03, 0x00, 0x01, 0x0b, 0x0b})}}))
          .find(kRefusal + "function 0 uses catch_all_ref"),
      std::string::npos);
  // unreachable throw_ref
  EXPECT_NE(lowering_error(module({{kVoid, entry({0x00, 0x0a, 0x0b})}}))
                .find(kRefusal + "function 0 uses throw_ref"),
            std::string::npos);
  // a local of type exnref; ref.null exn; a block of type (ref null exn)
  for (const Bytes& code : {entry({0x0b}, {0x01, 0x01, 0x69}), entry({0xd0, 0x69, 0x1a, 0x0b}),
                            entry({0x02, 0x63, 0x69, 0x00, 0x0b, 0x0b})}) {
    EXPECT_NE(lowering_error(module({{kVoid, code}})).find(kRefusal + "function 0 uses"),
              std::string::npos);
  }
}

TEST(ExceptionLowering, FunctionIndicesCountImportedFunctions) {
  // (import "m" "f" (func (type 2))); the second body uses catch_ref: function 2.
  Bytes imports = vec({{0x01, 'm', 0x01, 'f', 0x00, kVoid}});
  Bytes input = module({{kVoid, entry({0x0b})},
                        {kVoid, entry({0x1f, 0x40, 0x01, 0x01, 0x01, 0x00, 0x01, 0x0b, 0x0b})}},
                       imports);
  EXPECT_NE(lowering_error(input).find("function 2 uses catch_ref"), std::string::npos)
      << lowering_error(input);
}

TEST(ExceptionLowering, GcAndUnknownInstructionsAreRefused) {
  // struct.new 0
  EXPECT_NE(lowering_error(module({{kVoid, entry({0xfb, 0x00, 0x00, 0x1a, 0x0b})}}))
                .find("GC instructions are not supported: function 0"),
            std::string::npos);
  // 0x27 is no opcode
  EXPECT_NE(lowering_error(module({{kVoid, entry({0x27, 0x0b})}}))
                .find("function 0 uses the unknown opcode 0x27"),
            std::string::npos);
  // 0xfc 99 is no opcode
  EXPECT_NE(lowering_error(module({{kVoid, entry({0xfc, 0x63, 0x0b})}}))
                .find("function 0 uses the unknown opcode 0xfc 99"),
            std::string::npos);
}

TEST(ExceptionLowering, TruncatedOrMalformedBodiesAreErrors) {
  // The body ends inside the try_table's clause.
  EXPECT_NE(lowering_error(module({{kVoid, entry({0x1f, 0x40, 0x01, 0x00})}}))
                .find("function 0 is malformed or truncated"),
            std::string::npos);
  // The body has no final `end`.
  EXPECT_NE(lowering_error(module({{kVoid, entry({0x1f, 0x40, 0x00, 0x01, 0x0b})}}))
                .find("function 0 ends before its final `end`"),
            std::string::npos);
  // A LEB that never ends, and bytes after the final `end`.
  EXPECT_NE(
      lowering_error(module({{kVoid, entry({0x41, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0b})}}))
          .find("malformed"),
      std::string::npos);
  EXPECT_NE(lowering_error(module({{kVoid, entry({0x0b, 0x01})}})).find("after its final `end`"),
            std::string::npos);
  // A clause label beyond the labels in scope.
  EXPECT_NE(
      lowering_error(module({{kVoid, entry({0x1f, 0x40, 0x01, 0x02, 0x01, 0x01, 0x0b, 0x0b})}}))
          .find("label 1 is out of range"),
      std::string::npos);
}

TEST(ExceptionLowering, EveryPrefixAndByteChangeIsHandledWithoutCrashing) {
  std::vector<Function> functions = {
      {kVoid, entry({0x02, 0x40, 0x1f, 0x40, 0x01, 0x02, 0x01, 0x1f, 0x40, 0x02, 0x00,
                     0x01, 0x01, 0x02, 0x00, 0x44, 0,    0,    0,    0,    0,    0,
                     0,    0,    0x1a, 0x08, 0x01, 0x0b, 0x0b, 0x0b, 0x0b})}};
  const Bytes input = module(functions);
  ASSERT_TRUE(lower_try_table(input));
  const size_t code_start = input.size() - code_section(functions).size();
  for (size_t size = 0; size < input.size(); ++size) {
    Bytes prefix(input.begin(), input.begin() + size);
    auto result = lower_try_table(prefix);
    // A prefix ending between sections is a module without code; inside one, it is truncated.
    if (size > code_start) {
      EXPECT_FALSE(result) << "prefix of " << size << " bytes";
    } else if (result && *result) {
      ADD_FAILURE() << "prefix of " << size << " bytes was lowered";
    }
  }
  for (size_t at = 8; at < input.size(); ++at) {
    for (int value = 0; value < 256; ++value) {
      Bytes changed = input;
      changed[at] = static_cast<uint8_t>(value);
      auto result = lower_try_table(changed);
      if (result && *result) {
        EXPECT_FALSE(result->value().empty());
      }
    }
  }
}

TEST(ExceptionLowering, OnlyChangedBodiesAreReencodedAndOtherSectionsKept) {
  // The first body encodes its size and an i32.const in more bytes than needed: copied as is.
  Bytes padded_entry = {0x88, 0x80, 0x80, 0x80, 0x00,                     // size 8, in 5 bytes
                        0x00, 0x41, 0x87, 0x80, 0x80, 0x80, 0x00, 0x0b};  // i32.const 7 (padded)
  Bytes custom = section(0, {0x04, 'n', 'o', 't', 'e', 0x01, 0x02, 0x03});
  Bytes input =
      module({{kReturnsI32, padded_entry},
              {kReturnsI32,
               entry({0x1f, 0x7f, 0x01, 0x00, 0x00, 0x00, 0x41, 0x2a, 0x08, 0x00, 0x0b, 0x0b})}},
             {}, custom);
  Bytes expected =
      module({{kReturnsI32, padded_entry},
              {kReturnsI32,
               entry({0x06, 0x7f, 0x41, 0x2a, 0x08, 0x00, 0x07, 0x00, 0x0c, 0x01, 0x0b, 0x0b})}},
             {}, custom);
  Bytes output = lowered(input);
  EXPECT_EQ(output, expected);
  EXPECT_EQ(wabt_verdict(output), "valid");
  EXPECT_EQ(run_all(output, 2), (std::vector<int32_t>{7, 42}));
}

// ---------------------------------------------------------------------------------------------
// hoist_locals_out_of_try_functions: wabt 1.0.32's interpreter loses declared locals in catch
// handlers (wabt#2476); the rewrite turns them into parameters.

// Legacy exception handling in text, encoded by wabt with exceptions enabled.
Bytes legacy_wat(std::string_view wat) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wat", wat.data(), wat.size(), &errors);
  wabt::Features features = legacy_exceptions();
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> parsed;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &parsed, &errors, &parse_options))) {
    ADD_FAILURE() << wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
    return {};
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, true, false, false);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, parsed.get(), write_options))) {
    ADD_FAILURE() << "wabt could not encode the module";
    return {};
  }
  return stream.output_buffer().data;
}

Bytes hoisted(const Bytes& input) {
  auto result = hoist_locals_out_of_try_functions(input);
  if (!result) {
    ADD_FAILURE() << result.error().message;
    return {};
  }
  if (!*result) {
    ADD_FAILURE() << "nothing was hoisted";
    return {};
  }
  return **result;
}

std::string hoisting_error(const Bytes& input) {
  auto result = hoist_locals_out_of_try_functions(input);
  return result ? "(no error)" : result.error().message;
}

// Calls the export `name` of `bytes` with `args` on the interpreter (which hoists as it
// compiles), returning its one result.
Result<Slot> call_on_interp(const Bytes& bytes, const std::string& name,
                            const std::vector<Slot>& args) {
  ACTR_TRY(std::unique_ptr<Engine> engine, make_engine(EngineKind::Interp));
  ACTR_TRY(std::shared_ptr<Module> compiled, engine->compile(bytes));
  std::unique_ptr<Store> store = engine->new_store();
  ACTR_TRY(std::shared_ptr<Instance> instance, store->instantiate(*compiled, {}));
  std::optional<Extern> exported = instance->get_export(name);
  if (!exported || kind_of(*exported) != ExternKind::Func) return make_error("no export " + name);
  Slot result = 0;
  ACTR_TRY_VOID(std::get<std::shared_ptr<Func>>(*exported)->call(args.data(), &result));
  return result;
}

TEST(ExceptionLoweringHoist, LocalsSurviveACatchOnTheInterpreter) {
  const Bytes input = legacy_wat(R"((module
    (tag $e (param i32))
    (func $other)
    (elem declare func $other)
    (func (export "f") (param $a i32) (param $b i64) (result i64)
      (local $x i32) (local $y i64) (local $z f64) (local $r funcref)
      (try
        (do
          (local.set $x (i32.const 5))
          (local.set $y (i64.const 700))
          (local.set $z (f64.const 40.5))
          (local.set $r (ref.func $other))
          (throw $e (i32.const 9000)))
        (catch $e
          (local.set $x (i32.add (local.get $x)))))
      (i64.add
        (i64.add (i64.extend_i32_u (local.get $a)) (local.get $b))
        (i64.add
          (i64.add (i64.extend_i32_u (local.get $x)) (local.get $y))
          (i64.add (i64.trunc_f64_s (local.get $z))
                   (select (i64.const 0) (i64.const 100000) (ref.is_null (local.get $r))))))))
  )");
  ASSERT_FALSE(input.empty());
  EXPECT_EQ(wabt_verdict(hoisted(input)), "valid");
  // 1 + 20 + (5 + 9000) + 700 + 40 + 100000
  auto result = call_on_interp(input, "f", {1, 20});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, 109766u);
}

TEST(ExceptionLoweringHoist, ThrowFromACalleeIsCaughtWithTheCallersLocalsIntact) {
  const Bytes input = legacy_wat(R"((module
    (tag $e (param i32))
    (func $thrower (param $v i32) (local $junk i64)
      (local.set $junk (i64.const 3))
      (throw $e (i32.add (local.get $v) (i32.const 1))))
    (func (export "f") (param $p i32) (result i32) (local $a i32) (local $b i32)
      (local.set $a (i32.const 100))
      (try (result i32)
        (do
          (local.set $b (i32.const 20))
          (call $thrower (local.get $p))
          (i32.const -1))
        (catch $e))
      (i32.mul (i32.const 1000))
      (i32.add (local.get $a))
      (i32.add (local.get $b))
      (i32.add (local.get $p))))
  )");
  ASSERT_FALSE(input.empty());
  // The caught value (p + 1) * 1000, then a + b + p.
  auto result = call_on_interp(input, "f", {3});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, 4123u);
}

TEST(ExceptionLoweringHoist, ModulesWithoutTryOrWithoutLocalsAreLeftAlone) {
  // Locals, no try.
  auto no_try = hoist_locals_out_of_try_functions(module(
      {{kReturnsI32, entry({0x41, 0x07, 0x21, 0x00, 0x20, 0x00, 0x0b}, {0x01, 0x01, 0x7f})}}));
  ASSERT_TRUE(no_try) << no_try.error().message;
  EXPECT_FALSE(*no_try);
  // A try, no locals (a group of zero locals counts as none); parameters are not locals.
  for (const Bytes& locals : {Bytes{0x00}, Bytes{0x01, 0x00, 0x7f}}) {
    auto no_locals = hoist_locals_out_of_try_functions(
        module({{kTakesI32, entry({0x06, 0x40, 0x08, 0x01, 0x19, 0x0b, 0x0b}, locals)}}));
    ASSERT_TRUE(no_locals) << no_locals.error().message;
    EXPECT_FALSE(*no_locals);
  }
  // Not a core module: left to the decoder.
  auto not_wasm = hoist_locals_out_of_try_functions(Bytes{'n', 'o', 'p', 'e'});
  ASSERT_TRUE(not_wasm);
  EXPECT_FALSE(*not_wasm);
}

TEST(ExceptionLoweringHoist, ExportsAndTableEntriesStillReachTheOriginalFunctions) {
  const Bytes input = legacy_wat(R"((module
    (type $t (func (param i32) (result i32)))
    (table 2 funcref)
    (elem (i32.const 0) $g $f)
    (tag $e)
    (func $g (export "g") (param i32) (result i32) (local i32)
      (local.set 1 (i32.const 1000))
      (try (do (throw $e)) (catch_all))
      (i32.add (local.get 0) (local.get 1)))
    (func $f (export "f") (param $x i32) (result i32) (local $l i32)
      (local.set $l (i32.const 2))
      (try (do (throw $e)) (catch $e))
      (i32.mul (local.get $x) (local.get $l)))
    (func (export "via_table") (param i32) (result i32)
      (call_indirect (type $t) (i32.const 21) (local.get 0)))
    (func (export "direct") (result i32) (call $f (i32.const 4))))
  )");
  ASSERT_FALSE(input.empty());
  EXPECT_EQ(wabt_verdict(hoisted(input)), "valid");
  const std::vector<std::pair<std::string, std::vector<Slot>>> calls = {
      {"f", {5}}, {"g", {5}}, {"via_table", {0}}, {"via_table", {1}}, {"direct", {}}};
  const std::vector<Slot> expected = {10, 1005, 1021, 42, 8};
  for (size_t i = 0; i < calls.size(); ++i) {
    auto result = call_on_interp(input, calls[i].first, calls[i].second);
    ASSERT_TRUE(result) << calls[i].first << ": " << result.error().message;
    EXPECT_EQ(*result, expected[i]) << calls[i].first << "(" << calls[i].second[0] << ")";
  }
}

// (import "m" "f" (func)); function 1: (param i32), locals of every defaultable type, a try.
const Bytes kHoistImports = vec({{0x01, 'm', 0x01, 'f', 0x00, kVoid}});
const Bytes kEveryLocalType = {0x07, 0x01, 0x7f, 0x01, 0x7e, 0x01, 0x7d, 0x01,
                               0x7c, 0x01, 0x7b, 0x01, 0x70, 0x02, 0x6f};
const Bytes kTryBody = {0x06, 0x40, 0x08, 0x01, 0x19, 0x0b, 0x20, 0x08, 0x1a, 0x0b};

TEST(ExceptionLoweringHoist, ExactOutputForEveryLocalType) {
  const Bytes input = module(
      {{kVoid, entry({0x0b})}, {kTakesI32, entry(kTryBody, kEveryLocalType)}}, kHoistImports);
  Bytes output = hoisted(input);

  // The same module with a fourth type (i32 i32 i64 f32 f64 v128 funcref externref externref)
  // -> (), a fourth function of that type, and the body replaced by the thunk.
  const Bytes thunk = Bytes{0x20, 0x00,                                               // local.get 0
                            0x41, 0x00, 0x42, 0x00,                                   // i32, i64
                            0x43, 0,    0,    0,    0, 0x44, 0, 0, 0, 0, 0, 0, 0, 0,  // f32, f64
                            0xfd, 0x0c} +
                      Bytes(16, 0x00) +                          // v128
                      Bytes{0xd0, 0x70, 0xd0, 0x6f, 0xd0, 0x6f,  // refs
                            0x10, 0x03, 0x0b};                   // call 3
  Bytes expected = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  expected =
      expected +
      section(1, vec({{0x60, 0x00, 0x01, 0x7f},
                      {0x60, 0x01, 0x7f, 0x00},
                      {0x60, 0x00, 0x00},
                      {0x60, 0x09, 0x7f, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x6f, 0x00}}));
  expected = expected + section(2, kHoistImports);
  expected = expected + section(3, vec({{kVoid}, {kTakesI32}, {0x03}}));
  expected = expected + section(13, vec({{0x00, kTakesI32}, {0x00, kVoid}, {0x00, kVoid}}));
  expected =
      expected + section(7, vec({{0x02, 'f', '0', 0x00, 0x01}, {0x02, 'f', '1', 0x00, 0x02}}));
  expected = expected + section(10, vec({entry({0x0b}), entry(thunk), entry(kTryBody)}));
  EXPECT_EQ(output, expected);
  EXPECT_EQ(wabt_verdict(output), "valid");

  uint32_t defined = 0;
  auto reported = hoist_locals_out_of_try_functions(input, &defined);
  ASSERT_TRUE(reported && *reported);
  EXPECT_EQ(defined, 2u);
}

TEST(ExceptionLoweringHoist, UnhoistableModulesAreErrors) {
  // A typed reference local, (ref null func), has no default the thunk could push by type.
  EXPECT_NE(hoisting_error(module({{kVoid, entry(kTryBody, {0x02, 0x01, 0x7f, 0x01, 0x63, 0x70})}}))
                .find("cannot hoist local of type 0x63 of function 0"),
            std::string::npos);
  // 1001 locals.
  EXPECT_NE(hoisting_error(module({{kVoid, entry(kTryBody, {0x01, 0xe9, 0x07, 0x7f})}}))
                .find("function 0 has too many locals to run its exception handlers on the "
                      "interpreter"),
            std::string::npos);
  // 1000 parameters and locals together are fine.
  auto at_limit = hoist_locals_out_of_try_functions(
      module({{kTakesI32, entry(kTryBody, {0x01, 0xe7, 0x07, 0x7f})}}));
  ASSERT_TRUE(at_limit) << at_limit.error().message;
  EXPECT_TRUE(*at_limit);
  // A try_table left in place.
  EXPECT_NE(
      hoisting_error(module({{kVoid, entry({0x06, 0x40, 0x1f, 0x40, 0x00, 0x0b, 0x19, 0x0b, 0x0b},
                                           {0x01, 0x01, 0x7f})}}))
          .find("try_table"),
      std::string::npos);
  // A GC rec group in the type section.
  Bytes gc = module({{kVoid, entry(kTryBody, {0x01, 0x01, 0x7f})}});
  gc[8 + 3] = 0x4e;  // the first type's form (section id, size, count, then the form)
  EXPECT_NE(hoisting_error(gc).find("GC type definitions are not supported"), std::string::npos);
  // Function and code sections that disagree.
  Bytes mismatch = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  mismatch = mismatch + section(1, vec({{0x60, 0x00, 0x00}})) + section(3, vec({{0x00}, {0x00}})) +
             section(10, vec({entry(kTryBody, {0x01, 0x01, 0x7f})}));
  EXPECT_NE(hoisting_error(mismatch).find("declares 2 functions but the code section has 1"),
            std::string::npos);
}

TEST(ExceptionLoweringHoist, EveryPrefixAndByteChangeIsHandledWithoutCrashing) {
  const Bytes input = module(
      {{kVoid, entry({0x0b})}, {kTakesI32, entry(kTryBody, kEveryLocalType)}}, kHoistImports);
  ASSERT_TRUE(hoist_locals_out_of_try_functions(input));
  for (size_t size = 0; size < input.size(); ++size) {
    auto result = hoist_locals_out_of_try_functions(Bytes(input.begin(), input.begin() + size));
    if (result && *result) ADD_FAILURE() << "prefix of " << size << " bytes was hoisted";
  }
  for (size_t at = 8; at < input.size(); ++at) {
    for (int value = 0; value < 256; ++value) {
      Bytes changed = input;
      changed[at] = static_cast<uint8_t>(value);
      auto result = hoist_locals_out_of_try_functions(changed);
      if (result && *result) {
        EXPECT_GT(result->value().size(), 8u);
      }
    }
  }
}

}  // namespace
}  // namespace actr::wasm
