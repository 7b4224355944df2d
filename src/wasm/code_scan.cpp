// code_keeps_tables_fixed (engine.hpp): a walk over every function body with wabt's IR reader.
#include "actr/wasm/engine.hpp"
#include "wabt/binary-reader-ir.h"
#include "wabt/binary-reader.h"
#include "wabt/cast.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/ir.h"

namespace actr::wasm {
namespace {

const char* changes_state(const wabt::Expr& e) {
  using T = wabt::ExprType;
  switch (e.type()) {
    case T::TableSet:
      return "table.set";
    case T::TableGrow:
      return "table.grow";
    case T::TableFill:
      return "table.fill";
    case T::TableCopy:
      return "table.copy";
    case T::TableInit:
      return "table.init";
    case T::ElemDrop:
      return "elem.drop";
    case T::DataDrop:
      return "data.drop";
    default:
      return nullptr;
  }
}

const char* scan(const wabt::ExprList& exprs, int depth = 0) {
  if (depth > 10000) return "nesting too deep to inspect";
  for (const wabt::Expr& e : exprs) {
    if (const char* found = changes_state(e)) return found;
    const char* inner = nullptr;
    switch (e.type()) {
      case wabt::ExprType::Block:
        inner = scan(wabt::cast<wabt::BlockExpr>(&e)->block.exprs, depth + 1);
        break;
      case wabt::ExprType::Loop:
        inner = scan(wabt::cast<wabt::LoopExpr>(&e)->block.exprs, depth + 1);
        break;
      case wabt::ExprType::If: {
        const auto* i = wabt::cast<wabt::IfExpr>(&e);
        inner = scan(i->true_.exprs, depth + 1);
        if (!inner) inner = scan(i->false_, depth + 1);
        break;
      }
      case wabt::ExprType::Try: {
        const auto* t = wabt::cast<wabt::TryExpr>(&e);
        inner = scan(t->block.exprs, depth + 1);
        for (const auto& c : t->catches) {
          if (!inner) inner = scan(c.exprs, depth + 1);
        }
        break;
      }
      default:
        break;
    }
    if (inner) return inner;
  }
  return nullptr;
}

}  // namespace

Result<void> code_keeps_tables_fixed(std::span<const uint8_t> bytes) {
  wabt::Features features;
  wabt::Errors errors;
  wabt::Module module;
  wabt::ReadBinaryOptions options(features, nullptr, /*read_debug_names=*/false,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options, &errors,
                                      &module))) {
    return make_error("the module could not be read to inspect its code");
  }
  for (size_t i = 0; i < module.funcs.size(); ++i) {
    if (const char* found = scan(module.funcs[i]->exprs)) {
      return make_error("function " + std::to_string(i) + " uses `" + found +
                        "`, which changes state no engine hand-over carries");
    }
  }
  return {};
}

}  // namespace actr::wasm
