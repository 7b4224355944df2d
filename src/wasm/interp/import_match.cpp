#include "wasm/interp/import_match.hpp"

namespace actr::wasm::interp {
namespace {

bool limits_match(const Limits& expected, const Limits& actual) {
  if (actual.min < expected.min) return false;
  if (!expected.max) return true;
  return actual.max && *actual.max <= *expected.max;
}

}  // namespace

bool import_matches(const ExternType& expected, const ExternType& actual) {
  if (expected.kind != actual.kind) return false;
  switch (expected.kind) {
    case ExternKind::Func:
      return expected.func == actual.func;
    case ExternKind::Table:
      return expected.table.elem == actual.table.elem &&
             limits_match(expected.table.limits, actual.table.limits);
    case ExternKind::Memory:
      return limits_match(expected.memory.limits, actual.memory.limits);
    case ExternKind::Global:
      return expected.global == actual.global;
  }
  return false;
}

}  // namespace actr::wasm::interp
