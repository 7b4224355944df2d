// The SDK-built workloads use bulk memory (-mbulk-memory, cmake/ActrGuest.cmake): their core
// modules declare the feature, and the memcpy that precompiled wasi-libc and libc++ code calls is
// the SDK's (sdk/cpp/src/memory_builtins.cpp), one memory.copy, not wasi-libc's copy loop. That
// the workloads still run on both engines is sdk_test.cpp's part.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "support/missing.hpp"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/cast.h"
#include "wabt/error-formatter.h"
#include "wabt/expr-visitor.h"
#include "wabt/feature.h"
#include "wabt/ir.h"

namespace actr::test {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> core_modules() {
  std::vector<fs::path> paths;
  std::string list = ACTR_SDK_CORE_MODULES;
  for (size_t at = 0; at < list.size();) {
    size_t end = list.find('|', at);
    if (end == std::string::npos) end = list.size();
    if (end > at) paths.emplace_back(list.substr(at, end - at));
    at = end + 1;
  }
  return paths;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool is_local_get(const wabt::Expr& e, wabt::Index index) {
  return e.type() == wabt::ExprType::LocalGet &&
         wabt::cast<wabt::LocalGetExpr>(&e)->var.index() == index;
}

// `local.get 0; local.get 1; local.get 2; memory.copy; local.get 0`: memcpy(dest, src, n) as
// __builtin_memcpy compiles with bulk memory.
bool is_memory_copy_forwarder(const wabt::Func& f) {
  if (f.GetNumParams() != 3 || f.GetNumResults() != 1 || f.exprs.size() != 5) return false;
  std::vector<const wabt::Expr*> body;
  for (const auto& e : f.exprs) body.push_back(&e);
  return is_local_get(*body[0], 0) && is_local_get(*body[1], 1) && is_local_get(*body[2], 2) &&
         body[3]->type() == wabt::ExprType::MemoryCopy && is_local_get(*body[4], 0);
}

// The functions that `call` reaches, and how many bulk memory instructions there are.
struct Uses : wabt::ExprVisitor::DelegateNop {
  const wabt::Module* module = nullptr;
  std::set<const wabt::Func*> called;
  size_t memory_copies = 0;
  size_t memory_fills = 0;

  wabt::Result OnCallExpr(wabt::CallExpr* e) override {
    called.insert(module->GetFunc(e->var));
    return wabt::Result::Ok;
  }
  wabt::Result OnMemoryCopyExpr(wabt::MemoryCopyExpr*) override {
    ++memory_copies;
    return wabt::Result::Ok;
  }
  wabt::Result OnMemoryFillExpr(wabt::MemoryFillExpr*) override {
    ++memory_fills;
    return wabt::Result::Ok;
  }
};

TEST(SdkBulkMemory, WorkloadsCopyWithMemoryCopy) {
  auto paths = core_modules();
  int checked = 0;
  for (const auto& path : paths) {
    if (!fs::exists(path)) continue;  // needs the guest toolchain
    SCOPED_TRACE(path.string());
    std::string bytes = read_bytes(path);
    // The target_features section lists "+bulk-memory" (a prefix byte, then the name's length).
    EXPECT_NE(bytes.find(std::string("+\x0b") + "bulk-memory"), std::string::npos);

    wabt::Module module;
    wabt::Errors errors;
    wabt::ReadBinaryOptions options(wabt::Features{}, nullptr, /*read_debug_names=*/false,
                                    /*stop_on_first_error=*/true,
                                    /*fail_on_custom_section_error=*/false);
    ASSERT_TRUE(wabt::Succeeded(wabt::ReadBinaryIr(path.string().c_str(), bytes.data(),
                                                   bytes.size(), options, &errors, &module)))
        << wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);

    Uses uses;
    uses.module = &module;
    wabt::ExprVisitor visitor(&uses);
    for (wabt::Func* f : module.funcs) ASSERT_TRUE(wabt::Succeeded(visitor.VisitFunc(f)));
    // The guest's own copies are inlined as memory.copy/fill.
    EXPECT_GT(uses.memory_copies, 1u);
    EXPECT_GT(uses.memory_fills, 0u);

    // The SDK's memcpy, and its memmove (the same body) when something links it, and code calls
    // them: libc's precompiled callers were linked to these rather than to libc.a's loops.
    size_t forwarders = 0;
    size_t called = 0;
    for (size_t i = module.num_func_imports; i < module.funcs.size(); ++i) {
      const wabt::Func* f = module.funcs[i];
      if (!is_memory_copy_forwarder(*f)) continue;
      ++forwarders;
      called += uses.called.count(f);
    }
    EXPECT_GE(forwarders, 1u);
    EXPECT_LE(forwarders, 2u);
    EXPECT_GE(called, 1u) << "the SDK's memcpy is never called";
    ++checked;
  }
  if (checked == 0) {
    ACTR_SKIP_MISSING("no SDK workload was built (needs clang-19 and wasm32 libc++)");
  }
}

}  // namespace
}  // namespace actr::test
