#include "wasm/extern_match.hpp"

namespace actr::wasm {
namespace {

bool limits_match(const Limits& expected, const Limits& actual) {
  if (actual.min < expected.min) return false;
  if (!expected.max) return true;
  return actual.max && *actual.max <= *expected.max;
}

std::string describe_limits(const Limits& limits) {
  std::string s = "{min " + std::to_string(limits.min);
  if (limits.max) s += ", max " + std::to_string(*limits.max);
  return s + "}";
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
    case ExternKind::Tag:
      return expected.tag == actual.tag;
  }
  return false;
}

std::string describe(const ExternType& type) {
  switch (type.kind) {
    case ExternKind::Func:
      return "func " + type.func.to_string();
    case ExternKind::Table:
      return std::string("table ") + to_string(type.table.elem) + " " +
             describe_limits(type.table.limits);
    case ExternKind::Memory:
      return "memory " + describe_limits(type.memory.limits);
    case ExternKind::Global:
      return std::string("global ") + (type.global.is_mutable ? "mut " : "") +
             to_string(type.global.type);
    case ExternKind::Tag: {
      FuncType params{type.tag.params, {}};
      return "tag " + params.to_string();
    }
  }
  return "?";
}

ExternType type_of(const Extern& e) {
  ExternType type;
  switch (e.index()) {
    case 0:
      type.kind = ExternKind::Func;
      type.func = std::get<0>(e)->type();
      break;
    case 1:
      type.kind = ExternKind::Table;
      type.table = std::get<1>(e)->type();
      break;
    case 2:
      type.kind = ExternKind::Memory;
      type.memory = std::get<2>(e)->type();
      break;
    case 3:
      type.kind = ExternKind::Global;
      type.global = std::get<3>(e)->type();
      break;
    default:
      type.kind = ExternKind::Tag;
      type.tag = std::get<4>(e)->type();
      break;
  }
  return type;
}

}  // namespace actr::wasm
